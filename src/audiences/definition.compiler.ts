import { sql, type RawBuilder } from 'kysely';
import { DateTime } from 'luxon';
import { AppError, pathString, type ErrorDetail } from '../platform/errors.ts';
import type { AttrCondition, BehaviourCondition, Definition, PropCondition, Window } from './definition.schema.ts';

/**
 * Compiles a definition into ONE SQL boolean expression over the users row `u`. The same
 * expression answers "who is in it" (segment computation) and "is this user in it"
 * (single-user evaluation), so both answers always agree.
 */
export interface CompileContext {
  workspaceId: string;
  timezone: string;
  now: Date;
  /** Current snapshot id of a referenced segment, or null when it does not exist here. */
  snapshotOf: (segmentId: string) => Promise<string | null>;
}

type Sql = RawBuilder<unknown>;
type Path = (string | number)[];
const TRUE = sql`true`;
const FALSE = sql`false`;

/** Built-in attributes are columns of users; everything else lives in users.attributes. */
const builtins: Record<string, { column: string; type: 'string' | 'number' | 'date' }> = {
  externalId: { column: 'external_id', type: 'string' },
  phone: { column: 'phone', type: 'string' },
  email: { column: 'email', type: 'string' },
  platform: { column: 'platform', type: 'string' },
  createdAt: { column: 'created_at', type: 'date' },
  firstOrderAt: { column: 'first_order_at', type: 'date' },
  lastOrderAt: { column: 'last_order_at', type: 'date' },
  orderCount: { column: 'order_count', type: 'number' },
  orderTotal: { column: 'order_total', type: 'number' },
};

const dateOps = new Set(['before', 'after', 'on', 'withinLastDays']);
const numberOps = new Set(['gt', 'gte', 'lt', 'lte']);
const cmp: Record<string, string> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };

function bad(path: Path, message: string): never {
  throw new AppError('validation_failed', 'The segment definition is not valid.', [{ path: pathString(path), message }]);
}


export async function compile(def: Definition, ctx: CompileContext, path: Path = ['definition']): Promise<Sql> {
  if ('all' in def) {
    const parts = await Promise.all(def.all.map((d, i) => compile(d, ctx, [...path, 'all', i])));
    return sql`(${sql.join(parts, sql` and `)})`;
  }
  if ('any' in def) {
    const parts = await Promise.all(def.any.map((d, i) => compile(d, ctx, [...path, 'any', i])));
    return sql`(${sql.join(parts, sql` or `)})`;
  }
  if ('not' in def) {
    // NOT over all users: a NULL inside (missing attribute) must count as "not matching",
    // so the inner expression is made two-valued first.
    return sql`(not coalesce(${await compile(def.not, ctx, [...path, 'not'])}, false))`;
  }
  if ('segment' in def) {
    const snap = await ctx.snapshotOf(def.segment);
    if (!snap) bad([...path, 'segment'], `Segment ${def.segment} does not exist or has not been computed.`);
    return sql`exists (select 1 from segment_members sm where sm.snapshot_id = ${snap}::bigint and sm.user_id = u.id)`;
  }
  if ('attr' in def) return attribute(def, ctx, path);
  return behaviour(def, ctx, path);
}

// ---------- values and days ----------

interface DayOrInstant {
  kind: 'day' | 'instant';
  /** Start of the day (day) or the instant itself. */
  start: Date;
  /** Start of the next day (day) / start of the local day after the instant's day. */
  nextDay: Date;
  /** Start of the instant's local day (instant only; for `on`). */
  dayStart: Date;
}

function parseDay(value: unknown, ctx: CompileContext, path: Path): DayOrInstant {
  if (typeof value !== 'string') bad(path, 'A date: ISO date/time or relative day such as T-3.');
  const rel = /^T([+-]\d{1,5})$/.exec(value);
  if (rel || /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const day = rel
      ? DateTime.fromJSDate(ctx.now, { zone: ctx.timezone }).startOf('day').plus({ days: Number(rel[1]) })
      : DateTime.fromISO(value, { zone: ctx.timezone }).startOf('day');
    if (!day.isValid) bad(path, `Not a valid date: ${value}.`);
    return { kind: 'day', start: day.toJSDate(), nextDay: day.plus({ days: 1 }).toJSDate(), dayStart: day.toJSDate() };
  }
  const t = DateTime.fromISO(value, { setZone: true });
  if (!t.isValid) bad(path, `Not a valid date/time: ${value}.`);
  const local = t.setZone(ctx.timezone).startOf('day');
  return { kind: 'instant', start: t.toJSDate(), nextDay: local.plus({ days: 1 }).toJSDate(), dayStart: local.toJSDate() };
}

