#!/usr/bin/env node
// The `scalestack` command. A committed file, so that `npm install` links it into
// node_modules/.bin even on a fresh clone, where dist/ (built, not committed) does not exist yet;
// it runs the built CLI.
import { existsSync } from 'node:fs';

const built = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(built)) {
  process.stderr.write(
    'scalestack: the CLI is not built yet: run `npm run build` (or `npm start`) in the repository first\n',
  );
  process.exit(1);
}
await import(built.href);
