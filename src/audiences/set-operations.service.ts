import type { Tx } from '../platform/db.ts';
import type { Definition } from './definition.schema.ts';
import * as repo from './segments.repo.ts';
import { allOf, anyOf, bitmapFromBytes, bitmapOf, bitmapToBytes, decodeToBitmap, encodeIds, parseIdArray, type Bitmap, type IdSet, type Signed } from './snapshot-sets.ts';

/**
 * Union, intersection and difference of saved segments in memory. A definition made only of
 * `all` / `any` / `not` over `{"segment": id}` of computed segments is answered from the
 * snapshots' stored bitmaps (segment_snapshot_sets; the varint id lists for snapshots too wide
 * for a bitmap or stored before migration 0013): two reads of ~125 KB for a million-user
 * workspace, combined word by word, instead of
 * joining the members of both snapshots with every user. Anything else, or a result that is a
 * complement ("everyone not in A"), goes through the compiled SQL as before.
 *
 * Snapshots never change, so a decoded set is cached in the process by snapshot id (bounded).
 */
const CACHE_MAX_WORDS = 16 * 1024 * 1024; // 64 MB of bitmap words
const cache = new Map<string, Bitmap>();
let cachedWords = 0;

function remember(snapshotId: string, set: Bitmap): Bitmap {
  if (set.words.length > CACHE_MAX_WORDS) return set;
  cache.set(snapshotId, set);
  cachedWords += set.words.length;
  // Least recently used first (Map keeps insertion order; hits are re-inserted).
  for (const [k, v] of cache) {
    if (cachedWords <= CACHE_MAX_WORDS) break;
    cache.delete(k);
    cachedWords -= v.words.length;
  }
  return set;
}

/** Forgets the decoded sets (benchmarks measure a first call from the stored sets). */
export function clearSetCache(): void {
  cache.clear();
  cachedWords = 0;
}

/**
 * Encodes and stores a snapshot's members (done when a snapshot is computed; lazily for older
 * ones): `ids` ascending when the caller has them, else read from segment_members.
 */
export async function buildSnapshotSet(tx: Tx, workspaceId: string, snapshotId: string, known?: IdSet): Promise<Bitmap | null> {
  const ids = known ?? parseIdArray(await repo.snapshotIdsText(tx, workspaceId, snapshotId));
  const set = bitmapOf(ids);
  await repo.saveSnapshotSet(tx, workspaceId, snapshotId, ids.length, encodeIds(ids), set && { base: set.base, words: bitmapToBytes(set) });
  return set;
}

/**
 * The snapshots' members as bitmaps (null for one spanning too wide an id range). The ones not
 * cached are read in ONE query: reads run side by side would each take a connection of the
 * pool, and a cold call then waited for new connections (a backend started, authenticated and
 * its catalog caches filled: a first union after a pause took 24–100 ms, docs/benchmarks.md).
 */
async function membersOf(tx: Tx, workspaceId: string, snapshotIds: string[]): Promise<Map<string, Bitmap | null>> {
  const out = new Map<string, Bitmap | null>();
  for (const id of snapshotIds) {
    const hit = cache.get(id);
    if (!hit) continue;
    cache.delete(id);
    cache.set(id, hit);
    out.set(id, hit);
  }
  const missing = snapshotIds.filter((id) => !out.has(id));
  if (missing.length === 0) return out;
  const stored = await repo.snapshotSets(tx, workspaceId, missing);
  for (const id of missing) {
    const s = stored.get(id);
    const set = !s ? await buildSnapshotSet(tx, workspaceId, id)
      : s.bitmapWords ? bitmapFromBytes(Number(s.bitmapBase), s.bitmapWords)
      : decodeToBitmap(s.ids!, s.members);
    out.set(id, set && remember(id, set));
  }
  return out;
}

/** The segment ids of a pure set expression (all / any / not over {"segment"}), or null when it is something else. */
function segmentsOf(def: Definition, out: Set<string>): boolean {
  if ('all' in def) return def.all.every((d) => segmentsOf(d, out));
  if ('any' in def) return def.any.every((d) => segmentsOf(d, out));
  if ('not' in def) return segmentsOf(def.not, out);
  if ('segment' in def && Object.keys(def).length === 1) {
    out.add(def.segment);
    return true;
  }
  return false;
}

function evaluate(def: Definition, sets: Map<string, Bitmap>): Signed {
  if ('all' in def) return allOf(def.all.map((d) => evaluate(d, sets)));
  if ('any' in def) return anyOf(def.any.map((d) => evaluate(d, sets)));
  if ('not' in def) {
    const r = evaluate(def.not, sets);
    return { set: r.set, complement: !r.complement };
  }
  return { set: sets.get((def as { segment: string }).segment)!, complement: false };
}

/**
 * The members of a pure set expression over computed segments, as a bitmap; null when the
 * definition is not one (a segment unknown or not computed, a set too wide, or a result that
 * is a complement): compile it instead. Two queries at most, one after the other.
 */
export async function evaluateSetExpression(tx: Tx, workspaceId: string, def: Definition): Promise<Bitmap | null> {
  const segments = new Set<string>();
  if (!segmentsOf(def, segments)) return null;
  const snapshots = await repo.currentSnapshotIds(tx, workspaceId, [...segments]);
  if (snapshots.size < segments.size) return null;
  const bitmaps = await membersOf(tx, workspaceId, [...new Set(snapshots.values())]);
  const sets = new Map<string, Bitmap>();
  for (const [segment, snapshot] of snapshots) {
    const set = bitmaps.get(snapshot);
    if (!set) return null;
    sets.set(segment, set);
  }
  const r = evaluate(def, sets);
  return r.complement ? null : r.set;
}
