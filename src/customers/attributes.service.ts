import type { Platform } from '../platform/context.ts';
import type { Tx } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import type { Principal } from '../workspaces/roles.ts';
import * as workspaces from '../workspaces/workspaces.service.ts';
import { builtInAttributeTypes, inferType, type ValueType } from './attribute-types.ts';
import * as repo from './attributes.repo.ts';
import { KnownNames } from './known-names.ts';
import type { AttributeView } from './attributes.schema.ts';
import { TtlCache } from '../platform/ttl-cache.ts';

/**
 * Types of attributes and event properties: inferred from the first value ingested, changed by
 * declaration. Ingest stays one statement per batch at most: types are inferred in JS and only
 * names this process has not seen typed are sent to the database.
 */
const knownAttributes = new KnownNames();
const knownProperties = new KnownNames();

/**
 * The types as the segment compiler reads them on every evaluation (a trigger asks "is this
 * user in the segment?" per event): kept per process for TYPES_CACHE_MS. A type declared or
 * first inferred through this process is seen by its next evaluation; through another process,
 * within TYPES_CACHE_MS.
 */
const TYPES_CACHE_MS = 5_000;
const attributeTypesCache = new TtlCache<Map<string, ValueType>>(TYPES_CACHE_MS);
const propertyTypesCache = new TtlCache<Map<string, ValueType>>(TYPES_CACHE_MS);
const propertyTypesKey = (workspaceId: string, event: string) => `${workspaceId}\u0000${event}`;

/** Work to do once the caller's transaction has committed. */
export interface AfterCommit {
  afterCommit(): void;
}

/**
 * Stores a type for every attribute name in `docs` that has none yet, inside the caller's
 * transaction. Call `afterCommit()` once it committed, so this process stops asking about them.
 */
export async function recordAttributeTypes(tx: Tx, workspaceId: string, docs: Iterable<Record<string, unknown>>, now: Date): Promise<AfterCommit> {
  const inferred = new Map<string, ValueType>();
  for (const doc of docs) {
    for (const [name, value] of Object.entries(doc)) {
      if (inferred.has(name) || builtInAttributeTypes.has(name)) continue;
      const type = inferType(value);
      if (type) inferred.set(name, type);
    }
  }
  const todo = knownAttributes.unknown(workspaceId, inferred.keys()).sort();
  await repo.insertAttributeTypes(tx, workspaceId, todo.map((n) => [n, inferred.get(n)!]), now);
  return {
    afterCommit: () => {
      knownAttributes.add(workspaceId, todo);
      if (todo.length > 0) attributeTypesCache.delete(workspaceId);
    },
  };
}

const propKey = (event: string, prop: string): string => `${event}\u0000${prop}`;

// Property names are free-form JSON keys; one that text or a btree key cannot hold (a NUL, a
// very long name) is stored with its event but not typed.
const typeableName = (name: string): boolean => name.length > 0 && name.length <= 200 && !name.includes('\u0000');

/** Like recordAttributeTypes, for the properties of each event name in the batch. */
export async function recordEventPropertyTypes(tx: Tx, workspaceId: string, events: Iterable<{ name: string; properties: Record<string, unknown> }>, now: Date): Promise<AfterCommit> {
  const { todo, inferred } = pendingPropertyTypes(workspaceId, events);
  await repo.insertEventPropertyTypes(tx, workspaceId, todo.map((k) => inferred.get(k)!), now);
  return {
    afterCommit: () => {
      knownProperties.add(workspaceId, todo);
      for (const event of new Set(todo.map((k) => inferred.get(k)![0]))) propertyTypesCache.delete(propertyTypesKey(workspaceId, event));
    },
  };
}

/** True when every typeable property of the batch has a type this process knows is stored. */
export const eventPropertyTypesKnown = (workspaceId: string, events: Iterable<{ name: string; properties: Record<string, unknown> }>): boolean =>
  pendingPropertyTypes(workspaceId, events).todo.length === 0;

