import { parse } from 'csv-parse/sync';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Harness } from '../../test/support/harness.ts';
import { expectPaged } from '../../test/support/fixtures.ts';
import { refreshDueSegments } from './segment-refresh.service.ts';

/** Segment routes around the language: PATCH and cycles, lists, daily refresh, export, roles. */
type Workspace = Awaited<ReturnType<typeof newWorkspace>>;
type Api = Workspace['api'];
let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  // Long before the real date: no other test file's daily segment is due by this clock, so the
  // scheduler (which serves every workspace) only meets this file's segments.
  h.clock.set('2020-03-10T04:00:00Z'); // 12:00 in Shanghai
});
afterAll(async () => { await h.close(); });

function multipart(parts: ({ name: string; value: string } | { name: string; filename: string; content: string })[]) {
  const boundary = `----marketloop${randomBytes(8).toString('hex')}`;
  const body = parts.map((p) => 'filename' in p
    ? `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"; filename="${p.filename}"\r\nContent-Type: text/csv\r\n\r\n${p.content}\r\n`
    : `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"\r\n\r\n${p.value}\r\n`).join('') + `--${boundary}--\r\n`;
  return { body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}
const upload = (api: Api, parts: Parameters<typeof multipart>[0]) => {
  const m = multipart(parts);
  return api.raw('POST', '/v1/segments/upload', m.body, m.headers);
};

async function create(api: Api, definition: unknown, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await api.post('/v1/segments', { name: 's', definition, refresh: 'manual', ...extra });
  if (r.statusCode !== 201) throw new Error(r.body);
  return r.json().id;
}
const membersOf = async (api: Api, id: string) => ((await api.get(`/v1/segments/${id}/members?limit=1000`)).json().items as string[]).sort();

describe('PATCH /v1/segments/{id} and references', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await newWorkspace(h);
    await ws.api.post('/v1/users', { users: [
      { externalId: 'a', attributes: { city: 'Guangzhou', vip: true } },
      { externalId: 'b', attributes: { city: 'Beijing' } },
      { externalId: 'c', attributes: { city: 'Guangzhou' } },
    ] });
  });

  it('renames, redefines (recomputed) and reschedules', async () => {
    const id = await create(ws.api, { attr: 'city', op: 'eq', value: 'Guangzhou' });
    await h.drain();
    expect(await membersOf(ws.api, id)).toEqual(['a', 'c']);
    const r = await ws.api.patch(`/v1/segments/${id}`, { name: 'Beijing', definition: { attr: 'city', op: 'eq', value: 'Beijing' } });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ name: 'Beijing', status: 'computing', definition: { attr: 'city', op: 'eq', value: 'Beijing' } });
    await h.drain();
    expect(await membersOf(ws.api, id)).toEqual(['b']);
    const history = (await ws.api.get(`/v1/segments/${id}/history`)).json().items;
    expect(history.map((x: { reason: string }) => x.reason)).toEqual(['update', 'create']);
    const daily = await ws.api.patch(`/v1/segments/${id}`, { refresh: 'daily', refreshAt: '06:30' });
    expect(daily.json()).toMatchObject({ refresh: 'daily', refreshAt: '06:30', status: 'ready' });
    expect((await ws.api.patch(`/v1/segments/${id}`, {})).statusCode).toBe(400);
    const typo = await ws.api.patch(`/v1/segments/${id}`, { nam: 'x' });
    expect(typo.json().error.details.map((d: { path: string }) => d.path)).toContain('nam');
    expect((await ws.api.patch(`/v1/segments/${id}`, { refreshAt: '25:00' })).json().error.details[0].path).toBe('refreshAt');
  });

  it('history is a list: newest snapshot first, a page at a time, to nextCursor null; bad queries are 400s', async () => {
    const id = await create(ws.api, { attr: 'city', op: 'exists' });
    await h.drain();
    for (let i = 0; i < 2; i++) {
      expect((await ws.api.post(`/v1/segments/${id}/refresh`)).statusCode).toBe(202);
      await h.drain();
    }
    const walked = await expectPaged<{ snapshotId: string; reason: string; count: number }>(ws.api, `/v1/segments/${id}/history`);
    expect(walked.map((x) => x.reason)).toEqual(['manual', 'manual', 'create']);
    expect(walked.map((x) => BigInt(x.snapshotId))).toEqual(walked.map((x) => BigInt(x.snapshotId)).sort((a, b) => (a > b ? -1 : 1)));
    expect(walked.every((x) => x.count === 3)).toBe(true);
    // A cursor whose id is not a snapshot id is refused, not sent to the database.
    const forged = Buffer.from(`${new Date().toISOString()}|x'1`).toString('base64url');
    const r = await ws.api.get(`/v1/segments/${id}/history?cursor=${forged}`);
    expect([r.statusCode, r.json().error.details[0].path]).toEqual([400, 'cursor']);
  });

  it('a reference cycle is a 400 naming the reference', async () => {
    const a = await create(ws.api, { attr: 'vip', op: 'eq', value: true });
    await h.drain();
    const b = await create(ws.api, { segment: a });
    const c = await create(ws.api, { any: [{ attr: 'city', op: 'eq', value: 'Beijing' }, { segment: b }] });
    await h.drain();
    expect(await membersOf(ws.api, c)).toEqual(['a', 'b']);
    const cycle = await ws.api.patch(`/v1/segments/${a}`, { definition: { all: [{ attr: 'city', op: 'exists' }, { not: { segment: c } }] } });
    expect(cycle.statusCode).toBe(400);
    expect(cycle.json().error.details[0]).toEqual({ path: 'definition.all[1].not.segment', message: `This reference makes a cycle: ${a} → ${c} → ${b} → ${a}.` });
    const self = await ws.api.patch(`/v1/segments/${a}`, { definition: { any: [{ segment: a }] } });
    expect(self.json().error.details[0].path).toBe('definition.any[0].segment');
    // Nothing changed.
    expect((await ws.api.get(`/v1/segments/${a}`)).json().definition).toEqual({ attr: 'vip', op: 'eq', value: true });
    // Referencing without a cycle is fine.
    expect((await ws.api.patch(`/v1/segments/${b}`, { definition: { all: [{ segment: a }, { attr: 'city', op: 'eq', value: 'Guangzhou' }] } })).statusCode).toBe(200);
  });

  it('two concurrent PATCHes that would close a cycle between them: one wins, the other is a 400', async () => {
    const x = await create(ws.api, { attr: 'vip', op: 'exists' });
    const y = await create(ws.api, { attr: 'city', op: 'exists' });
    await h.drain();
    const [rx, ry] = await Promise.all([
      ws.api.patch(`/v1/segments/${x}`, { definition: { segment: y } }),
      ws.api.patch(`/v1/segments/${y}`, { definition: { segment: x } }),
    ]);
    expect([rx.statusCode, ry.statusCode].sort()).toEqual([200, 400]);
    await h.drain();
  });

  it("a segment of another workspace cannot be referenced, by create, preview or PATCH", async () => {
    const other = await newWorkspace(h);
    const foreign = await create(other.api, { attr: 'city', op: 'exists' });
    await h.drain();
    const own = await create(ws.api, { attr: 'city', op: 'exists' });
    for (const r of [
      await ws.api.post('/v1/segments', { name: 'x', definition: { all: [{ segment: foreign }] } }),
      await ws.api.post('/v1/segments/preview', { definition: { segment: foreign } }),
      await ws.api.patch(`/v1/segments/${own}`, { definition: { not: { segment: foreign } } }),
    ]) {
      expect(r.statusCode).toBe(400);
      expect(r.json().error.details[0].path).toMatch(/^definition\.(all\[0\]\.|not\.)?segment$/);
    }
    expect((await other.api.patch(`/v1/segments/${own}`, { name: 'mine now' })).statusCode).toBe(404);
  });

  it('a reference to a segment still computing reads its definition', async () => {
    const a = await create(ws.api, { attr: 'city', op: 'eq', value: 'Guangzhou' });
    const r = await ws.api.post('/v1/segments/preview', { definition: { all: [{ segment: a }, { attr: 'vip', op: 'exists' }] } });
    expect(r.json()).toEqual({ count: 1, sample: ['a'] });
    await h.drain();
  });

  it('a frozen ("once") segment keeps its definition; its name may change', async () => {
    const id = await create(ws.api, { attr: 'vip', op: 'exists' }, { refresh: 'once' });
    await h.drain();
    const r = await ws.api.patch(`/v1/segments/${id}`, { definition: { attr: 'city', op: 'exists' } });
    expect(r.statusCode).toBe(409);
    expect(r.json().error.code).toBe('invalid_state');
    expect((await ws.api.patch(`/v1/segments/${id}`, { name: 'VIPs (frozen)' })).json().name).toBe('VIPs (frozen)');
  });
});

