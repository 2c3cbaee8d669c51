#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

// `downhill train | head` closes the pipe early: stop quietly instead of crashing on EPIPE.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
process.exitCode = await main(process.argv.slice(2));
