import { sql, type RawBuilder } from 'kysely';
import { dateCondition, parseDay, type DayContext } from './definition-dates.compiler.ts';
import { invalid, type Path } from './definition-errors.ts';
import type { AggregateCondition, BehaviourCondition, PropCondition, SequenceCondition, TimeCondition, Window } from './definition.schema.ts';
import { comparison, typedJsonCondition, typedJsonValue, untypedJsonCondition, type ValueType } from './definition-values.compiler.ts';

/**
 * Behaviour nodes: counts, aggregates and first/last times of a user's matching events, and
 * ordered sequences of events. Each compiles to a set test `u.id [not] in (select user_id from
 * events … group by user_id having …)`: one pass over the workspace's events of that name,
 * whatever the number of users and whatever the planner's statistics say. The single-user
 * evaluation is the same SQL with `and user_id = $1` inside each subquery (ctx.userId), an
 * index range probe on (workspace_id, user_id, name, ts): one code path for both answers.
 */
type Sql = RawBuilder<unknown>;
const TRUE = sql`true`;
const FALSE = sql`false`;

export interface BehaviourContext extends DayContext {
  workspaceId: string;
  /** Set for a single-user evaluation: every events subquery is narrowed to this user. */
  userId?: string;
  /** Type of an event's property from the catalog; undefined when not known. */
  propertyType(event: string, prop: string): Promise<ValueType | undefined>;
}

const col = (alias: string, column: string): Sql => sql.ref(`${alias}.${column}`);

/** The window as instants [from, to]: both inclusive (`lastDays` ends now). */
function windowCondition(w: Window | undefined, alias: string, ctx: DayContext, path: Path): Sql {
  const ts = col(alias, 'ts');
  if (!w) return TRUE;
  if ('lastDays' in w) return sql`${ts} >= ${new Date(ctx.now.getTime() - w.lastDays * 86_400_000)}::timestamptz and ${ts} <= ${ctx.now}::timestamptz`;
  if ('from' in w) {
    const from = parseDay(w.from, ctx, [...path, 'window', 'from']);
    const to = parseDay(w.to, ctx, [...path, 'window', 'to']);
    const upper = to.kind === 'day' ? sql`${ts} < ${to.nextDay}::timestamptz` : sql`${ts} <= ${to.start}::timestamptz`;
    return sql`${ts} >= ${from.start}::timestamptz and ${upper}`;
  }
  return w.until
    ? sql`${ts} >= ${new Date(w.since)}::timestamptz and ${ts} <= ${new Date(w.until)}::timestamptz`
    : sql`${ts} >= ${new Date(w.since)}::timestamptz`;
}

async function whereCondition(event: string, where: PropCondition[] | undefined, alias: string, ctx: BehaviourContext, path: Path): Promise<Sql> {
  if (!where || where.length === 0) return TRUE;
  const props = col(alias, 'properties');
  const parts = await Promise.all(where.map(async (w, i) => {
    const type = await ctx.propertyType(event, w.prop);
    const at = [...path, 'where', i];
    return type ? typedJsonCondition(props, w.prop, type, w, ctx, at) : untypedJsonCondition(props, w.prop, w, ctx, at);
  }));
  return sql.join(parts, sql` and `);
}

/**
 * Whose events a subquery reads: everyone's (a set-based pass over the workspace), one user's
 * (single-user evaluation: the same SQL narrowed to `user_id = $1`, an index range probe), or
 * the user of an outer step (sequences).
 */
function userFilter(alias: string, ctx: BehaviourContext, sameUserAs?: string): Sql {
  if (sameUserAs) return sql` and ${col(alias, 'user_id')} = ${col(sameUserAs, 'user_id')}`;
  return ctx.userId === undefined ? sql`` : sql` and ${col(alias, 'user_id')} = ${ctx.userId}::bigint`;
}

