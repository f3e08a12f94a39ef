import { customAlphabet } from 'nanoid';
import type { Platform } from '../platform/context.ts';
import type { Tx } from '../platform/db.ts';
import { AppError, notFound } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { decodeCursor, page } from '../platform/cursor.ts';
import type { Principal } from '../workspaces/roles.ts';
import * as customers from '../customers/customers.service.ts';
import * as workspaces from '../workspaces/workspaces.service.ts';
import * as points from '../points/points.service.ts';
import { invalidateEventHooks } from '../customers/event-hooks.ts';
import * as peers from '../lotteries/reward-peers.ts';
import { PERMANENT } from '../lotteries/prize-delivery.ts';
import * as repo from './referrals.repo.ts';
import { rewardSchema, type ProgramView } from './referrals.schema.ts';

/**
 * Referrals: a code per user (stable: asked twice, the same code), a link per invitee (one
 * inviter, never oneself, never a cycle: the tree A → B → C stays a tree), and one reward per
 * invitee for the inviter when the invitee pays a first order (referral_rewards is keyed by
 * the invitee, so it is granted once whatever replays). Programs say what the reward is and
 * may belong to a campaign (the KOL ranking per campaign counts the invitations made under it).
 */
export const REWARD_JOB = 'referrals.reward';
// Unambiguous characters (no 0/O, 1/I/L): codes are typed by people.
const newCode = customAlphabet('ABCDEFGHJKMNPQRSTUVWXYZ23456789', 8);

type ProgramRow = NonNullable<Awaited<ReturnType<typeof repo.programById>>>;
const programView = (r: ProgramRow): ProgramView => ({ id: r.id, name: r.name, campaignId: r.campaignId, reward: rewardSchema.parse(r.reward), active: r.active, createdAt: r.createdAt.toISOString() });

export async function createProgram(p: Platform, who: Principal, input: { name: string; campaignId?: string; reward: unknown }): Promise<ProgramView> {
  const now = p.clock.now();
  return p.db.transaction().execute(async (tx) => {
    const row = await repo.insertProgram(tx, who.workspaceId, { id: newId('rfp'), name: input.name, campaignId: input.campaignId ?? null, reward: input.reward, createdBy: who.actor, now });
    await workspaces.audit(tx, who, 'referral_program.create', 'referral_program', row.id, input, now);
    return programView(row);
  });
}

/** Referral programs, newest first. */
export async function listPrograms(p: Platform, workspaceId: string, limit: number, cursor?: string) {
  return page(await repo.listPrograms(p.db, workspaceId, limit, decodeCursor(cursor)), limit, programView);
}

/** Throws `not_found`. */
export async function patchProgram(p: Platform, who: Principal, id: string, patch: { name?: string; active?: boolean }): Promise<ProgramView> {
  return p.db.transaction().execute(async (tx) => {
    const row = await repo.updateProgram(tx, who.workspaceId, id, patch);
    if (!row) throw notFound('Referral program');
    await workspaces.audit(tx, who, 'referral_program.update', 'referral_program', id, patch, p.clock.now());
    return programView(row);
  });
}

/** The user's referral code, created on first ask. Throws `not_found` (user). */
export async function codeFor(p: Platform, workspaceId: string, externalId: string): Promise<{ externalId: string; code: string }> {
  const userId = await customers.internalId(p.db, workspaceId, externalId);
  const existing = await repo.codeOfUser(p.db, workspaceId, userId);
  if (existing) return { externalId, code: existing.code };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const code = await p.db.transaction().execute((tx) => repo.ensureCode(tx, workspaceId, userId, newCode(), p.clock.now()));
      invalidateEventHooks(workspaceId);
      return { externalId, code: code! };
    } catch (err) {
      // A code collision (31^8 codes): draw another.
      if ((err as { code?: string }).code !== '23505') throw err;
    }
  }
  throw new AppError('internal_error', 'Could not allocate a referral code.');
}

/**
 * Links an invitee to the owner of `code`, in the caller's transaction. Idempotent for the same
 * inviter. Throws `not_found` (code, program), `invalid_state` (self-invite, a cycle, an
 * inactive program), `already_exists` (the invitee has another inviter).
 */
