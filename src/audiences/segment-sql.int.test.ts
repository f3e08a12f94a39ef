import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, newWorkspace, type Harness } from '../../test/support/harness.ts';
import { setUpSegmentSqlSandbox } from '../platform/migrations/0003-audiences.ts';

/**
 * SQL segments run as marketloop_segment_sql: read-only, under a timeout, seeing only their own
 * workspace's users, events and orders. These tests try to get out.
 */
type Workspace = Awaited<ReturnType<typeof newWorkspace>>;
let h: Harness;
let a: Workspace;
let b: Workspace;
const preview = (ws: Workspace, sql: string, extra: Record<string, unknown> = {}) => ws.api.post('/v1/segments/preview', { definition: { sql, ...extra } });

/** Rows of the two workspaces (other test files write to the same database meanwhile). */
async function tableCounts() {
  const ws = [a.id, b.id];
  const r = await h.p.pool.query(`select (select count(*) from users where workspace_id = any($1))::int as users,
    (select count(*) from events where workspace_id = any($1))::int as events, (select count(*) from orders where workspace_id = any($1))::int as orders,
    (select count(*) from segments where workspace_id = any($1))::int as segments, (select count(*) from segment_sql_context)::int as ctx`, [ws]);
  return r.rows[0];
}

beforeAll(async () => {
  h = await createHarness();
  a = await newWorkspace(h);
  b = await newWorkspace(h);
  await a.api.post('/v1/users', { users: [{ externalId: 'a1', phone: '13800000001' }, { externalId: 'a2' }, { externalId: 'shared' }] });
  await b.api.post('/v1/users', { users: [{ externalId: 'b1', phone: '13800000009' }, { externalId: 'shared' }] });
  await a.api.post('/v1/events', { events: [{ externalId: 'a1', name: 'order_paid', properties: { orderId: 'o1', amount: 100 } }] });
  await b.api.post('/v1/events', { events: [{ externalId: 'b1', name: 'order_paid', properties: { orderId: 'o1', amount: 100 } }] });
});
afterAll(async () => { await h.close(); });

