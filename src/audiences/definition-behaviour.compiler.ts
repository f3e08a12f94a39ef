import { sql, type RawBuilder } from 'kysely';
import { dateCondition, parseDay, type DayContext } from './definition-dates.compiler.ts';
import { invalid, type Path } from './definition-errors.ts';
import type { AggregateCondition, BehaviourCondition, PropCondition, SequenceCondition, TimeCondition, Window } from './definition.schema.ts';
import { comparison, typedJsonCondition, typedJsonValue, untypedJsonCondition, type ValueType } from './definition-values.compiler.ts';

/**
 * Behaviour nodes: counts, aggregates and first/last times of a user's matching events, and
 * ordered sequences of events. Each is a correlated subquery on `u.id` over the events index
 * (workspace_id, user_id, name, ts), so the batch computation and the single-user evaluation
 * are the same SQL.
 */
type Sql = RawBuilder<unknown>;
const TRUE = sql`true`;
const FALSE = sql`false`;

export interface BehaviourContext extends DayContext {
  workspaceId: string;
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

/** `from events <alias> where` this user's events of that name, in the window, matching `where`. */
async function matchingEvents(alias: string, event: string, where: PropCondition[] | undefined, w: Window | undefined, ctx: BehaviourContext, path: Path, windowPath: Path = path): Promise<Sql> {
  return sql`from events ${sql.id(alias)} where ${col(alias, 'workspace_id')} = ${ctx.workspaceId} and ${col(alias, 'user_id')} = u.id
    and ${col(alias, 'name')} = ${event} and ${windowCondition(w, alias, ctx, windowPath)} and ${await whereCondition(event, where, alias, ctx, path)}`;
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
    return sql`(select coalesce(${numberComparison(value, a, apath)}, false) ${matching})`;
  }
  for (const which of ['first', 'last'] as const) {
    const t: TimeCondition | undefined = c[which];
    if (!t) continue;
    // A user who never did it has no first/last time: NULL, so the condition fails.
    const at = which === 'first' ? sql`min(e.ts)` : sql`max(e.ts)`;
    return sql`(select coalesce(${dateCondition(at, t.op, t.value, ctx, [...path, which])}, false) ${matching})`;
  }
  const count = c.count ?? { op: 'gte', value: 1 };
  // The common shapes become EXISTS / NOT EXISTS, which stop at the first matching event.
  if ((count.op === 'gte' && count.value === 1) || (count.op === 'gt' && count.value === 0) || (count.op === 'neq' && count.value === 0)) return sql`exists (select 1 ${matching})`;
  if ((count.op === 'eq' && count.value === 0) || (count.op === 'lt' && count.value === 1) || (count.op === 'lte' && count.value === 0)) return sql`not exists (select 1 ${matching})`;
  if (count.op === 'gte' && count.value === 0) return TRUE;
  if (count.op === 'lt' && count.value === 0) return FALSE;
  return sql`((select count(*) ${matching}) ${comparison(count.op)} ${count.value})`;
}

/**
 * Events e1 … ek of the steps, each matching its own `where`, all inside the window, with
 * strictly increasing timestamps and each consecutive gap ≤ maxGapHours.
 *
 * Without a gap limit the earliest possible choice of each step is optimal, so a chain of
 * `min(ts) … where ts > previous` subqueries answers it with one index probe per step. With a
 * gap limit the earliest choice may be too early for the next step, so every candidate of a
 * step is tried against the next: nested EXISTS, each an index range probe (ts in (prev, prev + gap]).
 */
export async function sequence(c: SequenceCondition, ctx: BehaviourContext, path: Path): Promise<Sql> {
  const steps = await Promise.all(c.sequence.map(async (s, i) => ({
    alias: `s${i}`,
    from: await matchingEvents(`s${i}`, s.event, s.where, c.window, ctx, [...path, 'sequence', i], path),
  })));
  if (c.maxGapHours === undefined) {
    let chain: Sql | null = null;
    for (const s of steps) {
      const ts = col(s.alias, 'ts');
      chain = chain ? sql`(select min(${ts}) ${s.from} and ${ts} > ${chain})` : sql`(select min(${ts}) ${s.from})`;
    }
    return sql`(${chain!} is not null)`;
  }
  const gap = sql`${c.maxGapHours * 3_600_000} * interval '1 millisecond'`;
  let inner: Sql | null = null;
  for (let i = steps.length - 1; i >= 0; i--) {
    const s = steps[i]!;
    const prev = steps[i - 1];
    const ts = col(s.alias, 'ts');
    const order = prev ? sql` and ${ts} > ${col(prev.alias, 'ts')} and ${ts} <= ${col(prev.alias, 'ts')} + ${gap}` : sql``;
    inner = sql`exists (select 1 ${s.from}${order}${inner ? sql` and ${inner}` : sql``})`;
  }
  return inner!;
}
