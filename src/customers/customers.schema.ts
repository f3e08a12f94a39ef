import { z } from 'zod';
import { pgText } from '../platform/text.ts';

export const MAX_BATCH = 10_000;

/** externalId of an anonymous id's profile: `$anon:<anonymousId>` (see identities.repo.ts). */
export const ANONYMOUS_PREFIX = '$anon:';

/** The caller's id of a known user; the `$anon:` prefix names anonymous profiles and is reserved. */
export const externalId = pgText(1, 200).refine((s) => !s.startsWith(ANONYMOUS_PREFIX), `The prefix ${ANONYMOUS_PREFIX} is reserved for anonymous profiles.`);
/** A device or browser id of someone not signed in yet (see POST /v1/users/alias). */
export const anonymousId = pgText(1, 200);
const iso = z.iso.datetime({ offset: true });

export const userInput = z.strictObject({
  externalId,
  phone: z.string().regex(/^\+?[0-9][0-9 -]{4,24}$/, 'A phone number: digits, optional leading +.').nullable().optional(),
  email: z.string().email().max(320).nullable().optional(),
  wechatOpenId: z.string().min(1).max(200).nullable().optional(),
  pushToken: z.string().min(1).max(4096).nullable().optional(),
  platform: z.enum(['ios', 'android', 'web']).nullable().optional(),
  attributes: z.record(pgText(1, 200), z.unknown()).optional(),
  createdAt: iso.optional(),
});
export type UserInput = z.infer<typeof userInput>;

export const upsertUsersBody = z.strictObject({ users: z.array(userInput).min(1).max(MAX_BATCH) });

const orderPaidProps = z.looseObject({
  orderId: z.string().min(1).max(200),
  amount: z.number().int('Minor units (fen): an integer.').min(0),
  couponCode: z.string().max(200).optional(),
});

export const eventInput = z
  .strictObject({
    externalId: externalId.optional(),
    anonymousId: anonymousId.optional(),
    name: pgText(1, 200),
    timestamp: iso.optional(),
    properties: z.record(z.string(), z.unknown()).optional(),
    messageId: pgText(1, 200).optional(),
  })
  .superRefine((e, ctx) => {
    if ((e.externalId === undefined) === (e.anonymousId === undefined)) {
      ctx.addIssue({ code: 'custom', path: [e.externalId === undefined ? 'externalId' : 'anonymousId'], message: 'Send exactly one of externalId and anonymousId.' });
    }
    // The platform's reserved events drive orders and attribution, so their shape is checked.
    if (e.name === 'order_paid') {
      const r = orderPaidProps.safeParse(e.properties ?? {});
      if (!r.success) for (const i of r.error.issues) ctx.addIssue({ code: 'custom', path: ['properties', ...i.path], message: i.message });
    }
    if (e.name.startsWith('$')) ctx.addIssue({ code: 'custom', path: ['name'], message: 'Names starting with $ are reserved for events the platform records.' });
  });
export type EventInput = z.infer<typeof eventInput>;

export const ingestEventsBody = z.strictObject({ events: z.array(eventInput).min(1).max(MAX_BATCH) });

export const userView = z.object({
  externalId: z.string(),
  phone: z.string().nullable(),
  email: z.string().nullable(),
  wechatOpenId: z.string().nullable(),
  pushToken: z.string().nullable(),
  platform: z.string().nullable(),
  attributes: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
  firstOrderAt: z.string().nullable(),
  lastOrderAt: z.string().nullable(),
  orderCount: z.number(),
  orderTotal: z.number(),
  /** Anonymous ids merged into or linked to this user (single-user reads only). */
  anonymousIds: z.array(z.string()).optional(),
});
export type UserView = z.infer<typeof userView>;

export const userSearchQuery = z.strictObject({
  q: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  cursor: z.string().max(200).optional(),
});

export const userEventsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  cursor: z.string().max(200).optional(),
  name: z.string().max(200).optional(),
});
