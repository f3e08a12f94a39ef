import type { Int8 } from '../db-schema.ts';

/** Kysely view of the audiences tables of migration 0010-audiences-scale. Merged into Database in ../db-schema.ts. */
export interface SegmentSnapshotSetsTable {
  snapshotId: Int8;
  workspaceId: string;
  /** Number of user ids encoded in `ids`. */
  members: number;
  /** Sorted user ids, delta-encoded as unsigned LEB128 varints (src/audiences/snapshot-sets.ts). */
  ids: Buffer;
  /** The members as a bitmap (snapshot-sets.ts wordsToBytes); null when too wide or stored before 0013. */
  bitmapBase: Int8 | null;
  bitmapWords: Buffer | null;
}
export interface AudiencesTables {
  segmentSnapshotSets: SegmentSnapshotSetsTable;
}
