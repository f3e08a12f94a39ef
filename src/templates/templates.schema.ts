import { z } from 'zod';

import { channels, type Channel } from '../channels/channels.schema.ts';
export { channels, type Channel };

const text = (max: number) => z.string().min(1).max(max);

/** Content by channel (API.md "Templates and channels"); every string is a Liquid template. */
export const contentSchemas = {
  sms: z.strictObject({ signature: z.string().min(1).max(40), body: text(2000) }),
  push: z.strictObject({ title: text(200), body: text(2000), deepLink: z.string().max(2000).optional() }),
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

export const templateView = z.object({
  id: z.string(), name: z.string(), channel: z.enum(channels), content: z.record(z.string(), z.unknown()),
  version: z.number(), reviewState: z.string(), createdAt: z.string(), updatedAt: z.string(),
});
export type TemplateView = z.infer<typeof templateView>;
