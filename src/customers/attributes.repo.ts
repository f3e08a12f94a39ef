import { sql } from 'kysely';
import type { Tx } from '../platform/db.ts';
import type { ValueType } from './attribute-types.ts';

/** SQL for the types of attributes and event properties. */

/**
 * Records inferred types for names not typed yet; a name that already has a type keeps it
 * (the first value ingested decides, a declaration overrides). Names are sorted by the caller
 * so concurrent batches insert in the same order and cannot deadlock.
 */
export async function insertAttributeTypes(tx: Tx, workspaceId: string, types: [string, ValueType][], now: Date): Promise<void> {
  if (types.length === 0) return;
  await sql`
    insert into attribute_types (workspace_id, name, type, source, created_at, updated_at)
    select ${workspaceId}, name, type, 'inferred', ${now}::timestamptz, ${now}::timestamptz
    from unnest(${types.map((t) => t[0])}::text[], ${types.map((t) => t[1])}::text[]) as t(name, type)
    on conflict (workspace_id, name) do nothing`.execute(tx);
}

export async function upsertDeclaredType(tx: Tx, workspaceId: string, name: string, type: ValueType, now: Date) {
  return tx.insertInto('attributeTypes')
    .values({ workspaceId, name, type, source: 'declared', createdAt: now, updatedAt: now })
    .onConflict((oc) => oc.columns(['workspaceId', 'name']).doUpdateSet({ type, source: 'declared', updatedAt: now }))
    .returningAll().executeTakeFirstOrThrow();
}

export const attributeTypes = (tx: Tx, workspaceId: string) =>
  tx.selectFrom('attributeTypes').select(['name', 'type']).where('workspaceId', '=', workspaceId).execute();

/** One page of typed attributes in name order. */
export const listAttributeTypes = (tx: Tx, workspaceId: string, limit: number, afterName?: string) =>
  tx.selectFrom('attributeTypes').selectAll().where('workspaceId', '=', workspaceId)
    .$if(afterName !== undefined, (qb) => qb.where('name', '>', afterName!))
    .orderBy('name').limit(limit).execute();

export async function insertEventPropertyTypes(tx: Tx, workspaceId: string, types: [string, string, ValueType][], now: Date): Promise<void> {
  if (types.length === 0) return;
  await sql`
    insert into event_property_types (workspace_id, event_name, property, type, created_at)
    select ${workspaceId}, e, p, t, ${now}::timestamptz
    from unnest(${types.map((t) => t[0])}::text[], ${types.map((t) => t[1])}::text[], ${types.map((t) => t[2])}::text[]) as x(e, p, t)
    on conflict (workspace_id, event_name, property) do nothing`.execute(tx);
}

export const eventPropertyTypes = (tx: Tx, workspaceId: string, eventName: string) =>
  tx.selectFrom('eventPropertyTypes').select(['property', 'type']).where('workspaceId', '=', workspaceId).where('eventName', '=', eventName).execute();

export const allEventPropertyTypes = (tx: Tx, workspaceId: string) =>
  tx.selectFrom('eventPropertyTypes').select(['eventName', 'property', 'type']).where('workspaceId', '=', workspaceId)
    .orderBy('eventName').orderBy('property').execute();
