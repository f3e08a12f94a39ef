import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Harness } from '../../../test/support/harness.ts';
import { expectOk, launch, smallWorld } from '../../../test/support/fixtures.ts';
import { json, startPeer } from '../test-peer.ts';
import { authorization } from './tc3.ts';

// A campaign on the sms channel through a configured Tencent SMS provider (a local stand-in
// for sms.tencentcloudapi.com that checks the TC3 signature), then Tencent's status reports
// for the serials it returned, posted to the callback route.
const creds = { secretId: 'AKIDdelivery01', secretKey: 'deliverySecret01' };
let h: Harness;
let peer: Awaited<ReturnType<typeof startPeer>>;
const serials = new Map<string, string>(); // phone → SerialNo
beforeAll(async () => {
  h = await createHarness();
  peer = await startPeer((r, res) => {
    const expected = authorization({ ...creds, service: 'sms', host: String(r.headers.host), timestamp: Number(r.headers['x-tc-timestamp']), payload: r.body });
    if (r.headers.authorization !== expected) return json(res, 200, { Response: { Error: { Code: 'AuthFailure.SignatureFailure', Message: 'bad' }, RequestId: 'x' } });
    const b = JSON.parse(r.body) as { PhoneNumberSet: string[] };
    return json(res, 200, { Response: { RequestId: 'r', SendStatusSet: b.PhoneNumberSet.map((p) => {
      const sn = `sn-${p}`;
      serials.set(p, sn);
      return { SerialNo: sn, PhoneNumber: p, Fee: 1, Code: 'Ok', Message: 'send success', IsoCode: 'CN' };
    }) } });
  });
});
afterAll(async () => { await peer.close(); await h.close(); });

describe('sms campaign through Tencent Cloud SMS', () => {
  it('sends signed requests, keeps each SerialNo, and records the status reports as receipts', async () => {
    const w = await newWorkspace(h);
    const prv = (await expectOk(await w.api.post('/v1/providers', {
      channel: 'sms', type: 'tencent_sms', name: 'Tencent', credentials: creds,
      settings: { sdkAppId: '1400000000', templateId: '449739', endpoint: peer.base },
    }))).json();
    const world = await smallWorld(h, w.api, { users: 3 });
    await launch(h, w.api, world.campaign.id);
    expect(serials.size).toBe(3);
    const sent = await h.p.db.selectFrom('messages').select(['id', 'status', 'toAddress']).where('workspaceId', '=', w.id).orderBy('id').execute();
    expect(sent.map((m) => m.status)).toEqual(['sent', 'sent', 'sent']);

    const reports = sent.map((m, i) => ({
      user_receive_time: '2026-11-22 10:00:00', nationcode: '86', mobile: m.toAddress, sid: serials.get(`+86${m.toAddress}`),
      report_status: i === 2 ? 'FAIL' : 'SUCCESS', errmsg: i === 2 ? 'MK:0005' : 'DELIVRD', description: i === 2 ? 'blocked' : 'ok',
    }));
    const r = await h.app.inject({ method: 'POST', url: `/v1/callbacks/tencent-sms/${prv.id}`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(reports) });
    expect(r.json()).toEqual({ result: 0, errmsg: 'OK', recorded: 3 });
    const after = await h.p.db.selectFrom('messages').select(['status', 'reason']).where('workspaceId', '=', w.id).orderBy('id').execute();
    expect(after).toEqual([
      { status: 'delivered', reason: null }, { status: 'delivered', reason: null }, { status: 'failed', reason: 'tencent_sms_MK:0005: blocked' },
    ]);
    const report = (await w.api.get(`/v1/tasks/${world.task.id}/report`)).json();
    expect(report).toMatchObject({ targeted: 3, delivered: 2 });
  });
});
