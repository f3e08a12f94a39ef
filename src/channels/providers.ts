import type { Tx } from '../platform/db.ts';
import type { Channel } from './channels.schema.ts';

/** One rendered message ready for a provider. `messageId` is the idempotency key. */
export interface OutgoingMessage {
  messageId: string;
  workspaceId: string;
  channel: Channel;
  externalId: string;
  to: string;
  rendered: Record<string, unknown>;
  taskId: string;
  campaignId: string;
}

/** `retryable` on a failure: the vendor may accept the same message later (5xx, timeout, network); a fallback provider is tried then. */
export type SendOutcome = { messageId: string; status: 'delivered' | 'sent' } | { messageId: string; status: 'failed'; reason: string; retryable?: boolean };

/**
 * A provider sends a batch. `transactional` providers (the sandbox) write inside the
 * delivery transaction, so a crash can never leave a message sent but unrecorded; external
 * providers (issue "Reach engine") receive the message id as their idempotency key.
 */
export interface Provider {
  name: string;
  transactional: boolean;
  send(tx: Tx, messages: OutgoingMessage[], now: Date): Promise<SendOutcome[]>;
}

/** Where a channel sends to, read from the profile; null means "no address" (suppressed). */
export function addressFor(channel: Channel, u: { externalId: string; phone: string | null; email: string | null; pushToken: string | null; wechatOpenId: string | null }): string | null {
  switch (channel) {
    case 'sms': return u.phone;
    case 'email': return u.email;
    case 'push': return u.pushToken;
    case 'wechat': return u.wechatOpenId;
    case 'inbox':
    case 'webhook':
      return u.externalId;
  }
}
