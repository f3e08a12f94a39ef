import { describe, expect, it } from 'vitest';
import { counterKey, hashTag, keyWorkspace, parseCounterKey } from './counters.keys.ts';
import { dayWindow, lastDaysWindow } from './counters.windows.ts';

describe('counter windows in workspace-local days', () => {
  it('the Shanghai day turns at 16:00Z', () => {
    expect(dayWindow(new Date('2026-11-22T15:59:59.999Z'), 'Asia/Shanghai')).toEqual({ kind: 'fixed', id: 'd2026-11-22', expiresAt: new Date('2026-11-22T16:00:00Z') });
    expect(dayWindow(new Date('2026-11-22T16:00:00Z'), 'Asia/Shanghai')).toEqual({ kind: 'fixed', id: 'd2026-11-23', expiresAt: new Date('2026-11-23T16:00:00Z') });
  });

  it('a 23-hour DST day ends at the real local midnight', () => {
    // 2026-03-08: New York springs forward; the day lasts 23 hours.
    expect(dayWindow(new Date('2026-03-08T12:00:00Z'), 'America/New_York').expiresAt).toEqual(new Date('2026-03-09T04:00:00Z'));
  });

  it('the last N days: oldest first, today last, kept until today leaves the last window', () => {
    expect(lastDaysWindow(new Date('2026-11-22T16:30:00Z'), 'Asia/Shanghai', 3)).toEqual({
      kind: 'sliding', ids: ['d2026-11-21', 'd2026-11-22', 'd2026-11-23'], expiresAt: new Date('2026-11-25T16:00:00Z'),
    });
    expect(() => lastDaysWindow(new Date(), 'Asia/Shanghai', 0)).toThrow(/1 to 366/);
  });

  it('the last window per timezone and length is kept only while its day lasts', () => {
    const ids = (at: string, tz: string, days: number) => lastDaysWindow(new Date(at), tz, days).ids;
    expect(ids('2026-11-23T15:59:59.999Z', 'Asia/Shanghai', 2)).toEqual(['d2026-11-22', 'd2026-11-23']);
    expect(ids('2026-11-23T16:00:00Z', 'Asia/Shanghai', 2)).toEqual(['d2026-11-23', 'd2026-11-24']);
    // Back in time (a test clock, another worker's older now): computed again, not the kept one.
    expect(ids('2026-11-23T15:00:00Z', 'Asia/Shanghai', 2)).toEqual(['d2026-11-22', 'd2026-11-23']);
    // Same instant, other timezone or length: their own windows.
    expect(ids('2026-11-23T15:00:00Z', 'UTC', 2)).toEqual(['d2026-11-22', 'd2026-11-23']);
    expect(ids('2026-11-23T17:00:00Z', 'UTC', 1)).toEqual(['d2026-11-23']);
    expect(ids('2026-11-23T17:00:00Z', 'Asia/Shanghai', 1)).toEqual(['d2026-11-24']);
    expect(() => dayWindow(new Date(), 'Mars/Olympus')).toThrow(/timezone/);
  });
});

describe('counter keys', () => {
  it('are workspace-first and hash-tagged by scope', () => {
    const k = counterKey('ws_1', 'tpl:cpt_9', 'user:42');
    expect(k).toBe('{ws:ws_1:tpl:cpt_9}:user:42');
    expect(hashTag(k)).toBe('ws:ws_1:tpl:cpt_9');
    expect(hashTag(`ml:${k}@d2026-11-22`)).toBe('ws:ws_1:tpl:cpt_9');
    expect(keyWorkspace(k)).toBe('ws_1');
    expect(parseCounterKey('{ws:ws_1:tpl:a}:stock')).toBe('{ws:ws_1:tpl:a}:stock');
  });

  it('refuse parts that would move the tag or the window separator', () => {
    for (const [w, s, n] of [['ws 1', 'tpl', 'x'], ['ws', 'tpl}{', 'x'], ['ws', 'tpl', 'a@b'], ['', 'tpl', 'x'], ['ws', 'tpl', '']]) {
      expect(() => counterKey(w!, s!, n!)).toThrow(/counter key/);
    }
    expect(() => parseCounterKey('stock')).toThrow(/counter key/);
  });
});
