import { DateTime } from 'luxon';
import type { ManualClock } from '../../src/platform/clock.ts';

/** Moves a manual clock forward to the next given local time (default zone: the workspaces' default). */
export function moveToNextLocal(clock: ManualClock, hour: number, minute = 0, zone = 'Asia/Shanghai'): void {
  const now = DateTime.fromJSDate(clock.now(), { zone });
  let t = now.set({ hour, minute, second: 0, millisecond: 0 });
  if (t <= now) t = t.plus({ days: 1 });
  clock.set(t.toJSDate());
}
