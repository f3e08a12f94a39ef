import { Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { migrations } from './index.ts';
import { EVENT_PARTITIONS } from './0015-events-by-user.ts';
import { createScratchDatabase } from '../../../test/support/scratch-database.ts';

/**
 * Migration 0015 on a database an older version left: a database of its own, migrated to 0014,
 * with events (some with messageIds) written the old way, then migrated on. The rows, their
 * ids and the dedup must survive, and the table must be partitioned by user.
 */
describe('migration 0015: events partitioned by user', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let pool: pg.Pool;
  let db: Kysely<unknown>;
  const q = async <T = Record<string, unknown>>(text: string, values: unknown[] = []) => (await pool.query(text, values)).rows as T[];
  const migrator = () => new Migrator({
    db, provider: { getMigrations: async () => migrations }, migrationTableName: 'marketloop_migrations', migrationLockTableName: 'marketloop_migrations_lock',
  });

  beforeAll(async () => {
    scratch = await createScratchDatabase(inject('databaseUrl'), 'mig0015');
    pool = new pg.Pool({ connectionString: scratch.url, max: 2 });
    db = new Kysely({ dialect: new PostgresDialect({ pool }) });
    const before = await migrator().migrateTo('0014-budget-top-ups');
    expect(before.error).toBeUndefined();
  });
  afterAll(async () => {
    await db.destroy();
    await scratch.drop();
  });

  it('keeps every row, id and messageId, continues the ids, and dedups as before', async () => {
    await q(`insert into workspaces (id, slug, name) values ('w1', 'w1', 'W')`);
    const users = await q<{ id: string }>(`insert into users (workspace_id, external_id, created_at, updated_at)
      select 'w1', 'u' || i, now(), now() from generate_series(1, 40) i returning id`);
    await q(`insert into events (workspace_id, user_id, name, ts, properties, message_id)
      select 'w1', ($1::bigint[])[1 + i % 40], 'page_view', now() - i * interval '1 hour', jsonb_build_object('i', i), case when i % 3 = 0 then 'm' || i end
      from generate_series(1, 300) i`, [users.map((u) => u.id)]);
    const old = await q(`select id, workspace_id, user_id, name, ts, properties, message_id, received_at from events order by id`);

    const after = await migrator().migrateToLatest();
    expect(after.error).toBeUndefined();

    expect(await q(`select id, workspace_id, user_id, name, ts, properties, message_id, received_at from events order by id`)).toEqual(old);
    const parts = await q<{ n: number }>(`select count(*)::int as n from pg_inherits where inhparent = 'events'::regclass`);
    expect(parts[0]!.n).toBe(EVENT_PARTITIONS);
    // Each user's events in one partition.
    const spread = await q<{ n: number }>(`select max(c)::int as n from (select user_id, count(distinct tableoid) as c from events group by user_id) x`);
    expect(spread[0]!.n).toBe(1);
    expect(await q(`select count(*)::int as n from event_message_ids where workspace_id = 'w1'`)).toEqual([{ n: 100 }]);

    // New ids continue after the old ones; a stored messageId cannot be claimed again.
    const [next] = await q<{ id: string }>(`insert into events (workspace_id, user_id, name, ts) values ('w1', $1, 'x', now()) returning id`, [users[0]!.id]);
    expect(BigInt(next!.id)).toBeGreaterThan(BigInt(old.at(-1)!.id as string));
    await expect(q(`insert into event_message_ids (workspace_id, message_id) values ('w1', 'm3')`)).rejects.toMatchObject({ code: '23505' });
  });
});
