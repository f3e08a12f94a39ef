import type { Platform } from '../platform/context.ts';
import { AppError } from '../platform/errors.ts';
import { hashSecret } from '../platform/ids.ts';
import * as customers from '../customers/customers.service.ts';
import { ingestEventsBody, MAX_BATCH, upsertUsersBody, type EventInput } from '../customers/customers.schema.ts';
import * as segments from '../audiences/segments.service.ts';
import type { Definition } from '../audiences/definition.schema.ts';
import * as templates from '../templates/templates.service.ts';
import * as campaigns from '../campaigns/campaigns.service.ts';
import type { Principal } from '../workspaces/roles.ts';
import * as workspaces from '../workspaces/workspaces.service.ts';
import { DAY, demoPassword, demoUser, TIMEZONE, type DemoUser } from './demo-data.ts';

export const DEMO_EMAIL = 'admin@demo.local';
const SEED_ACTION = 'demo.seed';
/** Two ingest calls in flight: one fills PostgreSQL while the next is validated (2 cores). */
const INGEST_CONCURRENCY = 2;

export interface SeedDemoOptions {
  seed: number;
  users: number;
  /** Base slug (default `demo`); tests pass their own so runs never meet. */
  slug?: string;
}

export interface SeedDemoResult {
  slug: string;
  users: number;
  events: number;
  orders: number;
  apiKey: string;
  email: string;
  password: string;
}

interface Claimed {
  slug: string;
  apiKey: string;
  who: Principal;
  /** "Now" of the seeded history: the first run's clock, reused by re-runs so they reproduce it exactly. */
  anchor: Date;
}

/**
 * Seeds a demo shop: a workspace with its admin key and console login, `users` customers with
 * 90 days of browsing, carts and paid orders, a few segments, an SMS template and a draft
 * campaign — everything through the domain services, events through the same ingest path
 * (and the same validation) as `POST /v1/events`.
 *
 * Which workspace (the rule):
 *  1. `demo` if it does not exist yet, else `demo` again if it was seeded with this same seed
 *     (the audit log's `demo.seed` entry records seed and anchor);
 *  2. otherwise `demo-<seed>`, by the same test (created, or re-used when seeded with this seed);
 *  3. otherwise (both slugs taken by something else) it stops with `already_exists`.
 * A re-run with the same seed therefore lands in the same workspace with the same anchor time:
 * users upsert to the same values and events/orders deduplicate by messageId/orderId, so it
 * completes an interrupted run or grows the user count, and never duplicates. Each run issues
 * a fresh admin key (keys are shown once, so an earlier one cannot be printed again).
 */
