import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** True when the console (web/) has sources and web/dist is missing or older than them. */
export function consoleBuildIsStale(repoRoot: string): boolean {
  const src = join(repoRoot, 'web/src');
  const built = join(repoRoot, 'web/dist/index.html');
  if (!existsSync(src)) return false;
  return !existsSync(built) || statSync(built).mtimeMs < newestMtime(src);
}
