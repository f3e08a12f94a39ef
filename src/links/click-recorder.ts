import type { Db } from '../platform/db.ts';
import type { Logger } from '../platform/logger.ts';
import { insertClicks, type Click } from './links.repo.ts';

/**
 * Click log writer, off the redirect's path. A redirect queues its click and answers at once;
 * a flush writes the queue every FLUSH_MS (or at MAX_BATCH clicks) in one transaction. Waiting
 * for the write capped redirects at ~3,500/s with p99 near 6 ms (docs/benchmarks.md); a person
 * following a link should not wait for analytics.
 *
 * What this trades: a process killed without its shutdown hook loses at most the clicks of one
 * flush interval (a clean stop flushes everything). Never dropped under load: when the queue
 * holds MAX_QUEUED clicks, new clicks wait for a flush (backpressure). A failed write keeps its
 * clicks queued and is retried on the next flush.
 */
const FLUSH_MS = 20;
const MAX_BATCH = 2000;
const MAX_QUEUED = 50_000;

export class ClickRecorder {
  private queue: Click[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  constructor(private readonly db: Db, private readonly log: Logger) {}

  async record(click: Click): Promise<void> {
    while (this.queue.length >= MAX_QUEUED) await this.flush();
    this.queue.push(click);
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

  private async writeAll(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.queue.slice(0, MAX_BATCH);
      try {
        await this.db.transaction().execute((tx) => insertClicks(tx, group));
        this.queue.splice(0, group.length);
      } catch (err) {
        this.log.error({ err, clicks: group.length }, 'recording clicks failed; kept for the next flush');
        if (!this.timer) this.timer = setTimeout(() => void this.flush(), 1000);
        return;
      }
    }
  }
}
