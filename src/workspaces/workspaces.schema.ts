import { z } from 'zod';
import { roles } from './roles.ts';

const timezone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'Unknown IANA timezone.');

export const createWorkspaceBody = z.strictObject({
  name: z.string().min(1).max(200),
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'Lowercase letters, digits and dashes, 2-63 characters.'),
  timezone: timezone.optional(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code such as CNY.').optional(),
  requireApproval: z.boolean().optional(),
  requireTemplateReview: z.boolean().optional(),
});
export type CreateWorkspaceInput = z.infer<typeof createWorkspaceBody>;

export const patchWorkspaceBody = createWorkspaceBody.omit({ slug: true }).partial();
export type PatchWorkspaceInput = z.infer<typeof patchWorkspaceBody>;

export const workspaceView = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  timezone: z.string(),
  currency: z.string(),
  requireApproval: z.boolean(),
  requireTemplateReview: z.boolean(),
  createdAt: z.string(),
});
export type WorkspaceView = z.infer<typeof workspaceView>;

export const createKeyBody = z.strictObject({
  name: z.string().min(1).max(200),
  role: z.enum(roles),
});

/** A key as listed: its prefix, never the secret. */
export const apiKeyView = z.object({
  id: z.string(), name: z.string(), role: z.string(), keyPrefix: z.string(), createdAt: z.string(), revokedAt: z.string().nullable(),
});
export type ApiKeyView = z.infer<typeof apiKeyView>;

export const consoleUserView = z.object({
  id: z.string(), email: z.string(), name: z.string().nullable(), role: z.string(), createdAt: z.string(), activatedAt: z.string().nullable(),
});
export type ConsoleUserView = z.infer<typeof consoleUserView>;

export const inviteBody = z.strictObject({
  email: z.string().email().max(320),
  role: z.enum(roles),
  name: z.string().max(200).optional(),
});

export const acceptInviteBody = z.strictObject({
  token: z.string().min(10),
  password: z.string().min(8, 'At least 8 characters.').max(200),
  name: z.string().max(200).optional(),
});

export const loginBody = z.strictObject({
  email: z.string().email(),
  password: z.string().min(1).max(200),
  workspace: z.string().optional(),
});

