import type { Platform } from '../platform/context.ts';
import { appendClickLog, clickLine, type Click } from './links.repo.ts';

export const FOLD_CLICKS_JOB = 'links.fold-clicks';

/**
 * Click log writer, off the redirect's path. A redirect queues its click and answers at once;
 * a flush writes the queue every FLUSH_MS (or at MAX_BATCH clicks) as ONE narrow row of the
 * click log, waking the folder job in the same transaction unless one is already waiting; the folder turns log rows into
 * `$link_clicked` events and first clicks (links.repo.ts foldClicks). Waiting for the write
 * capped redirects at ~3,500/s with p99 near 6 ms, and writing the events themselves at each
 * flush held them at ~0.26 × a bare 302 (docs/benchmarks.md); a person following a link should
 * not wait for analytics, nor compete with its indexes.
 *
 * What this trades: a process killed without its shutdown hook loses at most the clicks of one
 * flush interval, FLUSH_MS (a clean stop flushes everything). 50 ms rather than 20: each flush
 * is a transaction whose client-side cost, spread over fewer clicks, was ~4 µs a redirect
 * (bench redirect 0.71 → 0.82 × bare). Never dropped under load: when the queue
 * holds MAX_QUEUED clicks, new clicks wait for a flush (backpressure). A failed write keeps its
 * clicks queued and is retried on the next flush.
 */
const FLUSH_MS = 50;
const MAX_BATCH = 2000;
const MAX_QUEUED = 50_000;

export class ClickRecorder {
  private queue: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  constructor(private readonly p: Platform) {}

  async record(click: Click): Promise<void> {
    while (this.queue.length >= MAX_QUEUED) await this.flush();
    this.queue.push(clickLine(click));
    if (this.queue.length >= MAX_BATCH) void this.flush();
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Writes everything queued so far (also called on shutdown and by tests). */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.flushing) await this.flushing;
    if (this.queue.length === 0) return;
    this.flushing = this.writeAll().finally(() => { this.flushing = null; });
    await this.flushing;
  }

  /**
   * Writes the clicks queued when it starts, not those that arrive while it writes: they wait
   * for their own timer, so a burst is written as one row per FLUSH_MS (or per MAX_BATCH), not
   * as a row every few milliseconds of back-to-back writes (measured: 220 rows a second at
   * 17,000 clicks/s before this, each a transaction).
   */
  private async writeAll(): Promise<void> {
    let due = this.queue.length;
    while (due > 0 && this.queue.length > 0) {
      const group = this.queue.slice(0, Math.min(due, MAX_BATCH));
      try {
        await this.p.db.transaction().execute(async (tx) => {
          await appendClickLog(tx, group);
          // Folding gathers for a moment (real time: an operational interval, not business
          // time): fewer, larger folds cost less than one per flush, and leave the cores to
          // the redirects during a burst. A fold job that is waiting and held (it cannot start
          // before this commits) will fold this row; only otherwise is one scheduled — adding a
          // job with a key updates its row, and fifty updates a second of one row were most of
          // a burst's database work (docs/benchmarks.md, Redirect).
          const delay = this.p.config.clickFoldDelayMs;
          if (delay > 0 && await this.p.jobs.holdPending(tx, FOLD_CLICKS_JOB)) return;
          await this.p.jobs.enqueue(tx, FOLD_CLICKS_JOB, {}, delay > 0
            ? { jobKey: FOLD_CLICKS_JOB, jobKeyMode: 'preserve_run_at', runAt: new Date(Date.now() + delay) }
            : { jobKey: FOLD_CLICKS_JOB, jobKeyMode: 'replace' });
        });
        this.queue.splice(0, group.length);
        due -= group.length;
      } catch (err) {
        this.p.log.error({ err, clicks: group.length }, 'recording clicks failed; kept for the next flush');
        if (!this.timer) this.timer = setTimeout(() => void this.flush(), 1000);
        return;
      }
    }
  }
}