/** A date condition over the timestamptz expression `ts`, with the day semantics of API.md. */
function dateCondition(ts: Sql, op: string, value: unknown, ctx: CompileContext, path: Path): Sql {
  const vpath = [...path, 'value'];
  switch (op) {
    case 'before': {
      const d = parseDay(value, ctx, vpath);
      return sql`(${ts} < ${d.start})`;
    }
    case 'after': {
      const d = parseDay(value, ctx, vpath);
      return d.kind === 'day' ? sql`(${ts} >= ${d.nextDay})` : sql`(${ts} > ${d.start})`;
    }
    case 'on': {
      const d = parseDay(value, ctx, vpath);
      return sql`(${ts} >= ${d.dayStart} and ${ts} < ${d.nextDay})`;
    }
    case 'between': {
      if (!Array.isArray(value) || value.length !== 2) bad(vpath, 'between takes [low, high].');
      const lo = parseDay(value[0], ctx, [...vpath, 0]);
      const hi = parseDay(value[1], ctx, [...vpath, 1]);
      const upper = hi.kind === 'day' ? sql`${ts} < ${hi.nextDay}` : sql`${ts} <= ${hi.start}`;
      return sql`(${ts} >= ${lo.start} and ${upper})`;
    }
    case 'withinLastDays': {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) bad(vpath, 'A whole number of days ≥ 1.');
      return sql`(${ts} >= ${new Date(ctx.now.getTime() - value * 86_400_000)} and ${ts} <= ${ctx.now})`;
    }
    default:
      return bad([...path, 'op'], `${op} does not apply to a date.`);
  }
}

function requireValue(c: { op: string; value?: unknown }, path: Path): unknown {
  if (c.value === undefined) bad([...path, 'value'], `${c.op} needs a value.`);
  return c.value;
}

/**
 * Condition over a JSON document's key (users.attributes or events.properties). The JSON type
 * is checked in SQL, so a string "10" never compares as the number 10.
 */
