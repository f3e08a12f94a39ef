/** Kysely view of the reach tables (see the matching migration). Merged into Database in ../db-schema.ts. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ReachTables {}
