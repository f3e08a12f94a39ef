import type { Counters, TakeItem } from '../platform/counters/counters.port.ts';
import { counterKey } from '../platform/counters/counters.keys.ts';
import { lastDaysWindow } from '../platform/counters/counters.windows.ts';

/**
 * Frequency caps on the Counters port. One user's caps share the scope `user:<userId>`, so
 * every cap of one send is one all-or-nothing `takeMany` (one Lua call on Redis, one
 * transaction on PostgreSQL). Windows are bucketed workspace-local days (lastDaysWindow):
 * "2 in 7 days" is today and the six days before, in the workspace timezone. The window length
 * is part of the key, so a key always has one window shape (docs/counters.md); changing a
 * policy's `perDays` therefore starts that cap's count afresh.
 */
export interface Cap {
  maxPerUser: number;
  perDays: number;
}

export interface CapsInput {
  workspaceId: string;
  timezone: string;
  channel: string;
  taskId: string;
  task: Cap | null;
  channelCap: Cap | null;
  global: Cap | null;
}

export function capItems(c: CapsInput, userId: string, now: Date, windows = capWindows(c, now)): TakeItem[] {
  const scope = `user:${userId}`;
  return windows.map((w) => ({ key: counterKey(c.workspaceId, scope, w.name), limit: w.limit, window: w.window }));
}

/** The caps that apply and their windows, computed once per batch (luxon day math is the costly part, not the user). */
function capWindows(c: CapsInput, now: Date): { name: string; limit: number; window: TakeItem['window'] }[] {
  const out: { name: string; limit: number; window: TakeItem['window'] }[] = [];
  const add = (name: string, cap: Cap | null) => {
    if (cap) out.push({ name: `${name}:${cap.perDays}d`, limit: cap.maxPerUser, window: lastDaysWindow(now, c.timezone, cap.perDays) });
  };
  add(`cap:task:${c.taskId}`, c.task);
  add(`cap:ch:${c.channel}`, c.channelCap);
  add('cap:all', c.global);
  return out;
}

/**
 * Recipients whose caps are taken at once. Each take is one all-or-nothing takeMany (a
 * transaction on PostgreSQL, a Lua call on Redis): the batch's cost is round trips, so more in
 * flight is faster until the connection pool is the limit (bench/delivery.ts, docs/benchmarks.md).
 */
export const CAPS_PARALLEL = 16;

/**
 * Takes every cap of each message's recipient; runs `parallel` at a time. Keyed by message id:
 * a trigger run may hold two messages of one user in a batch, and each takes its own units.
 * Returns which messages got through.
 */
export async function takeCaps(counters: Counters, c: CapsInput, messages: { id: string; userId: string }[], now: Date, parallel = CAPS_PARALLEL): Promise<Map<string, TakeItem[] | false>> {
  const out = new Map<string, TakeItem[] | false>();
  const windows = capWindows(c, now);
  if (windows.length === 0) {
    for (const m of messages) out.set(m.id, []);
    return out;
  }
  // `parallel` lanes each take the next recipient as soon as their last take answered (no lockstep).
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(parallel, messages.length) }, async () => {
    while (next < messages.length) {
      const m = messages[next++]!;
      const items = capItems(c, m.userId, now, windows);
      const r = await counters.takeMany(items);
      out.set(m.id, r.ok ? items : false);
    }
  }));
  return out;
}

/** Gives back what `takeCaps` took for sends that did not go out. */
export async function giveBack(counters: Counters, taken: TakeItem[][]): Promise<void> {
  for (const items of taken) {
    for (const it of items) await counters.give(it.key, it.amount ?? 1, { window: it.window });
  }
}
