import type { Provider } from '../providers.ts';
import { insertOutbox } from '../sandbox/sandbox.repo.ts';
import { insertInbox } from './inbox.repo.ts';

/**
 * The in-app inbox: writes each message to the user's inbox inside the delivery transaction
 * (so a crash never leaves it "sent" but missing, or there but unrecorded) and reports it
 * delivered. It is the default of the `inbox` channel; it also records the message in the
 * sandbox outbox, as every default provider does, so GET /v1/sandbox/outbox shows it.
 */
export function inboxProvider(name: string, expiresInDays?: number): Provider {
  return {
    name, transactional: true,
    async send(tx, messages, now) {
      const expiresAt = expiresInDays ? new Date(now.getTime() + expiresInDays * 86_400_000) : null;
      await insertInbox(tx, messages.map((m) => {
        const r = m.rendered as { title?: string; body?: string; url?: string };
        return { messageId: m.messageId, workspaceId: m.workspaceId, externalId: m.externalId, title: String(r.title ?? ''), body: String(r.body ?? ''), url: r.url ? String(r.url) : null, expiresAt };
      }), now);
      await insertOutbox(tx, messages, now);
      return messages.map((m) => ({ messageId: m.messageId, status: 'delivered' as const }));
    },
  };
}
