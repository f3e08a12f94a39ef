import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { json, startPeer } from '../test-peer.ts';
import type { OutgoingMessage } from '../providers.ts';
import { forgetWechatTokens, wechatProvider, wechatSettings } from './wechat.provider.ts';

// A local stand-in for api.weixin.qq.com that checks every request like the real one:
// token requests need the right appid/secret; sends need a live token and the documented body.
let issued = 0;
let live = new Set<string>();
let expiresIn = 7200;
let peer: Awaited<ReturnType<typeof startPeer>>;
const sends: { token: string; body: Record<string, unknown> }[] = [];

beforeAll(async () => {
  peer = await startPeer((r, res) => {
    const url = new URL(r.url, 'http://x');
    if (r.method === 'GET' && url.pathname === '/cgi-bin/token') {
      if (url.searchParams.get('grant_type') !== 'client_credential' || url.searchParams.get('appid') !== 'wxapp1' || url.searchParams.get('secret') !== 's3cret') {
        return json(res, 200, { errcode: 40013, errmsg: 'invalid appid' });
      }
      const token = `tok${++issued}`;
      live = new Set([token]); // a new token invalidates the old one, as on WeChat
      return json(res, 200, { access_token: token, expires_in: expiresIn });
    }
    if (r.method === 'POST' && url.pathname === '/cgi-bin/message/template/send') {
      const token = url.searchParams.get('access_token') ?? '';
      if (!live.has(token)) return json(res, 200, { errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' });
      const body = JSON.parse(r.body) as Record<string, unknown>;
      sends.push({ token, body });
      if (!body.touser || !body.template_id || typeof body.data !== 'object') return json(res, 200, { errcode: 47001, errmsg: 'data format error' });
      if (body.touser === 'o-blocked') return json(res, 200, { errcode: 43004, errmsg: 'require subscribe' });
      if (body.touser === 'o-busy') return json(res, 200, { errcode: -1, errmsg: 'system error' });
      return json(res, 200, { errcode: 0, errmsg: 'ok', msgid: sends.length });
    }
    return json(res, 404, {});
  });
});
afterAll(() => peer.close());
beforeEach(() => { forgetWechatTokens(); issued = 0; live = new Set(); expiresIn = 7200; sends.length = 0; });

const msg = (id: string, to = 'o-user1'): OutgoingMessage => ({
  messageId: id, workspaceId: 'ws', channel: 'wechat', externalId: 'u1', to, taskId: 't', campaignId: 'c',
  rendered: { templateId: 'TPL_1', data: { first: 'Hi Ann', keyword1: { value: '100', color: '#173177' } }, url: 'https://shop.example/x' },
});
let now = Date.now();
const make = (creds = { appId: 'wxapp1', appSecret: 's3cret' }, s: Record<string, unknown> = {}) =>
  wechatProvider('wx', creds, wechatSettings.parse({ baseUrl: peer.base, ...s }), () => now);

describe('WeChat template message provider against a local API', () => {
  it('sends the documented body with a cached token: one token fetch for many sends', async () => {
    const p = make({ appId: 'wxapp1', appSecret: 's3cret' }, { miniprogram: { appid: 'wxmini', pagepath: 'pages/x' } });
    const out = await p.send(undefined as never, [msg('1'), msg('2'), msg('3')], new Date());
    expect(out.map((o) => o.status)).toEqual(['sent', 'sent', 'sent']);
    expect(issued).toBe(1);
    expect(sends[0]!.body).toEqual({
      touser: 'o-user1', template_id: 'TPL_1', url: 'https://shop.example/x', miniprogram: { appid: 'wxmini', pagepath: 'pages/x' },
      data: { first: { value: 'Hi Ann' }, keyword1: { value: '100', color: '#173177' } }, client_msg_id: '1',
    });
  });

  it('refreshes the token when it nears expires_in, and when WeChat says 40001', async () => {
    const p = make();
    expiresIn = 600;
    await p.send(undefined as never, [msg('1')], new Date());
    now += 299_000; // within expires_in minus the 300 s margin: cached
    await p.send(undefined as never, [msg('2')], new Date());
    expect(issued).toBe(1);
    now += 2_000; // past it: fetched again
    await p.send(undefined as never, [msg('3')], new Date());
    expect(issued).toBe(2);
    live = new Set(); // revoked on WeChat's side (e.g. another server fetched a token)
    expect((await p.send(undefined as never, [msg('4')], new Date()))[0]).toEqual({ messageId: '4', status: 'sent' });
    expect(issued).toBe(3);
    expect(sends.map((s) => s.token)).toEqual(['tok1', 'tok1', 'tok2', 'tok3']);
  });

  it('maps errcodes: a refusal fails for good, "system busy" is retryable, bad credentials fail', async () => {
    const out = await make().send(undefined as never, [msg('1', 'o-blocked'), msg('2', 'o-busy')], new Date());
    expect(out).toEqual([
      { messageId: '1', status: 'failed', reason: 'wechat_43004: require subscribe', retryable: false },
      { messageId: '2', status: 'failed', reason: 'wechat_-1: system error', retryable: true },
    ]);
    const bad = await make({ appId: 'wxapp1', appSecret: 'wrong' }).send(undefined as never, [msg('3')], new Date());
    expect(bad[0]).toMatchObject({ status: 'failed', reason: 'wechat_token_40013: invalid appid', retryable: false });
  });
});
