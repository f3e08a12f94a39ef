import type { Migration } from 'kysely';
import * as m0001 from './0001-foundation.ts';
import * as m0002 from './0002-customers-identities.ts';
import * as m0003 from './0003-audiences.ts';
import * as m0004 from './0004-counters.ts';
import * as m0005 from './0005-reach.ts';
import * as m0006 from './0006-channels.ts';

/** Ordered, forward-only. Add a file, then add it here with the next number. */
export const migrations: Record<string, Migration> = {
  '0001-foundation': m0001,
  '0002-customers-identities': m0002,
  '0003-audiences': m0003,
  '0004-counters': m0004,
  '0005-reach': m0005,
  '0006-channels': m0006,
};
