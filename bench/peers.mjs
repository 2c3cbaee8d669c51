#!/usr/bin/env node
// downhill vs OpenBLAS sgemm and PyTorch, in one run, with ratios. See bench/README.md.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(['bench', '--peers', ...process.argv.slice(2)]);