export async function seedDemo(p: Platform, o: SeedDemoOptions): Promise<SeedDemoResult> {
  if (!Number.isSafeInteger(o.seed)) throw new AppError('validation_failed', '--seed must be an integer.', [{ path: 'seed', message: `Got ${o.seed}.` }]);
  if (!Number.isInteger(o.users) || o.users < 1 || o.users > 1_000_000) {
    throw new AppError('validation_failed', '--users must be an integer from 1 to 1,000,000.', [{ path: 'users', message: `Got ${o.users}.` }]);
  }
  const ws = await claimWorkspace(p, o.slug ?? 'demo', o.seed, o.users);
  const anchor = ws.anchor.getTime();
  const password = demoPassword(o.seed);
  await workspaces.createConsoleUser(p, ws.who.workspaceId, DEMO_EMAIL, password, 'admin').catch((err: unknown) => {
    // Re-run: the login exists already, with this same seed-derived password.
    if (!(err instanceof AppError && err.code === 'already_exists')) throw err;
  });

  const people: DemoUser[] = Array.from({ length: o.users }, (_, i) => demoUser(o.seed, i, anchor));
  for (let i = 0; i < people.length; i += MAX_BATCH) {
    const body = upsertUsersBody.parse({ users: people.slice(i, i + MAX_BATCH).map((u) => u.user) });
    await customers.upsertUsers(p, ws.who, body.users);
  }

  // Each batch holds whole user histories (≤ 10,000 events): concurrent batches then touch
  // disjoint users, and a buyer's orders arrive in time order, so first-order flags are exact.
  const batches: EventInput[][] = [];
  let current: EventInput[] = [];
  for (const u of people) {
    if (current.length + u.events.length > MAX_BATCH && current.length > 0) {
      batches.push(current);
      current = [];
    }
    current.push(...u.events);
  }
  if (current.length > 0) batches.push(current);
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      await customers.ingestEvents(p, ws.who, ingestEventsBody.parse({ events: batch }).events);
    }
  };
  await Promise.all(Array.from({ length: INGEST_CONCURRENCY }, worker));
  // Fresh planner statistics after a bulk load (PostgreSQL's own advice for bulk loads): while
  // the statistics do not cover this workspace, the planner answers "2+ orders" by scanning
  // the workspace's order_paid events once per user, and the first segment below takes ~20 s
  // instead of ~50 ms (docs/benchmarks.md, "segment computation right after a bulk load").
  await p.pool.query('analyze users, events, orders');

  await seedWorkspaceObjects(p, ws.who, anchor);
  return {
    slug: ws.slug,
    users: people.length,
    events: people.reduce((n, u) => n + u.events.length, 0),
    orders: people.reduce((n, u) => n + u.orders, 0),
    apiKey: ws.apiKey,
    email: DEMO_EMAIL,
    password,
  };
}

async function claimWorkspace(p: Platform, base: string, seed: number, users: number): Promise<Claimed> {
  const slugs = [base, `${base}-${seed}`];
  for (const slug of slugs) {
    try {
      const created = await workspaces.createWorkspace(p, { name: `Demo shop (seed ${seed})`, slug, timezone: TIMEZONE, currency: 'CNY' });
      const who = await principalOf(p, created.apiKey);
      const anchor = p.clock.now();
      // Recorded before any data goes in, so an interrupted run resumes with the same anchor.
      await workspaces.audit(p.db, who, SEED_ACTION, 'workspace', created.id, { seed, users, anchor: anchor.toISOString() }, anchor);
      return { slug, apiKey: created.apiKey, who, anchor };
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'already_exists')) throw err;
    }
    const key = await workspaces.createKeyBySlug(p, slug, 'seed-demo', 'admin');
    const who = await principalOf(p, key.apiKey);
    const anchor = await seededAnchor(p, who, seed);
    if (anchor) {
      await workspaces.audit(p.db, who, SEED_ACTION, 'workspace', who.workspaceId, { seed, users, anchor: anchor.toISOString(), rerun: true }, p.clock.now());
      return { slug, apiKey: key.apiKey, who, anchor };
    }
    await workspaces.revokeKey(p, who, key.id); // not ours: leave no extra key behind
  }
  throw new AppError('already_exists', `Workspaces "${slugs[0]}" and "${slugs[1]}" exist and were not seeded with seed ${seed}; pick another --seed.`);
}

async function principalOf(p: Platform, apiKey: string): Promise<Principal> {
  const who = await workspaces.principalForKey(p, hashSecret(apiKey));
  if (!who) throw new Error('the key just issued does not resolve');
  return who;
}

/** The anchor of an earlier seeding with this seed, from the audit log (oldest entry wins). */
async function seededAnchor(p: Platform, who: Principal, seed: number): Promise<Date | null> {
  let cursor: string | undefined;
  let found: Date | null = null;
  for (let page = 0; page < 200; page++) {
    const r = await workspaces.listAudit(p, who, 1000, cursor);
    for (const e of r.items) {
      const d = e.details as { seed?: unknown; anchor?: unknown } | null;
      if (e.action === SEED_ACTION && d?.seed === seed && typeof d.anchor === 'string') found = new Date(d.anchor);
    }
    if (!r.nextCursor) break;
    cursor = r.nextCursor;
  }
  return found;
}

