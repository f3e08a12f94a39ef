import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Harness } from '../../test/support/harness.ts';
import { launch, smallWorld } from '../../test/support/fixtures.ts';
import { FOLD_CLICKS_JOB } from './click-recorder.ts';
import { flushClicks } from './links.service.ts';

/**
 * With a fold delay (production: 2 s), a flush schedules the fold job only when none is waiting:
 * a waiting job is share-locked by the flush (jobs.holdPending), so it cannot start before the
 * flush's log row commits and will fold it. A running job gets a successor.
 */
describe('click fold scheduling with a delay', () => {
  let h: Harness;
  beforeAll(async () => { h = await createHarness({ MARKETLOOP_CLICK_FOLD_DELAY_MS: '60000' }); });
  afterAll(async () => { await h.close(); });

  const foldJobs = async () => (await h.p.pool.query(`select j.id, j.key, j.revision, j.locked_at from ${h.p.jobs.schema}._private_jobs j
    join ${h.p.jobs.schema}._private_tasks t on t.id = j.task_id where t.identifier = $1 order by j.id`, [FOLD_CLICKS_JOB])).rows;

  it('schedules once while a job waits, a successor while one runs, and every logged click is folded', async () => {
    const ws = await newWorkspace(h);
    const world = await smallWorld(h, ws.api, { prefix: 'fd' });
    await launch(h, ws.api, world.campaign.id);
    const codes = ((await ws.api.get('/v1/sandbox/outbox')).json().items as { rendered: { text: string } }[]).map((m) => /\/l\/(\w+)/.exec(m.rendered.text)![1]!);
    const clickAndFlush = async () => {
      for (const code of codes) expect((await h.app.inject({ method: 'GET', url: `/l/${code}` })).statusCode).toBe(302);
      await flushClicks(h.p);
    };
    for (let i = 0; i < 6; i++) await clickAndFlush();
    // Six flushes, one waiting fold job, never updated after the first flush added it.
    const [first, ...none] = await foldJobs();
    expect(none).toEqual([]);
    expect(first).toMatchObject({ key: FOLD_CLICKS_JOB, revision: 0, locked_at: null });
    // A worker takes it (as graphile-worker locks a job it runs): the next flush adds a successor.
    await h.p.pool.query(`update ${h.p.jobs.schema}._private_jobs set locked_at = now(), locked_by = 'test-worker' where id = $1`, [first.id]);
    await clickAndFlush();
    const after = await foldJobs();
    expect(after).toHaveLength(2);
    expect(after[1]).toMatchObject({ key: FOLD_CLICKS_JOB, locked_at: null });
    expect(after[0]).toMatchObject({ id: first.id, key: null });
    // The taken job finishes (its fold ran before the last flush); the successor folds the rest.
    await h.p.pool.query(`delete from ${h.p.jobs.schema}._private_jobs where id = $1`, [first.id]);
    await h.p.jobs.drain(new Date(Date.now() + 120_000));
    const clicked = Number((await h.p.pool.query("select count(*) from events where workspace_id = $1 and name = '$link_clicked'", [ws.id])).rows[0].count);
    expect(clicked).toBe(7 * codes.length);
  });
});
