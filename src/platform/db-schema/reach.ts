import type { ColumnType } from 'kysely';
import type { Int8, Ts } from '../db-schema.ts';

/** Kysely view of the reach tables of migration 0009-reach-more. Merged into Database in ../db-schema.ts. */
export interface TemplateVersionsTable {
  workspaceId: string;
  templateId: string;
  version: number;
  name: string;
  content: ColumnType<unknown, string, string>;
  status: string;
  reviewNote: string | null;
  submittedBy: string | null;
  reviewedBy: string | null;
  createdBy: string;
  createdAt: Ts;
  reviewedAt: Ts | null;
}
export interface ReachTables {
  templateVersions: TemplateVersionsTable;
}

/** Columns 0009 adds to tables declared in ../db-schema.ts (module augmentation keeps that shared file untouched). */
declare module '../db-schema.ts' {
  interface TemplatesTable {
    status: ColumnType<string, string | undefined, string>;
    approvedVersion: number | null;
    reviewNote: string | null;
    submittedBy: string | null;
  }
  interface TasksTable {
    /** [{templateId, version}] — a list, not a map: CamelCasePlugin would rewrite ids used as keys. */
    templateVersions: ColumnType<{ templateId: string; version: number }[] | null, string | null | undefined, string | null>;
  }
  interface MessagesTable {
    attempts: ColumnType<number, number | undefined, number>;
    nextAttemptAt: Ts | null;
    couponCode: string | null;
    triggerEventId: ColumnType<string, Int8 | undefined, Int8>;
  }
}
