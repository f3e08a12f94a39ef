import type { Tx } from '../platform/db.ts';
import type { Definition } from './definition.schema.ts';
import * as repo from './segments.repo.ts';
import { allOf, anyOf, decodeIds, encodeIds, parseIdArray, type IdSet, type Signed } from './snapshot-sets.ts';

/**
 * Union, intersection and difference of saved segments in memory. A definition made only of
 * `all` / `any` / `not` over `{"segment": id}` of computed segments is answered from the
 * snapshots' stored id sets (segment_snapshot_sets): two reads of ~1 MB and a merge, instead of
 * joining the members of both snapshots with every user. Anything else, or a result that is a
 * complement ("everyone not in A"), goes through the compiled SQL as before.
 *
 * Snapshots never change, so a decoded set is cached in the process by snapshot id (bounded).
 */
const CACHE_MAX_IDS = 8_000_000; // ~64 MB of Float64Array
const cache = new Map<string, IdSet>();
let cachedIds = 0;

function remember(snapshotId: string, set: IdSet): IdSet {
  if (set.length > CACHE_MAX_IDS) return set;
  cache.set(snapshotId, set);
  cachedIds += set.length;
  // Least recently used first (Map keeps insertion order; hits are re-inserted).
  for (const [k, v] of cache) {
    if (cachedIds <= CACHE_MAX_IDS) break;
    cache.delete(k);
    cachedIds -= v.length;
  }
  return set;
}

/** Encodes and stores a snapshot's members (done when a snapshot is computed; lazily for older ones). */
export async function buildSnapshotSet(tx: Tx, workspaceId: string, snapshotId: string): Promise<IdSet> {
  const ids = parseIdArray(await repo.snapshotIdsText(tx, workspaceId, snapshotId));
  await repo.saveSnapshotSet(tx, workspaceId, snapshotId, ids.length, encodeIds(ids));
  return ids;
}

async function membersOf(tx: Tx, workspaceId: string, snapshotId: string): Promise<IdSet> {
  const hit = cache.get(snapshotId);
  if (hit) {
    cache.delete(snapshotId);
    cache.set(snapshotId, hit);
    return hit;
  }
  const stored = await repo.snapshotSet(tx, workspaceId, snapshotId);
  const set = stored ? decodeIds(stored.ids, stored.members) : await buildSnapshotSet(tx, workspaceId, snapshotId);
  return remember(snapshotId, set);
}

/** The snapshot ids a pure set expression reads, or null when the definition is something else. */
async function snapshotsOf(def: Definition, snapshotOf: (segmentId: string) => Promise<string | null>, out: Map<string, string>): Promise<boolean> {
  if ('all' in def || 'any' in def) {
    for (const d of 'all' in def ? def.all : def.any) if (!(await snapshotsOf(d, snapshotOf, out))) return false;
    return true;
  }
  if ('not' in def) return snapshotsOf(def.not, snapshotOf, out);
  if ('segment' in def && Object.keys(def).length === 1) {
    const snap = await snapshotOf(def.segment);
    if (!snap) return false;
    out.set(def.segment, snap);
    return true;
  }
  return false;
}

function evaluate(def: Definition, sets: Map<string, IdSet>): Signed {
  if ('all' in def) return allOf(def.all.map((d) => evaluate(d, sets)));
  if ('any' in def) return anyOf(def.any.map((d) => evaluate(d, sets)));
  if ('not' in def) {
    const r = evaluate(def.not, sets);
    return { set: r.set, complement: !r.complement };
  }
  return { set: sets.get((def as { segment: string }).segment)!, complement: false };
}

/**
 * The members of a pure set expression over computed segments, ascending user ids; null when
 * the definition is not one (or its result is a complement): compile it instead.
 * `snapshotOf` gives a segment's current snapshot id here (null: unknown or not computed).
 */
export async function evaluateSetExpression(tx: Tx, workspaceId: string, def: Definition, snapshotOf: (segmentId: string) => Promise<string | null>): Promise<IdSet | null> {
  const snaps = new Map<string, string>();
  if (!(await snapshotsOf(def, snapshotOf, snaps))) return null;
  const sets = new Map<string, IdSet>();
  await Promise.all([...snaps].map(async ([seg, snap]) => sets.set(seg, await membersOf(tx, workspaceId, snap))));
  const r = evaluate(def, sets);
  return r.complement ? null : r.set;
}