describe('SQL segments', () => {
  it('compute a snapshot from the first column (externalIds) of the query', async () => {
    const r = await a.api.post('/v1/segments', { name: 'buyers', definition: { sql: 'SELECT u.external_id FROM users u JOIN orders o ON o.user_id = u.id;' } });
    expect(r.statusCode).toBe(201);
    expect(r.json().kind).toBe('sql');
    await h.drain();
    expect((await a.api.get(`/v1/segments/${r.json().id}`)).json()).toMatchObject({ status: 'ready', count: 1 });
    expect((await a.api.get(`/v1/segments/${r.json().id}/members`)).json().items).toEqual(['a1']);
    const p = await preview(a, 'select external_id, 42 as extra from users order by 1');
    expect(p.json()).toEqual({ count: 3, sample: ['a1', 'a2', 'shared'] });
  });

  it("cannot read another workspace's rows", async () => {
    const attempts = [
      'select external_id from users',
      `select external_id from users where workspace_id = '${b.id}'`,
      `select u.external_id from users u join events e on e.user_id = u.id where e.workspace_id = '${b.id}'`,
    ];
    for (const sql of attempts) {
      const r = await preview(a, sql);
      expect(r.statusCode, sql).toBe(200);
      // 'shared' exists in both workspaces: a member must be A's user, which the id check below proves.
      expect(r.json().sample.filter((x: string) => x.startsWith('b')), sql).toEqual([]);
    }
    // B sees its own rows only.
    expect((await preview(b, 'select external_id from users')).json().sample.sort()).toEqual(['b1', 'shared']);
    const phones = await preview(a, "select external_id from users where phone = '13800000009'");
    expect(phones.json().count).toBe(0);
  });

  it('row-level security needs the transaction\'s context row, not just the setting', async () => {
    // As if set_config() were callable: the setting alone, pointing at B, shows nothing.
    const client = await h.p.pool.connect();
    try {
      await client.query('begin');
      await client.query("select set_config('marketloop.workspace_id', $1, true)", [b.id]);
      await client.query('set local role marketloop_segment_sql');
      expect((await client.query('select count(*)::int as n from users')).rows[0].n).toBe(0);
      expect((await client.query('select count(*)::int as n from events')).rows[0].n).toBe(0);
    } finally {
      await client.query('rollback');
      client.release();
    }
  });

  it('cannot read tables beyond users, events and orders', async () => {
    for (const table of ['segments', 'api_keys', 'workspaces', 'segment_members', 'segment_sql_context', 'audit_log']) {
      const r = await preview(a, `select '1' from ${table}`);
      expect(r.statusCode, table).toBe(400);
      expect(r.json().error.code).toBe('segment_sql_invalid');
      expect(r.json().error.details[0]).toEqual({ path: 'definition.sql', message: `permission denied for table ${table}` });
    }
  });

  it('cannot change its role, session or settings', async () => {
    for (const sql of [
      "select external_id from users where set_config('role', 'postgres', true) is not null",
      "select external_id from users where set_config('session_authorization', 'postgres', true) is not null",
      "select external_id from users where set_config('statement_timeout', '0', true) is not null",
      `select external_id from users, (select set_config('marketloop.workspace_id', '${b.id}', true)) s`,
      `select external_id from (select set_config('marketloop.workspace_id', '${b.id}', false)) s, users`,
      "select external_id from users where query_to_xml('set role postgres', true, true, '') is not null",
      "select external_id from users where query_to_xml('reset role', true, true, '') is not null",
      "select external_id from users where query_to_xml('update pg_settings set setting = ''postgres'' where name = ''role'' returning name', true, true, '') is not null",
    ]) {
      const r = await preview(a, sql);
      expect(r.statusCode, sql).toBe(400);
      expect(r.json().error.code, sql).toBe('segment_sql_invalid');
    }
    // Nothing that escaped could then read B's phone into an error message.
    const leak = await preview(a, `select external_id from users where set_config('role', 'postgres', true) is not null
      and (select phone::int from users where workspace_id = '${b.id}' limit 1) > 0`);
    expect(JSON.stringify(leak.json())).not.toContain('13800000009');
  });

  it('cannot write: statements, writes hidden in functions, locks, sequences, large objects', async () => {
    const before = await tableCounts();
    const attempts = [
      'DELETE FROM users RETURNING external_id',
      "INSERT INTO users (workspace_id, external_id, created_at, updated_at) VALUES ('x', 'y', now(), now()) RETURNING external_id",
      "UPDATE users SET phone = '1' RETURNING external_id",
      'DROP TABLE users',
      'select external_id from users; delete from users',
      "select external_id from users where query_to_xml('delete from events', true, true, '') is not null",
      "select external_id from users where query_to_xml('create table pwned (x int)', true, true, '') is not null",
      'select external_id from users for update',
      "select external_id from users where nextval('users_id_seq') > 0",
      'with d as (delete from users returning external_id) select external_id from d',
    ];
    for (const sql of attempts) {
      const r = await preview(a, sql);
      expect(r.statusCode, sql).toBe(400);
      expect(r.json().error.code, sql).toBe('segment_sql_invalid');
      const message: string = r.json().error.details[0].message;
      // The database's own sentence, without our wrapper query, context or internals.
      expect(message, sql).not.toMatch(/x\(c\)|segment_sql_context|workspace_id = \$1|CONTEXT|SQL statement/);
      expect(message.split('\n')).toHaveLength(1);
    }
    expect(await tableCounts()).toEqual(before);
    const exists = await h.p.pool.query("select to_regclass('pwned') as t");
    expect(exists.rows[0].t).toBeNull();
    // Large objects: PostgreSQL 17 refuses lo_create in a read-only transaction, 15 allows it
    // there; either way the sandbox's transaction is rolled back, so nothing may persist.
    const lo = await preview(a, 'select lo_create(424242)::text');
    expect([200, 400], lo.body).toContain(lo.statusCode);
    const created = await h.p.pool.query('select 1 from pg_largeobject_metadata where oid = 424242');
    expect(created.rowCount).toBe(0);
  });

  it('errors point into the query the analyst wrote', async () => {
    const r = await preview(a, 'select external_id frm users');
    expect(r.json().error.details[0].message).toBe('syntax error at or near "users" (at character 24 of the query)');
  });

  it('cannot run longer than its timeout', async () => {
    const r = await preview(a, 'select external_id from users where pg_sleep(10) is not null', { timeoutSeconds: 1 });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatchObject({ code: 'segment_sql_timeout', details: [{ path: 'definition.sql', message: 'The query ran longer than 1 s and was stopped.' }] });
    // Saved: validation (LIMIT 0) passes, the computation stops at the timeout and says why.
    const saved = await a.api.post('/v1/segments', { name: 'slow', definition: { sql: 'select external_id from users where pg_sleep(10) is not null', timeoutSeconds: 1 } });
    expect(saved.statusCode).toBe(201);
    await h.drain();
    expect((await a.api.get(`/v1/segments/${saved.json().id}`)).json()).toMatchObject({ status: 'failed', error: 'The query ran longer than 1 s and was stopped.' });
  });

  it('setting the sandbox up again (the role exists: another database, a re-run) changes nothing', async () => {
    const schema = (await h.p.pool.query('select current_schema() as s')).rows[0].s as string;
    await setUpSegmentSqlSandbox(h.p.db as never, schema);
    await setUpSegmentSqlSandbox(h.p.db as never, schema);
    expect((await preview(a, 'select external_id from users')).json().count).toBe(3);
    expect((await preview(a, "select external_id from users where set_config('role', 'postgres', true) is not null")).statusCode).toBe(400);
  });

  /**
   * A schema of its own with the three tables the sandbox guards, so the locks these tests
   * hold never stand in the way of other test files, which share the database's own tables.
   */
  async function scratchSchema() {
    const x = `sandbox_${Math.random().toString(36).slice(2, 10)}`;
    await h.p.pool.query(`create schema ${x};
      create table ${x}.users (workspace_id text); create table ${x}.events (workspace_id text); create table ${x}.orders (workspace_id text);
      create function ${x}.ml_segment_sql_workspace() returns text language sql as 'select null::text'`);
    return { name: x, drop: () => h.p.pool.query(`drop schema ${x} cascade`) };
  }
  /** Runs `fn` in a transaction of its own connection that first takes `locks` (a writer holding tables). */
  async function writer(locks: string[]) {
    const c = await h.p.pool.connect();
    await c.query('begin');
    // Its own deadlock check waits 10 s, so the setup's (1 s, the default) is the one that finds a cycle.
    await c.query("set local deadlock_timeout = '10s'");
    for (const l of locks) await c.query(l);
    return { c, pid: (c as unknown as { processID: number }).processID };
  }
  /** Waits until a backend other than `pid` waits for a lock on a table of `schema`; false when `until` settles first. */
  async function waitsForLock(schema: string, pid: number, until: Promise<unknown>): Promise<boolean> {
    let settled = false;
    void until.then(() => { settled = true; }, () => { settled = true; });
    while (!settled) {
      const r = await h.p.pool.query(`select 1 from pg_locks l join pg_class c on c.oid = l.relation
        where c.relnamespace = $1::regnamespace and not l.granted and l.pid <> $2`, [schema, pid]);
      if (r.rowCount) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  }

  it('a setup that a writer holding the tables in the other order makes a deadlock victim runs again', async () => {
    const x = await scratchSchema();
    const w = await writer([`lock table ${x.name}.events in row exclusive mode`]);
    try {
      const setup = setUpSegmentSqlSandbox(h.p.db as never, x.name);
      // The setup holds users (row-level security) and waits for events…
      expect(await waitsForLock(x.name, w.pid, setup)).toBe(true);
      // …and the writer now waits for users: the cycle. Granted once the setup's attempt is rolled back.
      await w.c.query(`lock table ${x.name}.users in access share mode`);
      await w.c.query('commit');
      await setup; // its next attempt ran alone
      const rls = await h.p.pool.query(`select c.relname, c.relrowsecurity, (select count(*) from pg_policy p where p.polrelid = c.oid)::int as policies
        from pg_class c where c.relnamespace = $1::regnamespace and c.relkind = 'r' order by c.relname`, [x.name]);
      expect(rls.rows).toEqual(['events', 'orders', 'users'].map((relname) => ({ relname, relrowsecurity: true, policies: 1 })));
    } finally {
      w.c.release();
      await x.drop();
    }
  });

  it('setting the sandbox up again takes no lock on the tables: a writer holding them does not stop it', async () => {
    const x = await scratchSchema();
    try {
      await setUpSegmentSqlSandbox(h.p.db as never, x.name);
      const w = await writer(['users', 'events', 'orders'].map((t) => `lock table ${x.name}.${t} in row exclusive mode`));
      try {
        const rerun = setUpSegmentSqlSandbox(h.p.db as never, x.name);
        const blocked = await waitsForLock(x.name, w.pid, rerun);
        await w.c.query('commit');
        await rerun;
        expect(blocked).toBe(false);
      } finally {
        w.c.release();
      }
    } finally {
      await x.drop();
    }
  });

  it('a bad query is rejected when saving; the app connection is unaffected afterwards', async () => {
    const r = await a.api.post('/v1/segments', { name: 'bad', definition: { sql: 'select nope from users' } });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.details[0]).toEqual({ path: 'definition.sql', message: 'column "nope" does not exist (at character 8 of the query)' });
    // The pool serves the app as before: its role and settings were never touched.
    const who = await h.p.pool.query("select current_user as u, current_setting('marketloop.workspace_id', true) as ws");
    expect(who.rows[0].u).not.toBe('marketloop_segment_sql');
    expect(who.rows[0].ws ?? '').toBe('');
  });
});
