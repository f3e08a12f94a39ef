import { z } from 'zod';
import type { OutgoingMessage, Provider, SendOutcome } from '../providers.ts';
import { httpCall } from '../http-call.ts';
import { signedHeaders } from './tc3.ts';

export const tencentSmsCredentials = z.strictObject({ secretId: z.string().min(1).max(200), secretKey: z.string().min(1).max(200) });
export const tencentSmsSettings = z.strictObject({
  sdkAppId: z.string().min(1).max(50),
  templateId: z.string().min(1).max(50),
  /** 签名; default: the template's rendered `signature`. */
  signName: z.string().min(1).max(50).optional(),
  region: z.string().min(1).max(50).default('ap-guangzhou'),
  endpoint: z.string().url().default('https://sms.tencentcloudapi.com'),
  timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
  unitPrice: z.number().min(0).optional(),
});

/** SendSms takes at most 200 numbers per request, all with the same template parameters. */
export const maxNumbersPerRequest = 200;

interface SendStatus { SerialNo?: string; PhoneNumber?: string; Code?: string; Message?: string }
interface SendSmsResponse { Response?: { SendStatusSet?: SendStatus[]; Error?: { Code?: string; Message?: string }; RequestId?: string } }

/** +86 for bare 11-digit mainland numbers; anything already in E.164 is kept. */
export const e164 = (phone: string): string => (phone.startsWith('+') ? phone : /^1\d{10}$/.test(phone) ? `+86${phone}` : `+${phone}`);

/** Errors of the whole request that a later try may not hit (rate, internal, network). */
const retryableCodes = /^(InternalError|RequestLimitExceeded|LimitExceeded\.(?:AppGlobalDailyLimit|DeliveryFrequencyLimit)|FailedOperation\.(?:InsufficientBalanceInSmsPackage)?Timeout)/;

/**
 * Tencent Cloud SMS `SendSms` (API 3.0, 2021-01-11, TC3-HMAC-SHA256). Messages with the same
 * signature and template parameters share a request of up to 200 numbers; each number's
 * `SendStatusSet` entry becomes its outcome (`Ok` → sent, with `SerialNo` kept so the receipt
 * callback can find the message). `onSerials` stores those serials in the delivery transaction.
 * The parameters are the template's rendered `params` (an array) or else its whole `body`.
 */
export function tencentSmsProvider(
  name: string, creds: z.infer<typeof tencentSmsCredentials>, settings: z.infer<typeof tencentSmsSettings>,
  onSerials: (tx: Parameters<Provider['send']>[0], refs: { messageId: string; serialNo: string }[]) => Promise<void>,
  nowMs: () => number = Date.now,
): Provider {
  const url = new URL(settings.endpoint);
  async function request(group: OutgoingMessage[], sign: string, params: string[]): Promise<SendOutcome[]> {
    const payload = JSON.stringify({
      PhoneNumberSet: group.map((m) => e164(m.to)), SmsSdkAppId: settings.sdkAppId, SignName: sign, TemplateId: settings.templateId,
      TemplateParamSet: params, SessionContext: group.length === 1 ? group[0]!.messageId : '',
    });
    const headers = signedHeaders({ ...creds, service: 'sms', host: url.host, timestamp: Math.floor(nowMs() / 1000), payload, action: 'SendSms', version: '2021-01-11', region: settings.region });
    const r = await httpCall(settings.endpoint, { method: 'POST', headers, body: payload, timeoutMs: settings.timeoutMs });
    const fail = (reason: string, retryable: boolean): SendOutcome[] => group.map((m) => ({ messageId: m.messageId, status: 'failed', reason, retryable }));
    if (!r.ok) return fail(`tencent_sms_network: ${r.error}`, true);
    let res: SendSmsResponse;
    try { res = JSON.parse(r.body) as SendSmsResponse; } catch { return fail(`tencent_sms_http_${r.status}`, r.status >= 500); }
    const err = res.Response?.Error;
    if (err) return fail(`tencent_sms_${err.Code}: ${err.Message ?? ''}`.trim(), retryableCodes.test(err.Code ?? ''));
    const byPhone = new Map((res.Response?.SendStatusSet ?? []).map((s) => [s.PhoneNumber, s]));
    return group.map((m): SendOutcome => {
      const s = byPhone.get(e164(m.to));
      if (!s) return { messageId: m.messageId, status: 'failed', reason: 'tencent_sms_no_status', retryable: false };
      if (s.Code === 'Ok') return { messageId: m.messageId, status: 'sent', serialNo: s.SerialNo } as SendOutcome & { serialNo?: string };
      return { messageId: m.messageId, status: 'failed', reason: `tencent_sms_${s.Code}: ${s.Message ?? ''}`.trim(), retryable: retryableCodes.test(s.Code ?? '') };
    });
  }

  return {
    name, transactional: false,
    async send(tx, messages) {
      // Group by (signature, parameters); a number appears once per request.
      const groups = new Map<string, { sign: string; params: string[]; batches: OutgoingMessage[][] }>();
      for (const m of messages) {
        const r = m.rendered as { signature?: string; body?: string; params?: unknown };
        const sign = settings.signName ?? String(r.signature ?? '');
        const params = Array.isArray(r.params) ? r.params.map(String) : [String(r.body ?? '')];
        const key = JSON.stringify([sign, params]);
        let g = groups.get(key);
        if (!g) groups.set(key, (g = { sign, params, batches: [] }));
        const open = g.batches.find((b) => b.length < maxNumbersPerRequest && !b.some((o) => e164(o.to) === e164(m.to)));
        if (open) open.push(m); else g.batches.push([m]);
      }
      const outcomes = new Map<string, SendOutcome & { serialNo?: string }>();
      for (const g of groups.values()) {
        for (const b of g.batches) for (const o of await request(b, g.sign, g.params)) outcomes.set(o.messageId, o);
      }
      const refs = [...outcomes.values()].flatMap((o) => (o.status === 'sent' && o.serialNo ? [{ messageId: o.messageId, serialNo: o.serialNo }] : []));
      if (refs.length) await onSerials(tx, refs);
      return messages.map((m) => {
        const { serialNo: _s, ...o } = outcomes.get(m.messageId)!;
        return o;
      });
    },
  };
}

/** One entry of Tencent's status-report callback (短信下发状态回调). */
export const tencentSmsReport = z.object({
  sid: z.string().min(1).max(200),
  report_status: z.string().max(50),
  errmsg: z.string().max(500).optional(),
  description: z.string().max(1000).optional(),
  mobile: z.string().max(50).optional(),
  nationcode: z.string().max(10).optional(),
  user_receive_time: z.string().max(50).optional(),
}).passthrough();
