import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Harness } from '../../test/support/harness.ts';
import { launch, smallWorld } from '../../test/support/fixtures.ts';
import { flushClicks } from './links.service.ts';

describe('click log', () => {
  let h: Harness;
  beforeAll(async () => { h = await createHarness(); });
  afterAll(async () => { await h.close(); });

  const clicksOf = async (ws: string) =>
    Number((await h.p.pool.query("select count(*) from events where workspace_id = $1 and name = '$link_clicked'", [ws])).rows[0].count);

  it('answers before writing, and a flush (as on shutdown) stores every answered click', async () => {
    const ws = await newWorkspace(h);
    const world = await smallWorld(h, ws.api, { prefix: 'cl' });
    await launch(h, ws.api, world.campaign.id);
    const codes = ((await ws.api.get('/v1/sandbox/outbox')).json().items as { rendered: { text: string } }[]).map((m) => /\/l\/(\w+)$/.exec(m.rendered.text)![1]!);
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => h.app.inject({ method: 'GET', url: `/l/${codes[i % codes.length]}` })));
    expect(answers.every((a) => a.statusCode === 302)).toBe(true);
    await flushClicks(h.p);
    expect(await clicksOf(ws.id)).toBe(60);
    expect((await ws.api.get(`/v1/tasks/${world.task.id}/report`)).json().clicked).toBe(codes.length);
  });

  it('keeps clicks whose write failed and stores them on the next flush', async () => {
    const ws = await newWorkspace(h);
    const world = await smallWorld(h, ws.api, { prefix: 'cf' });
    await launch(h, ws.api, world.campaign.id);
    const code = /\/l\/(\w+)$/.exec((await ws.api.get('/v1/sandbox/outbox')).json().items[0].rendered.text)![1]!;
    await h.app.inject({ method: 'GET', url: `/l/${code}` }); // warms the link cache
    await flushClicks(h.p);
    await h.p.pool.query('alter table messages rename to messages_away');
    try {
      for (let i = 0; i < 5; i++) expect((await h.app.inject({ method: 'GET', url: `/l/${code}` })).statusCode).toBe(302);
      await flushClicks(h.p);
      expect(await clicksOf(ws.id)).toBe(1);
    } finally {
      await h.p.pool.query('alter table messages_away rename to messages');
    }
    await flushClicks(h.p);
    expect(await clicksOf(ws.id)).toBe(6);
  });
});
