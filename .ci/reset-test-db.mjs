// Gives the CI database a clean slate: the machine's `test` database outlives runs, and
// migrations are forward-only, so leftovers of an earlier run's schema must not linger.
import pg from 'pg';

const client = new pg.Client({ connectionString: process.argv[2] });
await client.connect();
const { rows } = await client.query(
  "select nspname from pg_namespace where nspname = 'public' or nspname = 'graphile_worker' or nspname like 'gw\\_%'",
);
for (const { nspname } of rows) await client.query(`drop schema "${nspname}" cascade`);
await client.query('create schema if not exists public');
await client.end();
console.log(`reset ${rows.length} schema(s)`);