describe('uploaded and pasted lists', () => {
  let ws: Workspace;
  const known = Array.from({ length: 12_000 }, (_, i) => `k${i}`);
  beforeAll(async () => {
    ws = await newWorkspace(h);
    for (let i = 0; i < known.length; i += 10_000) {
      await ws.api.post('/v1/users', { users: known.slice(i, i + 10_000).map((externalId) => ({ externalId })) });
    }
  });

  it('a CSV upload is a static list; unknown ids are reported, not dropped', async () => {
    const csv = '\ufeffexternalId\r\nk1\r\nk2\r\nnope-1\r\n\r\nk1\r\n  k3  \r\nnope-2\r\nnope-1\r\n';
    const r = await upload(ws.api, [{ name: 'name', value: 'VIP list' }, { name: 'file', filename: 'vip.csv', content: csv }]);
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json()).toMatchObject({ name: 'VIP list', kind: 'list', refresh: 'once', status: 'ready', count: 3, matched: 3, unknown: ['nope-1', 'nope-2'], unknownCount: 3 });
    const id = r.json().id;
    expect(await membersOf(ws.api, id)).toEqual(['k1', 'k2', 'k3']);
    expect((await ws.api.post(`/v1/segments/${id}/refresh`)).statusCode).toBe(409);
    expect((await ws.api.patch(`/v1/segments/${id}`, { definition: { attr: 'x', op: 'exists' } })).statusCode).toBe(409);
    expect((await ws.api.patch(`/v1/segments/${id}`, { name: 'VIPs' })).json().name).toBe('VIPs');
    // A list is an audience like any other: it combines through references.
    const p = await ws.api.post('/v1/segments/preview', { definition: { all: [{ segment: id }, { not: { attr: 'externalId', op: 'eq', value: 'k2' } }] } });
    expect(p.json().count).toBe(2);
  });

  it('the name may follow the file; an externalId column among others; a headerless single column', async () => {
    const late = await upload(ws.api, [{ name: 'file', filename: 'a.csv', content: 'note,externalId\nfirst,k10\n"second, with comma",k11\n' }, { name: 'name', value: 'late name' }]);
    expect(late.json()).toMatchObject({ name: 'late name', matched: 2, unknownCount: 0, unknown: [] });
    const bare = await upload(ws.api, [{ name: 'name', value: 'bare' }, { name: 'file', filename: 'b.csv', content: 'k20\nk21\nghost\n' }]);
    expect(bare.json()).toMatchObject({ matched: 2, unknown: ['ghost'] });
  });

  it('streams large files in batches; reports the first 100 unknown ids and counts them all', async () => {
    const ghosts = Array.from({ length: 150 }, (_, i) => `ghost-${i}`);
    const csv = ['externalId', ...known, ...ghosts].join('\n');
    const r = await upload(ws.api, [{ name: 'name', value: 'big' }, { name: 'file', filename: 'big.csv', content: csv }]);
    expect(r.json()).toMatchObject({ count: 12_000, matched: 12_000, unknownCount: 150 });
    expect(r.json().unknown).toEqual(ghosts.slice(0, 100));
  });

  it('bad uploads are 400s naming the field, and leave nothing behind', async () => {
    const before = (await ws.api.get('/v1/segments?limit=1000')).json().items.length;
    const noName = await upload(ws.api, [{ name: 'file', filename: 'a.csv', content: 'externalId\nk1\n' }]);
    expect(noName.json().error.details[0].path).toBe('name');
    const noFile = await upload(ws.api, [{ name: 'name', value: 'x' }]);
    expect(noFile.json().error.details[0].path).toBe('file');
    const noColumn = await upload(ws.api, [{ name: 'name', value: 'x' }, { name: 'file', filename: 'a.csv', content: 'id,phone\nk1,1\n' }]);
    expect(noColumn.statusCode).toBe(400);
    expect(noColumn.json().error.details[0].path).toBe('file');
    const broken = await upload(ws.api, [{ name: 'name', value: 'x' }, { name: 'file', filename: 'a.csv', content: 'externalId\n"k1\n' }]);
    expect(broken.statusCode).toBe(400);
    const nul = await upload(ws.api, [{ name: 'name', value: 'a\u0000b' }, { name: 'file', filename: 'a.csv', content: 'externalId\nk1\n' }]);
    expect(nul.json().error.details[0].path).toBe('name');
    const extra = await upload(ws.api, [{ name: 'name', value: 'x' }, { name: 'colour', value: 'red' }]);
    expect(extra.json().error.details[0]).toEqual({ path: 'colour', message: 'Unknown field.' });
    expect((await ws.api.post('/v1/segments/upload', { name: 'x' })).statusCode).toBe(415);
    expect((await ws.api.get('/v1/segments?limit=1000')).json().items.length).toBe(before);
    // An id that cannot be a user (NUL) is simply unknown.
    const nulIds = await ws.api.post('/v1/segments/list', { name: 'nul', externalIds: ['k1', 'k\u00002'] });
    expect(nulIds.json()).toMatchObject({ matched: 1, unknownCount: 1 });
  });

  it('pasted ids make the same kind of list', async () => {
    const r = await ws.api.post('/v1/segments/list', { name: 'pasted', externalIds: ['k5', 'k6', 'k5', 'who?', ' k7 '] });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ kind: 'list', count: 3, matched: 3, unknown: ['who?'], unknownCount: 1 });
    expect(await membersOf(ws.api, r.json().id)).toEqual(['k5', 'k6', 'k7']);
    expect((await ws.api.post('/v1/segments/list', { name: 'x', externalIds: [] })).statusCode).toBe(400);
    const viewer = await ws.as('viewer');
    expect((await viewer.post('/v1/segments/list', { name: 'x', externalIds: ['k1'] })).statusCode).toBe(403);
  });
});

