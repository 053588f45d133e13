/**
 * `Content-Disposition: attachment` for a download (RFC 6266), with the file name twice: an ASCII
 * fallback in `filename` (characters outside printable ASCII, quotes, backslashes and percent
 * signs replaced by "_") and the exact name, UTF-8 and percent-encoded, in `filename*` (RFC 5987),
 * which every current client prefers. Node refuses header values outside Latin-1, so a name like
 * `数据.csv` must never reach the header unencoded.
 */
export function attachmentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  // encodeURIComponent leaves ' ( ) * unescaped; RFC 5987's attr-char does not allow them.
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
