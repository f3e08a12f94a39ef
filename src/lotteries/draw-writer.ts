import type { Platform } from '../platform/context.ts';
import { KeyedBatcher } from '../platform/batcher.ts';
import * as repo from './lotteries.repo.ts';

/**
 * Group commit of draws, as coupons.writer.ts does for grants. A draw's answer waits for its
 * record to be durable (a prize the user was shown must exist), but each draw committing alone
 * made the commit (one WAL flush each) the limit of the draw rate. Draws queue their records;
 * one write at a time per workspace stores everything queued — one call for all the draws
 * (chances spent, ledger rows, draw rows: repo.recordDraws) and, for a prize to deliver, its
 * delivery job in the same transaction — and resolves each draw after COMMIT (the batching:
 * platform/batcher.ts).
 *
 * A draw whose user has too few chances writes nothing and answers `false` without disturbing
 * the others. A draw that fails as a statement (a repeated requestRef racing its twin: a unique
 * violation) aborts the batch's write (its call or its transaction), so a failed batch is
 * written again one draw at a time: only the draw that fails on its own fails.
 */
export interface PendingDraw {
  workspaceId: string;
  record: repo.DrawRecord;
  /** The delivery job that must commit with the draw (a prize with something to deliver). */
  job?: { name: string; payload: Record<string, unknown>; runAt: Date; jobKey: string; maxAttempts: number };
}
/** A draw's outcome in a batch: recorded or not (too few chances), or the error of writing it alone. */
type Outcome = { recorded: boolean } | { error: unknown };

export class DrawWriter {
  private readonly batcher = new KeyedBatcher<PendingDraw, Outcome>((_ws, draws) => this.writeOrSplit(draws));

  constructor(private readonly p: Platform) {}

  async write(d: PendingDraw): Promise<boolean> {
    const o = await this.batcher.add(d.workspaceId, d);
    if ('error' in o) throw o.error;
    return o.recorded;
  }

  private async writeOrSplit(draws: PendingDraw[]): Promise<Outcome[]> {
    try {
      const recorded = await this.writeBatch(draws);
      return draws.map((d) => ({ recorded: recorded.has(d.record.id) }));
    } catch {
      // Nothing of the batch was written (its transaction rolled back): each alone.
      const out: Outcome[] = [];
      for (const d of draws) out.push(await this.writeBatch([d]).then((r) => ({ recorded: r.has(d.record.id) }), (error: unknown) => ({ error })));
      return out;
    }
  }

  /** The draws in rounds of one per balance (repo.recordDraws), then the delivery jobs of those recorded: one transaction, or one call alone when that is all. */
  private async writeBatch(draws: PendingDraw[]): Promise<Set<string>> {
    const ws = draws[0]!.workspaceId;
    const rounds: repo.DrawRecord[][] = [];
    const seen = new Map<string, number>();
    for (const d of draws) {
      const k = `${d.record.lotteryId}\u0000${d.record.userId}`;
      const n = seen.get(k) ?? 0;
      seen.set(k, n + 1);
      (rounds[n] ??= []).push(d.record);
    }
    // Nothing else to commit with the draws (one draw per user, no prize to deliver): the call
    // commits alone, one round trip (repo.recordDraws).
    if (rounds.length === 1 && !draws.some((d) => d.job)) return repo.recordDraws(this.p.db, ws, rounds[0]!);
    return this.p.db.transaction().execute(async (tx) => {
      const recorded = new Set<string>();
      for (const round of rounds) for (const id of await repo.recordDraws(tx, ws, round)) recorded.add(id);
      for (const d of draws) {
        if (d.job && recorded.has(d.record.id)) await this.p.jobs.enqueue(tx, d.job.name, d.job.payload, { runAt: d.job.runAt, jobKey: d.job.jobKey, maxAttempts: d.job.maxAttempts });
      }
      return recorded;
    });
  }
}

const writers = new WeakMap<Platform, DrawWriter>();
/** One writer per platform (process), so concurrent draws share batches. */
export function drawWriter(p: Platform): DrawWriter {
  let w = writers.get(p);
  if (!w) writers.set(p, (w = new DrawWriter(p)));
  return w;
}
