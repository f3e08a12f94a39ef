import type { Platform } from '../platform/context.ts';
import type { Tx } from '../platform/db.ts';
import { newLinkCode } from '../platform/ids.ts';
import { ClickRecorder } from './click-recorder.ts';
import * as repo from './links.repo.ts';

export type NewLink = repo.LinkRow;

/** A per-message short link (written by insertLinks in the delivery transaction). */
export function newLink(l: { workspaceId: string; messageId: string; campaignId: string; taskId: string; userId: string; url: string; now: Date }): NewLink {
  return { code: newLinkCode(), workspaceId: l.workspaceId, messageId: l.messageId, campaignId: l.campaignId, taskId: l.taskId, userId: l.userId, url: l.url, createdAt: l.now };
}

export const shortUrl = (p: Platform, code: string): string => `${p.config.publicUrl}/l/${code}`;

export const insertLinks = (tx: Tx, rows: NewLink[]) => repo.insertLinks(tx, rows);

type Resolved = NonNullable<Awaited<ReturnType<typeof repo.linkByCode>>>;

/**
 * Redirect resolution with an in-process cache: a link never changes once written, so a hot
 * link costs no database read. Bounded (LRU by insertion order) to keep memory flat.
 */
export class LinkResolver {
  private cache = new Map<string, Resolved>();
  readonly clicks: ClickRecorder;
  constructor(private readonly p: Platform, private readonly max = 100_000) {
    this.clicks = new ClickRecorder(p.db, p.log);
  }

  async resolve(code: string): Promise<Resolved | null> {
    const hit = this.cache.get(code);
    if (hit) return hit;
    const row = await repo.linkByCode(this.p.db, code);
    if (!row) return null;
    if (this.cache.size >= this.max) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(code, row);
    return row;
  }

  /** The target with campaign and message parameters appended (existing ones kept). */
  static target(link: Resolved): string {
    let u: URL;
    try {
      u = new URL(link.url);
    } catch {
      return link.url;
    }
    const set = (k: string, v: string) => { if (!u.searchParams.has(k)) u.searchParams.set(k, v); };
    set('utm_source', 'marketloop');
    set('utm_medium', link.channel);
    set('utm_campaign', link.campaignId);
    u.searchParams.set('mlc', link.campaignId);
    u.searchParams.set('mlm', link.messageId);
    return u.toString();
  }

  async click(code: string, meta: { ip: string | null; userAgent: string | null }): Promise<string | null> {
    const link = await this.resolve(code);
    if (!link) return null;
    await this.clicks.record({
      workspaceId: link.workspaceId, messageId: link.messageId, userId: link.userId, code, url: link.url,
      campaignId: link.campaignId, taskId: link.taskId, at: this.p.clock.now(), ip: meta.ip, userAgent: meta.userAgent,
    });
    return LinkResolver.target(link);
  }
}
