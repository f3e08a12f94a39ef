import type { Kysely } from 'kysely';

/** Audience scale work: lookalike features, indexes for set-based aggregates (owned by that domain; filled in as it lands). */
export async function up(_db: Kysely<unknown>): Promise<void> {}
