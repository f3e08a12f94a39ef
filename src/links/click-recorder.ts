import type { Db } from '../platform/db.ts';
import type { Logger } from '../platform/logger.ts';
import { insertClicks, type Click } from './links.repo.ts';

/**
 * Group commit for clicks. A redirect waits until its click is durably written, but clicks
 * that arrive while a write is in flight share the next write: one INSERT for many clicks
 * under load, one round trip of latency when idle. Nothing is acknowledged before it is stored.
 */
export class ClickRecorder {
  private pending: { click: Click; done: (err?: unknown) => void }[] = [];
  private flushing = false;

  constructor(private readonly db: Db, private readonly log: Logger, private readonly maxBatch = 2000) {}

  record(click: Click): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ click, done: (err) => (err ? reject(err) : resolve()) });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.pending.length > 0) {
      const group = this.pending.splice(0, this.maxBatch);
      try {
        await this.db.transaction().execute((tx) => insertClicks(tx, group.map((g) => g.click)));
        for (const g of group) g.done();
      } catch (err) {
        this.log.error({ err, clicks: group.length }, 'recording clicks failed');
        for (const g of group) g.done(err);
      }
    }
    this.flushing = false;
  }
}
