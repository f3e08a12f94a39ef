import type { Kysely } from 'kysely';

/** Template versions and review, push tokens, trigger tasks, provider retries (owned by that domain; filled in as it lands). */
export async function up(_db: Kysely<unknown>): Promise<void> {}
