import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import { registerEventHook, type EventHook } from '../customers/event-hooks.ts';
import { deliverReward, hasReferralCodes, onOrderPaid, onRegister, REWARD_JOB } from './referrals.service.ts';

const NAMES: ReadonlySet<string> = new Set(['register', 'order_paid']);
const NONE: ReadonlySet<string> = new Set();

/**
 * `register` (with `referralCode`) binds the invitee; `order_paid` rewards the inviter of a
 * first order. Both are idempotent per event: a bind repeats as the same link, a reward is one
 * row per invitee. A workspace without referral codes wants nothing (no job per event there).
 */
export const referralsHook: EventHook = {
  name: 'referrals.events',
  wants: async (p, workspaceId) => ((await hasReferralCodes(p, workspaceId)) ? NAMES : NONE),
  async handle(p, events) {
    // In order: a register before an order_paid of the same user in one batch binds first.
    for (const e of events) {
      if (e.name === 'register') await onRegister(p, e.workspaceId, e);
      else if (e.name === 'order_paid') await onOrderPaid(p, e.workspaceId, e);
    }
  },
};

/** Called from registerPointsJobs (bootstrap has no referrals stub; referrals belong with points). */
export function registerReferralJobs(p: Platform): void {
  p.jobs.define({ name: REWARD_JOB, payload: z.object({ workspaceId: z.string(), inviteeId: z.string() }), handle: ({ workspaceId, inviteeId }) => deliverReward(p, workspaceId, inviteeId) });
  registerEventHook(referralsHook);
}
