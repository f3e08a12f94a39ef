import type { Platform } from '../platform/context.ts';
import type { Tx } from '../platform/db.ts';
import { AppError, notFound } from '../platform/errors.ts';
import * as customers from '../customers/customers.service.ts';
import * as repo from './delivery.repo.ts';

/** Delivery receipts: a provider's word on a message after its send. */

/** Receipt reasons meaning "this device token is dead" (ours, APNs, FCM/GCM): the token is removed from the profile. */
const INVALID_TOKEN = /invalid_token|unregistered|baddevicetoken|invalidregistration|notregistered|devicetokennotfortopic/i;
export const isInvalidTokenReason = (reason: string | undefined | null): boolean => !!reason && INVALID_TOKEN.test(reason);

/**
 * Removes a dead push token from the profile — only if the profile still holds the token the
 * message went to (the app may have registered a new one since). The user then counts as
 * `noAddress` for push until the app sends a new token (POST /v1/users `pushToken`).
 */
async function forgetPushToken(tx: Tx, workspaceId: string, userId: string, token: string | null, now: Date): Promise<void> {
  const u = (await customers.profilesByIds(tx, workspaceId, [userId])).get(userId);
  if (!u || !token || u.pushToken !== token) return;
  await customers.upsertUsersIn(tx, workspaceId, [{ externalId: u.externalId, pushToken: null }], now);
}

/** A provider's delivery receipt for one message. Throws `not_found`. */
export async function recordReceipt(p: Platform, workspaceId: string, messageId: string, status: 'delivered' | 'failed', reason?: string): Promise<void> {
  await p.db.transaction().execute(async (tx) => {
    const m = await repo.messageById(tx, workspaceId, messageId);
    if (!m) throw notFound('Message');
    if (m.status === 'queued' || m.status === 'suppressed') throw new AppError('invalid_state', `Message ${messageId} was not sent.`);
    const now = p.clock.now();
    if (!(await repo.setReceipt(tx, workspaceId, messageId, status, now, reason ?? null))) return;
    const props = { messageId, taskId: m.taskId, campaignId: m.campaignId, channel: m.channel };
    if (status === 'failed' && m.channel === 'push' && isInvalidTokenReason(reason)) await forgetPushToken(tx, workspaceId, m.userId, m.toAddress, now);
    await customers.recordPlatformEvents(tx, workspaceId, [
      status === 'delivered'
        ? { userId: m.userId, name: '$message_delivered', ts: now, properties: props, messageId: `dlv:${messageId}` }
        : { userId: m.userId, name: '$message_failed', ts: now, properties: { ...props, reason: reason ?? 'provider receipt' }, messageId: `fail:${messageId}` },
    ]);
  });
}

