import type { Migration } from 'kysely';
import * as m0001 from './0001-foundation.ts';
import * as m0002 from './0002-customers-identities.ts';
import * as m0003 from './0003-audiences.ts';
import * as m0004 from './0004-counters.ts';
import * as m0005 from './0005-reach.ts';
import * as m0006 from './0006-channels.ts';
import * as m0007 from './0007-coupons.ts';
import * as m0008 from './0008-lotteries-points.ts';
import * as m0009 from './0009-reach-more.ts';
import * as m0010 from './0010-audiences-scale.ts';
import * as m0011 from './0011-h5.ts';
import * as m0012 from './0012-click-log.ts';
import * as m0013 from './0013-snapshot-bitmaps.ts';
import * as m0014 from './0014-budget-top-ups.ts';
import * as m0015 from './0015-events-by-user.ts';
import * as m0016 from './0016-counters-keys-expiry.ts';
import * as m0017 from './0017-sandbox-outbox-key.ts';
import * as m0018 from './0018-record-draws-function.ts';
import * as m0019 from './0019-coupons-by-user.ts';
import * as m0020 from './0020-coupon-user-counters-dropped.ts';
import * as m0021 from './0021-lottery-counters-dropped.ts';

/** Ordered, forward-only. Add a file, then add it here with the next number. */
export const migrations: Record<string, Migration> = {
  '0001-foundation': m0001,
  '0002-customers-identities': m0002,
  '0003-audiences': m0003,
  '0004-counters': m0004,
  '0005-reach': m0005,
  '0006-channels': m0006,
  '0007-coupons': m0007,
  '0008-lotteries-points': m0008,
  '0009-reach-more': m0009,
  '0010-audiences-scale': m0010,
  '0011-h5': m0011,
  '0012-click-log': m0012,
  '0013-snapshot-bitmaps': m0013,
  '0014-budget-top-ups': m0014,
  '0015-events-by-user': m0015,
  '0016-counters-keys-expiry': m0016,
  '0017-sandbox-outbox-key': m0017,
  '0018-record-draws-function': m0018,
  '0019-coupons-by-user': m0019,
  '0020-coupon-user-counters-dropped': m0020,
  '0021-lottery-counters-dropped': m0021,
};
