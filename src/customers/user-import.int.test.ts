import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Harness } from '../../test/support/harness.ts';
import { expectOk } from '../../test/support/fixtures.ts';

/** A multipart/form-data body with the given parts. */
function form(parts: { name: string; filename?: string; content: string | Buffer }[]) {
  const boundary = `----ml${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ''}`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${p.filename ? 'Content-Type: text/csv\r\n' : ''}\r\n`), Buffer.from(p.content), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

describe('CSV import of users', () => {
  let h: Harness;
  beforeAll(async () => { h = await createHarness(); });
  afterAll(async () => { await h.close(); });

  const upload = async (key: string, csv: string | Buffer, extra: { name: string; content: string }[] = [], field = 'file') => {
    const f = form([...extra, { name: field, filename: 'users.csv', content: csv }]);
    const r = await h.app.inject({ method: 'POST', url: '/v1/users/import', headers: { authorization: `Bearer ${key}`, 'content-type': f.contentType }, payload: f.payload });
    return { statusCode: r.statusCode, body: r.body, json: () => JSON.parse(r.body) };
  };

  it('imports good rows and reports bad ones with their line numbers', async () => {
    const ws = await newWorkspace(h);
    const csv = [
      'externalId,phone,email,city,age,vip,joined', //                           1
      'u1,13800000001,A@X.com,GZ,30,true,2026-01-01', //                         2 ok
      'u2,,,SZ,not-a-number,false,', //                                          3 age is a number (from its first value)
      ',13800000003,b@x.com,BJ,1,true,', //                                      4 no externalId
      'u4,abc,,,,,', //                                                          5 bad phone
      'u5,,,"two', 'line city",,,', //                                           6-7 ok: a quoted value over two lines
      'u6,13800000006,c@x.com,GZ,40', //                                         8 too few fields
      'u7,,bad-email,,,,', //                                                    9 bad email
      '', //                                                                     10 empty: skipped
      'u8,,,"Guang""zhou",18,TRUE,2026-02-30', //                                11 no such day
      'u9,,,GZ,22,,', //                                                         12 ok
      'u10,,,5\'3" tall,,,', //                                                  13 ok: a stray quote is a character
      'u11,,,"never closed,,,', //                                               14 the rest of the file is one open value
      'u12,,,GZ,,,', //                                                          15 (lost)
    ].join('\r\n') + '\r\n';
    const r = await upload(ws.key, csv);
    expect(r.statusCode, r.body).toBe(202);
    const { jobId, duplicate } = r.json();
    expect(duplicate).toBe(false);
    expect((await ws.api.get(`/v1/jobs/${jobId}`)).json()).toMatchObject({ id: jobId, type: 'users.import', status: 'queued', processed: 0, failed: 0, errors: [], finishedAt: null, input: { name: 'users.csv', bytes: Buffer.byteLength(csv) } });
    await h.drain();
    const job = (await ws.api.get(`/v1/jobs/${jobId}`)).json();
    expect(job).toMatchObject({ status: 'done', processed: 11, failed: 7, error: null });
    expect(job.finishedAt).toBe(h.clock.now().toISOString());
    expect(job.errors.map((e: { line: number }) => e.line)).toEqual([3, 4, 5, 8, 9, 11, 14]);
    expect(job.errors[6].message).toContain('never closed');
    expect(job.errors[0].message).toContain('age');
    expect(job.errors[1].message).toContain('externalId');
    expect(job.errors[2].message).toMatch(/^phone:/);
    expect(job.errors[3].message).toBe('5 fields; the header has 7.');
    expect(job.errors[4].message).toMatch(/^email:/);
    expect(job.errors[5].message).toContain('joined');

    expect((await ws.api.get('/v1/users/u1')).json()).toMatchObject({ phone: '13800000001', email: 'a@x.com', attributes: { city: 'GZ', age: 30, vip: true, joined: '2026-01-01' } });
    expect((await ws.api.get('/v1/users/u5')).json().attributes).toEqual({ city: 'two\nline city' }); // line breaks inside values become LF
    expect((await ws.api.get('/v1/users/u9')).json().attributes).toEqual({ city: 'GZ', age: 22 });
    expect((await ws.api.get('/v1/users/u10')).json().attributes).toEqual({ city: '5\'3" tall' });
    for (const id of ['u2', 'u4', 'u6', 'u7', 'u8', 'u11', 'u12']) expect((await ws.api.get(`/v1/users/${id}`)).statusCode, id).toBe(404);
    const types = Object.fromEntries((await ws.api.get('/v1/attributes?limit=100')).json().items.map((a: { name: string; type: string }) => [a.name, a.type]));
    expect(types).toMatchObject({ city: 'string', age: 'number', vip: 'boolean', joined: 'date' });
    // The uploaded file is dropped once the job is done.
    expect((await h.p.pool.query('select input_oid from background_jobs where id = $1', [jobId])).rows[0].input_oid).toBeNull();
  });

  it('reads attribute text by the type the attribute already has', async () => {
    const ws = await newWorkspace(h);
    await expectOk(await ws.api.put('/v1/attributes/zip', { type: 'string' }));
    await expectOk(await ws.api.put('/v1/attributes/points', { type: 'number' }));
    await expectOk(await ws.api.put('/v1/attributes/member', { type: 'boolean' }));
    const r = await upload(ws.key, '\uFEFFexternalId,zip,points,member\na,510000,12,false\nb,0755,x,true\nc,1,2,yes\n');
    await h.drain();
    const job = (await ws.api.get(`/v1/jobs/${r.json().jobId}`)).json();
    expect(job).toMatchObject({ status: 'done', processed: 3, failed: 2 });
    expect(job.errors).toEqual([
      { line: 3, message: 'points: "x" is not a number. The attribute is a number.' },
      { line: 4, message: 'member: "yes" is not true or false. The attribute is a boolean.' },
    ]);
    expect((await ws.api.get('/v1/users/a')).json().attributes).toEqual({ zip: '510000', points: 12, member: false });
  });

  it('the same file twice is the same job and imports once; another workspace gets its own', async () => {
    const ws = await newWorkspace(h);
    const other = await newWorkspace(h);
    const csv = 'externalId,city\nx1,GZ\nx2,SZ\n';
    const first = (await upload(ws.key, csv)).json();
    const again = await upload(ws.key, csv);
    expect(again.statusCode).toBe(202);
    expect(again.json()).toEqual({ jobId: first.jobId, duplicate: true });
    await h.drain();
    expect((await upload(ws.key, Buffer.from(csv))).json()).toEqual({ jobId: first.jobId, duplicate: true });
    expect((await ws.api.get(`/v1/jobs/${first.jobId}`)).json()).toMatchObject({ status: 'done', processed: 2, failed: 0 });
    const n = await h.p.pool.query('select count(*)::int as n from background_jobs where workspace_id = $1', [ws.id]);
    expect(n.rows[0].n).toBe(1);
    const theirs = (await upload(other.key, csv)).json();
    expect(theirs.duplicate).toBe(false);
    expect(theirs.jobId).not.toBe(first.jobId);
    // A job is visible only in its workspace.
    expect((await other.api.get(`/v1/jobs/${first.jobId}`)).statusCode).toBe(404);
    expect((await other.api.get(`/v1/jobs/${first.jobId}`)).json().error.code).toBe('not_found');
  });

  it('a retried job resumes after the last line it committed', async () => {
    const ws = await newWorkspace(h);
    const csv = ['externalId,n', ...Array.from({ length: 10 }, (_, i) => `r${i + 1},${i + 1}`)].join('\n');
    const { jobId } = (await upload(ws.key, csv)).json();
    // As if a first attempt had committed lines 2-6 (r1..r5) and then crashed.
    await h.p.pool.query(`update background_jobs set status = 'running', processed = 5, checkpoint_line = 6 where id = $1`, [jobId]);
    await h.drain();
    expect((await ws.api.get(`/v1/jobs/${jobId}`)).json()).toMatchObject({ status: 'done', processed: 10, failed: 0 });
    expect((await ws.api.get('/v1/users/r5')).statusCode).toBe(404);
    expect((await ws.api.get('/v1/users/r6')).json().attributes).toEqual({ n: 6 });
    expect((await ws.api.get('/v1/users/r10')).statusCode).toBe(200);
  });

  it('rejects a file it cannot import, and forms it does not take, before starting a job', async () => {
    const ws = await newWorkspace(h);
    const cases: [string | Buffer, string][] = [
      ['phone,email\n1380000,a@b.c\n', 'externalId'],
      ['', 'empty'],
      [`externalId,${'x'.repeat(1100 * 1024)}\nu1,1\n`, 'a name of 1 to 200 characters'], // only the first MiB is read for the header
      ['externalId,city,city\nx,a,b\n', 'twice'],
      ['externalId,orderCount\nx,3\n', 'computed from orders'],
      ['externalId,,city\nx,,a\n', 'no name'],
    ];
    for (const [csv, words] of cases) {
      const r = await upload(ws.key, csv);
      expect(r.statusCode, JSON.stringify(csv)).toBe(400);
      expect(r.json().error.code).toBe('validation_failed');
      expect(r.json().error.details[0].path).toBe('file');
      expect(r.json().error.details[0].message).toContain(words);
    }
    const extra = await upload(ws.key, 'externalId\nx\n', [{ name: 'mode', content: 'replace' }]);
    expect(extra.statusCode).toBe(400);
    expect(extra.json().error.details).toEqual([{ path: 'mode', message: 'Unknown field.' }]);
    const wrongPart = await upload(ws.key, 'externalId\nx\n', [], 'csv');
    expect(wrongPart.statusCode).toBe(400);
    expect(wrongPart.json().error.details.map((d: { path: string }) => d.path)).toEqual(['csv', 'file']);
    const json = await ws.api.post('/v1/users/import', { file: 'externalId\nx' });
    expect(json.statusCode).toBe(415);
    expect(json.json().error.code).toBe('unsupported_media_type');
    const n = await h.p.pool.query('select count(*)::int as n from background_jobs where workspace_id = $1', [ws.id]);
    expect(n.rows[0].n).toBe(0);
  });

  it('writers import, readers follow the job', async () => {
    const ws = await newWorkspace(h);
    const viewerKey = await ws.keyFor('viewer');
    const denied = await upload(viewerKey, 'externalId\nv1\n');
    expect(denied.statusCode).toBe(403);
    const { jobId } = (await upload(ws.key, 'externalId\nv1\n')).json();
    const viewer = await ws.as('viewer');
    expect((await viewer.get(`/v1/jobs/${jobId}`)).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: `/v1/jobs/${jobId}` })).statusCode).toBe(401);
  });
});
