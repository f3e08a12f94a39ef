import { sql } from 'kysely';
import type { Tx } from '../platform/db.ts';

/** SQL for the catalog: event counts kept at ingest, and a sample of profiles for top values. */

const SHARDS = 16;

/** The ON CONFLICT of an insert into event_counts: a shard's counts add up (here and in the one-statement ingest). */
export const mergeEventCounts = sql`on conflict (workspace_id, name, shard) do update
      set count = event_counts.count + excluded.count, last_seen_at = greatest(event_counts.last_seen_at, excluded.last_seen_at)`;

/** The event_counts shard a batch adds to: random, so concurrent batches rarely wait on one row. */
export const eventCountShard = (): number => Math.floor(Math.random() * SHARDS);

/**
 * The body of a CTE that adds the rows of another CTE of the same statement (`storedCte`: the
 * events it inserted, one row each) to one random shard of event_counts under `name`: for a
 * statement that stores events and commits alone (see customers.service inlineEventCounts).
 */
export const eventCountsOf = (workspaceId: string, name: string, storedCte: string, now: Date) => sql`
    insert into event_counts (workspace_id, name, shard, count, last_seen_at)
    select ${workspaceId}, ${name}, ${eventCountShard()}::smallint, count(*), ${now}::timestamptz from ${sql.table(storedCte)} having count(*) > 0
    ${mergeEventCounts}`;

/**
 * Adds a batch's stored events per name to one random shard of event_counts. The row locks
 * last until the caller commits, so call this last in the transaction; names are sorted so
 * two batches lock rows in the same order.
 */
export async function addEventCounts(tx: Tx, workspaceId: string, counts: Map<string, number>, now: Date): Promise<void> {
  const names = [...counts.keys()].filter((n) => counts.get(n)! > 0).sort();
  if (names.length === 0) return;
  const shard = eventCountShard();
  await sql`
    insert into event_counts (workspace_id, name, shard, count, last_seen_at)
    select ${workspaceId}, name, ${shard}::smallint, n, ${now}::timestamptz
    from unnest(${names}::text[], ${names.map((n) => counts.get(n)!)}::bigint[]) as t(name, n)
    ${mergeEventCounts}`.execute(tx);
}

export const eventCounts = (tx: Tx, workspaceId: string) =>
  tx.selectFrom('eventCounts').select((eb) => ['name', eb.fn.sum<string>('count').as('count'), eb.fn.max('lastSeenAt').as('lastSeenAt')])
    .where('workspaceId', '=', workspaceId).groupBy('name').orderBy('name').execute();

/**
 * The most frequent scalar values of every string or boolean attribute among `sample` profiles
 * (the first ones in externalId order, read through the (workspace_id, external_id) index, so
 * the cost is bounded whatever the workspace's size), plus the platform column.
 */
export async function topAttributeValues(tx: Tx, workspaceId: string, sample: number, perName: number) {
  const r = await sql<{ name: string; value: unknown; n: number }>`
    with s as materialized (
      select attributes, platform from users where workspace_id = ${workspaceId} order by external_id limit ${sample}
    ), v as (
      select kv.key as name, kv.value, count(*)::int as n
      from s, jsonb_each(s.attributes) kv
      where jsonb_typeof(kv.value) in ('string', 'boolean')
      group by 1, 2
      union all
      select 'platform', to_jsonb(platform), count(*)::int from s where platform is not null group by platform
    ), ranked as (
      select name, value, n, row_number() over (partition by name order by n desc, value) as rank from v
    )
    select name, value, n from ranked where rank <= ${perName} order by name, rank`.execute(tx);
  return r.rows;
}

export const sampledUsers = async (tx: Tx, workspaceId: string, sample: number): Promise<number> =>
  (await sql<{ n: number }>`select count(*)::int as n from (select 1 from users where workspace_id = ${workspaceId} limit ${sample}) s`.execute(tx)).rows[0]!.n;