export async function bindIn(tx: Tx, workspaceId: string, inviteeId: string, code: string, programId: string | undefined, now: Date) {
  const owner = await repo.userOfCode(tx, workspaceId, code);
  if (!owner) throw new AppError('not_found', 'No user has this referral code.', [{ path: 'code', message: 'Unknown code.' }]);
  const inviterId = String(owner.userId);
  if (inviterId === inviteeId) throw new AppError('invalid_state', 'A user cannot invite themself.', [{ path: 'code', message: 'This is the user\'s own code.' }]);
  await repo.lockWorkspaceBinds(tx, workspaceId);
  const existing = await repo.linkOf(tx, workspaceId, inviteeId);
  if (existing) {
    if (String(existing.inviterId) === inviterId) return { inviterId, programId: existing.programId, repeated: true };
    throw new AppError('already_exists', 'This user was already invited by someone else.');
  }
  if (await repo.isAncestorOrSelf(tx, workspaceId, inviterId, inviteeId)) {
    throw new AppError('invalid_state', 'This invitation would close a cycle: the inviter was invited (directly or not) by this user.', [{ path: 'code', message: 'Cycle.' }]);
  }
  let program: ProgramRow | undefined;
  if (programId) {
    program = await repo.programById(tx, workspaceId, programId);
    if (!program) throw notFound('Referral program');
    if (!program.active) throw new AppError('invalid_state', 'This referral program is not active.');
  } else {
    program = await repo.newestActiveProgram(tx, workspaceId);
  }
  await repo.insertLink(tx, workspaceId, { inviteeId, inviterId, code, programId: program?.id ?? null, now });
  return { inviterId, programId: program?.id ?? null, repeated: false };
}

/** POST /v1/referrals/bind. Throws what bindIn throws, and `not_found` (user). */
export async function bind(p: Platform, who: Principal, input: { externalId: string; code: string; programId?: string }) {
  const now = p.clock.now();
  return p.db.transaction().execute(async (tx) => {
    const inviteeId = await customers.internalId(tx, who.workspaceId, input.externalId);
    const r = await bindIn(tx, who.workspaceId, inviteeId, input.code, input.programId, now);
    const inviter = (await customers.profilesByIds(tx, who.workspaceId, [r.inviterId])).get(r.inviterId)!;
    return { externalId: input.externalId, inviter: inviter.externalId, programId: r.programId, repeated: r.repeated };
  });
}

/** The users a user invited, and theirs, down to `depth` levels (at most 1,000 rows). Throws `not_found`. */
export async function downline(p: Platform, workspaceId: string, externalId: string, depth: number) {
  const userId = await customers.internalId(p.db, workspaceId, externalId);
  const LIMIT = 1000;
  const rows = await repo.downline(p.db, workspaceId, userId, depth, LIMIT + 1);
  const items = rows.slice(0, LIMIT).map((r) => ({ externalId: r.externalId, level: r.level, invitedBy: r.inviterExternalId, programId: r.programId, createdAt: new Date(r.createdAt).toISOString() }));
  return { externalId, depth, count: items.length, truncated: rows.length > LIMIT, items };
}

/** The top inviters (KOLs): direct invitees, and how many of them paid a first order. */
export async function top(p: Platform, workspaceId: string, campaignId: string | undefined, limit: number) {
  return { items: await repo.topInviters(p.db, workspaceId, campaignId, limit) };
}

/**
 * An invitee paid an order (event hook): when it is their first paid order and they have an
 * inviter under a program, the reward row is written — once per invitee, ever — with its
 * delivery job in the same transaction.
 */
export async function onOrderPaid(p: Platform, workspaceId: string, e: { id: string; userId: string; ts: Date; properties: Record<string, unknown> }): Promise<void> {
  const link = await repo.linkOf(p.db, workspaceId, e.userId);
  if (!link?.programId) return;
  const profile = (await customers.profilesByIds(p.db, workspaceId, [e.userId])).get(e.userId);
  // A first order: none paid before this one (orders before the invitation make it not a first order at all).
  if (profile?.firstOrderAt && profile.firstOrderAt.getTime() < new Date(e.ts).getTime()) return;
  const orderRef = typeof e.properties.orderId === 'string' ? e.properties.orderId : `event:${e.id}`;
  await p.db.transaction().execute(async (tx) => {
    if (!(await repo.insertReward(tx, workspaceId, { inviteeId: e.userId, inviterId: String(link.inviterId), programId: link.programId!, orderRef, now: p.clock.now() }))) return;
    await p.jobs.enqueue(tx, REWARD_JOB, { workspaceId, inviteeId: e.userId }, { jobKey: `referral-reward:${workspaceId}:${e.userId}`, maxAttempts: 25 });
  });
}

