import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import { registerEventHook } from '../customers/event-hooks.ts';
import { chanceRulesHook } from './chance-rules.ts';
import { DELIVER_JOB } from './lottery-draw.ts';
import { reconcileLotteries } from './lottery-reconcile.ts';
import { dropEndedLotteryCounters } from './lottery-counters-end.ts';
import * as repo from './lotteries.repo.ts';
import { deliverPrize } from './prize-delivery.ts';
import * as peers from './reward-peers.ts';

const deliverPayload = z.object({ workspaceId: z.string(), drawId: z.string() });

/** Prize delivery (retried with graphile-worker's backoff), reconciliation, the pending sweeper, dropping ended lotteries' counters, chance rules, the draw rate source. */
export function registerLotteryJobs(p: Platform): void {
  p.jobs.define({
    name: DELIVER_JOB, payload: deliverPayload,
    handle: async ({ workspaceId, drawId }) => { await deliverPrize(p, workspaceId, drawId); },
  });
  p.jobs.define({ name: 'lotteries.reconcile', payload: z.object({}).passthrough(), cron: '*/5 * * * *', handle: async () => { await reconcileLotteries(p); } });
  // A delivery whose job ran out of attempts stays pending: once an hour it gets a fresh job.
  p.jobs.define({
    name: 'lotteries.sweep-pending', payload: z.object({}).passthrough(), cron: '17 * * * *',
    handle: async () => {
      for (const d of await repo.stalePending(p.db, new Date(p.clock.now().getTime() - 3_600_000), 1000)) {
        await p.jobs.enqueue(p.db, DELIVER_JOB, { workspaceId: d.workspaceId, drawId: d.id }, { jobKey: `lottery-deliver:${d.id}`, maxAttempts: 25 });
      }
    },
  });
  p.jobs.define({ name: 'lotteries.drop-counters', payload: z.object({}).passthrough(), cron: '29 4 * * *', handle: async () => { await dropEndedLotteryCounters(p); } });
  registerEventHook(chanceRulesHook);
  peers.registerRateSource(p, 'lotteries.draws', async (pp, workspaceId, from, to) =>
    (await repo.drawsBetween(pp.db, workspaceId, from, to)).map((r) => ({ subject: { type: 'lottery', id: r.lotteryId }, count: Number(r.n) })));
}
