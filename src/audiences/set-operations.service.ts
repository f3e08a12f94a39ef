import type { Tx } from '../platform/db.ts';
import type { Definition } from './definition.schema.ts';
import * as repo from './segments.repo.ts';
import { allOf, anyOf, bitmapFromBytes, bitmapOf, bitmapToBytes, decodeToBitmap, encodeIds, parseIdArray, type Bitmap, type Signed } from './snapshot-sets.ts';

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

/** Encodes and stores a snapshot's members (done when a snapshot is computed; lazily for older ones). */
export async function buildSnapshotSet(tx: Tx, workspaceId: string, snapshotId: string): Promise<Bitmap | null> {
  const ids = parseIdArray(await repo.snapshotIdsText(tx, workspaceId, snapshotId));
  const set = bitmapOf(ids);
  await repo.saveSnapshotSet(tx, workspaceId, snapshotId, ids.length, encodeIds(ids), set && { base: set.base, words: bitmapToBytes(set) });
  return set;
}

/** The snapshot's members as a bitmap; null when they span too wide an id range for one. */
async function membersOf(tx: Tx, workspaceId: string, snapshotId: string): Promise<Bitmap | null> {
  const hit = cache.get(snapshotId);
  if (hit) {
    cache.delete(snapshotId);
    cache.set(snapshotId, hit);
    return hit;
  }
  const stored = await repo.snapshotSet(tx, workspaceId, snapshotId);
  const set = !stored ? await buildSnapshotSet(tx, workspaceId, snapshotId)
    : stored.bitmapWords ? bitmapFromBytes(Number(stored.bitmapBase), stored.bitmapWords)
    : decodeToBitmap(stored.ids!, stored.members);
  return set && remember(snapshotId, set);
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
 * definition is not one (or its result is a complement): compile it instead.
 * `snapshotOf` gives a segment's current snapshot id here (null: unknown or not computed).
 */
export async function evaluateSetExpression(tx: Tx, workspaceId: string, def: Definition, snapshotOf: (segmentId: string) => Promise<string | null>): Promise<Bitmap | null> {
  const ids = new Set<string>();
  if (!segmentsOf(def, ids)) return null;
  const snaps = await Promise.all([...ids].map(async (seg) => [seg, await snapshotOf(seg)] as const));
  if (snaps.some(([, snap]) => !snap)) return null;
  const sets = new Map<string, Bitmap>();
  let tooWide = false;
  await Promise.all(snaps.map(async ([seg, snap]) => {
    const set = await membersOf(tx, workspaceId, snap!);
    if (set) sets.set(seg, set);
    else tooWide = true;
  }));
  if (tooWide) return null;
  const r = evaluate(def, sets);
  return r.complement ? null : r.set;
}
