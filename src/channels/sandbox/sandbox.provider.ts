import type { Provider } from '../providers.ts';
import { insertOutbox } from './sandbox.repo.ts';

/**
 * The default provider of every channel: records each message in the outbox (visible at
 * GET /v1/sandbox/outbox) and reports it delivered. A safe channel for trying campaigns.
 */
export const sandboxProvider: Provider = {
  name: 'sandbox',
  transactional: true,
  async send(tx, messages, now) {
    await insertOutbox(tx, messages, now);
    return messages.map((m) => ({ messageId: m.messageId, status: 'delivered' as const }));
  },
};
