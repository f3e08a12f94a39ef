import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Harness } from './support/harness.ts';
import { expectOk } from './support/fixtures.ts';

let h: Harness;
beforeAll(async () => { h = await createHarness(); });
afterAll(async () => { await h.close(); });

async function world() {
  const ws = await newWorkspace(h);
  await expectOk(await ws.api.post('/v1/users', { users: [{ externalId: 'a' }, { externalId: 'b' }] }));
  return ws;
}

/** Σ remaining of the open lots: must always equal the balance. */
async function lotSum(workspaceId: string, externalId: string): Promise<number> {
  const r = await h.p.pool.query(
    'select coalesce(sum(l.remaining), 0)::bigint as s from points_lots l join users u on u.id = l.user_id and u.workspace_id = l.workspace_id where l.workspace_id = $1 and u.external_id = $2',
    [workspaceId, externalId]);
  return Number(r.rows[0].s);
}

describe('points', () => {
  it('credit and debit are idempotent on refId; another movement under a used refId is a conflict', async () => {
    const { api, id } = await world();
    const first = await expectOk(await api.post('/v1/points/a/credit', { amount: 120, reason: 'order', refId: 'o-1' }));
    expect(first.json()).toMatchObject({ balance: 120, repeated: false });
    // Ten concurrent repeats of the same credit: one credit in the ledger.
    const again = await Promise.all(Array.from({ length: 10 }, () => api.post('/v1/points/a/credit', { amount: 120, reason: 'order', refId: 'o-1' })));
    for (const r of again) expect(r.json()).toMatchObject({ balance: 120, repeated: true, entryId: first.json().entryId });
    expect((await api.post('/v1/points/a/credit', { amount: 5, reason: 'order', refId: 'o-1' })).json().error.code).toBe('idempotency_conflict');
    expect((await api.post('/v1/points/b/credit', { amount: 120, reason: 'order', refId: 'o-1' })).json().error.code).toBe('idempotency_conflict');
    const d = await expectOk(await api.post('/v1/points/a/debit', { amount: 20, reason: 'gift', refId: 'g-1' }));
    expect(d.json().balance).toBe(100);
    expect((await api.post('/v1/points/a/debit', { amount: 20, reason: 'gift', refId: 'g-1' })).json()).toMatchObject({ balance: 100, repeated: true });
    // Idempotency-Key too: same answer, replayed.
    const k1 = await api.post('/v1/points/a/credit', { amount: 1, reason: 'k', refId: 'k-1' }, { 'idempotency-key': 'key-1' });
    const k2 = await api.post('/v1/points/a/credit', { amount: 1, reason: 'k', refId: 'k-1' }, { 'idempotency-key': 'key-1' });
    expect(k2.headers['idempotent-replayed']).toBe('true');
    expect(k2.json()).toEqual(k1.json());
    expect((await api.get('/v1/points/a')).json().balance).toBe(101);
    expect(await lotSum(id, 'a')).toBe(101);
  });

  it('insufficient balance refuses the debit and changes nothing; concurrent debits never go below zero', async () => {
    const { api, id } = await world();
    await expectOk(await api.post('/v1/points/b/credit', { amount: 50, reason: 'r', refId: 'c1' }));
    const r = await api.post('/v1/points/b/debit', { amount: 51, reason: 'r', refId: 'd0' });
    expect(r.statusCode).toBe(409);
    expect(r.json().error.code).toBe('insufficient_points');
    // 20 concurrent debits of 7 against 50: exactly floor(50/7) = 7 succeed.
    const all = await Promise.all(Array.from({ length: 20 }, (_, i) => api.post('/v1/points/b/debit', { amount: 7, reason: 'r', refId: `d${i + 1}` })));
    const okCount = all.filter((x) => x.statusCode === 200).length;
    expect(okCount).toBe(Math.floor(50 / 7));
    expect(all.filter((x) => x.statusCode === 409).every((x) => x.json().error.code === 'insufficient_points')).toBe(true);
    const bal = (await api.get('/v1/points/b')).json().balance;
    expect(bal).toBe(50 - 7 * okCount);
    expect(await lotSum(id, 'b')).toBe(bal);
    expect((await api.post('/v1/points/nobody/credit', { amount: 1, reason: 'r', refId: 'x' })).statusCode).toBe(404);
  });

  it('debits consume the lots that lapse first; the expiry job lapses exactly what is left, once', async () => {
    const { api, id } = await world();
    const now = h.clock.now().getTime();
    const day = 86_400_000;
    await expectOk(await api.post('/v1/points/a/credit', { amount: 100, reason: 'late', refId: 'l', expiresAt: new Date(now + 10 * day).toISOString() }));
    await expectOk(await api.post('/v1/points/a/credit', { amount: 30, reason: 'soon', refId: 's', expiresAt: new Date(now + 2 * day).toISOString() }));
    await expectOk(await api.post('/v1/points/a/credit', { amount: 40, reason: 'forever', refId: 'f' }));
    // 50 spent: all 30 of the soon lot, then 20 of the late one.
    await expectOk(await api.post('/v1/points/a/debit', { amount: 50, reason: 'spend', refId: 'sp' }));
    const b = (await api.get('/v1/points/a')).json();
    expect(b.balance).toBe(120);
    expect(b.expiring).toEqual([{ amount: 80, expiresAt: new Date(now + 10 * day).toISOString() }]);
    // Past the soon lot's expiry: nothing left of it, nothing lapses.
    h.clock.advance(3 * day);
    await h.drain();
    await h.p.jobs.enqueue(h.p.db, 'points.expire', {});
    await h.drain();
    expect((await api.get('/v1/points/a')).json().balance).toBe(120);
    // Past the late lot's: its 80 lapse, once even when the job runs twice.
    h.clock.advance(8 * day);
    await h.p.jobs.enqueue(h.p.db, 'points.expire', {});
    await h.p.jobs.enqueue(h.p.db, 'points.expire', {});
    await h.drain();
    expect((await api.get('/v1/points/a')).json().balance).toBe(40);
    expect(await lotSum(id, 'a')).toBe(40);
    const hist = (await api.get('/v1/points/a/history?limit=2')).json();
    expect(hist.items[0]).toMatchObject({ kind: 'expire', amount: -80, balanceAfter: 40 });
    expect(hist.nextCursor).not.toBeNull();
    const rest = (await api.get(`/v1/points/a/history?limit=10&cursor=${hist.nextCursor}`)).json();
    expect([...hist.items, ...rest.items].map((e: { refId: string }) => e.refId)).toEqual([expect.stringMatching(/^lot:/), 'sp', 'f', 's', 'l']);
    expect((await api.post('/v1/points/a/credit', { amount: 1, reason: 'r', refId: 'past', expiresAt: new Date(now).toISOString() })).statusCode).toBe(400);
  });
});
