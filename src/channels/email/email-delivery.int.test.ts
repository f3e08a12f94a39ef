import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Harness } from '../../../test/support/harness.ts';
import { expectOk, launch } from '../../../test/support/fixtures.ts';
import { mimeHeader, startSmtpPeer } from './smtp-peer.start.ts';

// The whole chain a user runs: a campaign on the email channel, delivery through the
// workspace's SMTP provider to a real SMTP server process, and the one-click unsubscribe link
// of the received mail working against the app.
let h: Harness;
let smtp: Awaited<ReturnType<typeof startSmtpPeer>>;
beforeAll(async () => {
  h = await createHarness();
  smtp = await startSmtpPeer();
});
afterAll(async () => { smtp.stop(); await h.close(); });

describe('email campaign through a configured SMTP provider', () => {
  it('delivers to the SMTP server with List-Unsubscribe links that unsubscribe the recipient', async () => {
    const w = await newWorkspace(h);
    const now = h.clock.now();
    await expectOk(await w.api.post('/v1/users', { users: [
      { externalId: 'ann', email: 'ann@example.com', attributes: { name: 'Ann', city: 'SZ' } },
      { externalId: 'bob', email: 'bob@example.com', attributes: { name: 'Bob', city: 'SZ' } },
      { externalId: 'cat', attributes: { name: 'Cat', city: 'SZ' } }, // no address
    ] }));
    await expectOk(await w.api.post('/v1/providers', {
      channel: 'email', type: 'smtp', name: 'Local SMTP', credentials: { user: 'mailer', pass: 'p4ss' },
      settings: { host: '127.0.0.1', port: smtp.port, from: 'Shop <news@shop.example>' },
    }));
    const segment = (await expectOk(await w.api.post('/v1/segments', { name: 'SZ', refresh: 'manual', definition: { attr: 'city', op: 'eq', value: 'SZ' } }))).json();
    await h.drain();
    const template = (await expectOk(await w.api.post('/v1/templates', { name: 'mail', channel: 'email', content: { subject: 'Hi {{ user.attributes.name }}', html: '<p>Sale for {{ user.attributes.name }}</p>', text: 'Sale for {{ user.attributes.name }}' } }))).json();
    const campaign = (await expectOk(await w.api.post('/v1/campaigns', { name: 'C', goal: 'activation', startAt: new Date(now.getTime() - 3_600_000).toISOString(), endAt: new Date(now.getTime() + 86_400_000).toISOString() }))).json();
    await expectOk(await w.api.post(`/v1/campaigns/${campaign.id}/tasks`, { name: 'T', channel: 'email', templateId: template.id, audience: { segmentId: segment.id }, schedule: { type: 'now' } }));
    await launch(h, w.api, campaign.id);

    const ann = smtp.received.find((m) => m.to.includes('ann@example.com'))!;
    expect(ann).toBeDefined();
    expect(smtp.received.filter((m) => m.to.includes('bob@example.com'))).toHaveLength(1);
    expect(mimeHeader(ann.raw, 'Subject')).toBe('Hi Ann');
    expect(ann.raw).toContain('Sale for Ann');
    expect(mimeHeader(ann.raw, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    const link = /^<(https:\/\/ml\.test\/u\?t=[^>]+)>$/.exec(mimeHeader(ann.raw, 'List-Unsubscribe')!)![1]!;

    const msgs = await h.p.db.selectFrom('messages').select(['status', 'provider']).where('workspaceId', '=', w.id).execute();
    expect(msgs.filter((m) => m.status === 'sent').map((m) => m.provider?.split(':')[0])).toEqual(['smtp', 'smtp']);

    // What a mail client does with the one-click link (RFC 8058).
    const res = await h.app.inject({ method: 'POST', url: link.slice('https://ml.test'.length), headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
    expect(res.statusCode).toBe(200);
    expect((await w.api.get('/v1/users/ann/unsubscribes')).json().channels).toEqual(['email']);
    expect((await w.api.get('/v1/users/bob/unsubscribes')).json().channels).toEqual([]);
  });
});
