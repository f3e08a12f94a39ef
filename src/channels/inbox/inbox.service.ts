import type { Platform } from '../../platform/context.ts';
import * as repo from './inbox.repo.ts';

/** A user's inbox, newest first, without expired messages, and the unread count. */
export async function inbox(p: Platform, workspaceId: string, externalId: string, limit: number, cursor?: string) {
  const now = p.clock.now();
  const rows = await repo.listInbox(p.db, workspaceId, externalId, now, limit, cursor);
  const items = rows.slice(0, limit);
  return {
    items: items.map((r) => ({ id: r.messageId, title: r.title, body: r.body, url: r.url, read: r.readAt !== null, createdAt: r.createdAt.toISOString(), expiresAt: r.expiresAt?.toISOString() ?? null })),
    unread: await repo.unreadCount(p.db, workspaceId, externalId, now),
    nextCursor: rows.length > limit ? items[items.length - 1]!.messageId : null,
  };
}

/** Marks the user's messages read; ids of other users or workspaces are ignored. Returns the new unread count. */
export async function markRead(p: Platform, workspaceId: string, externalId: string, ids: string[]) {
  const now = p.clock.now();
  const marked = await repo.markRead(p.db, workspaceId, externalId, ids, now);
  return { marked, unread: await repo.unreadCount(p.db, workspaceId, externalId, now) };
}
