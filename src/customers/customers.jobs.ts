import type { Platform } from '../platform/context.ts';
import { IMPORT_JOB, importPayload, runUserImport } from './user-import.service.ts';

/** The customers domain's background jobs; called once by src/bootstrap.ts. */
export function registerCustomerJobs(p: Platform): void {
  p.jobs.define({
    name: IMPORT_JOB,
    payload: importPayload,
    handle: ({ workspaceId, jobId }, job) => runUserImport(p, workspaceId, jobId, job.attempts),
  });
}
