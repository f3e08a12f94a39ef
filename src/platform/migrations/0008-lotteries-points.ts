import type { Kysely } from 'kysely';

/** Lotteries, prizes, chances, draws; points; referrals (owned by that domain; filled in as it lands). */
export async function up(_db: Kysely<unknown>): Promise<void> {}
