import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRuntime, type Runtime } from './bootstrap.ts';
import { consoleBuildIsStale } from './platform/console-build.ts';
import { buildApp } from './http/app.ts';
import { loadConfig } from './platform/config.ts';
import { seedDemo } from './demo/seed-demo.ts';
import { createLogger } from './platform/logger.ts';
import type { Platform } from './platform/context.ts';

/** `marketloop start | api | worker | migrate | seed-demo [--seed N] [--users N] | openapi` */
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [command = 'start', ...args] = process.argv.slice(2);

/** Builds the console when web/dist is missing or older than its sources (first `npm start`). */
function ensureConsoleBuilt(): void {
  if (!consoleBuildIsStale(root)) return;
  process.stdout.write('Building the console (first start or changed sources)…\n');
  const r = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(root, 'web/vite.config.ts'), '--logLevel', 'warn'], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) process.stderr.write('Console build failed; the API still starts.\n');
}

function onStop(fn: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping…\n`);
    fn().then(() => process.exit(0), (err) => {
      process.stderr.write(`error while stopping: ${String(err)}\n`);
      process.exit(1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

function printRootKey(rt: Runtime): void {
  if (!rt.newRootKey) return;
  process.stdout.write(`\n  Root key (shown once; also stored in ${rt.platform.config.dataDir}/root-key):\n\n    ${rt.newRootKey}\n\n`);
}

async function main(): Promise<void> {
  const config = loadConfig();
  switch (command) {
    case 'start':
    case 'api':
    case 'worker': {
      // `api` replicas serve the H5 reward pages (customers open them from /h/{code} links), built with the console.
      if (command !== 'worker') ensureConsoleBuilt();
      const rt = await createRuntime({ config });
      printRootKey(rt);
      const p = rt.platform;
      const app = command === 'worker' ? null : await buildApp(p, { pages: command === 'start' ? 'console' : 'h5' });
      const worker = command === 'api' ? null : await p.jobs.start(p.db, config.workerConcurrency, config.workerStaleMs);
      if (app) {
        await app.listen({ port: config.port, host: config.host });
        process.stdout.write(`Marketloop ${command === 'start' ? 'API, console and workers' : 'API'} on ${config.publicUrl} (OpenAPI reference at ${config.publicUrl}/docs)\n`);
      } else process.stdout.write('Marketloop worker running.\n');
      onStop(async () => {
        await app?.close();
        await worker?.stop();
        await rt.close();
      });
      return;
    }
    case 'openapi': {
      // The OpenAPI document needs the routes, not a database: print it for docs/openapi.json.
      const app = await buildApp({ config, log: createLogger('silent') } as unknown as Platform, { logger: false });
      await app.ready();
      process.stdout.write(`${JSON.stringify(app.swagger(), null, 2)}\n`);
      await app.close();
      return;
    }
    case 'migrate': {
      const rt = await createRuntime({ config });
      printRootKey(rt);
      process.stdout.write('Migrations are up to date.\n');
      await rt.close();
      return;
    }
    case 'seed-demo': {
      const seedArg = args.indexOf('--seed');
      const seed = seedArg >= 0 ? Number(args[seedArg + 1]) : 42;
      const usersArg = args.indexOf('--users');
      const users = usersArg >= 0 ? Number(args[usersArg + 1]) : 10_000;
      const rt = await createRuntime({ config });
      printRootKey(rt);
      try {
        const r = await seedDemo(rt.platform, { seed, users });
        process.stdout.write(`\nDemo workspace "${r.slug}" ready: ${r.users} users, ${r.events} events, ${r.orders} orders.\n`);
        process.stdout.write(`  Admin API key:  ${r.apiKey}\n  Console login:  ${r.email} / ${r.password}  (${config.publicUrl})\n\n`);
      } finally {
        await rt.close();
      }
      return;
    }
    default:
      process.stderr.write(`Unknown command "${command}". Use: marketloop start | api | worker | migrate | seed-demo [--seed N] [--users N] | openapi\n`);
      process.exit(2);
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
