import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Harness } from '../../test/support/harness.ts';
import { launch, smallWorld } from '../../test/support/fixtures.ts';
import { LinkResolver } from './links.service.ts';
import * as repo from './links.repo.ts';

/** The resolver reads the misses that arrive together in one query; each caller gets its own link. */
describe('link resolver', () => {
  let h: Harness;
  beforeAll(async () => { h = await createHarness(); });
  afterAll(async () => { await h.close(); });

  it('answers concurrent first lookups — distinct, repeated and unknown codes — each with its own link', async () => {
    const ws = await newWorkspace(h);
    const world = await smallWorld(h, ws.api, { prefix: 'lr' });
    await launch(h, ws.api, world.campaign.id);
    const codes = ((await ws.api.get('/v1/sandbox/outbox')).json().items as { rendered: { text: string } }[]).map((m) => /\/l\/(\w+)/.exec(m.rendered.text)![1]!);
    expect(codes.length).toBeGreaterThan(1);
    const resolver = new LinkResolver(h.p);
    const asked = [...codes, codes[0]!, 'unknownCode1', ...codes.slice().reverse(), 'unknownCode2'];
    const answers = await Promise.all(asked.map((c) => resolver.resolve(c)));
    for (const [i, code] of asked.entries()) {
      const row = await repo.linkByCode(h.p.db, code);
      if (!row) expect(answers[i]).toBeNull();
      else expect(answers[i]).toEqual({ ...row, target: LinkResolver.target(row) });
    }
    // A second round is served from the cache: same answers, and a code unknown before is still unknown.
    expect(await Promise.all(asked.map((c) => resolver.resolve(c)))).toEqual(answers);
  });
});