/**
 * Delivers an inviter's reward, exactly once: points credited with refId `referral:<invitee>`
 * in the same transaction as the status; a coupon through grantCoupon (source 'api',
 * sourceRef `referral:<invitee>`, idempotent). A refusal that retrying cannot change ends as
 * `failed` with an alert; other failures throw so the job retries with backoff.
 */
export async function deliverReward(p: Platform, workspaceId: string, inviteeId: string): Promise<void> {
  const reward = await repo.rewardOf(p.db, workspaceId, inviteeId);
  if (!reward || reward.status !== 'pending') return;
  const program = await repo.programById(p.db, workspaceId, reward.programId);
  const what = program ? rewardSchema.parse(program.reward) : null;
  const now = p.clock.now();
  try {
    if (!what) throw new AppError('not_found', 'The referral program is gone.');
    if ('points' in what) {
      await p.db.transaction().execute(async (tx) => {
        const locked = await repo.lockReward(tx, workspaceId, inviteeId);
        if (locked?.status !== 'pending') return;
        await points.creditIn(tx, workspaceId, { userId: String(reward.inviterId), amount: what.points, reason: 'referral reward', refId: `referral:${inviteeId}`, now });
        await repo.markReward(tx, workspaceId, inviteeId, { status: 'delivered', points: what.points, deliveredAt: now });
      });
      return;
    }
    const c = await peers.grantCoupon(p, { workspaceId, templateId: what.couponTemplateId, userId: String(reward.inviterId), source: 'api', sourceRef: `referral:${inviteeId}` });
    await repo.markReward(p.db, workspaceId, inviteeId, { status: 'delivered', couponCode: c.code, deliveredAt: now });
  } catch (err) {
    if (err instanceof AppError && PERMANENT.has(err.code)) {
      await repo.markReward(p.db, workspaceId, inviteeId, { status: 'failed', error: `${err.code}: ${err.message}` });
      await peers.raiseAlert(p, {
        workspaceId, kind: 'referral_reward_failed', severity: 'warning', subject: { type: 'referral', id: reward.programId },
        message: `The referral reward for invitee ${inviteeId} could not be granted: ${err.code}.`, data: { inviteeId, code: err.code },
      });
      return;
    }
    throw err;
  }
}

/** A `register` event with `referralCode` binds like POST /v1/referrals/bind; a bad code is logged, not retried. */
export async function onRegister(p: Platform, workspaceId: string, e: { id: string; userId: string; properties: Record<string, unknown> }): Promise<void> {
  const code = e.properties.referralCode;
  if (typeof code !== 'string' || code.length === 0 || code.length > 40) return;
  const programId = typeof e.properties.referralProgramId === 'string' ? e.properties.referralProgramId : undefined;
  try {
    await p.db.transaction().execute((tx) => bindIn(tx, workspaceId, e.userId, code, programId, p.clock.now()));
  } catch (err) {
    if (err instanceof AppError) return p.log.info({ workspaceId, eventId: e.id, code: err.code }, 'register event: referral not bound');
    throw err;
  }
}

export const hasReferralCodes = (p: Platform, workspaceId: string): Promise<boolean> => repo.hasCodes(p.db, workspaceId);

/** One user's referral state: code, inviter, direct invitees, and the reward their first order earned their inviter. Throws `not_found`. */
export async function summary(p: Platform, workspaceId: string, externalId: string) {
  const userId = await customers.internalId(p.db, workspaceId, externalId);
  const [code, link, invitees, reward] = await Promise.all([
    repo.codeOfUser(p.db, workspaceId, userId), repo.linkOf(p.db, workspaceId, userId), repo.directInvitees(p.db, workspaceId, userId), repo.rewardOf(p.db, workspaceId, userId),
  ]);
  const inviter = link ? (await customers.profilesByIds(p.db, workspaceId, [String(link.inviterId)])).get(String(link.inviterId)) : undefined;
  return {
    externalId, code: code?.code ?? null, inviter: inviter?.externalId ?? null, programId: link?.programId ?? null, invitees,
    inviterReward: reward ? { status: reward.status, orderRef: reward.orderRef, couponCode: reward.couponCode, points: reward.points === null ? null : Number(reward.points), error: reward.error } : null,
  };
}
