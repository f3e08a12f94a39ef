import { z } from 'zod';
import { channels, type Channel } from './channels.schema.ts';
import { webhookCredentials, webhookSettings } from './webhook/webhook.provider.ts';
import { wechatCredentials, wechatSettings } from './wechat/wechat.provider.ts';
import { tencentSmsCredentials, tencentSmsSettings } from './tencent-sms/tencent-sms.provider.ts';
import { smtpCredentials, smtpSettings } from './email/smtp.provider.ts';

export const providerTypes = ['sandbox', 'inbox', 'smtp', 'webhook', 'wechat', 'tencent_sms'] as const;
export type ProviderType = (typeof providerTypes)[number];

const empty = z.strictObject({});
/** What each type sends, and the shape of its credentials (encrypted) and settings (plain). */
export const typeSpecs: Record<ProviderType, { channels: readonly Channel[]; credentials: z.ZodType; settings: z.ZodType }> = {
  // unitPrice (minor units per SMS segment) lets a workspace estimate costs while it still sends through the sandbox.
  sandbox: { channels, credentials: empty, settings: z.strictObject({ unitPrice: z.number().int().min(0).max(1_000_000).optional() }) },
  inbox: { channels: ['inbox'], credentials: empty, settings: z.strictObject({ expiresInDays: z.number().int().min(1).max(3650).optional() }) },
  smtp: { channels: ['email'], credentials: smtpCredentials, settings: smtpSettings },
  webhook: { channels: ['webhook'], credentials: webhookCredentials, settings: webhookSettings },
  wechat: { channels: ['wechat'], credentials: wechatCredentials, settings: wechatSettings },
  tencent_sms: { channels: ['sms'], credentials: tencentSmsCredentials, settings: tencentSmsSettings },
};

const common = {
  name: z.string().min(1).max(200),
  credentials: z.record(z.string(), z.unknown()).default({}),
  settings: z.record(z.string(), z.unknown()).default({}),
  rateLimitPerSecond: z.number().int().min(1).max(100_000).nullable().optional(),
  fallbackProviderId: z.string().min(1).max(100).nullable().optional(),
  priority: z.number().int().min(-1000).max(1000).optional(),
};

export const createProviderBody = z.strictObject({ channel: z.enum(channels), type: z.enum(providerTypes), ...common });
export type CreateProviderInput = z.infer<typeof createProviderBody>;

export const updateProviderBody = z.strictObject({
  name: common.name.optional(), credentials: z.record(z.string(), z.unknown()).optional(), settings: z.record(z.string(), z.unknown()).optional(),
  rateLimitPerSecond: common.rateLimitPerSecond, fallbackProviderId: common.fallbackProviderId, priority: common.priority,
});
export type UpdateProviderInput = z.infer<typeof updateProviderBody>;

export const providerView = z.object({
  id: z.string(), channel: z.enum(channels), type: z.enum(providerTypes), name: z.string(),
  /** Masked: the keys, and at most the last 4 characters of long values. */
  credentials: z.record(z.string(), z.string()),
  settings: z.record(z.string(), z.unknown()), rateLimitPerSecond: z.number().nullable(), fallbackProviderId: z.string().nullable(),
  priority: z.number(), createdAt: z.string(), updatedAt: z.string(),
});

/** Issues of `credentials`/`settings` for a type, each naming its field. */
export function configIssues(type: ProviderType, field: 'credentials' | 'settings', value: unknown): { path: (string | number)[]; message: string }[] {
  const r = typeSpecs[type][field].safeParse(value);
  if (r.success) return [];
  return r.error.issues.flatMap((i) => {
    const at = [field, ...(i.path as (string | number)[])];
    return i.code === 'unrecognized_keys' ? i.keys.map((k) => ({ path: [...at, k], message: 'Unknown field.' })) : [{ path: at, message: i.message }];
  });
}

export const mask = (v: unknown): string => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length >= 16 ? `****${s.slice(-4)}` : '****';
};
