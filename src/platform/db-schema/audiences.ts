/** Kysely view of the audiences tables (see the matching migration). Merged into Database in ../db-schema.ts. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface AudiencesTables {}
