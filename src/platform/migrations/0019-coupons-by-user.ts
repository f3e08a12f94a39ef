import { sql, type Kysely } from 'kysely';

/**
 * A user's coupons (the H5 "my coupons" list, `GET` of a user's coupons: coupons.repo.ts
 * couponsOfUser, `where workspace_id and user_id order by granted_at desc limit n`) had no index
 * that led with the user: `coupons_user` was (workspace_id, template_id, user_id), so PostgreSQL
 * walked the whole index skipping templates, then sorted — 26 ms and 3,457 pages for one user's
 * ten coupons in a table of 2,000,000, growing with the table.
 *
 * `coupons_by_user` (workspace_id, user_id, granted_at) answers that list as a backward range
 * scan in order (0.1 ms there), and still serves a (user, template) lookup. What the old index
 * served by template — a template's count and its per-user counts for reconciliation — reads the
 * unique (workspace_id, template_id, source, source_ref) index's template range instead. One index
 * for another, so a grant writes no more than before.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index coupons_by_user on coupons (workspace_id, user_id, granted_at)`.execute(db);
  await sql`drop index coupons_user`.execute(db);
}
