import { z } from 'zod';

export const severities = ['info', 'warning', 'critical'] as const;
export const killTypes = ['coupon_template', 'lottery', 'campaign', 'points', 'referral'] as const;

export const alertView = z.object({
  id: z.string(), kind: z.string(), severity: z.enum(severities), subject: z.object({ type: z.string(), id: z.string() }),
  message: z.string(), data: z.unknown(), notifiedAt: z.string().nullable(), ackedBy: z.string().nullable(), ackedAt: z.string().nullable(), createdAt: z.string(),
});
export const alertsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  cursor: z.string().max(200).optional(),
  acked: z.enum(['true', 'false']).optional(),
  kind: z.string().max(100).optional(),
});

export const killBody = z.strictObject({ type: z.enum(killTypes), id: z.string().min(1).max(100), reason: z.string().max(2000).optional() });
export const killView = z.object({ type: z.string(), id: z.string(), reason: z.string().nullable(), createdBy: z.string(), createdAt: z.string() });
export const killParams = z.strictObject({ type: z.enum(killTypes), id: z.string().min(1).max(100) });

export const alertSettingsBody = z.strictObject({
  /** Approvers' endpoint: every alert is POSTed there as JSON (null turns it off). */
  webhookUrl: z.url({ protocol: /^https?$/ }).max(2000).nullable(),
  /** Loopback/private targets are refused (SSRF) unless an admin allows them, as for webhook providers. */
  allowPrivateNetworks: z.boolean().default(false),
});
export const alertSettingsView = z.object({ webhookUrl: z.string().nullable(), allowPrivateNetworks: z.boolean(), updatedAt: z.string().nullable() });
