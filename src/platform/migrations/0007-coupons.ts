import type { Kysely } from 'kysely';

/** Coupon templates, coupons, budgets and their ledgers, alerts, kill switches (owned by that domain; filled in as it lands). */
export async function up(_db: Kysely<unknown>): Promise<void> {}
