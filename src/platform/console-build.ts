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

/** True when the console (web/src) or the H5 pages (web/h5) have sources and their build in web/dist is missing or older than them. */
export function consoleBuildIsStale(repoRoot: string): boolean {
  const pages: [src: string, built: string][] = [['web/src', 'web/dist/index.html'], ['web/h5', 'web/dist/h5/index.html']];
  return pages.some(([src, built]) => {
    const srcDir = join(repoRoot, src);
    const out = join(repoRoot, built);
    if (!existsSync(srcDir)) return false;
    return !existsSync(out) || statSync(out).mtimeMs < newestMtime(srcDir);
  });
}