const lapsedName = 'Lapsed buyers (paid before, not in 30 days)';
const demoSegments: { name: string; refresh: 'daily' | 'manual'; definition: Definition }[] = [
  { name: 'Repeat buyers (2+ orders in 90 days)', refresh: 'daily', definition: { event: 'order_paid', window: { lastDays: 90 }, count: { op: 'gte', value: 2 } } },
  { name: lapsedName, refresh: 'daily', definition: { all: [{ event: 'order_paid' }, { event: 'order_paid', window: { lastDays: 30 }, count: { op: 'eq', value: 0 } }] } },
  { name: 'Cart abandoners (7 days)', refresh: 'daily', definition: { all: [{ event: 'add_to_cart', window: { lastDays: 7 } }, { event: 'order_paid', window: { lastDays: 7 }, count: { op: 'eq', value: 0 } }] } },
  { name: 'New users without an order (14 days)', refresh: 'daily', definition: { all: [{ attr: 'createdAt', op: 'withinLastDays', value: 14 }, { event: 'order_paid', count: { op: 'eq', value: 0 } }] } },
  { name: 'Big-ticket buyers (an order of ¥500+)', refresh: 'daily', definition: { event: 'order_paid', where: [{ prop: 'amount', op: 'gte', value: 50_000 }] } },
  { name: 'Shanghai & Hangzhou women 25–35', refresh: 'manual', definition: { all: [{ attr: 'city', op: 'in', value: ['Shanghai', 'Hangzhou'] }, { attr: 'gender', op: 'eq', value: 'female' }, { attr: 'age', op: 'between', value: [25, 35] }] } },
];
const templateName = 'Win-back: ¥30 off ¥199 (SMS)';
const campaignName = 'Win back lapsed buyers';

/** Segments (computed now, so they show counts at once), an SMS template and a draft campaign; skipped when present. */
async function seedWorkspaceObjects(p: Platform, who: Principal, anchor: number): Promise<void> {
  const ws = who.workspaceId;
  const haveSegments = new Map((await segments.listSegments(p, ws, 1000)).items.map((s) => [s.name, s.id]));
  for (const s of demoSegments) {
    if (haveSegments.has(s.name)) continue;
    const created = await segments.createSegment(p, who, s);
    const t0 = performance.now();
    await segments.computeSnapshot(p, ws, created.id, 'create');
    p.log.debug({ segment: s.name, ms: Math.round(performance.now() - t0) }, 'demo segment computed');
    haveSegments.set(s.name, created.id);
  }
  const haveTemplates = new Map((await templates.listTemplates(p, ws, 1000)).items.map((t) => [t.name, t.id]));
  let templateId = haveTemplates.get(templateName);
  if (!templateId) {
    templateId = (await templates.createTemplate(p, who, {
      name: templateName, channel: 'sms',
      content: { signature: '好物商城', body: '{{ user.name | default: "亲" }}，好久不见！送您一张满199减30券，7天内有效：{{ "https://shop.example.com/activity/comeback" | track }} 回T退订' },
    })).id;
  }
  if ((await campaigns.listCampaigns(p, ws, 1000)).items.some((c) => c.name === campaignName)) return;
  // Starts tomorrow 10:00 Shanghai time, runs two weeks; left as a draft for the operator to review.
  const tomorrow = Math.floor((anchor + 8 * 3_600_000) / DAY) * DAY - 8 * 3_600_000 + DAY;
  const campaign = await campaigns.createCampaign(p, who, {
    name: campaignName, goal: 'repurchase', startAt: new Date(tomorrow + 10 * 3_600_000).toISOString(), endAt: new Date(tomorrow + 15 * DAY).toISOString(),
    budget: { amount: 500_000 }, conversion: { event: 'order_paid', windowDays: 7 },
  });
  await campaigns.createTask(p, who, campaign.id, {
    name: 'SMS coupon reminder', channel: 'sms', templateId, audience: { segmentId: haveSegments.get(lapsedName)! }, schedule: { type: 'now' },
    frequency: { maxPerUser: 1, perDays: 7 },
  });
}
