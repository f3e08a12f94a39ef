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
 * Recipients per `takeEach` call, and such calls in flight. One call takes the caps of a whole
 * chunk in one round trip (one transaction on PostgreSQL, one script per 250 on Redis); taking
 * them one recipient at a time made caps ~85 % of a batch (docs/benchmarks.md, "Delivery"). A
 * chunk is a whole batch of the default size: four chunks of 250 in parallel per batch, four
 * batches at a time, meant sixteen counter transactions competing for two cores — one per batch
 * measured 7,992 → 8,576–8,976 messages/s and PostgreSQL CPU 83 → 73–77 µs per message
 * (bench delivery --users 100000, same window).
 */
export const CAPS_CHUNK = 1000;
export const CAPS_PARALLEL = 4;

/**
 * Takes every cap of each message's recipient, each recipient all or nothing. Keyed by message
 * id: a trigger run may hold two messages of one user in a batch, and each takes its own units
 * (in order, within a chunk). Returns which messages got through.
 */
export async function takeCaps(counters: Counters, c: CapsInput, messages: { id: string; userId: string }[], now: Date, parallel = CAPS_PARALLEL): Promise<Map<string, TakeItem[] | false>> {
  const out = new Map<string, TakeItem[] | false>();
  const windows = capWindows(c, now);
  if (windows.length === 0) {
    for (const m of messages) out.set(m.id, []);
    return out;
  }
  const chunks: { id: string; userId: string }[][] = [];
  for (let i = 0; i < messages.length; i += CAPS_CHUNK) chunks.push(messages.slice(i, i + CAPS_CHUNK));
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(parallel, chunks.length) }, async () => {
    while (next < chunks.length) {
      const chunk = chunks[next++]!;
      const groups = chunk.map((m) => capItems(c, m.userId, now, windows));
      const rs = await counters.takeEach(groups);
      chunk.forEach((m, i) => out.set(m.id, rs[i]!.ok ? groups[i]! : false));
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
