import { expect } from 'vitest';
import type { Harness } from './harness.ts';
import type { Client } from './harness.ts';

/** A small world in one workspace: users, a computed segment, an SMS template, a draft campaign and task. */
export async function smallWorld(h: Harness, api: Client, opts: { users?: number; prefix?: string } = {}) {
  const n = opts.users ?? 5;
  const prefix = opts.prefix ?? 'u';
  const now = h.clock.now();
  const users = Array.from({ length: n }, (_, i) => ({ externalId: `${prefix}-${i}`, phone: `1370000${String(i).padStart(4, '0')}`, attributes: { city: 'Shenzhen' } }));
  await expectOk(await api.post('/v1/users', { users }));
  await expectOk(await api.post('/v1/events', { events: users.map((u, i) => ({ externalId: u.externalId, name: 'page_view', properties: { url: '/' }, messageId: `${prefix}-pv-${i}` })) }));
  const segment = (await expectOk(await api.post('/v1/segments', { name: 'SZ', refresh: 'manual', definition: { attr: 'city', op: 'eq', value: 'Shenzhen' } }))).json();
  await h.drain();
  const template = (await expectOk(await api.post('/v1/templates', { name: 'sms', channel: 'sms', content: { signature: 'Brand', body: 'Hello {{ "https://shop.example/" | track }}' } }))).json();
  const campaign = (await expectOk(await api.post('/v1/campaigns', {
    name: 'C', goal: 'activation', startAt: new Date(now.getTime() - 3_600_000).toISOString(), endAt: new Date(now.getTime() + 30 * 86_400_000).toISOString(),
  }))).json();
  const task = (await expectOk(await api.post(`/v1/campaigns/${campaign.id}/tasks`, {
    name: 'T', channel: 'sms', templateId: template.id, audience: { segmentId: segment.id }, schedule: { type: 'now' },
  }))).json();
  return { users, segment, template, campaign, task };
}

export async function expectOk<T extends { statusCode: number; body: string }>(r: T): Promise<T> {
  if (r.statusCode >= 300) throw new Error(`expected success, got ${r.statusCode}: ${r.body}`);
  return r;
}

/** Runs a campaign's loop to the end: submit, approve, drain. */
export async function launch(h: Harness, api: Client, campaignId: string): Promise<void> {
  await expectOk(await api.post(`/v1/campaigns/${campaignId}/submit`));
  await expectOk(await api.post(`/v1/campaigns/${campaignId}/approve`));
  await h.drain();
}

/**
 * API.md "Lists" on one list route holding at least two items: `?limit=1` answers one item and a
 * nextCursor, following the cursors walks the whole list (`?limit=1000`) in its order and ends
 * with `nextCursor: null`; a bad limit, an unknown query field and a cursor the API did not issue
 * are 400 `validation_failed` naming them. Returns the items as walked.
 */
export async function expectPaged<T = any>(api: Client, url: string): Promise<T[]> {
  const at = (q: string) => `${url}${url.includes('?') ? '&' : '?'}${q}`;
  const whole = (await expectOk(await api.get(at('limit=1000')))).json<{ items: T[]; nextCursor: string | null }>();
  expect(whole.nextCursor, url).toBeNull();
  expect(whole.items.length, `${url} needs two items to page`).toBeGreaterThanOrEqual(2);
  const first = (await expectOk(await api.get(at('limit=1')))).json<{ items: T[]; nextCursor: string | null }>();
  expect(first.items, url).toHaveLength(1);
  expect(first.nextCursor, url).toEqual(expect.any(String));
  const walked = [...first.items];
  for (let cursor = first.nextCursor; cursor;) {
    const next = (await expectOk(await api.get(at(`limit=1&cursor=${encodeURIComponent(cursor)}`)))).json<{ items: T[]; nextCursor: string | null }>();
    expect(next.items, url).toHaveLength(1);
    walked.push(...next.items);
    expect(walked.length, `${url} pages past its end`).toBeLessThanOrEqual(whole.items.length);
    cursor = next.nextCursor;
  }
  expect(walked, url).toEqual(whole.items);
  for (const [q, path] of [['limit=0', 'querystring.limit'], ['limit=abc', 'querystring.limit'], ['limit=1001', 'querystring.limit'], ['colour=red', 'querystring.colour'], ['cursor=not-ours', 'cursor']]) {
    const r = await api.get(at(q!));
    expect([r.statusCode, r.json().error?.code], `${url} ${q}`).toEqual([400, 'validation_failed']);
    expect(r.json().error.details.map((d: { path: string }) => d.path), `${url} ${q}`).toContain(path);
  }
  return walked;
}
