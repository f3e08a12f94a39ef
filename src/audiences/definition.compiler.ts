import { sql, type RawBuilder } from 'kysely';
import { AppError } from '../platform/errors.ts';
import { behaviour, sequence } from './definition-behaviour.compiler.ts';
import { invalid, type Path } from './definition-errors.ts';
import type { AttrCondition, Definition, LookalikeCondition } from './definition.schema.ts';
import { lookalikeQuery } from './lookalike.compiler.ts';
import { typedCondition, typedJsonCondition, untypedJsonCondition, type ValueType } from './definition-values.compiler.ts';

/**
 * Compiles a definition into ONE SQL boolean expression over the users row `u`. The same
 * expression answers "who is in it" (segment computation) and "is this user in it"
 * (single-user evaluation, with ctx.userId narrowing every subquery to that user), so both
 * answers always agree. Behaviour and segment nodes are set tests `u.id [not] in (…)`, so a
 * computation over a million users is a few hash joins, not a million correlated probes.
 */
export type SegmentTarget =
  /** Members of its current snapshot. */
  | { kind: 'snapshot'; snapshotId: string }
  /** Not computed yet: read through its definition (cycles are rejected when saving). */
  | { kind: 'definition'; definition: Definition }
  /** Has no snapshot and nothing to compile (an SQL or list segment still computing). */
  | { kind: 'pending' };

export interface CompileContext {
  workspaceId: string;
  timezone: string;
  now: Date;
  /**
   * Set for a single-user evaluation: every subquery (events, snapshot members) is narrowed to
   * this user id, so the answer is a few index probes; unset, each is one set-based pass.
   */
  userId?: string;
  /** A segment of this workspace, or null when there is none with this id here. */
  segment(segmentId: string): Promise<SegmentTarget | null>;
  /** Declared or inferred type of a custom attribute; undefined when not known yet. */
  attributeType(name: string): Promise<ValueType | undefined>;
  /** Type of an event's property; undefined when not known yet. */
  propertyType(event: string, prop: string): Promise<ValueType | undefined>;
}

type Sql = RawBuilder<unknown>;

/** Built-in attributes are columns of users; everything else lives in users.attributes. */
export const builtins: Record<string, { column: string; type: ValueType }> = {
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

export function compile(def: Definition, ctx: CompileContext, path: Path = ['definition']): Promise<Sql> {
  return compileNode(def, ctx, path, []);
}

async function compileNode(def: Definition, ctx: CompileContext, path: Path, via: string[]): Promise<Sql> {
  if ('all' in def) {
    const parts = await Promise.all(def.all.map((d, i) => compileNode(d, ctx, [...path, 'all', i], via)));
    return sql`(${sql.join(parts, sql` and `)})`;
  }
  if ('any' in def) {
    const parts = await Promise.all(def.any.map((d, i) => compileNode(d, ctx, [...path, 'any', i], via)));
    return sql`(${sql.join(parts, sql` or `)})`;
  }
  if ('not' in def) {
    // NOT over all users: every node compiles to a two-valued expression (coalesce / EXISTS),
    // and this coalesce keeps it so should a NULL ever slip through.
    return sql`(not coalesce(${await compileNode(def.not, ctx, [...path, 'not'], via)}, false))`;
  }
  if ('segment' in def) return segmentReference(def.segment, ctx, [...path, 'segment'], via);
  if ('lookalike' in def) return lookalike(def, ctx, [...path, 'lookalike'], via);
  if ('sql' in def) return invalid([...path, 'sql'], 'An SQL query is a whole definition; combine it with others through {"segment": id}.');
  if ('attr' in def) return attribute(def, ctx, path);
  if ('sequence' in def) return sequence(def, ctx, path);
  return behaviour(def, ctx, path);
}

async function segmentReference(id: string, ctx: CompileContext, path: Path, via: string[]): Promise<Sql> {
  if (via.includes(id)) invalid(path, `Segments reference each other in a cycle: ${[...via, id].join(' → ')}.`);
  const target = await ctx.segment(id);
  if (!target) return invalid(path, `Segment ${id} does not exist.`);
  if (target.kind === 'snapshot') {
    // A set test (hash semi-join or hashed subplan over the snapshot), not a probe per user.
    const one = ctx.userId === undefined ? sql`` : sql` and sm.user_id = ${ctx.userId}::bigint`;
    return sql`(u.id in (select sm.user_id from segment_members sm where sm.snapshot_id = ${target.snapshotId}::bigint${one}))`;
  }
  if (target.kind === 'pending') return invalid(path, `Segment ${id} has not been computed yet; try again when its status is ready.`);
  try {
    return await compileNode(target.definition, ctx, ['definition'], [...via, id]);
  } catch (err) {
    // The referenced definition's own paths mean nothing in this request: report at the reference.
    if (err instanceof AppError && err.code === 'validation_failed') invalid(path, `Segment ${id}: ${err.details[0]?.message ?? err.message}`);
    throw err;
  }
}

/**
 * The seed must be a computed segment of this workspace: the model is fitted on its current
 * snapshot (a seed still computing is a 400, try again when ready). Not narrowed for a single
 * user: whether a user is among the N most similar depends on everyone, so the single-user
 * answer ranks the workspace like the batch one does.
 */
async function lookalike(def: LookalikeCondition, ctx: CompileContext, path: Path, via: string[]): Promise<Sql> {
  const id = def.lookalike.segment;
  const at = [...path, 'segment'];
  if (via.includes(id)) invalid(at, `Segments reference each other in a cycle: ${[...via, id].join(' → ')}.`);
  const target = await ctx.segment(id);
  if (!target) return invalid(at, `Segment ${id} does not exist.`);
  if (target.kind !== 'snapshot') return invalid(at, `Segment ${id} has not been computed yet; a lookalike needs its members. Try again when its status is ready.`);
  const ranked = lookalikeQuery({ workspaceId: ctx.workspaceId, now: ctx.now, seedSnapshotId: target.snapshotId, size: def.lookalike.size });
  return sql`(u.id in (select l.user_id from (${ranked}) l))`;
}

async function attribute(c: AttrCondition, ctx: CompileContext, path: Path): Promise<Sql> {
  const b = builtins[c.attr];
  if (b) {
    const column = sql.ref(`u.${b.column}`);
    return typedCondition(column, sql`(${column} is not null)`, b.type, c, ctx, path);
  }
  const type = await ctx.attributeType(c.attr);
  return type ? typedJsonCondition(sql`u.attributes`, c.attr, type, c, ctx, path) : untypedJsonCondition(sql`u.attributes`, c.attr, c, ctx, path);
}
