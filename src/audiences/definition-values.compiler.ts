import { sql, type RawBuilder } from 'kysely';
import { dateCondition, type DayContext } from './definition-dates.compiler.ts';
import { invalid, type Path } from './definition-errors.ts';

/**
 * Conditions on one value: a profile column, a custom attribute or an event property. A value
 * with a known type (built-in column, declared or inferred attribute type, event property
 * type) takes exactly the operators API.md lists for that type; anything else is a 400 naming
 * the path. A value of unknown type is checked against each stored JSON value's own type.
 */
type Sql = RawBuilder<unknown>;
export type ValueType = 'string' | 'number' | 'boolean' | 'date';
export interface Condition {
  op: string;
  value?: unknown;
}

export const opsByType: Record<ValueType, ReadonlySet<string>> = {
  string: new Set(['eq', 'neq', 'in', 'notIn', 'contains', 'startsWith', 'exists', 'notExists']),
  number: new Set(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'exists', 'notExists']),
  boolean: new Set(['eq', 'exists', 'notExists']),
  date: new Set(['before', 'after', 'on', 'between', 'withinLastDays', 'exists', 'notExists']),
};

const cmp: Record<string, string> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };
export const comparison = (op: string): Sql => sql.raw(cmp[op]!);

const dateOps = new Set(['before', 'after', 'on', 'withinLastDays']);

function requireValue(c: Condition, path: Path): unknown {
  if (c.value === undefined) invalid([...path, 'value'], `${c.op} needs a value.`);
  return c.value;
}

export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

const likePattern = (op: string, s: string) => (op === 'contains' ? `%${escapeLike(s)}%` : `${escapeLike(s)}%`);

function checkScalar(type: ValueType, x: unknown, path: Path): void {
  if (type === 'number' && (typeof x !== 'number' || !Number.isFinite(x))) invalid(path, 'A number.');
  if (type === 'string' && typeof x !== 'string') invalid(path, 'A string.');
  if (type === 'boolean' && typeof x !== 'boolean') invalid(path, 'true or false.');
}

/**
 * A condition over a typed SQL value `x` (NULL when missing or not convertible), with `present`
 * telling whether the value is there at all (for exists / notExists). With `isOfType`, `x` is
 * a cheaper raw value that may also come from a value of another type, and a comparison holds
 * only where `isOfType` is true too; it is tested after the comparison, so only on the rows
 * the comparison matched.
 */
export function typedCondition(x: Sql, present: Sql, type: ValueType, c: Condition, ctx: DayContext, path: Path, isOfType?: Sql): Sql {
  if (!opsByType[type].has(c.op)) {
    invalid([...path, 'op'], `${c.op} does not apply to a ${type}; use ${[...opsByType[type]].join(', ')}.`);
  }
  if (c.op === 'exists') return present;
  if (c.op === 'notExists') return sql`(not ${present})`;
  if (type === 'date') return sql`coalesce(${dateCondition(x, c.op, c.value, ctx, path)}, false)`;
  const vpath = [...path, 'value'];
  const val = requireValue(c, path);
  const cast = type === 'number' ? sql`::numeric` : type === 'boolean' ? sql`::boolean` : sql`::text`;
  // Two-valued: a missing value (or one of another type) fails the comparison.
  const holds = (comparison: Sql) => (isOfType ? sql`coalesce(${comparison} and ${isOfType}, false)` : sql`coalesce(${comparison}, false)`);
  switch (c.op) {
    case 'eq':
    case 'neq': {
      if (Array.isArray(val)) invalid(vpath, `${c.op} takes one value; use ${c.op === 'eq' ? 'in' : 'notIn'} for a list.`);
      checkScalar(type, val, vpath);
      // A missing value is "not equal" (API.md: without the attribute only neq, notIn, notExists hold).
      const hit = holds(sql`${x} = ${val}${cast}`);
      return c.op === 'eq' ? hit : sql`(not ${hit})`;
    }
    case 'in':
    case 'notIn': {
      if (!Array.isArray(val) || val.length === 0) invalid(vpath, `${c.op} takes a non-empty list.`);
      val.forEach((v, i) => checkScalar(type, v, [...vpath, i]));
      const arr = type === 'number' ? sql`${val}::numeric[]` : sql`${val}::text[]`;
      const hit = holds(sql`${x} = any(${arr})`);
      return c.op === 'in' ? hit : sql`(not ${hit})`;
    }
    case 'contains':
    case 'startsWith':
      checkScalar('string', val, vpath);
      return holds(sql`${x} like ${likePattern(c.op, val as string)}`);
    case 'gt': case 'gte': case 'lt': case 'lte':
      checkScalar('number', val, vpath);
      return holds(sql`${x} ${comparison(c.op)} ${val}::numeric`);
    case 'between': {
      if (!Array.isArray(val) || val.length !== 2) invalid(vpath, 'between takes [low, high].');
      val.forEach((v, i) => checkScalar('number', v, [...vpath, i]));
      return holds(sql`${x} between ${val[0]}::numeric and ${val[1]}::numeric`);
    }
    default:
      return invalid([...path, 'op'], `Unknown operator ${c.op}.`);
  }
}

