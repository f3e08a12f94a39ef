import type { Platform } from '../platform/context.ts';

/** Background jobs of this domain (expiry, reconciliation, monitors): registered by bootstrap.ts. */
export function registerAlertJobs(_p: Platform): void {}