/** `from events <alias> where` the events of that name in the window matching `where` (see userFilter for whose). */
async function matchingEvents(alias: string, event: string, where: PropCondition[] | undefined, w: Window | undefined, ctx: BehaviourContext, path: Path, windowPath: Path = path, sameUserAs?: string): Promise<Sql> {
  return sql`from events ${sql.id(alias)} where ${col(alias, 'workspace_id')} = ${ctx.workspaceId}${userFilter(alias, ctx, sameUserAs)}
    and ${col(alias, 'name')} = ${event} and ${windowCondition(w, alias, ctx, windowPath)} and ${await whereCondition(event, where, alias, ctx, path)}`;
}

/**
 * A per-user aggregate condition as a set: `u.id in (users whose events satisfy it)`, one
 * GroupAggregate over the events index instead of a probe per user (a correlated
 * `(select count(*) … where user_id = u.id)` is users × events when the planner picks the
 * wrong index on stale statistics — 19.6 s vs 51 ms measured, docs/benchmarks.md).
 *
 * `holdsWithNoEvents` says whether a user without any matching event satisfies it (count
 * `eq 0`, `lt 2`; sum `lte 100` since a sum over nothing is 0). Such users are not in the
 * grouped set, so the condition is taken as the complement: `u.id not in (users with events
 * for whom it fails)`. `having` must be two-valued (callers coalesce NULLs to false).
 */
function perUser(matching: Sql, having: Sql | null, holdsWithNoEvents: boolean): Sql {
  const e = sql`select e.user_id ${matching} group by e.user_id`;
  if (!holdsWithNoEvents) return having ? sql`(u.id in (${e} having ${having}))` : sql`(u.id in (${e}))`;
  return having ? sql`(u.id not in (${e} having not ${having}))` : sql`(u.id not in (${e}))`;
}

/** Does `count op value` hold for a count of zero? */
function countHoldsAtZero(op: string, value: number): boolean {
  switch (op) {
    case 'eq': return value === 0;
    case 'neq': return value !== 0;
    case 'gt': return 0 > value;
    case 'gte': return 0 >= value;
    case 'lt': return 0 < value;
    default: return 0 <= value; // lte
  }
}

/** Does the sum condition hold for a sum of 0 (a user with no matching events)? */
function numberHoldsAtZero(a: AggregateCondition): boolean {
  if (a.op === 'between') return Array.isArray(a.value) && a.value[0]! <= 0 && 0 <= a.value[1]!;
  return typeof a.value === 'number' && countHoldsAtZero(a.op, a.value);
}

/** A number out of a property: typed as the catalog says, otherwise JSON numbers only. */
async function numericProperty(event: string, a: AggregateCondition, ctx: BehaviourContext, path: Path): Promise<Sql> {
  const type = await ctx.propertyType(event, a.prop);
  if (type && type !== 'number') invalid([...path, 'prop'], `${a.prop} of ${event} is a ${type}; sum, avg, min and max need a number.`);
  if (type) return typedJsonValue(sql`e.properties`, a.prop, 'number', ctx.timezone);
  const v = sql`(e.properties -> ${a.prop}::text)`;
  return sql`(case when jsonb_typeof(${v}) = 'number' then ${v}::numeric end)`;
}

function numberComparison(x: Sql, a: AggregateCondition, path: Path): Sql {
  if (a.op === 'between') {
    if (!Array.isArray(a.value) || a.value.length !== 2) invalid([...path, 'value'], 'between takes [low, high].');
    return sql`(${x} between ${a.value[0]}::numeric and ${a.value[1]}::numeric)`;
  }
  if (typeof a.value !== 'number') invalid([...path, 'value'], `${a.op} takes one number.`);
  return sql`(${x} ${comparison(a.op)} ${a.value}::numeric)`;
}

