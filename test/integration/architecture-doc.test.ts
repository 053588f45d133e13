import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * docs/architecture.md stays the map of the tree: every room under src/ is described there, every
 * room it describes exists, and its import matrix is the one ESLint enforces (the LAYERS table of
 * eslint.config.mjs).
 */

const ROOT = resolve(__dirname, '..', '..');
const doc = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');

/** `LAYERS` of eslint.config.mjs, read as text (the config is an ES module). */
function lintLayers(): Record<string, string[]> {
  const text = readFileSync(join(ROOT, 'eslint.config.mjs'), 'utf8');
  const body = /const LAYERS = \{([\s\S]*?)\n\};/.exec(text)?.[1];
  if (!body) throw new Error('no LAYERS table in eslint.config.mjs');
  const layers: Record<string, string[]> = {};
  for (const m of body.matchAll(/^\s*(\w+): \[([^\]]*)\],?$/gm)) {
    layers[m[1]] = [...m[2].matchAll(/'(\w+)'/g)].map((x) => x[1]).sort();
  }
  return layers;
}

/** The matrix in the document: row → the columns marked ●. */
function docMatrix(): Record<string, string[]> {
  const section = doc.slice(doc.indexOf('## What may import what'));
  const rows = section.split('\n').filter((l) => l.startsWith('| '));
  const header = rows[0].split('|').map((c) => c.trim());
  const matrix: Record<string, string[]> = {};
  for (const row of rows.slice(2)) {
    const cells = row.split('|').map((c) => c.trim());
    matrix[cells[1]] = header.filter((_, i) => i > 1 && cells[i] === '●').sort();
  }
  return matrix;
}

describe('docs/architecture.md', () => {
  it('describes every room under src/, and only rooms that exist', () => {
    const rooms = readdirSync(join(ROOT, 'src'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    const described = [...doc.matchAll(/^\| `src\/(\w+)\/` \|/gm)].map((m) => m[1]).sort();
    expect(described).toEqual(rooms);
  });

  it('has the import matrix that ESLint enforces', () => {
    const layers = lintLayers();
    expect(Object.keys(layers).length).toBeGreaterThan(10);
    expect(docMatrix()).toEqual(layers);
  });
});
