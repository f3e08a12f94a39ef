import { z } from 'zod';

/**
 * The segment definition language of API.md ("The definition language"). One node is a
 * boolean group, an attribute condition, a behaviour condition, a sequence, a segment
 * reference, or (only as the whole definition) an SQL query.
 */
const scalar = z.union([z.string(), z.number(), z.boolean()]);
export const attrOps = ['eq', 'neq', 'in', 'notIn', 'contains', 'startsWith', 'gt', 'gte', 'lt', 'lte', 'between', 'before', 'after', 'on', 'withinLastDays', 'exists', 'notExists'] as const;
export type AttrOp = (typeof attrOps)[number];
const conditionValue = z.union([scalar, z.array(scalar).max(10_000)]).optional();

export const attrCondition = z.strictObject({
  attr: z.string().min(1).max(200),
  op: z.enum(attrOps),
  value: conditionValue,
});
export type AttrCondition = z.infer<typeof attrCondition>;

/** Relative day (`T-3`, `T+0`), ISO date or ISO instant. */
export const dayOrInstant = z.string().regex(/^(T[+-]\d{1,5}|\d{4}-\d{2}-\d{2}(T.+)?)$/, 'An ISO date/time or a relative day such as T-3.');

export const windowSchema = z.union([
  z.strictObject({ lastDays: z.number().int().min(1).max(3650) }),
  z.strictObject({ from: dayOrInstant, to: dayOrInstant }),
  z.strictObject({ since: z.iso.datetime({ offset: true }), until: z.iso.datetime({ offset: true }).optional() }),
]);
export type Window = z.infer<typeof windowSchema>;

export const countOps = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte'] as const;
export const propCondition = z.strictObject({
  prop: z.string().min(1).max(200),
  op: z.enum(attrOps),
  value: conditionValue,
});
export type PropCondition = z.infer<typeof propCondition>;

/** `sum / avg / min / max` of a numeric property of the matching events. */
export const aggregateOps = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'between'] as const;
export const aggregateCondition = z.strictObject({
  prop: z.string().min(1).max(200),
  op: z.enum(aggregateOps),
  value: z.union([z.number(), z.array(z.number()).length(2)]),
});
export type AggregateCondition = z.infer<typeof aggregateCondition>;

/** `first / last`: the time of the first or last matching event, compared like a date attribute. */
export const timeOps = ['before', 'after', 'on', 'between', 'withinLastDays'] as const;
export const timeCondition = z.strictObject({
  op: z.enum(timeOps),
  value: z.union([z.string(), z.number(), z.array(z.string()).length(2)]),
});
export type TimeCondition = z.infer<typeof timeCondition>;

/** What a behaviour node measures; a node carries at most one of these (default: count ≥ 1). */
export const measures = ['count', 'sum', 'avg', 'min', 'max', 'first', 'last'] as const;
export type Measure = (typeof measures)[number];

export const behaviourCondition = z
  .strictObject({
    event: z.string().min(1).max(200),
    where: z.array(propCondition).max(50).optional(),
    window: windowSchema.optional(),
    count: z.strictObject({ op: z.enum(countOps), value: z.number().int().min(0) }).optional(),
    sum: aggregateCondition.optional(),
    avg: aggregateCondition.optional(),
    min: aggregateCondition.optional(),
    max: aggregateCondition.optional(),
    first: timeCondition.optional(),
    last: timeCondition.optional(),
  })
  .superRefine((c, ctx) => {
    const present = measures.filter((m) => c[m] !== undefined);
    for (const m of present.slice(1)) ctx.addIssue({ code: 'custom', path: [m], message: `A behaviour condition measures one thing; it already has ${present[0]}.` });
  });
export type BehaviourCondition = z.infer<typeof behaviourCondition>;

export const sequenceStep = z.strictObject({
  event: z.string().min(1).max(200),
  where: z.array(propCondition).max(50).optional(),
});
export type SequenceStep = z.infer<typeof sequenceStep>;

export const sequenceCondition = z.strictObject({
  sequence: z.array(sequenceStep).min(1).max(10),
  window: windowSchema.optional(),
  maxGapHours: z.number().positive().max(24 * 3650).optional(),
});
export type SequenceCondition = z.infer<typeof sequenceCondition>;

export const segmentRef = z.strictObject({ segment: z.string().min(1).max(100) });

