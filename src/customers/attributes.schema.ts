import { z } from 'zod';
import { pgText } from '../platform/text.ts';
import { valueTypes } from './attribute-types.ts';

export const valueType = z.enum(valueTypes);

export const attributeNameParam = z.strictObject({ name: pgText(1, 200) });

export const setAttributeTypeBody = z.strictObject({ type: valueType });

export const attributeView = z.object({
  name: z.string(),
  type: valueType,
  /** builtIn: a column of users, fixed type; inferred: from the first value ingested; declared: set with PUT. */
  source: z.enum(['builtIn', 'inferred', 'declared']),
});
export type AttributeView = z.infer<typeof attributeView>;

export const attributeListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  cursor: z.string().max(200).optional(),
});
