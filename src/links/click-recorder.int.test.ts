import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Harness } from '../../test/support/harness.ts';
import { launch, smallWorld } from '../../test/support/fixtures.ts';
import { flushClicks, foldClickLog } from './links.service.ts';

/**
 * The click path: a redirect answers first, a flush writes the queue as one click-log row, the
 * folder turns log rows into $link_clicked events and first clicks exactly once.
 */
describe('click log', () => {
  let h: Harness;
  beforeAll(async () => { h = await createHarness(); });
  afterAll(async () => { await h.close(); });

  const clicksOf = async (ws: string) =>
    Number((await h.p.pool.query("select count(*) from events where workspace_id = $1 and name = '$link_clicked'", [ws])).rows[0].count);
  const codesOf = async (api: Awaited<ReturnType<typeof newWorkspace>>['api']) =>
    ((await api.get('/v1/sandbox/outbox')).json().items as { rendered: { text: string } }[]).map((m) => /\/l\/(\w+)/.exec(m.rendered.text)![1]!);

  it('answers before writing; a flush logs every answered click and the folder stores each once', async () => {
    const ws = await newWorkspace(h);
    const world = await smallWorld(h, ws.api, { prefix: 'cl' });
    await launch(h, ws.api, world.campaign.id);
    const codes = await codesOf(ws.api);
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => h.app.inject({
      method: 'GET', url: `/l/${codes[i % codes.length]}`, headers: { 'user-agent': i === 0 ? 'Evil\tAgent\nX: 1' : 'Mozilla/5.0' },
    })));
    expect(answers.every((a) => a.statusCode === 302)).toBe(true);
    await flushClicks(h.p);
    await h.drain();
    expect(await clicksOf(ws.id)).toBe(60);
    expect((await ws.api.get(`/v1/tasks/${world.task.id}/report`)).json().clicked).toBe(codes.length);
    // The event carries the link's message, campaign and url; a user agent cannot break the log's format.
    const ev = (await h.p.pool.query("select properties from events where workspace_id = $1 and name = '$link_clicked' and properties->>'userAgent' like 'Evil%'", [ws.id])).rows;
    expect(ev).toHaveLength(1);
    expect(ev[0].properties).toMatchObject({ code: codes[0], campaignId: world.campaign.id, taskId: world.task.id, userAgent: 'Evil Agent X: 1' });
    expect(ev[0].properties.url).toBe('https://shop.example/');
    // The catalog counts folded clicks like any event.
    const cat = (await ws.api.get('/v1/catalog')).json();
    expect(cat.events.find((e: { name: string }) => e.name === '$link_clicked')?.count).toBe(60);
  });

  it('parallel folders store every logged click exactly once', async () => {
    const ws = await newWorkspace(h);
    const world = await smallWorld(h, ws.api, { prefix: 'cf' });
    await launch(h, ws.api, world.campaign.id);
    const codes = await codesOf(ws.api);
    for (let f = 0; f < 6; f++) {
      for (let i = 0; i < 10; i++) await h.app.inject({ method: 'GET', url: `/l/${codes[i % codes.length]}` });
      await flushClicks(h.p);
    }
    await Promise.all([foldClickLog(h.p), foldClickLog(h.p), foldClickLog(h.p)]);
    expect(await clicksOf(ws.id)).toBe(60);
    await h.drain();
    expect(await clicksOf(ws.id)).toBe(60);
    const firsts = (await h.p.pool.query('select count(first_clicked_at)::int as n from messages where task_id = $1', [world.task.id])).rows[0].n;
    expect(firsts).toBe(codes.length);
  });
});
