import type { Kysely } from 'kysely';

/** H5 reward pages: signed user tokens, page events, public rate limits (owned by that domain; filled in as it lands). */
export async function up(_db: Kysely<unknown>): Promise<void> {}
