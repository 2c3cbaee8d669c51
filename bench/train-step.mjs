#!/usr/bin/env node
// GEMM, train and predict of the native (1 and 2 threads) and pure-TS engines, in one run. See bench/README.md.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(['bench', ...process.argv.slice(2)]);
