import type { Platform } from '../platform/context.ts';
import type { Tx } from '../platform/db.ts';
import { newLinkCode } from '../platform/ids.ts';
import { z } from 'zod';
import * as customers from '../customers/customers.service.ts';
import { ClickRecorder, FOLD_CLICKS_JOB } from './click-recorder.ts';
import * as repo from './links.repo.ts';

export type MessageLink = repo.MessageLink;

/** A per-message short link (written with its batch by insertLinks, in the delivery transaction). */
export const newLink = (messageId: string, userId: string, url: string): MessageLink => ({ code: newLinkCode(), messageId, userId, url });

export const shortUrl = (p: Platform, code: string): string => `${p.config.publicUrl}/l/${code}`;

export const insertLinks = (tx: Tx, batch: repo.LinkBatch, rows: MessageLink[]) => repo.insertLinks(tx, batch, rows);

type Resolved = repo.LinkForRedirect & { target: string };

// One recorder per platform: the redirect route queues into it, shutdown and tests flush it.
const recorders = new WeakMap<Platform, ClickRecorder>();
const recorderOf = (p: Platform): ClickRecorder => {
  let r = recorders.get(p);
  if (!r) recorders.set(p, (r = new ClickRecorder(p)));
  return r;
};

/** Writes every queued click to the click log now (on shutdown; tests, before draining the folder). */
export const flushClicks = (p: Platform): Promise<void> => recorderOf(p).flush();

const FOLD_ROWS = 50;
const CLICK_SAMPLE = { code: '', url: '', messageId: '', campaignId: '', taskId: '', ip: '', userAgent: '' };

/** Folds the click log into events until it is empty (a bounded number of rounds per job run). */
export async function foldClickLog(p: Platform): Promise<number> {
  let folded = 0;
  for (let round = 0; round < 200; round++) {
    const logRows = await p.db.transaction().execute(async (tx) => {
      const r = await repo.foldClicks(tx, FOLD_ROWS);
      const now = p.clock.now();
      for (const [ws, ids] of r.byWorkspace) {
        await customers.platformEventsStored(p, tx, ws, '$link_clicked', CLICK_SAMPLE, ids, now);
        folded += ids.length;
      }
      return r.logRows;
    });
    // Rows another folder took while we waited come back as fewer than asked: stop only when none.
    if (logRows === 0) return folded;
  }
  // Still more: run again rather than hold one job for minutes.
  await p.db.transaction().execute((tx) => p.jobs.enqueue(tx, FOLD_CLICKS_JOB, {}, { jobKey: FOLD_CLICKS_JOB, jobKeyMode: 'replace' }));
  return folded;
}

export function registerLinkJobs(p: Platform): void {
  p.jobs.define({ name: FOLD_CLICKS_JOB, payload: z.object({}), handle: async () => { await foldClickLog(p); } });
  // A backstop: were a wake-up ever lost, the log is still folded within a minute.
  p.jobs.define({ name: 'links.fold-clicks-sweep', payload: z.object({}).passthrough(), cron: '* * * * *', handle: async () => { await foldClickLog(p); } });
}

// One resolver (and its cache) per platform, shared by the fast path and the Fastify route.
const resolvers = new WeakMap<Platform, LinkResolver>();
export const resolverOf = (p: Platform): LinkResolver => {
  let r = resolvers.get(p);
  if (!r) resolvers.set(p, (r = new LinkResolver(p)));
  return r;
};

/**
 * Redirect resolution with an in-process cache: a link never changes once written, so a hot
 * link costs no database read. Bounded (LRU by insertion order) to keep memory flat.
 */
export class LinkResolver {
  private cache = new Map<string, Resolved>();
  private readonly clicks: ClickRecorder;
  /**
   * Misses waiting for the next read: a campaign's burst is mostly first clicks (each person
   * opens their own link once), so misses arriving together are read together — one query
   * for all the codes missed while the previous read was in flight, not one each.
   */
  private waiting = new Map<string, ((r: Resolved | null | Error) => void)[]>();
  private reading = false;
  constructor(private readonly p: Platform, private readonly max = 100_000) {
    this.clicks = recorderOf(p);
  }

  resolve(code: string): Promise<Resolved | null> {
    const hit = this.cache.get(code);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const waiters = this.waiting.get(code);
      const settle = (r: Resolved | null | Error) => (r instanceof Error ? reject(r) : resolve(r));
      if (waiters) waiters.push(settle);
      else this.waiting.set(code, [settle]);
      if (!this.reading) void this.readWaiting();
    });
  }

  private async readWaiting(): Promise<void> {
    this.reading = true;
    try {
      while (this.waiting.size > 0) {
        const batch = this.waiting;
        this.waiting = new Map();
        let rows: repo.LinkForRedirect[];
        try {
          rows = await repo.linksByCodes(this.p.db, [...batch.keys()]);
        } catch (err) {
          for (const waiters of batch.values()) for (const w of waiters) w(err instanceof Error ? err : new Error(String(err)));
          continue;
        }
        const found = new Map(rows.map((row) => [row.code, row]));
        for (const [code, waiters] of batch) {
          const row = found.get(code);
          let resolved: Resolved | null = null;
          if (row) {
            if (this.cache.size >= this.max) this.cache.delete(this.cache.keys().next().value!);
            // The target never changes either: build it once, not per click.
            resolved = { ...row, target: LinkResolver.target(row) };
            this.cache.set(code, resolved);
          }
          for (const w of waiters) w(resolved);
        }
      }
    } finally {
      this.reading = false;
    }
  }

  /** The target with campaign and message parameters appended (existing ones kept). */
  static target(link: repo.LinkForRedirect): string {
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
    await this.clicks.record({ code, at: this.p.clock.now(), ip: meta.ip, userAgent: meta.userAgent });
    return link.target;
  }
}
