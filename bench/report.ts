import { fmt, header, median, option, startBench, api } from './lib/setup.ts';

/**
 * What a campaign earned, on a big campaign: `GET /v1/campaigns/{id}/report` and the messages
 * export, over HTTP, against the floor any such report stands on — one scan of the campaign's
 * messages by the same index (count of rows, of distinct users, of sends), timed in the same
 * run. DESIGN.md sets no budget for reports; this prints the figures and the ratio to the floor
 * so a slower plan shows.
 *
 *   npm run bench -- report [--users 1000000] [--rounds 3]
 *
 * Setup (not measured; rows written by SQL, not by the delivery engine, which has its own
 * bench): `--users` users, each sent one SMS by one task of the campaign (a tenth of them also
 * an inbox message by a second task, clicked or read by a fifth), 5 % paying 1–2 orders in the
 * window after the send (a third of them had paid before), and an order each by 1 % of users
 * outside the window, which must not count.
 */
const USERS = option('users', 1_000_000);
const ROUNDS = option('rounds', 3);

const b = await startBench('report');
try {
  header('Benchmark: the campaign report and its export on a big campaign', b.machine, { users: fmt(USERS), rounds: ROUNDS });
  const root = api(b.url, b.rootKey);
  const ws = await root.post<{ id: string; apiKey: string }>('/v1/workspaces', { name: 'Report bench', slug: `report-${Date.now().toString(36)}` });
  const a = api(b.url, ws.apiKey);
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const seg = await a.post<{ id: string }>('/v1/segments', { name: 'all', refresh: 'manual', definition: { attr: 'city', op: 'eq', value: 'x' } });
  const sms = await a.post<{ id: string }>('/v1/templates', { name: 's', channel: 'sms', content: { signature: 'B', body: 'Hi' } });
  const inbox = await a.post<{ id: string }>('/v1/templates', { name: 'i', channel: 'inbox', content: { title: 'T', body: 'Hi' } });
  const cmp = await a.post<{ id: string }>('/v1/campaigns', { name: 'Big', goal: 'repurchase', startAt: iso(now - 20 * 86_400_000), endAt: iso(now + 30 * 86_400_000) });
  const t1 = await a.post<{ id: string }>(`/v1/campaigns/${cmp.id}/tasks`, { name: 'SMS', channel: 'sms', templateId: sms.id, audience: { segmentId: seg.id }, schedule: { type: 'now' } });
  const t2 = await a.post<{ id: string }>(`/v1/campaigns/${cmp.id}/tasks`, { name: 'Inbox', channel: 'inbox', templateId: inbox.id, audience: { segmentId: seg.id }, schedule: { type: 'now' } });

  const t0 = performance.now();
  const q = (text: string, values: unknown[] = []) => b.p.pool.query(text, values);
  await q(`insert into users (workspace_id, external_id, created_at, updated_at)
    select $1, 'u' || i, now() - interval '90 days', now() from generate_series(1, $2::int) i`, [ws.id, USERS]);
  const sentAt = new Date(now - 10 * 86_400_000);
  await q(`insert into messages (workspace_id, task_run_id, task_id, campaign_id, user_id, channel, status, created_at, sent_at, delivered_at, first_clicked_at)
    select $1, 1, $2, $3, u.id, 'sms', 'delivered', $4::timestamptz, $4::timestamptz, $4::timestamptz, case when u.id % 20 = 0 then $4::timestamptz + interval '1 hour' end
    from users u where u.workspace_id = $1`, [ws.id, t1.id, cmp.id, sentAt]);
  await q(`insert into messages (workspace_id, task_run_id, task_id, campaign_id, user_id, channel, status, created_at, sent_at, delivered_at)
    select $1, 2, $2, $3, u.id, 'inbox', 'delivered', $4::timestamptz, $4::timestamptz, $4::timestamptz from users u where u.workspace_id = $1 and u.id % 10 = 0`, [ws.id, t2.id, cmp.id, sentAt]);
  await q(`insert into inbox_messages (message_id, workspace_id, external_id, title, body, created_at, read_at)
    select m.id, $1, 'x', 'T', 'Hi', m.created_at, case when m.user_id % 50 = 0 then m.created_at end from messages m where m.workspace_id = $1 and m.task_id = $2`, [ws.id, t2.id]);
  // Orders: 5 % pay in the window (a third of them had paid before: repeat buyers), 1 % after it.
  await q(`insert into orders (workspace_id, order_id, user_id, amount, paid_at, first_order)
    select $1, 'before-' || u.id, u.id, 5000, $2::timestamptz - interval '30 days', true from users u where u.workspace_id = $1 and u.id % 60 = 0`, [ws.id, sentAt]);
  await q(`insert into orders (workspace_id, order_id, user_id, amount, paid_at, first_order)
    select $1, 'in-' || u.id || '-' || k, u.id, 10000 + k * 100, $2::timestamptz + k * interval '1 day', u.id % 60 <> 0 and k = 1
    from users u cross join generate_series(1, 2) k where u.workspace_id = $1 and u.id % 20 = 0 and (k = 1 or u.id % 40 = 0)`, [ws.id, sentAt]);
  await q(`insert into orders (workspace_id, order_id, user_id, amount, paid_at, first_order)
    select $1, 'late-' || u.id, u.id, 7000, $2::timestamptz + interval '9 days', false from users u where u.workspace_id = $1 and u.id % 100 = 1`, [ws.id, sentAt]);
  await q('analyze users; analyze messages; analyze orders; analyze inbox_messages');
  process.stdout.write(`setup: ${fmt(USERS)} users, ${fmt(USERS + Math.floor(USERS / 10))} messages and their orders in ${fmt((performance.now() - t0) / 1000, 1)} s\n\n`);

  const floorSql = `select count(*), count(distinct user_id), count(sent_at) from messages where workspace_id = $1 and task_id = any($2::text[])`;
  const timed = async (fn: () => Promise<unknown>) => { const s = performance.now(); await fn(); return performance.now() - s; };
  const rounds: { floor: number; report: number; exportMs: number; rows: number }[] = [];
  let last: Record<string, unknown> = {};
  for (let round = 1; round <= ROUNDS; round++) {
    const floor = await timed(() => q(floorSql, [ws.id, [t1.id, t2.id]]));
    const report = await timed(async () => { last = await a.get(`/v1/campaigns/${cmp.id}/report`); });
    let rows = 0;
    const exportMs = await timed(async () => {
      const r = await fetch(`${b.url}/v1/campaigns/${cmp.id}/export?type=messages`, { headers: { authorization: `Bearer ${ws.apiKey}` } });
      const reader = r.body!.getReader();
      for (let c = await reader.read(); !c.done; c = await reader.read()) for (const byte of c.value) if (byte === 10) rows++;
    });
    rounds.push({ floor, report, exportMs, rows: rows - 1 });
    process.stdout.write(`round ${round}: floor scan ${fmt(floor)} ms · report ${fmt(report)} ms (${fmt(report / floor, 1)} × the floor) · messages export ${fmt(rows - 1)} rows in ${fmt(exportMs)} ms (${fmt((rows - 1) / (exportMs / 1000))} rows/s)\n`);
  }
  const expected = { targeted: USERS, payers: Math.floor(USERS / 20) };
  const f = last.funnel as { targeted: number };
  if (f.targeted !== expected.targeted || last.payers !== expected.payers || rounds.some((r) => r.rows !== USERS + Math.floor(USERS / 10))) {
    throw new Error(`the report or the export is wrong: ${JSON.stringify({ funnel: last.funnel, payers: last.payers, rows: rounds.map((r) => r.rows) })}`);
  }
  const m = { floor: median(rounds.map((r) => r.floor)), report: median(rounds.map((r) => r.report)), exportMs: median(rounds.map((r) => r.exportMs)) };
  process.stdout.write(`\nreport (median): ${fmt(m.report)} ms, ${fmt(m.report / m.floor, 1)} × the floor scan (${fmt(m.floor)} ms); export ${fmt((USERS * 1.1) / (m.exportMs / 1000))} rows/s\n`);
  process.stdout.write(`figures checked: ${JSON.stringify({ funnel: last.funnel, payers: last.payers, orders: last.orders, gmv: last.gmv, firstOrderUsers: last.firstOrderUsers, repeatUsers: last.repeatUsers })}\n`);
  process.stdout.write(`\nRESULT ${JSON.stringify({ bench: 'report', date: new Date().toISOString(), machine: b.machine, users: USERS, rounds, median: m, ratioToFloor: m.report / m.floor })}\n`);
} finally {
  await b.close();
}
