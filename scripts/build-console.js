// `npm run build` (after `nest build`): bundles the console (console/src, Preact + uPlot) with
// esbuild into dist/console: index.html and content-hashed assets, each beside its Brotli and gzip
// copy, so the server sends them compressed without compressing per request. Prints the sizes.
const { build } = require('esbuild');
const { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const zlib = require('node:zlib');

const ROOT = join(__dirname, '..');
const OUT = join(ROOT, 'dist', 'console');

function compressed(path) {
  const raw = readFileSync(path);
  const br = zlib.brotliCompressSync(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } });
  const gz = zlib.gzipSync(raw, { level: 9 });
  writeFileSync(`${path}.br`, br);
  writeFileSync(`${path}.gz`, gz);
  return { raw: raw.length, br: br.length, gz: gz.length };
}

async function main() {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(join(OUT, 'assets'), { recursive: true });
  const result = await build({
    entryPoints: [join(ROOT, 'console', 'src', 'main.tsx')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: join(OUT, 'assets'),
    entryNames: 'console-[hash]',
    assetNames: 'console-[hash]',
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => p.split('/').pop());
  const script = outputs.find((f) => f.endsWith('.js'));
  const style = outputs.find((f) => f.endsWith('.css'));
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <title>Berth console</title>
  <link rel="icon" href="data:," />
  <link rel="stylesheet" href="/console/assets/${style}" />
  <script type="module" src="/console/assets/${script}"></script>
</head>
<body>
  <div id="app"></div>
  <noscript>The Berth console needs JavaScript. The HTTP API is documented at <a href="/docs">/docs</a>.</noscript>
</body>
</html>
`;
  writeFileSync(join(OUT, 'index.html'), html);
  const sizes = {};
  for (const file of ['index.html', ...readdirSync(join(OUT, 'assets')).map((f) => `assets/${f}`)]) {
    if (file.endsWith('.br') || file.endsWith('.gz')) continue;
    sizes[file] = compressed(join(OUT, file));
  }
  const total = Object.values(sizes).reduce((t, s) => ({ raw: t.raw + s.raw, br: t.br + s.br, gz: t.gz + s.gz }), { raw: 0, br: 0, gz: 0 });
  const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
  for (const [file, s] of Object.entries(sizes)) console.log(`console: ${file} ${kb(s.raw)} (brotli ${kb(s.br)}, gzip ${kb(s.gz)})`);
  console.log(`console: total ${kb(total.raw)} (brotli ${kb(total.br)}, gzip ${kb(total.gz)}) in ${OUT}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
