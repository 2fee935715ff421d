#!/usr/bin/env node
// The nlwire command: runs the compiled CLI (built into dist/ by `npm install`).
import { run, processIO } from '../dist/cli/main.js';

run(process.argv.slice(2), processIO()).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`nlwire: internal error: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exitCode = 70;
  },
);
