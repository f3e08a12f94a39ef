import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';

/**
 * A CPU profile of the main thread over exactly the measured window (not the setup, the
 * module loading or the teardown that `node --cpu-prof` would also record). Written as a
 * .cpuprofile file that Chrome DevTools or speedscope open. Returns a stop function.
 */
export async function startProfile(): Promise<(file: string) => Promise<void>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return async (file: string) => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
    process.stdout.write(`CPU profile of the measured window: ${file}\n`);
  };
}
