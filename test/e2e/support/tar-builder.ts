import { gzipSync } from 'node:zlib';

/**
 * Builds ustar archives byte by byte, so tests can make the hostile ones (links, devices, `..`
 * paths, absolute paths) that a well-behaved tar tool would refuse to create.
 */
export interface TarEntry {
  path: string;
  /** '0' file, '5' directory, '2' symlink, '1' hard link, '3' char device, '6' FIFO. */
  type?: '0' | '1' | '2' | '3' | '5' | '6';
  content?: string | Buffer;
  linkTarget?: string;
}

function header(e: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512, 0);
  const put = (s: string, off: number, len: number) => h.write(s, off, Math.min(len, Buffer.byteLength(s)), 'utf8');
  const octal = (n: number, len: number) => n.toString(8).padStart(len - 1, '0') + '\0';
  put(e.path, 0, 100);
  put(octal(e.type === '5' ? 0o755 : 0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(1_700_000_000, 12), 136, 12);
  h.fill(' ', 148, 156);
  put(e.type ?? '0', 156, 1);
  if (e.linkTarget) put(e.linkTarget, 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return h;
}

export function tarGz(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const content = e.type && e.type !== '0' ? Buffer.alloc(0) : Buffer.from(e.content ?? '');
    parts.push(header(e, content.length), content);
    const pad = (512 - (content.length % 512)) % 512;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts));
}

/** A minimal HF layout directory under one top-level folder (enough for a fake core's import). */
export const HF_LAYOUT_ENTRIES: TarEntry[] = [
  { path: 'my-model/', type: '5' },
  { path: 'my-model/config.json', content: '{"architectures":["BertForSequenceClassification"]}' },
  { path: 'my-model/tokenizer.json', content: '{}' },
  { path: 'my-model/onnx/', type: '5' },
  { path: 'my-model/onnx/model.onnx', content: 'onnx bytes' },
];
