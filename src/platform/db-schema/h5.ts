import type { ColumnType } from 'kysely';
import type { Int8, Int8Id, Ts } from '../db-schema.ts';

/** Kysely view of the h5 tables (migration 0011-h5). Merged into Database in ../db-schema.ts. */
export interface H5LinksTable {
  code: string;
  workspaceId: string;
  tokenId: string;
  userId: Int8;
  externalId: string;
  pageKind: string;
  pageId: string;
  campaignId: string | null;
  token: string;
  expiresAt: Ts;
  createdBy: string;
  createdAt: Ts;
}
export interface H5ActionsTable {
  id: Int8Id;
  workspaceId: string;
  tokenId: string;
  requestId: string;
  userId: Int8;
  pageKind: string;
  pageId: string;
  campaignId: string | null;
  action: string;
  result: ColumnType<unknown, string, string>;
  createdAt: Ts;
}
export interface H5SettingsTable {
  workspaceId: string;
  perIpPerMinute: number;
  perDevicePerMinute: number;
  updatedBy: string;
  updatedAt: Ts;
}
export interface H5Tables {
  h5Links: H5LinksTable;
  h5Actions: H5ActionsTable;
  h5Settings: H5SettingsTable;
}
