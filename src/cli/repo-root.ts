import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The installed package's root (where `assets/` lives), found by walking up from this file, so
 * it works from `src/cli` (ts under jest) and from `dist/cli` alike.
 */
export function packageRoot(from = __dirname): string {
  let dir = from;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'berth') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the berth package root above ${from}`);
    dir = parent;
  }
}
