import { z } from 'zod';

/**
 * The segment definition language of API.md ("The definition language"). One node is a
 * boolean group, an attribute condition, a behaviour condition or a segment reference.
 */
const scalar = z.union([z.string(), z.number(), z.boolean()]);
export const attrOps = ['eq', 'neq', 'in', 'notIn', 'contains', 'startsWith', 'gt', 'gte', 'lt', 'lte', 'between', 'before', 'after', 'on', 'withinLastDays', 'exists', 'notExists'] as const;
export type AttrOp = (typeof attrOps)[number];

export const attrCondition = z.strictObject({
  attr: z.string().min(1).max(200),
  op: z.enum(attrOps),
  value: z.union([scalar, z.array(scalar).max(10_000)]).optional(),
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
  value: z.union([scalar, z.array(scalar).max(10_000)]).optional(),
});
export type PropCondition = z.infer<typeof propCondition>;

export const behaviourCondition = z.strictObject({
  event: z.string().min(1).max(200),
  where: z.array(propCondition).max(50).optional(),
  window: windowSchema.optional(),
  count: z.strictObject({ op: z.enum(countOps), value: z.number().int().min(0) }).optional(),
});
export type BehaviourCondition = z.infer<typeof behaviourCondition>;

export const segmentRef = z.strictObject({ segment: z.string().min(1).max(100) });

export type Definition =
  | { all: Definition[] }
  | { any: Definition[] }
  | { not: Definition }
  | AttrCondition
  | BehaviourCondition
  | { segment: string };

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
  const schema = 'attr' in o ? attrCondition : 'event' in o ? behaviourCondition : 'segment' in o ? segmentRef : null;
  if (!schema) return fail('Expected one of all, any, not, attr, event or segment.');
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
    description: 'A segment definition: {"all"|"any":[node...]}, {"not":node}, an attribute condition {"attr","op","value"}, a behaviour condition {"event","where"?,"window"?,"count"?} or {"segment":"<id>"}. See docs/segments.md.',
    type: 'object',
  });
