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

export function capItems(c: CapsInput, userId: string, now: Date): TakeItem[] {
  const scope = `user:${userId}`;
  const items: TakeItem[] = [];
  const add = (name: string, cap: Cap | null) => {
    if (!cap) return;
    items.push({ key: counterKey(c.workspaceId, scope, `${name}:${cap.perDays}d`), limit: cap.maxPerUser, window: lastDaysWindow(now, c.timezone, cap.perDays) });
  };
  add(`cap:task:${c.taskId}`, c.task);
  add(`cap:ch:${c.channel}`, c.channelCap);
  add('cap:all', c.global);
  return items;
}

/**
 * Takes every cap of each message's recipient; runs `parallel` at a time. Keyed by message id:
 * a trigger run may hold two messages of one user in a batch, and each takes its own units.
 * Returns which messages got through.
 */
export async function takeCaps(counters: Counters, c: CapsInput, messages: { id: string; userId: string }[], now: Date, parallel = 8): Promise<Map<string, TakeItem[] | false>> {
  const out = new Map<string, TakeItem[] | false>();
  for (let i = 0; i < messages.length; i += parallel) {
    await Promise.all(messages.slice(i, i + parallel).map(async (m) => {
      const items = capItems(c, m.userId, now);
      if (items.length === 0) { out.set(m.id, []); return; }
      const r = await counters.takeMany(items);
      out.set(m.id, r.ok ? items : false);
    }));
  }
  return out;
}

/** Gives back what `takeCaps` took for sends that did not go out. */
export async function giveBack(counters: Counters, taken: TakeItem[][]): Promise<void> {
  for (const items of taken) {
    for (const it of items) await counters.give(it.key, it.amount ?? 1, { window: it.window });
  }
}
