import { sql, type Kysely } from 'kysely';

/**
 * The redirect's click log: one row per flush of the click queue (every ~20 ms under load),
 * holding that flush's clicks as text lines `code \t epoch-ms \t ip \t user-agent`. Writing
 * one narrow, index-free row per flush is what keeps a redirect close to a bare 302
 * (docs/benchmarks.md); a job folds the rows into `$link_clicked` events and each message's
 * first click, deleting them in the same statement (src/links/links.repo.ts foldClicks).
 * A queue table, not workspace data: it holds only codes, and is empty when folding keeps up.
 * `storage external`: no compression CPU on the hot write; rows live for seconds.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create table link_click_log (
  id bigint generated always as identity primary key,
  received_at timestamptz not null default now(),
  n int not null check (n > 0),
  clicks text not null
);
alter table link_click_log alter column clicks set storage external;
`.execute(db);
}
