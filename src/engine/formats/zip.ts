/**
 * A reader for the zip archives `torch.save` writes (since PyTorch 1.6). Only what those need:
 * the central directory (the local headers of a torch archive carry zero sizes, with the real ones
 * in a data descriptor and the central directory), stored and deflated entries, ZIP64 for
 * archives past 4 GiB, and a CRC-32 check of every entry read. No encryption, no multi-disk.
 *
 * Every problem is a FormatError naming the archive and saying what is wrong in one line.
 */
import { crc32, inflateRawSync } from 'node:zlib';
import { FormatError } from '../errors';

export interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  /** Offset of the entry's local header. */
  localHeaderOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const EOCD_BYTES = 22;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const ZIP64_EXTRA_ID = 0x0001;
const MAX_COMMENT_BYTES = 0xffff;
const STORED = 0;
const DEFLATED = 8;

export class ZipArchive {
  private constructor(
    readonly file: string,
    private readonly bytes: Uint8Array,
    readonly entries: ReadonlyMap<string, ZipEntry>,
  ) {}

  /** Parses the central directory of `bytes` (the whole archive); `file` names it in errors. */
  static open(bytes: Uint8Array, file: string): ZipArchive {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const fail = (problem: string): never => {
      throw new FormatError(file, problem);
    };
    const eocd = findEndOfCentralDirectory(view);
    if (eocd < 0) fail('not a zip archive, or a truncated one (no end-of-central-directory record)');

    let count = view.getUint16(eocd + 10, true);
    let directorySize = view.getUint32(eocd + 12, true);
    let directoryOffset = view.getUint32(eocd + 16, true);
    if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
      const locator = eocd - 20;
      if (locator < 0 || view.getUint32(locator, true) !== ZIP64_LOCATOR_SIGNATURE) fail('ZIP64 archive without its locator record');
      const zip64 = safeNumber(view.getBigUint64(locator + 8, true));
      if (zip64 + 56 > view.byteLength || view.getUint32(zip64, true) !== ZIP64_EOCD_SIGNATURE)
        fail('ZIP64 end record missing or truncated');
      count = safeNumber(view.getBigUint64(zip64 + 32, true));
      directorySize = safeNumber(view.getBigUint64(zip64 + 40, true));
      directoryOffset = safeNumber(view.getBigUint64(zip64 + 48, true));
    }
    if (directoryOffset + directorySize > view.byteLength) {
      fail(
        `central directory (${directorySize} bytes at ${directoryOffset}) runs past the end of the ${view.byteLength}-byte file (truncated?)`,
      );
    }

    const entries = new Map<string, ZipEntry>();
    let cursor = directoryOffset;
    const decoder = new TextDecoder('utf-8');
    for (let i = 0; i < count; i++) {
      if (cursor + 46 > directoryOffset + directorySize || view.getUint32(cursor, true) !== CENTRAL_SIGNATURE) {
        fail(`central directory entry ${i} of ${count} is malformed`);
      }
      const nameLength = view.getUint16(cursor + 28, true);
      const extraLength = view.getUint16(cursor + 30, true);
      const commentLength = view.getUint16(cursor + 32, true);
      if (cursor + 46 + nameLength + extraLength + commentLength > directoryOffset + directorySize) {
        fail(`central directory entry ${i} of ${count} runs past the directory`);
      }
      const name = decoder.decode(bytes.subarray(cursor + 46, cursor + 46 + nameLength));
      const entry: ZipEntry = {
        name,
        method: view.getUint16(cursor + 10, true),
        crc: view.getUint32(cursor + 16, true),
        compressedSize: view.getUint32(cursor + 20, true),
        size: view.getUint32(cursor + 24, true),
        localHeaderOffset: view.getUint32(cursor + 42, true),
      };
      if (!readZip64Extra(view, cursor + 46 + nameLength, extraLength, entry))
        fail(`central directory entry ${JSON.stringify(name)} has a malformed ZIP64 field`);
      entries.set(name, entry);
      cursor += 46 + nameLength + extraLength + commentLength;
    }
    return new ZipArchive(file, bytes, entries);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The uncompressed bytes of `name`; stored entries are views into the archive, not copies. */
  read(name: string): Uint8Array {
    const entry = this.entries.get(name);
    if (!entry) throw new FormatError(this.file, `the archive has no record ${JSON.stringify(name)}`);
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    const at = entry.localHeaderOffset;
    if (at + 30 > view.byteLength || view.getUint32(at, true) !== LOCAL_SIGNATURE) {
      throw new FormatError(
        this.file,
        `record ${JSON.stringify(name)}: local header missing at offset ${at} (truncated or corrupt archive)`,
      );
    }
    const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
    const end = start + entry.compressedSize;
    if (end > view.byteLength) {
      throw new FormatError(
        this.file,
        `record ${JSON.stringify(name)}: its ${entry.compressedSize} bytes run past the end of the file (truncated archive)`,
      );
    }
    const raw = this.bytes.subarray(start, end);
    let data: Uint8Array;
    if (entry.method === STORED) data = raw;
    else if (entry.method === DEFLATED) {
      try {
        data = inflateRawSync(raw);
      } catch (e) {
        throw new FormatError(this.file, `record ${JSON.stringify(name)}: deflate data is corrupt (${(e as Error).message})`);
      }
    } else
      throw new FormatError(
        this.file,
        `record ${JSON.stringify(name)}: compression method ${entry.method} is not supported (only stored and deflate)`,
      );
    if (data.byteLength !== entry.size) {
      throw new FormatError(this.file, `record ${JSON.stringify(name)}: ${data.byteLength} bytes where the directory says ${entry.size}`);
    }
    if (crc32(data) >>> 0 !== entry.crc >>> 0)
      throw new FormatError(this.file, `record ${JSON.stringify(name)}: CRC-32 mismatch (corrupt archive)`);
    return data;
  }
}

/** The end-of-central-directory record sits in the last 22 bytes plus an optional comment. */
function findEndOfCentralDirectory(view: DataView): number {
  const last = view.byteLength - EOCD_BYTES;
  const first = Math.max(0, last - MAX_COMMENT_BYTES);
  for (let at = last; at >= first; at--) {
    if (view.getUint32(at, true) === EOCD_SIGNATURE && at + EOCD_BYTES + view.getUint16(at + 20, true) === view.byteLength) return at;
  }
  return -1;
}

/**
 * ZIP64 sizes and offsets replace the 32-bit fields that hold 0xffffffff, in this order.
 * False when the field is cut short.
 */
function readZip64Extra(view: DataView, start: number, length: number, entry: ZipEntry): boolean {
  let at = start;
  while (at + 4 <= start + length) {
    const id = view.getUint16(at, true);
    const size = view.getUint16(at + 2, true);
    if (id === ZIP64_EXTRA_ID) {
      let field = at + 4;
      const fieldEnd = Math.min(at + 4 + size, start + length);
      const next = (): number => {
        if (field + 8 > fieldEnd) return -1;
        const value = safeNumber(view.getBigUint64(field, true));
        field += 8;
        return value;
      };
      if (entry.size === 0xffffffff) entry.size = next();
      if (entry.compressedSize === 0xffffffff) entry.compressedSize = next();
      if (entry.localHeaderOffset === 0xffffffff) entry.localHeaderOffset = next();
      return entry.size >= 0 && entry.compressedSize >= 0 && entry.localHeaderOffset >= 0;
    }
    at += 4 + size;
  }
  return true;
}

function safeNumber(value: bigint): number {
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}