describe('daily refresh', () => {
  it('runs once per workspace-local day at refreshAt; after downtime, once', async () => {
    const ws = await newWorkspace(h); // Asia/Shanghai
    await ws.api.post('/v1/users', { users: [{ externalId: 'u1', attributes: { vip: true } }] });
    const id = await create(ws.api, { attr: 'vip', op: 'eq', value: true }, { refresh: 'daily', refreshAt: '03:00' });
    await h.drain();
    const reasons = async () => ((await ws.api.get(`/v1/segments/${id}/history`)).json().items as { reason: string }[]).map((x) => x.reason);
    const tick = async (at: string) => {
      h.clock.set(at);
      await refreshDueSegments(h.p);
      await h.drain();
    };
    expect(await reasons()).toEqual(['create']);
    await tick('2020-03-10T18:59:00Z'); // 02:59 on 03-11 in Shanghai
    expect(await reasons()).toEqual(['create']);
    await ws.api.post('/v1/users', { users: [{ externalId: 'u2', attributes: { vip: true } }] });
    await tick('2020-03-10T19:00:00Z'); // 03:00
    expect(await reasons()).toEqual(['daily', 'create']);
    expect((await ws.api.get(`/v1/segments/${id}`)).json()).toMatchObject({ status: 'ready', count: 2 });
    await tick('2020-03-10T23:00:00Z'); // later the same local day: nothing
    expect(await reasons()).toEqual(['daily', 'create']);
    // Down for three days: one run when it is back, then the next local 03:00.
    await tick('2020-03-14T01:00:00Z');
    expect(await reasons()).toEqual(['daily', 'daily', 'create']);
    await tick('2020-03-14T18:30:00Z');
    expect(await reasons()).toHaveLength(3);
    await tick('2020-03-14T19:00:00Z');
    expect(await reasons()).toHaveLength(4);
    // Another time of day, and back to manual: no more daily runs.
    await ws.api.patch(`/v1/segments/${id}`, { refreshAt: '08:15' });
    await tick('2020-03-15T00:14:00Z');
    expect(await reasons()).toHaveLength(4);
    await tick('2020-03-15T00:15:00Z');
    expect(await reasons()).toHaveLength(5);
    await ws.api.patch(`/v1/segments/${id}`, { refresh: 'manual' });
    await tick('2020-03-17T00:15:00Z');
    expect(await reasons()).toHaveLength(5);
    h.clock.set('2020-03-10T04:00:00Z');
  });
});