function jsonCondition(doc: Sql, key: string, c: { op: string; value?: unknown }, ctx: CompileContext, path: Path): Sql {
  const v = sql`(${doc} -> ${key})`;
  const t = sql`(${v} is not null and ${v} <> 'null'::jsonb)`;
  const vpath = [...path, 'value'];
  switch (c.op) {
    case 'exists': return t;
    case 'notExists': return sql`(not ${t})`;
    case 'eq': {
      const val = requireValue(c, path);
      if (Array.isArray(val)) bad(vpath, 'eq takes one value; use in for a list.');
      return sql`(${doc} @> jsonb_build_object(${key}::text, ${JSON.stringify(val)}::jsonb))`;
    }
    case 'neq': {
      const val = requireValue(c, path);
      if (Array.isArray(val)) bad(vpath, 'neq takes one value; use notIn for a list.');
      return sql`(not coalesce(${doc} @> jsonb_build_object(${key}::text, ${JSON.stringify(val)}::jsonb), false))`;
    }
    case 'in':
    case 'notIn': {
      const val = requireValue(c, path);
      if (!Array.isArray(val) || val.length === 0) bad(vpath, `${c.op} takes a non-empty list.`);
      const hit = sql`(${v} in (select jsonb_array_elements(${JSON.stringify(val)}::jsonb)))`;
      return c.op === 'in' ? sql`coalesce(${hit}, false)` : sql`(not coalesce(${hit}, false))`;
    }
    case 'contains':
    case 'startsWith': {
      const val = requireValue(c, path);
      if (typeof val !== 'string') bad(vpath, `${c.op} takes a string.`);
      const pattern = c.op === 'contains' ? `%${escapeLike(val)}%` : `${escapeLike(val)}%`;
      return sql`(jsonb_typeof(${v}) = 'string' and (${doc} ->> ${key}) like ${pattern})`;
    }
    case 'gt': case 'gte': case 'lt': case 'lte': {
      const val = requireValue(c, path);
      if (typeof val === 'number') return sql`(jsonb_typeof(${v}) = 'number' and ${v} ${sql.raw(cmp[c.op]!)} to_jsonb(${val}::numeric))`;
      return bad(vpath, `${c.op} compares numbers; use before/after for dates.`);
    }
    case 'between': {
      const val = requireValue(c, path);
      if (Array.isArray(val) && val.length === 2 && typeof val[0] === 'number' && typeof val[1] === 'number') {
        return sql`(jsonb_typeof(${v}) = 'number' and ${v} >= to_jsonb(${val[0]}::numeric) and ${v} <= to_jsonb(${val[1]}::numeric))`;
      }
      return dateCondition(sql`ml_try_timestamptz(${doc} ->> ${key})`, 'between', val, ctx, path);
    }
    default:
      if (dateOps.has(c.op)) return dateCondition(sql`ml_try_timestamptz(${doc} ->> ${key})`, c.op, c.value, ctx, path);
      return bad([...path, 'op'], `Unknown operator ${c.op}.`);
  }
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

function columnCondition(col: Sql, type: 'string' | 'number' | 'date', c: { op: string; value?: unknown }, ctx: CompileContext, path: Path): Sql {
  const vpath = [...path, 'value'];
  if (c.op === 'exists') return sql`(${col} is not null)`;
  if (c.op === 'notExists') return sql`(${col} is null)`;
  if (type === 'date') {
    if (!dateOps.has(c.op) && c.op !== 'between') bad([...path, 'op'], `${c.op} does not apply to a date; use before, after, on, between or withinLastDays.`);
    return sql`coalesce(${dateCondition(col, c.op, c.value, ctx, path)}, false)`;
  }
  const val = requireValue(c, path);
  const check = (x: unknown, p: Path) => {
    if (type === 'number' && typeof x !== 'number') bad(p, 'A number.');
    if (type === 'string' && typeof x !== 'string') bad(p, 'A string.');
  };
  switch (c.op) {
    case 'eq': check(val, vpath); return sql`coalesce(${col} = ${val}, false)`;
    case 'neq': check(val, vpath); return sql`(${col} is distinct from ${val})`;
    case 'in': case 'notIn': {
      if (!Array.isArray(val) || val.length === 0) bad(vpath, `${c.op} takes a non-empty list.`);
      val.forEach((x, i) => check(x, [...vpath, i]));
      const arr = type === 'number' ? sql`${val}::numeric[]` : sql`${val}::text[]`;
      return c.op === 'in' ? sql`coalesce(${col} = any(${arr}), false)` : sql`(not coalesce(${col} = any(${arr}), false))`;
    }
    case 'contains': case 'startsWith': {
      if (type !== 'string') bad([...path, 'op'], `${c.op} applies to strings only.`);
      check(val, vpath);
      const s = val as string;
      return sql`coalesce(${col} like ${c.op === 'contains' ? `%${escapeLike(s)}%` : `${escapeLike(s)}%`}, false)`;
    }
    case 'gt': case 'gte': case 'lt': case 'lte':
      if (type !== 'number') bad([...path, 'op'], `${c.op} applies to numbers and dates, not strings.`);
      check(val, vpath);
      return sql`coalesce(${col} ${sql.raw(cmp[c.op]!)} ${val}, false)`;
    case 'between':
      if (type !== 'number' || !Array.isArray(val) || val.length !== 2) bad(vpath, 'between takes [low, high] numbers.');
      (val as unknown[]).forEach((x, i) => check(x, [...vpath, i]));
      return sql`coalesce(${col} between ${(val as number[])[0]} and ${(val as number[])[1]}, false)`;
    default:
      return bad([...path, 'op'], `${c.op} does not apply to a ${type}.`);
  }
}

function attribute(c: AttrCondition, ctx: CompileContext, path: Path): Sql {
  const b = builtins[c.attr];
  if (b) return columnCondition(sql.ref(`u.${b.column}`), b.type, c, ctx, path);
  return jsonCondition(sql`u.attributes`, c.attr, c, ctx, path);
}

function windowCondition(w: Window | undefined, ctx: CompileContext, path: Path): Sql {
  if (!w) return TRUE;
  if ('lastDays' in w) return sql`e.ts >= ${new Date(ctx.now.getTime() - w.lastDays * 86_400_000)} and e.ts <= ${ctx.now}`;
  if ('from' in w) {
    const from = parseDay(w.from, ctx, [...path, 'window', 'from']);
    const to = parseDay(w.to, ctx, [...path, 'window', 'to']);
    const upper = to.kind === 'day' ? sql`e.ts < ${to.nextDay}` : sql`e.ts <= ${to.start}`;
    return sql`e.ts >= ${from.start} and ${upper}`;
  }
  return w.until ? sql`e.ts >= ${new Date(w.since)} and e.ts <= ${new Date(w.until)}` : sql`e.ts >= ${new Date(w.since)}`;
}

function whereCondition(where: PropCondition[] | undefined, ctx: CompileContext, path: Path): Sql {
  if (!where || where.length === 0) return TRUE;
  return sql.join(where.map((w, i) => jsonCondition(sql`e.properties`, w.prop, w, ctx, [...path, 'where', i])), sql` and `);
}

function behaviour(c: BehaviourCondition, ctx: CompileContext, path: Path): Sql {
  const matching = sql`from events e where e.workspace_id = ${ctx.workspaceId} and e.user_id = u.id and e.name = ${c.event}
    and ${windowCondition(c.window, ctx, path)} and ${whereCondition(c.where, ctx, path)}`;
  const count = c.count ?? { op: 'gte', value: 1 };
  // The common shapes become EXISTS / NOT EXISTS, which stop at the first matching event.
  if ((count.op === 'gte' && count.value === 1) || (count.op === 'gt' && count.value === 0)) return sql`exists (select 1 ${matching})`;
  if ((count.op === 'eq' && count.value === 0) || (count.op === 'lt' && count.value === 1) || (count.op === 'lte' && count.value === 0)) return sql`not exists (select 1 ${matching})`;
  if (count.op === 'gte' && count.value === 0) return TRUE;
  if (count.op === 'lt' && count.value === 0) return FALSE;
  return sql`((select count(*) ${matching}) ${sql.raw(cmp[count.op]!)} ${count.value})`;
}

export type { ErrorDetail };
