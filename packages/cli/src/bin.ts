#!/usr/bin/env node
import { processIO } from './io.js';
import { main } from './program.js';

const io = processIO();
main(process.argv.slice(2), io).then(
  (outcome) => {
    if (outcome.code !== undefined) io.exit(outcome.code);
  },
  (err: unknown) => {
    io.err(`scalestack: ${(err as Error)?.stack ?? err}\n`);
    io.exit(1);
  },
);