function pendingPropertyTypes(workspaceId: string, events: Iterable<{ name: string; properties: Record<string, unknown> }>) {
  const inferred = new Map<string, [string, string, ValueType]>();
  for (const e of events) {
    for (const [prop, value] of Object.entries(e.properties)) {
      if (!typeableName(prop)) continue;
      const key = propKey(e.name, prop);
      if (inferred.has(key)) continue;
      const type = inferType(value);
      if (type) inferred.set(key, [e.name, prop, type]);
    }
  }
  return { todo: knownProperties.unknown(workspaceId, inferred.keys()).sort(), inferred };
}

/** Every typed attribute of the workspace, built-in ones (createdAt, phone, orderCount, …) included. */
export async function attributeTypes(tx: Tx, workspaceId: string): Promise<Map<string, ValueType>> {
  const out = new Map<string, ValueType>(builtInAttributeTypes);
  for (const r of await repo.attributeTypes(tx, workspaceId)) if (!out.has(r.name)) out.set(r.name, r.type as ValueType);
  return out;
}

/** attributeTypes from the per-process cache (TYPES_CACHE_MS), read through the pool. */
export const cachedAttributeTypes = (p: Platform, workspaceId: string): Promise<Map<string, ValueType>> =>
  attributeTypesCache.get(workspaceId, () => attributeTypes(p.db, workspaceId));

/** eventPropertyTypes from the per-process cache (TYPES_CACHE_MS), read through the pool. */
export const cachedEventPropertyTypes = (p: Platform, workspaceId: string, eventName: string): Promise<Map<string, ValueType>> =>
  propertyTypesCache.get(propertyTypesKey(workspaceId, eventName), () => eventPropertyTypes(p.db, workspaceId, eventName));

/** Property types of one event name, as inferred from ingested events. */
export async function eventPropertyTypes(tx: Tx, workspaceId: string, eventName: string): Promise<Map<string, ValueType>> {
  return new Map((await repo.eventPropertyTypes(tx, workspaceId, eventName)).map((r) => [r.property, r.type as ValueType]));
}

/** Property types of every event name (for the catalog). */
export async function allEventPropertyTypes(tx: Tx, workspaceId: string): Promise<Map<string, Map<string, ValueType>>> {
  const out = new Map<string, Map<string, ValueType>>();
  for (const r of await repo.allEventPropertyTypes(tx, workspaceId)) {
    let props = out.get(r.eventName);
    if (!props) out.set(r.eventName, (props = new Map()));
    props.set(r.property, r.type as ValueType);
  }
  return out;
}

/** Attributes in name order, built-in ones merged in; the cursor is the last name of the page. */
export async function listAttributes(p: Platform, workspaceId: string, limit: number, cursor?: string): Promise<{ items: AttributeView[]; nextCursor: string | null }> {
  const stored = await repo.listAttributeTypes(p.db, workspaceId, limit + 1, cursor);
  const builtIns: AttributeView[] = [...builtInAttributeTypes].filter(([n]) => cursor === undefined || n > cursor).map(([name, type]) => ({ name, type, source: 'builtIn' }));
  const all = [...builtIns, ...stored.map((r): AttributeView => ({ name: r.name, type: r.type as ValueType, source: r.source as AttributeView['source'] }))]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const items = all.slice(0, limit);
  return { items, nextCursor: all.length > limit ? items[items.length - 1]!.name : null };
}

/**
 * Declares or changes an attribute's type. Stored values are not rewritten; conditions and
 * CSV imports read them by the new type from now on. Throws `invalid_state` for a built-in attribute.
 */
export async function setAttributeType(p: Platform, who: Principal, name: string, type: ValueType): Promise<AttributeView> {
  const fixed = builtInAttributeTypes.get(name);
  if (fixed) throw new AppError('invalid_state', `${name} is a built-in attribute; its type (${fixed}) cannot be changed.`, [{ path: 'name', message: 'A built-in attribute.' }]);
  const row = await p.db.transaction().execute(async (tx) => {
    const now = p.clock.now();
    await workspaces.audit(tx, who, 'attribute.set_type', 'attribute', name, { type }, now);
    return repo.upsertDeclaredType(tx, who.workspaceId, name, type, now);
  });
  knownAttributes.add(who.workspaceId, [name]);
  attributeTypesCache.delete(who.workspaceId);
  return { name: row.name, type: row.type as ValueType, source: 'declared' };
}
