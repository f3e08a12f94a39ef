import { z } from 'zod';

import { channels, type Channel } from '../channels/channels.schema.ts';
export { channels, type Channel };

const text = (max: number) => z.string().min(1).max(max);

/** Content by channel (API.md "Templates and channels"); every string is a Liquid template. */
export const contentSchemas = {
  // `kind`: marketing SMS (the default) carry the workspace's opt-out line; transactional ones do not.
  sms: z.strictObject({ signature: z.string().min(1).max(40), body: text(2000), kind: z.enum(['marketing', 'transactional']).optional() }),
  // `platform`: which devices get it (default both); `deepLink` (app route) or `h5Url` (web page) is what a tap opens.
  push: z.strictObject({
    title: text(200), body: text(2000), platform: z.enum(['ios', 'android', 'both']).optional(),
    deepLink: z.string().max(2000).optional(), h5Url: z.string().max(2000).optional(),
  }).refine((c) => !(c.deepLink && c.h5Url), { path: ['h5Url'], message: 'A push opens a deepLink or an h5Url, not both.' }),
  inbox: z.strictObject({ title: text(200), body: text(20000), url: z.string().max(2000).optional() }),
  email: z.strictObject({ subject: text(500), html: text(500_000), text: z.string().max(500_000).optional() }),
  wechat: z.strictObject({ templateId: text(200), data: z.record(z.string(), z.unknown()), url: z.string().max(2000).optional() }),
  webhook: z.strictObject({ url: text(2000), body: text(100_000) }),
} as const;

export const createTemplateBody = z
  .strictObject({ name: z.string().min(1).max(200), channel: z.enum(channels), content: z.record(z.string(), z.unknown()) })
  .superRefine((t, ctx) => {
    for (const issue of contentIssues(t.channel, t.content)) ctx.addIssue({ code: 'custom', ...issue });
  });

/** Issues of a channel's content, each naming its field (`content.body`; unknown keys by name). */
export function contentIssues(channel: Channel, content: unknown): { path: (string | number)[]; message: string }[] {
  const r = contentSchemas[channel].safeParse(content);
  if (r.success) return [];
  return r.error.issues.flatMap((i) => {
    const at = ['content', ...(i.path as (string | number)[])];
    return i.code === 'unrecognized_keys' ? i.keys.map((k) => ({ path: [...at, k], message: 'Unknown field.' })) : [{ path: at, message: i.message }];
  });
}
export type CreateTemplateInput = z.infer<typeof createTemplateBody>;

export const renderBody = z.strictObject({ externalId: z.string().min(1).max(200) });

export const reviewStatuses = ['draft', 'pending_review', 'approved', 'rejected'] as const;
export type ReviewStatus = (typeof reviewStatuses)[number];

/** `status` is the review state of the latest `version`; `approvedVersion` the last approved one. `reviewState` = `status` (older name, kept). */
export const templateView = z.object({
  id: z.string(), name: z.string(), channel: z.enum(channels), content: z.record(z.string(), z.unknown()),
  version: z.number(), status: z.enum(reviewStatuses), approvedVersion: z.number().nullable(), reviewNote: z.string().nullable(),
  reviewState: z.string(), createdAt: z.string(), updatedAt: z.string(),
});
export type TemplateView = z.infer<typeof templateView>;

export const templateVersionView = z.object({
  version: z.number(), name: z.string(), content: z.record(z.string(), z.unknown()), status: z.enum(reviewStatuses), reviewNote: z.string().nullable(),
  createdBy: z.string(), createdAt: z.string(), submittedBy: z.string().nullable(), reviewedBy: z.string().nullable(), reviewedAt: z.string().nullable(),
});

export const rejectTemplateBody = z.strictObject({ reason: z.string().min(1).max(2000) });

const smsCostView = z.object({ unitPrice: z.number(), segments: z.number(), total: z.number(), currency: z.string() });
export const renderView = z.object({
  rendered: z.record(z.string(), z.unknown()),
  smsSegments: z.number().optional(), smsEncoding: z.string().optional(), smsCharacters: z.number().optional(), smsCost: smsCostView.optional(),
});
