#!/usr/bin/env node
// `npm run bench -- <name> [options]`: runs bench/<name>.ts through tsx (no build step, like
// bin/marketloop.js); with no name, lists the benchmarks.
import { register } from 'tsx/esm/api';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const names = readdirSync(here).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();
const [name, ...rest] = process.argv.slice(2);

if (!name || name === '--help' || name === '-h') {
  process.stdout.write(`Usage: npm run bench -- <name> [options]\n\nBenchmarks:\n${names.map((n) => `  ${n}`).join('\n')}\n\nSee docs/benchmarks.md for what each measures and the latest figures.\n`);
  process.exit(0);
}
if (!names.includes(name)) {
  process.stderr.write(`Unknown benchmark "${name}". Available: ${names.join(', ')}\n`);
  process.exit(2);
}
register();
process.argv = [process.argv[0], join(here, `${name}.ts`), ...rest];
await import(pathToFileURL(join(here, `${name}.ts`)).href);
