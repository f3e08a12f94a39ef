import { sql, type RawBuilder } from 'kysely';

/**
 * Lookalike expansion `{"lookalike": {"segment": "<seed>", "size": N}}`: the N users outside
 * the seed's current snapshot whose behaviour is most like the seed's (docs/segments.md,
 * "Lookalike audiences", explains the model to operators).
 *
 * The model, all in one SQL statement over the workspace:
 * 1. Features per user (3 + MIX):
 *    - recency   ln(1 + days since the user's last event), capped at 365 days (never → 365);
 *    - frequency ln(1 + number of events);
 *    - monetary  ln(1 + order_total in major units) from the profile's order stats;
 *    - event mix the share of each of the seed's MIX most frequent event names among the
 *      user's events (what they do, independent of how much).
 *    Logs tame the long tails (one whale must not set the scale for everyone).
 * 2. Standardized over all users of the workspace: z = (x − mean) / standard deviation, so
 *    every feature weighs the same whatever its unit (a feature that does not vary is 0).
 * 3. The seed as a diagonal Gaussian in that space: per feature its mean c and spread s
 *    (floored at MIN_SPREAD, so a feature where the seed happens to be uniform does not
 *    dominate, and a one-member seed still works).
 * 4. Score = − Σ ((z − c) / s)²: minus the squared (diagonal Mahalanobis) distance to the
 *    seed's centre; the closer, the more typical the user would be as a seed member. The
 *    N best non-members win, ties broken by user id, so the answer is deterministic.
 *
 * Seed members are never in the result (so `any` of the seed and its lookalike is the
 * expanded audience); an empty seed gives an empty lookalike.
 */
type Sql = RawBuilder<unknown>;

/** How many of the seed's most frequent event names describe the event mix. */
export const MIX = 8;
/** Floor of a feature's spread in the seed, in standard deviations of the workspace. */
export const MIN_SPREAD = 0.5;
const MAX_RECENCY_DAYS = 365;

export interface LookalikeInput {
  workspaceId: string;
  now: Date;
  seedSnapshotId: string;
  size: number;
}

const slots = Array.from({ length: MIX }, (_, i) => i + 1);
const features = ['r', 'f', 'm', ...slots.map((i) => `x${i}`)];

/** The ranked user ids (best first, at most `size`) as a query with one column `user_id`. */
export function lookalikeQuery(i: LookalikeInput): Sql {
  const id = (s: string) => sql.id(s);
  const snap = sql`${i.seedSnapshotId}::bigint`;
  const mixCounts = slots.map((k) => sql`count(*) filter (where e.name = n.a[${sql.lit(k)}]) as ${id(`c${k}`)}`);
  const mixShares = slots.map((k) => sql`coalesce(a.${id(`c${k}`)}::float8 / nullif(a.n, 0), 0) as ${id(`x${k}`)}`);
  const norm = features.map((f) => sql`avg(${id(f)}) as ${id(`m_${f}`)}, stddev_pop(${id(f)}) as ${id(`d_${f}`)}`);
  const z = features.map((f) => sql`coalesce((f.${id(f)} - norm.${id(`m_${f}`)}) / nullif(norm.${id(`d_${f}`)}, 0), 0) as ${id(f)}`);
  const seedStats = features.map((f) => sql`avg(z.${id(f)}) as ${id(`c_${f}`)}, greatest(coalesce(stddev_pop(z.${id(f)}), 0), ${MIN_SPREAD}::float8) as ${id(`s_${f}`)}`);
  const distance = sql.join(features.map((f) => sql`power((z.${id(f)} - ss.${id(`c_${f}`)}) / ss.${id(`s_${f}`)}, 2)`), sql` + `);
  return sql`
    with seed as materialized (
      select sm.user_id from segment_members sm where sm.snapshot_id = ${snap} and sm.workspace_id = ${i.workspaceId}
    ), n as (
      select coalesce(array_agg(name order by cnt desc, name), '{}') as a from (
        select e.name, count(*) as cnt from events e join seed on seed.user_id = e.user_id
        where e.workspace_id = ${i.workspaceId} group by e.name order by cnt desc, e.name limit ${sql.lit(MIX)}
      ) top
    ), agg as (
      select e.user_id, count(*) as n, max(e.ts) as last_ts, ${sql.join(mixCounts)}
      from events e cross join n where e.workspace_id = ${i.workspaceId} group by e.user_id
    ), f as (
      select u.id as user_id,
        ln(1 + least(coalesce(extract(epoch from (${i.now}::timestamptz - a.last_ts)) / 86400, ${MAX_RECENCY_DAYS}), ${MAX_RECENCY_DAYS})::float8) as r,
        ln(1 + coalesce(a.n, 0))::float8 as f,
        ln(1 + greatest(u.order_total, 0) / 100.0)::float8 as m,
        ${sql.join(mixShares)}
      from users u left join agg a on a.user_id = u.id where u.workspace_id = ${i.workspaceId}
    ), norm as (
      select ${sql.join(norm)} from f
    ), z as materialized (
      select f.user_id, ${sql.join(z)} from f cross join norm
    ), ss as (
      select ${sql.join(seedStats)} from z join seed on seed.user_id = z.user_id
    )
    select z.user_id from z cross join ss
    where exists (select 1 from seed) and z.user_id not in (select user_id from seed)
    order by ${distance}, z.user_id
    limit ${i.size}`;
}
