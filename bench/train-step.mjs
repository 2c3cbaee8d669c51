#!/usr/bin/env node
// Train-step throughput, native vs pure TS, in one run. See bench/README.md.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(['bench', ...process.argv.slice(2)]);
