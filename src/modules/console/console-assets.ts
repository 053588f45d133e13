import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';

/**
 * The console's built files (`npm run build` writes them to `dist/console/`: `index.html` and
 * content-hashed `assets/*`, each beside its `.br` and `.gz`), read once into memory. Only files
 * found at start are served: no path from a request ever reaches the file system.
 */

export type Encoding = 'br' | 'gzip' | 'identity';

export interface Asset {
  type: string;
  /** The bytes per encoding; `identity` always present. */
  bodies: Partial<Record<Encoding, Buffer>> & { identity: Buffer };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
};

/** `dist/console` beside the compiled server, or the repository's when running from sources (tests). */
export function consoleDir(): string {
  const candidates = [resolve(__dirname, '..', '..', 'console'), resolve(__dirname, '..', '..', '..', 'dist', 'console')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0];
}

function read(dir: string, name: string): Asset | undefined {
  const type = TYPES[extname(name)];
  if (!type) return undefined;
  const path = join(dir, name);
  const bodies: Asset['bodies'] = { identity: readFileSync(path) };
  if (existsSync(`${path}.br`)) bodies.br = readFileSync(`${path}.br`);
  if (existsSync(`${path}.gz`)) bodies.gzip = readFileSync(`${path}.gz`);
  return { type, bodies };
}

/** Every servable file under `dir`, keyed by its path relative to it (`index.html`, `assets/app-X.js`). */
export function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (sub: string): void => {
    for (const name of readdirSync(join(dir, sub))) {
      const rel = sub ? `${sub}/${name}` : name;
      if (statSync(join(dir, rel)).isDirectory()) walk(rel);
      else if (!name.endsWith('.br') && !name.endsWith('.gz')) {
        const asset = read(dir, rel);
        if (asset) assets.set(rel, asset);
      }
    }
  };
  if (existsSync(dir)) walk('');
  return assets;
}

/** The best encoding the client accepts among those the asset has (Brotli, then gzip). */
export function negotiate(asset: Asset, acceptEncoding: string | undefined): Encoding {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    if (name) accepted.set(name, q === undefined ? 1 : Number(q));
  }
  const ok = (name: string): boolean => (accepted.get(name) ?? accepted.get('*') ?? 0) > 0;
  if (asset.bodies.br && ok('br')) return 'br';
  if (asset.bodies.gzip && ok('gzip')) return 'gzip';
  return 'identity';
}
