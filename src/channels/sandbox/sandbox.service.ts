import type { Platform } from '../../platform/context.ts';
import { notFound } from '../../platform/errors.ts';
import * as delivery from '../../delivery/delivery.service.ts';
import * as repo from './sandbox.repo.ts';

export async function outbox(p: Platform, workspaceId: string, f: { channel?: string; externalId?: string; taskId?: string; limit: number; before?: string }) {
  const rows = await repo.listOutbox(p.db, workspaceId, f);
  const page = rows.slice(0, f.limit);
  return {
    items: page.map((r) => ({ messageId: r.messageId, channel: r.channel, externalId: r.externalId, to: r.toAddress, rendered: r.rendered, taskId: r.taskId, sentAt: r.sentAt.toISOString() })),
    nextCursor: rows.length > f.limit ? page[page.length - 1]!.messageId : null,
  };
}

/** Simulates the carrier's receipt for a sandbox message. Throws `not_found`. */
export async function receipt(p: Platform, workspaceId: string, messageId: string, status: 'delivered' | 'failed', reason?: string): Promise<void> {
  if (!(await repo.outboxMessage(p.db, workspaceId, messageId))) throw notFound('Sandbox message');
  await delivery.recordReceipt(p, workspaceId, messageId, status, reason);
}
