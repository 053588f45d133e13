import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The package version, read once from package.json (two levels above both src/ and dist/). */
function readVersion(): string {
  for (const up of ['../..', '../../..']) {
    try {
      const pkg = JSON.parse(readFileSync(join(__dirname, up, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'berth' && pkg.version) return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0';
}

export const BERTH_VERSION = readVersion();