/** The `size` users most like the members of a seed segment, seed excluded (lookalike.compiler.ts). */
export const MAX_LOOKALIKE_SIZE = 1_000_000;
export const lookalikeCondition = z.strictObject({
  lookalike: z.strictObject({
    segment: z.string().min(1).max(100),
    size: z.number().int().min(1).max(MAX_LOOKALIKE_SIZE),
  }),
});
export type LookalikeCondition = z.infer<typeof lookalikeCondition>;

/** An analyst's query; its first column is the externalId of each member. */
export const sqlDefinition = z.strictObject({
  sql: z.string().min(1).max(100_000).refine((s) => s.trim().length > 0, 'An SQL query.').refine((s) => !s.includes('\u0000'), 'Must not contain the NUL character.'),
  /** Stop the query after this long (default 60 s; previews stop after at most 15 s). */
  timeoutSeconds: z.number().int().min(1).max(600).optional(),
});
export type SqlDefinition = z.infer<typeof sqlDefinition>;

export type Definition =
  | { all: Definition[] }
  | { any: Definition[] }
  | { not: Definition }
  | AttrCondition
  | BehaviourCondition
  | SequenceCondition
  | { segment: string }
  | LookalikeCondition
  | SqlDefinition;

export const isSqlDefinition = (d: Definition): d is SqlDefinition => typeof d === 'object' && d !== null && 'sql' in d;

const groupKeys = ['all', 'any', 'not'] as const;

/**
 * Dispatches on the node's key instead of a zod union, so an error names the exact field
 * (`definition.all[2].op: Invalid option`) rather than "no union member matched".
 */
function checkNode(node: unknown, path: (string | number)[], ctx: z.RefinementCtx, depth: number): void {
  const fail = (message: string, at: (string | number)[] = path) => ctx.addIssue({ code: 'custom', path: at, message });
  if (depth > 32) return fail('Nested deeper than 32 levels.');
  if (!node || typeof node !== 'object' || Array.isArray(node)) return fail('A condition must be an object.');
  const o = node as Record<string, unknown>;
  const group = groupKeys.find((k) => k in o);
  if (group) {
    const extra = Object.keys(o).filter((k) => k !== group);
    for (const k of extra) fail('Unknown field.', [...path, k]);
    if (group === 'not') return checkNode(o.not, [...path, 'not'], ctx, depth + 1);
    const list = o[group];
    if (!Array.isArray(list) || list.length === 0) return fail('A non-empty list of conditions.', [...path, group]);
    if (list.length > 100) return fail('At most 100 conditions in a group.', [...path, group]);
    list.forEach((child, i) => checkNode(child, [...path, group, i], ctx, depth + 1));
    return;
  }
  // SQL runs in a sandbox of its own (segment-sql.service.ts), so it cannot be one term of a
  // compiled expression; it combines with other audiences through {"segment": id}.
  if ('sql' in o && depth > 0) return fail('An SQL query is a whole definition; save it as a segment and combine it through {"segment": id}.', [...path, 'sql']);
  const schema = 'attr' in o ? attrCondition : 'event' in o ? behaviourCondition : 'sequence' in o ? sequenceCondition : 'segment' in o ? segmentRef : 'lookalike' in o ? lookalikeCondition : 'sql' in o ? sqlDefinition : null;
  if (!schema) return fail('Expected one of all, any, not, attr, event, sequence, segment, lookalike or sql.');
  const r = schema.safeParse(o);
  if (!r.success) {
    for (const issue of r.error.issues) {
      if (issue.code === 'unrecognized_keys') for (const k of issue.keys) fail('Unknown field.', [...path, ...(issue.path as (string | number)[]), k]);
      else fail(issue.message, [...path, ...(issue.path as (string | number)[])]);
    }
  }
}

export const definitionSchema = z
  .custom<Definition>(() => true)
  .superRefine((node, ctx) => checkNode(node, [], ctx, 0))
  .meta({
    description: 'A segment definition: {"all"|"any":[node...]}, {"not":node}, an attribute condition {"attr","op","value"}, a behaviour condition {"event","where"?,"window"?,"count"|"sum"|"avg"|"min"|"max"|"first"|"last"?}, a sequence {"sequence":[{"event","where"?}...],"window"?,"maxGapHours"?}, {"segment":"<id>"}, {"lookalike":{"segment":"<seed id>","size":N}}, or (as the whole definition) {"sql":"SELECT external_id FROM users WHERE ..."}. See docs/segments.md.',
    type: 'object',
  });
