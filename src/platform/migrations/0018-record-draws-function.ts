import { sql, type Kysely } from 'kysely';

/**
 * The draw writer's two statements (lotteries.repo.ts recordDraws) as one function, so a batch
 * of draws is one round trip and, when nothing else must commit with it, one autocommitted call
 * — instead of BEGIN, the lock, the spend and COMMIT, four round trips that each waited a turn of
 * the API's busy event loop while the writer held the workspace's next batch back.
 *
 * `p_draws`: a JSON array of draws, each [id, lotteryId, userId, cost, pool, prizeKey, day,
 * requestRef, deliveryStatus, points, epoch ms], at most one per (lottery, user). Returns the
 * ids of the draws recorded (those whose user still had the chances).
 *
 * 1. Lock the balances one by one in (lottery, user) order, so concurrent writers (other
 *    processes) queue on them in one order and cannot deadlock; the lateral probe is an index
 *    lookup per draw whatever the statistics say.
 * 2. Spend the chances (never below zero), write the ledger and draw rows. The function is
 *    VOLATILE, so under READ COMMITTED this second statement takes a fresh snapshot: it sees
 *    each locked balance as the lock found it (a chance grant that committed while we waited
 *    for the lock included), as the second statement of a transaction did. The rows are
 *    addressed by the tuple ids the locks returned (stable while we hold the locks): a TID scan,
 *    with no estimate of a new workspace's rows to get wrong (a nested loop that rescanned the
 *    batch per balance cost 113 µs of PostgreSQL time per draw in bench rewards).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create function ml_record_draws(p_workspace_id text, p_draws jsonb) returns setof text language plpgsql volatile as $f$
declare
  v_tids tid[];
  v_tid_of jsonb;
begin
  select array_agg(l.tid), jsonb_object_agg(d.lottery_id || ' ' || d.user_id, l.tid::text)
    into v_tids, v_tid_of
  from (select x->>1 as lottery_id, (x->>2)::bigint as user_id from jsonb_array_elements(p_draws) as x order by 1, 2) d
  cross join lateral (
    select b.ctid as tid from lottery_chance_balances b
    where b.workspace_id = p_workspace_id and b.lottery_id = d.lottery_id and b.user_id = d.user_id
    for update
  ) l;
  if v_tids is null then
    return;
  end if;
  return query
  with d as materialized (
    select x->>0 as id, x->>1 as lottery_id, (x->>2)::bigint as user_id, (x->>3)::int as cost, (x->>4)::int as pool, x->>5 as prize_key,
      x->>6 as day, x->>7 as request_ref, x->>8 as delivery_status, (x->>9)::bigint as points, to_timestamp((x->>10)::bigint / 1000.0) as ts,
      (v_tid_of->>(x->>1 || ' ' || (x->>2)))::tid as tid
    from jsonb_array_elements(p_draws) as x
  ), spent as (
    update lottery_chance_balances b set chances = b.chances - d.cost, updated_at = d.ts
    from d where b.ctid = any(v_tids) and b.ctid = d.tid
      and b.lottery_id = d.lottery_id and b.user_id = d.user_id and b.chances >= d.cost
    returning d.*
  ), ledger as (
    insert into lottery_chance_ledger (workspace_id, lottery_id, user_id, delta, reason, ref, created_at)
    select p_workspace_id, s.lottery_id, s.user_id, -s.cost, 'draw', 'draw:' || s.id, s.ts from spent s
  ), drawn as (
    insert into lottery_draws (workspace_id, id, lottery_id, user_id, pool, prize_key, day, request_ref, delivery_status, points, created_at)
    select p_workspace_id, s.id, s.lottery_id, s.user_id, s.pool, s.prize_key, s.day, s.request_ref, s.delivery_status, s.points, s.ts from spent s
  )
  select s.id from spent s;
end
$f$`.execute(db);
}
