import { sql } from 'kysely';
import type { Tx } from '../platform/db.ts';
import type { TimeCursor } from '../platform/cursor.ts';

export const codeOfUser = (tx: Tx, workspaceId: string, userId: string) =>
  tx.selectFrom('referralCodes').select('code').where('workspaceId', '=', workspaceId).where('userId', '=', userId).executeTakeFirst();

/** Inserts the user's code unless one exists; returns the stored one either way. */
export async function ensureCode(tx: Tx, workspaceId: string, userId: string, code: string, now: Date): Promise<string | undefined> {
  await tx.insertInto('referralCodes').values({ workspaceId, userId, code, createdAt: now }).onConflict((oc) => oc.columns(['workspaceId', 'userId']).doNothing()).execute();
  return (await codeOfUser(tx, workspaceId, userId))?.code;
}

export const userOfCode = (tx: Tx, workspaceId: string, code: string) =>
  tx.selectFrom('referralCodes').select('userId').where('workspaceId', '=', workspaceId).where('code', '=', code).executeTakeFirst();

export const hasCodes = async (tx: Tx, workspaceId: string): Promise<boolean> =>
  !!(await tx.selectFrom('referralCodes').select('userId').where('workspaceId', '=', workspaceId).limit(1).executeTakeFirst());

/** Binds of one workspace run one at a time, so two binds cannot close a cycle between them. */
export const lockWorkspaceBinds = (tx: Tx, workspaceId: string) => sql`select pg_advisory_xact_lock(hashtext(${`referrals:${workspaceId}`}))`.execute(tx);

export const linkOf = (tx: Tx, workspaceId: string, inviteeId: string) =>
  tx.selectFrom('referralLinks').selectAll().where('workspaceId', '=', workspaceId).where('inviteeId', '=', inviteeId).executeTakeFirst();

export const insertLink = (tx: Tx, workspaceId: string, l: { inviteeId: string; inviterId: string; code: string; programId: string | null; now: Date }) =>
  tx.insertInto('referralLinks').values({ workspaceId, inviteeId: l.inviteeId, inviterId: l.inviterId, code: l.code, programId: l.programId, createdAt: l.now }).execute();

/** Is `candidate` the user itself or one of its inviters, up the tree? */
export async function isAncestorOrSelf(tx: Tx, workspaceId: string, userId: string, candidate: string): Promise<boolean> {
  if (userId === candidate) return true;
  const r = await sql<{ found: boolean }>`
    with recursive up(id, hops) as (
      select inviter_id, 1 from referral_links where workspace_id = ${workspaceId} and invitee_id = ${userId}
      union all
      select l.inviter_id, up.hops + 1 from referral_links l join up on l.workspace_id = ${workspaceId} and l.invitee_id = up.id where up.hops < 10000
    )
    select exists (select 1 from up where id = ${candidate}) as found`.execute(tx);
  return r.rows[0]?.found ?? false;
}

export interface DownlineRow { inviteeId: string; inviterId: string; level: number; programId: string | null; createdAt: Date; externalId: string; inviterExternalId: string }
export async function downline(tx: Tx, workspaceId: string, rootId: string, depth: number, limit: number): Promise<DownlineRow[]> {
  const r = await sql<DownlineRow>`
    with recursive d(invitee_id, inviter_id, level, program_id, created_at) as (
      select invitee_id, inviter_id, 1, program_id, created_at from referral_links where workspace_id = ${workspaceId} and inviter_id = ${rootId}
      union all
      select l.invitee_id, l.inviter_id, d.level + 1, l.program_id, l.created_at
      from referral_links l join d on l.workspace_id = ${workspaceId} and l.inviter_id = d.invitee_id where d.level < ${depth}
    )
    select d.invitee_id::text, d.inviter_id::text, d.level, d.program_id, d.created_at, u.external_id, iu.external_id as inviter_external_id
    from d join users u on u.workspace_id = ${workspaceId} and u.id = d.invitee_id
           join users iu on iu.workspace_id = ${workspaceId} and iu.id = d.inviter_id
    order by d.level, d.created_at, d.invitee_id
    limit ${limit}`.execute(tx);
  return r.rows;
}