export async function behaviour(c: BehaviourCondition, ctx: BehaviourContext, path: Path): Promise<Sql> {
  const matching = await matchingEvents('e', c.event, c.where, c.window, ctx, path);
  for (const agg of ['sum', 'avg', 'min', 'max'] as const) {
    const a = c[agg];
    if (!a) continue;
    const apath = [...path, agg];
    const n = await numericProperty(c.event, a, ctx, apath);
    // sum over no events is 0; avg/min/max over no events are NULL and so fail (API.md).
    const value = agg === 'sum' ? sql`coalesce(sum(${n}), 0)` : sql`${sql.raw(agg)}(${n})`;
    const holds = sql`coalesce(${numberComparison(value, a, apath)}, false)`;
    return perUser(matching, holds, agg === 'sum' && numberHoldsAtZero(a));
  }
  for (const which of ['first', 'last'] as const) {
    const t: TimeCondition | undefined = c[which];
    if (!t) continue;
    // A user who never did it has no first/last time, so is never in the set: the condition fails.
    const at = which === 'first' ? sql`min(e.ts)` : sql`max(e.ts)`;
    return perUser(matching, sql`coalesce(${dateCondition(at, t.op, t.value, ctx, [...path, which])}, false)`, false);
  }
  const count = c.count ?? { op: 'gte', value: 1 };
  if (count.op === 'gte' && count.value === 0) return TRUE;
  if (count.op === 'lt' && count.value === 0) return FALSE;
  const atZero = countHoldsAtZero(count.op, count.value);
  // "Did" (count ≥ 1) and "did not" (count = 0) are the bare set of users who did it, or its complement.
  const didOrNot = (count.op === 'gte' && count.value === 1) || (count.op === 'gt' && count.value === 0) || (count.op === 'neq' && count.value === 0)
    || (count.op === 'eq' && count.value === 0) || (count.op === 'lt' && count.value === 1) || (count.op === 'lte' && count.value === 0);
  if (didOrNot) return perUser(matching, null, atZero);
  const holds = sql`(count(*) ${comparison(count.op)} ${count.value})`;
  return perUser(matching, holds, atZero);
}

/**
 * Events e1 … ek of the steps, each matching its own `where`, all inside the window, with
 * strictly increasing timestamps and each consecutive gap ≤ maxGapHours.
 *
 * Without a gap limit the earliest possible choice of each step is optimal, so the steps are
 * a chain of grouped passes: per user the earliest step-1 time, then per user the earliest
 * step-2 time after it (a hash join on user_id), and so on; the users left at the end did
 * the whole sequence. With a gap limit the earliest choice may be too early for the next
 * step, so every candidate of a step is tried against the next: nested EXISTS on the same
 * user, each an index range probe (ts in (prev, prev + gap]), under one set over step 1.
 */
export async function sequence(c: SequenceCondition, ctx: BehaviourContext, path: Path): Promise<Sql> {
  const stepPath = (i: number): Path => [...path, 'sequence', i];
  if (c.maxGapHours === undefined) {
    let chain: Sql | null = null;
    for (let i = 0; i < c.sequence.length; i++) {
      const s = c.sequence[i]!;
      const from = await matchingEvents('e', s.event, s.where, c.window, ctx, stepPath(i), path);
      chain = chain
        ? sql`select e.user_id, min(e.ts) as t ${from} and exists (select 1 from (${chain}) p where p.user_id = e.user_id and e.ts > p.t) group by e.user_id`
        : sql`select e.user_id, min(e.ts) as t ${from} group by e.user_id`;
    }
    return sql`(u.id in (select q.user_id from (${chain!}) q))`;
  }
  const gap = sql`${c.maxGapHours * 3_600_000} * interval '1 millisecond'`;
  const steps = await Promise.all(c.sequence.map(async (s, i) => ({
    alias: `s${i}`,
    from: await matchingEvents(`s${i}`, s.event, s.where, c.window, ctx, stepPath(i), path, i === 0 ? undefined : 's0'),
  })));
  let inner: Sql | null = null;
  for (let i = steps.length - 1; i >= 1; i--) {
    const s = steps[i]!;
    const prev = steps[i - 1]!;
    const ts = col(s.alias, 'ts');
    const order = sql` and ${ts} > ${col(prev.alias, 'ts')} and ${ts} <= ${col(prev.alias, 'ts')} + ${gap}`;
    inner = sql`exists (select 1 ${s.from}${order}${inner ? sql` and ${inner}` : sql``})`;
  }
  return sql`(u.id in (select s0.user_id ${steps[0]!.from}${inner ? sql` and ${inner}` : sql``}))`;
}