describe('export', () => {
  let ws: Workspace;
  let seg: string;
  beforeAll(async () => {
    ws = await newWorkspace(h);
    await ws.api.post('/v1/users', { users: [
      { externalId: 'e1', phone: '13812345678', email: 'li@example.com', attributes: { city: 'Guangzhou', tags: ['a', 'b'] } },
      { externalId: 'e2', email: 'Wang.Fang@Example.com', attributes: { city: '深圳, "南山"' } },
      { externalId: 'e3', phone: '13900000000' },
    ] });
    seg = await create(ws.api, { attr: 'externalId', op: 'startsWith', value: 'e' });
    await h.drain();
  });
  const csvOf = async (api: Api, query: string) => {
    const r = await api.get(`/v1/segments/${seg}/export${query}`);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
    return parse(r.body) as string[][];
  };

  it('exports chosen fields as CSV; admin and analyst see phone and email in full', async () => {
    const fields = '?fields=externalId,phone,email,attr.city,attr.tags,attr.none';
    const expected = [
      ['externalId', 'phone', 'email', 'attr.city', 'attr.tags', 'attr.none'],
      ['e1', '13812345678', 'li@example.com', 'Guangzhou', '["a","b"]', ''],
      ['e2', '', 'wang.fang@example.com', '深圳, "南山"', '', ''],
      ['e3', '13900000000', '', '', '', ''],
    ];
    expect(await csvOf(ws.api, fields)).toEqual(expected);
    expect(await csvOf(await ws.as('analyst'), fields)).toEqual(expected);
    expect(await csvOf(ws.api, '')).toEqual([['externalId'], ['e1'], ['e2'], ['e3']]);
  });

  it('masks phone and email for roles without the export right', async () => {
    for (const role of ['operator', 'viewer']) {
      expect(await csvOf(await ws.as(role), '?fields=externalId,phone,email')).toEqual([
        ['externalId', 'phone', 'email'], ['e1', '138****5678', 'l***@example.com'], ['e2', '', 'w***@example.com'], ['e3', '139****0000', ''],
      ]);
    }
    const audit = (await ws.api.get('/v1/audit-log?limit=50')).json().items.filter((x: { action: string }) => x.action === 'segment.export');
    expect(audit.length).toBeGreaterThanOrEqual(5);
  });

  it('streams every member of a large snapshot', async () => {
    const ids = Array.from({ length: 11_000 }, (_, i) => `big${i}`);
    await ws.api.post('/v1/users', { users: ids.slice(0, 10_000).map((externalId) => ({ externalId })) });
    await ws.api.post('/v1/users', { users: ids.slice(10_000).map((externalId) => ({ externalId })) });
    const big = await create(ws.api, { attr: 'externalId', op: 'startsWith', value: 'big' });
    await h.drain();
    const r = await ws.api.get(`/v1/segments/${big}/export?fields=externalId`);
    const rows = parse(r.body) as string[][];
    expect(rows.length).toBe(11_001);
    expect(new Set(rows.slice(1).map((x) => x[0]))).toEqual(new Set(ids));
  });

  it('bad fields are a 400; another workspace gets a 404; nothing computed yet is a 409', async () => {
    const bad = await ws.api.get(`/v1/segments/${seg}/export?fields=externalId,password`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].path).toBe('querystring.fields');
    const other = await newWorkspace(h);
    expect((await other.api.get(`/v1/segments/${seg}/export`)).statusCode).toBe(404);
    const fresh = await create(ws.api, { attr: 'city', op: 'exists' });
    expect((await ws.api.get(`/v1/segments/${fresh}/export`)).statusCode).toBe(409);
    await h.drain();
  });
});

