import type { Platform } from '../platform/context.ts';
import { registerEventHookJob } from './event-hooks.ts';
import { IMPORT_JOB, importPayload, runUserImport } from './user-import.service.ts';

/** The customers domain's background jobs; called once by src/bootstrap.ts. */
export function registerCustomerJobs(p: Platform): void {
  registerEventHookJob(p);
  p.jobs.define({
    name: IMPORT_JOB,
    payload: importPayload,
    handle: ({ workspaceId, jobId }, job) => runUserImport(p, workspaceId, jobId, job.attempts),
  });
}
