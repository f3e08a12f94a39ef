import type { Platform } from '../platform/context.ts';
import * as repo from './lotteries.repo.ts';

/**
 * Group commit of draws, as coupons.writer.ts does for grants. A draw's answer waits for its
 * record to be durable (a prize the user was shown must exist), but each draw committing alone
 * made the commit (one WAL flush each) the limit of the draw rate. Draws queue their records;
 * one transaction at a time writes everything queued — each draw's one statement (chances spent,
 * ledger row, draw row) and, for a prize to deliver, its delivery job — and resolves each draw
 * after COMMIT. While a batch is written the next one gathers, so alone a draw waits for no timer.
 *
 * A draw whose user has too few chances writes nothing and answers `false` without disturbing
 * the others. A draw that fails as a statement (a repeated requestRef racing its twin: a unique
 * violation) aborts the batch's transaction, so a failed batch is written again one draw per
 * transaction: only the draw that fails on its own fails.
 */
export interface PendingDraw {
  workspaceId: string;
  record: Parameters<typeof repo.recordDraw>[2];
  /** The delivery job that must commit with the draw (a prize with something to deliver). */
  job?: { name: string; payload: Record<string, unknown>; runAt: Date; jobKey: string; maxAttempts: number };
}
type Item = { d: PendingDraw; resolve: (recorded: boolean) => void; reject: (err: unknown) => void };

const MAX_BATCH = 500;

export class DrawWriter {
  private queue: Item[] = [];
  private running = false;

  constructor(private readonly p: Platform) {}

  write(d: PendingDraw): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ d, resolve, reject });
      if (!this.running) {
        this.running = true;
        // Let the draws of this tick join before the first batch leaves.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          const recorded = await this.writeBatch(batch.map((i) => i.d));
          batch.forEach((i, n) => i.resolve(recorded[n]!));
        } catch {
          // Nothing of the batch was written (its transaction rolled back): each alone.
          for (const i of batch) await this.writeBatch([i.d]).then((r) => i.resolve(r[0]!), i.reject);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async writeBatch(draws: PendingDraw[]): Promise<boolean[]> {
    return this.p.db.transaction().execute(async (tx) => {
      const recorded: boolean[] = new Array(draws.length);
      // Balance rows locked in one order in every process (a stable sort keeps one user's draws
      // in arrival order), so two API processes' batches wait for each other, never deadlock.
      const order = draws.map((_, i) => i).sort((a, b) => compare(balanceOf(draws[a]!), balanceOf(draws[b]!)));
      for (const i of order) {
        const d = draws[i]!;
        const ok = await repo.recordDraw(tx, d.workspaceId, d.record);
        if (ok && d.job) await this.p.jobs.enqueue(tx, d.job.name, d.job.payload, { runAt: d.job.runAt, jobKey: d.job.jobKey, maxAttempts: d.job.maxAttempts });
        recorded[i] = ok;
      }
      return recorded;
    });
  }
}

const balanceOf = (d: PendingDraw) => `${d.workspaceId}\u0000${d.record.lotteryId}\u0000${d.record.userId}`;
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const writers = new WeakMap<Platform, DrawWriter>();
/** One writer per platform (process), so concurrent draws share batches. */
export function drawWriter(p: Platform): DrawWriter {
  let w = writers.get(p);
  if (!w) writers.set(p, (w = new DrawWriter(p)));
  return w;
}
