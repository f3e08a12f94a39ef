import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startPeer } from '../test-peer.ts';
import type { OutgoingMessage } from '../providers.ts';
import { authorization } from './tc3.ts';
import { tencentSmsProvider, tencentSmsSettings } from './tencent-sms.provider.ts';

const creds = { secretId: 'AKIDtest0001', secretKey: 'testSecretKey0001' };
let peer: Awaited<ReturnType<typeof startPeer>>;
let serial = 0;

// A stand-in for sms.tencentcloudapi.com: recomputes the TC3 signature of each request from
// what it received, checks the API 3.0 headers and the SendSms body, answers per number.
beforeAll(async () => {
  peer = await startPeer((r, res) => {
    const h = r.headers;
    const expected = authorization({ ...creds, service: 'sms', host: String(h.host), timestamp: Number(h['x-tc-timestamp']), payload: r.body });
    if (h.authorization !== expected) return json(res, 200, { Response: { Error: { Code: 'AuthFailure.SignatureFailure', Message: 'bad signature' }, RequestId: 'r' } });
    if (h['x-tc-action'] !== 'SendSms' || h['x-tc-version'] !== '2021-01-11' || h['x-tc-region'] !== 'ap-guangzhou') return json(res, 400, {});
    const b = JSON.parse(r.body) as { PhoneNumberSet: string[]; SmsSdkAppId: string; SignName: string; TemplateId: string; TemplateParamSet: string[] };
    if (b.PhoneNumberSet.length > 200) return json(res, 200, { Response: { Error: { Code: 'LimitExceeded.PhoneNumberCountLimit', Message: 'too many' }, RequestId: 'r' } });
    if (b.PhoneNumberSet.includes('+8613700000500')) return json(res, 200, { Response: { Error: { Code: 'InternalError.Timeout', Message: 'timeout' }, RequestId: 'r' } });
    return json(res, 200, {
      Response: {
        RequestId: 'req-1',
        SendStatusSet: b.PhoneNumberSet.map((p) => p.endsWith('9')
          ? { SerialNo: '', PhoneNumber: p, Fee: 0, Code: 'FailedOperation.PhoneNumberInBlacklist', Message: 'phone number in blacklist', IsoCode: 'CN' }
          : { SerialNo: `sn-${++serial}`, PhoneNumber: p, Fee: 1, Code: 'Ok', Message: 'send success', IsoCode: 'CN' }),
      },
    });
  });
});
afterAll(() => peer.close());

const msg = (id: string, to: string, body = 'Your code is 1234'): OutgoingMessage => ({
  messageId: id, workspaceId: 'ws', channel: 'sms', externalId: `u${id}`, to, taskId: 't', campaignId: 'c', rendered: { signature: 'Brand', body },
});
const make = (c = creds) => {
  const refs: { messageId: string; serialNo: string }[] = [];
  const p = tencentSmsProvider('tx', c, tencentSmsSettings.parse({ sdkAppId: '1400000000', templateId: '449739', endpoint: peer.base }), async (_tx, r) => { refs.push(...r); });
  return { p, refs };
};

describe('Tencent Cloud SMS SendSms against a signature-checking local API', () => {
  it('batches same-content messages up to 200 numbers per request and maps each number', async () => {
    const { p, refs } = make();
    const many = Array.from({ length: 250 }, (_, i) => msg(String(1000 + i), `137${String(i).padStart(8, '0')}`, 'Same text'));
    const before = peer.requests.length;
    const out = await p.send(undefined as never, [...many, msg('9', '13700000009', 'Other text')], new Date());
    const reqs = peer.requests.slice(before).map((r) => JSON.parse(r.body) as { PhoneNumberSet: string[]; TemplateParamSet: string[]; SignName: string });
    expect(reqs.map((r) => r.PhoneNumberSet.length)).toEqual([200, 50, 1]);
    expect(reqs[0]!.TemplateParamSet).toEqual(['Same text']);
    expect(reqs[0]!.SignName).toBe('Brand');
    expect(reqs[0]!.PhoneNumberSet[0]).toBe('+8613700000000');
    expect(out).toHaveLength(251);
    expect(out.filter((o) => o.status === 'sent')).toHaveLength(250 - 25); // numbers ending in 9 are blacklisted
    expect(out.find((o) => o.messageId === '1009')).toEqual({ messageId: '1009', status: 'failed', reason: 'tencent_sms_FailedOperation.PhoneNumberInBlacklist: phone number in blacklist', retryable: false });
    expect(out.find((o) => o.messageId === '1000')).toEqual({ messageId: '1000', status: 'sent' });
    expect(refs).toHaveLength(225);
    expect(refs[0]).toEqual({ messageId: '1000', serialNo: expect.stringMatching(/^sn-/) });
  });

  it('a request-level error fails every message of it; internal errors are retryable', async () => {
    const { p } = make();
    const out = await p.send(undefined as never, [msg('1', '13700000500', 'x'), msg('2', '13700000501', 'x')], new Date());
    expect(out).toEqual([
      { messageId: '1', status: 'failed', reason: 'tencent_sms_InternalError.Timeout: timeout', retryable: true },
      { messageId: '2', status: 'failed', reason: 'tencent_sms_InternalError.Timeout: timeout', retryable: true },
    ]);
    const bad = await make({ ...creds, secretKey: 'wrong' }).p.send(undefined as never, [msg('3', '13700000001')], new Date());
    expect(bad[0]).toEqual({ messageId: '3', status: 'failed', reason: 'tencent_sms_AuthFailure.SignatureFailure: bad signature', retryable: false });
  });
});