describe('who may author what', () => {
  it('SQL segments: admin and analyst; other segments: admin and operator', async () => {
    const ws = await newWorkspace(h);
    const sqlDef = { sql: 'select external_id from users' };
    const attrDef = { attr: 'city', op: 'exists' };
    const analyst = await ws.as('analyst');
    const operator = await ws.as('operator');
    const viewer = await ws.as('viewer');
    expect((await analyst.post('/v1/segments', { name: 'q', definition: sqlDef })).statusCode).toBe(201);
    expect((await analyst.post('/v1/segments', { name: 'q', definition: attrDef })).statusCode).toBe(403);
    expect((await operator.post('/v1/segments', { name: 'q', definition: sqlDef })).statusCode).toBe(403);
    expect((await operator.post('/v1/segments', { name: 'q', definition: attrDef })).statusCode).toBe(201);
    expect((await viewer.post('/v1/segments', { name: 'q', definition: attrDef })).statusCode).toBe(403);
    expect((await viewer.post('/v1/segments/preview', { definition: attrDef })).statusCode).toBe(200);
    expect((await viewer.post('/v1/segments/preview', { definition: sqlDef })).statusCode).toBe(403);
    expect((await ws.api.post('/v1/segments/preview', { definition: sqlDef })).statusCode).toBe(200);
    // An SQL query is a whole definition, never a part of one.
    const nested = await ws.api.post('/v1/segments/preview', { definition: { all: [sqlDef, attrDef] } });
    expect(nested.json().error.details[0].path).toBe('definition.all[0].sql');
    await h.drain();
  });
});
