import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Harness } from './support/harness.ts';
import { expectOk, expectPaged } from './support/fixtures.ts';

let h: Harness;
beforeAll(async () => { h = await createHarness(); });
afterAll(async () => { await h.close(); });

describe('referrals', () => {
  it('codes are stable; a tree A → B → C; no self-invite, no cycle, one inviter per user; downline by depth', async () => {
    const { api } = await newWorkspace(h);
    await expectOk(await api.post('/v1/users', { users: ['A', 'B', 'C', 'D', 'E'].map((externalId) => ({ externalId })) }));
    await expectOk(await api.post('/v1/referrals/programs', { name: 'Invite', reward: { points: 50 } }));
    const codeA = (await expectOk(await api.post('/v1/referrals/codes', { externalId: 'A' }))).json().code;
    expect((await api.post('/v1/referrals/codes', { externalId: 'A' })).json().code).toBe(codeA);
    const codeB = (await api.post('/v1/referrals/codes', { externalId: 'B' })).json().code;
    const codeC = (await api.post('/v1/referrals/codes', { externalId: 'C' })).json().code;
    expect(codeB).not.toBe(codeA);
    expect((await expectOk(await api.post('/v1/referrals/bind', { externalId: 'B', code: codeA }))).json()).toMatchObject({ inviter: 'A', repeated: false });
    expect((await api.post('/v1/referrals/bind', { externalId: 'B', code: codeA })).json()).toMatchObject({ inviter: 'A', repeated: true });
    await expectOk(await api.post('/v1/referrals/bind', { externalId: 'C', code: codeB }));
    await expectOk(await api.post('/v1/referrals/bind', { externalId: 'D', code: codeA }));
    // Self, cycle (A invited by C, who descends from A), second inviter, unknown code.
    expect((await api.post('/v1/referrals/bind', { externalId: 'A', code: codeA })).json().error.code).toBe('invalid_state');
    expect((await api.post('/v1/referrals/bind', { externalId: 'A', code: codeC })).json().error.code).toBe('invalid_state');
    expect((await api.post('/v1/referrals/bind', { externalId: 'C', code: codeA })).json().error.code).toBe('already_exists');
    expect((await api.post('/v1/referrals/bind', { externalId: 'E', code: 'NOPE' })).statusCode).toBe(404);
    const one = (await api.get('/v1/referrals/A/downline?depth=1')).json();
    expect(one.items.map((i: { externalId: string }) => i.externalId).sort()).toEqual(['B', 'D']);
    const two = (await api.get('/v1/referrals/A/downline?depth=2')).json();
    expect(two.items.map((i: { externalId: string; level: number; invitedBy: string }) => [i.externalId, i.level, i.invitedBy]).sort()).toEqual([['B', 1, 'A'], ['C', 2, 'B'], ['D', 1, 'A']]);
    expect(two.count).toBe(3);
  });

  it('programs are a list: newest first, a page at a time, to nextCursor null; bad queries are 400s', async () => {
    const { api } = await newWorkspace(h);
    const create = async (name: string) => (await expectOk(await api.post('/v1/referrals/programs', { name, reward: { points: 10 } }))).json<{ id: string }>().id;
    const old = await create('old');
    h.clock.advance(60_000);
    // Two at the same instant: the id orders them.
    const twins = [await create('twin a'), await create('twin b')];
    const walked = await expectPaged<{ id: string; name: string }>(api, '/v1/referrals/programs');
    expect(walked.map((p) => p.id).slice(0, 2).sort()).toEqual([...twins].sort());
    expect(walked.map((p) => p.id)[2]).toBe(old);
    expect((await api.get('/v1/referrals/programs')).json()).toMatchObject({ nextCursor: null });
  });

  it('concurrent opposite binds cannot close a cycle', async () => {
    const { api } = await newWorkspace(h);
    await expectOk(await api.post('/v1/users', { users: [{ externalId: 'x' }, { externalId: 'y' }] }));
    const cx = (await api.post('/v1/referrals/codes', { externalId: 'x' })).json().code;
    const cy = (await api.post('/v1/referrals/codes', { externalId: 'y' })).json().code;
    const [a, b] = await Promise.all([api.post('/v1/referrals/bind', { externalId: 'y', code: cx }), api.post('/v1/referrals/bind', { externalId: 'x', code: cy })]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409]);
  });

  it('register with referralCode binds; the inviter is rewarded once, on the invitee\'s first order only; top inviters per campaign', async () => {
    const { api } = await newWorkspace(h);
    const now = h.clock.now().getTime();
    const cmp = (await expectOk(await api.post('/v1/campaigns', { name: 'KOL', goal: 'acquisition', startAt: new Date(now - 3_600_000).toISOString(), endAt: new Date(now + 30 * 86_400_000).toISOString() }))).json();
    const prog = (await expectOk(await api.post('/v1/referrals/programs', { name: 'KOL', campaignId: cmp.id, reward: { points: 50 } }))).json();
    await expectOk(await api.post('/v1/users', { users: [{ externalId: 'kol' }, { externalId: 'small' }, { externalId: 'old' }] }));
    const kol = (await api.post('/v1/referrals/codes', { externalId: 'kol' })).json().code;
    const small = (await api.post('/v1/referrals/codes', { externalId: 'small' })).json().code;
    // 'old' ordered before being invited: never a first order for the program.
    await expectOk(await api.post('/v1/events', { events: [{ externalId: 'old', name: 'order_paid', properties: { orderId: 'o-old', amount: 100 }, timestamp: new Date(now - 60_000).toISOString() }] }));
    await h.drain();
    const t = (m: number) => new Date(now + m * 1000).toISOString();
    await expectOk(await api.post('/v1/events', { events: [
      { externalId: 'i1', name: 'register', properties: { referralCode: kol }, timestamp: t(1) },
      { externalId: 'i2', name: 'register', properties: { referralCode: kol }, timestamp: t(2) },
      { externalId: 'i3', name: 'register', properties: { referralCode: kol }, timestamp: t(3) },
      { externalId: 'i4', name: 'register', properties: { referralCode: small }, timestamp: t(4) },
      { externalId: 'i5', name: 'register', properties: { referralCode: 'BADCODE1' }, timestamp: t(5) },
    ] }));
    await h.drain();
    await expectOk(await api.post('/v1/referrals/bind', { externalId: 'old', code: small }));
    await expectOk(await api.post('/v1/events', { events: [
      { externalId: 'i1', name: 'order_paid', properties: { orderId: 'o1', amount: 1000 }, timestamp: t(10) },
      { externalId: 'i1', name: 'order_paid', properties: { orderId: 'o2', amount: 1000 }, timestamp: t(11) },
      { externalId: 'i2', name: 'order_paid', properties: { orderId: 'o3', amount: 1000 }, timestamp: t(12) },
      { externalId: 'old', name: 'order_paid', properties: { orderId: 'o4', amount: 1000 }, timestamp: t(13) },
    ] }));
    await h.drain();
    // A later order, and the hook job replayed: nothing more.
    await expectOk(await api.post('/v1/events', { events: [{ externalId: 'i1', name: 'order_paid', properties: { orderId: 'o5', amount: 1000 }, timestamp: t(20) }] }));
    await h.drain();
    expect((await api.get('/v1/points/kol')).json().balance).toBe(2 * 50);
    expect((await api.get('/v1/points/small')).json().balance).toBe(0);
    const top = (await api.get(`/v1/referrals/top?campaignId=${cmp.id}&limit=5`)).json().items;
    expect(top).toEqual([{ externalId: 'kol', invitees: 3, converted: 2 }, { externalId: 'small', invitees: 2, converted: 0 }]);
    expect((await api.get('/v1/referrals/top?campaignId=cmp_other')).json().items).toEqual([]);
    expect((await api.get('/v1/referrals/kol/downline')).json().items.every((i: { programId: string }) => i.programId === prog.id)).toBe(true);
    const hist = (await api.get('/v1/points/kol/history')).json().items;
    expect(hist.map((e: { refId: string }) => e.refId).sort()).toEqual(expect.arrayContaining([expect.stringMatching(/^referral:/)]));
    expect(hist).toHaveLength(2);
    expect((await api.get('/v1/referrals/i1')).json()).toMatchObject({ externalId: 'i1', code: null, inviter: 'kol', programId: prog.id, invitees: 0, inviterReward: { status: 'delivered', orderRef: 'o1', points: 50 } });
    expect((await api.get('/v1/referrals/kol')).json()).toMatchObject({ code: kol, inviter: null, invitees: 3, inviterReward: null });
  });
});
