/** Test forks are numbered 1..TEST_FORKS (VITEST_POOL_ID); each has its own job-queue schema. */
export const TEST_FORKS = 8;
export const testJobsSchema = (fork: number): string => {
  if (!Number.isInteger(fork) || fork < 1 || fork > TEST_FORKS) throw new Error(`unexpected VITEST_POOL_ID ${fork}`);
  return `gw_test_${fork}`;
};