export async function topInviters(tx: Tx, workspaceId: string, campaignId: string | undefined, limit: number) {
  const r = await sql<{ externalId: string; invitees: string; converted: string }>`
    select u.external_id, count(*) as invitees, count(rw.invitee_id) as converted
    from referral_links l
    join users u on u.workspace_id = l.workspace_id and u.id = l.inviter_id
    left join referral_rewards rw on rw.workspace_id = l.workspace_id and rw.invitee_id = l.invitee_id
    where l.workspace_id = ${workspaceId}
      ${campaignId ? sql`and l.program_id in (select id from referral_programs where workspace_id = ${workspaceId} and campaign_id = ${campaignId})` : sql``}
    group by u.external_id
    order by count(*) desc, count(rw.invitee_id) desc, u.external_id
    limit ${limit}`.execute(tx);
  return r.rows.map((x) => ({ externalId: x.externalId, invitees: Number(x.invitees), converted: Number(x.converted) }));
}

// ---- programs ----

export const insertProgram = (tx: Tx, workspaceId: string, p: { id: string; name: string; campaignId: string | null; reward: unknown; createdBy: string; now: Date }) =>
  tx.insertInto('referralPrograms').values({ workspaceId, id: p.id, name: p.name, campaignId: p.campaignId, reward: JSON.stringify(p.reward), createdBy: p.createdBy, createdAt: p.now })
    .returningAll().executeTakeFirstOrThrow();

export const programById = (tx: Tx, workspaceId: string, id: string) =>
  tx.selectFrom('referralPrograms').selectAll().where('workspaceId', '=', workspaceId).where('id', '=', id).executeTakeFirst();

export const newestActiveProgram = (tx: Tx, workspaceId: string) =>
  tx.selectFrom('referralPrograms').selectAll().where('workspaceId', '=', workspaceId).where('active', '=', true).orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();

export const listPrograms = (tx: Tx, workspaceId: string, limit: number, before?: TimeCursor) =>
  tx.selectFrom('referralPrograms').selectAll().where('workspaceId', '=', workspaceId)
    .$if(!!before, (q) => q.where((eb) => eb.or([eb('createdAt', '<', before!.createdAt), eb.and([eb('createdAt', '=', before!.createdAt), eb('id', '<', before!.id)])])))
    .orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();

export const updateProgram = (tx: Tx, workspaceId: string, id: string, set: { name?: string; active?: boolean }) =>
  tx.updateTable('referralPrograms').set(set).where('workspaceId', '=', workspaceId).where('id', '=', id).returningAll().executeTakeFirst();

// ---- rewards ----

/** One reward per invitee, ever: false when one exists. */
export async function insertReward(tx: Tx, workspaceId: string, r: { inviteeId: string; inviterId: string; programId: string; orderRef: string; now: Date }): Promise<boolean> {
  const row = await tx.insertInto('referralRewards').values({ workspaceId, inviteeId: r.inviteeId, inviterId: r.inviterId, programId: r.programId, orderRef: r.orderRef, status: 'pending', createdAt: r.now })
    .onConflict((oc) => oc.columns(['workspaceId', 'inviteeId']).doNothing()).returning('inviteeId').executeTakeFirst();
  return !!row;
}

export const lockReward = (tx: Tx, workspaceId: string, inviteeId: string) =>
  tx.selectFrom('referralRewards').selectAll().where('workspaceId', '=', workspaceId).where('inviteeId', '=', inviteeId).forUpdate().executeTakeFirst();

export const rewardOf = (tx: Tx, workspaceId: string, inviteeId: string) =>
  tx.selectFrom('referralRewards').selectAll().where('workspaceId', '=', workspaceId).where('inviteeId', '=', inviteeId).executeTakeFirst();

export const markReward = (tx: Tx, workspaceId: string, inviteeId: string, set: { status: string; couponCode?: string | null; points?: number | null; error?: string | null; deliveredAt?: Date | null }) =>
  tx.updateTable('referralRewards').set(set).where('workspaceId', '=', workspaceId).where('inviteeId', '=', inviteeId).where('status', '=', 'pending').execute();

export const directInvitees = async (tx: Tx, workspaceId: string, inviterId: string): Promise<number> =>
  Number((await tx.selectFrom('referralLinks').select((eb) => eb.fn.countAll<string>().as('n')).where('workspaceId', '=', workspaceId).where('inviterId', '=', inviterId).executeTakeFirstOrThrow()).n);
