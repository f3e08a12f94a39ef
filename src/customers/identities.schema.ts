import { z } from 'zod';
import { anonymousId, externalId } from './customers.schema.ts';

export const aliasBody = z.strictObject({ anonymousId, externalId });

export const aliasResult = z.object({
  anonymousId: z.string(),
  externalId: z.string(),
  /**
   * merged: the anonymous history moved to the known user; linked: the anonymous id had no
   * history yet, its future events go to the known user; unchanged: it was aliased before.
   */
  status: z.enum(['merged', 'linked', 'unchanged']),
  moved: z.object({ events: z.number(), orders: z.number(), messages: z.number() }),
});
export type AliasResult = z.infer<typeof aliasResult>;