/**
 * The value of `doc -> key` converted to the declared type: numbers also from numeric strings,
 * booleans also from "true"/"false", strings from any scalar, dates from ISO strings (a date or
 * a time without offset is read in the workspace timezone). NULL when it does not convert.
 */
export function typedJsonValue(doc: Sql, key: string, type: ValueType, timezone: string): Sql {
  const v = sql`(${doc} -> ${key}::text)`;
  switch (type) {
    case 'number': return sql`ml_jsonb_numeric(${v})`;
    case 'boolean': return sql`ml_jsonb_boolean(${v})`;
    case 'date': return sql`ml_jsonb_timestamptz(${v}, ${timezone}::text)`;
    case 'string': return sql`(case when jsonb_typeof(${v}) in ('string', 'number', 'boolean') then ${v} #>> '{}' end)`;
  }
}

/** Present = the key is there with a non-null value. */
export const jsonPresent = (doc: Sql, key: string): Sql => sql`coalesce(jsonb_typeof(${doc} -> ${key}::text) <> 'null', false)`;

/** A condition on a JSON key whose type is known. */
export function typedJsonCondition(doc: Sql, key: string, type: ValueType, c: Condition, ctx: DayContext & { timezone: string }, path: Path): Sql {
  if (type === 'string') {
    // `->>` is the same text as typedJsonValue's for a string, number or boolean, but also gives
    // objects and arrays as JSON text, so the scalar check follows the comparison. A typeof on
    // every row cost more than the rest of a million-user scan (docs/scale.md §1).
    const isScalar = sql`jsonb_typeof(${doc} -> ${key}::text) in ('string', 'number', 'boolean')`;
    return typedCondition(sql`(${doc} ->> ${key}::text)`, jsonPresent(doc, key), type, c, ctx, path, isScalar);
  }
  return typedCondition(typedJsonValue(doc, key, type, ctx.timezone), jsonPresent(doc, key), type, c, ctx, path);
}

/**
 * A condition on a JSON key of unknown type: each stored value is compared by its own JSON
 * type, so the string "10" never equals the number 10 and `gt 5` skips strings.
 */
export function untypedJsonCondition(doc: Sql, key: string, c: Condition, ctx: DayContext, path: Path): Sql {
  const v = sql`(${doc} -> ${key}::text)`;
  const vpath = [...path, 'value'];
  const asDate = () => sql`ml_jsonb_timestamptz(${v}, ${ctx.timezone}::text)`;
  switch (c.op) {
    case 'exists': return jsonPresent(doc, key);
    case 'notExists': return sql`(not ${jsonPresent(doc, key)})`;
    case 'eq':
    case 'neq': {
      const val = requireValue(c, path);
      if (Array.isArray(val)) invalid(vpath, `${c.op} takes one value; use ${c.op === 'eq' ? 'in' : 'notIn'} for a list.`);
      const hit = sql`coalesce(${doc} @> jsonb_build_object(${key}::text, ${JSON.stringify(val)}::jsonb), false)`;
      return c.op === 'eq' ? hit : sql`(not ${hit})`;
    }
    case 'in':
    case 'notIn': {
      const val = requireValue(c, path);
      if (!Array.isArray(val) || val.length === 0) invalid(vpath, `${c.op} takes a non-empty list.`);
      const hit = sql`coalesce(${v} in (select jsonb_array_elements(${JSON.stringify(val)}::jsonb)), false)`;
      return c.op === 'in' ? hit : sql`(not ${hit})`;
    }
    case 'contains':
    case 'startsWith': {
      const val = requireValue(c, path);
      if (typeof val !== 'string') invalid(vpath, `${c.op} takes a string.`);
      return sql`coalesce(jsonb_typeof(${v}) = 'string' and (${v} #>> '{}') like ${likePattern(c.op, val)}, false)`;
    }
    case 'gt': case 'gte': case 'lt': case 'lte': {
      const val = requireValue(c, path);
      if (typeof val !== 'number') invalid(vpath, `${c.op} compares numbers; use before/after for dates.`);
      return sql`coalesce(jsonb_typeof(${v}) = 'number' and ${v} ${comparison(c.op)} to_jsonb(${val}::numeric), false)`;
    }
    case 'between': {
      const val = requireValue(c, path);
      if (Array.isArray(val) && val.length === 2 && typeof val[0] === 'number' && typeof val[1] === 'number') {
        return sql`coalesce(jsonb_typeof(${v}) = 'number' and ${v} >= to_jsonb(${val[0]}::numeric) and ${v} <= to_jsonb(${val[1]}::numeric), false)`;
      }
      return sql`coalesce(${dateCondition(asDate(), 'between', val, ctx, path)}, false)`;
    }
    default:
      if (dateOps.has(c.op)) return sql`coalesce(${dateCondition(asDate(), c.op, c.value, ctx, path)}, false)`;
      return invalid([...path, 'op'], `Unknown operator ${c.op}.`);
  }
}
