import { attachmentDisposition } from './content-disposition';

/** RFC 5987 ext-value decoding, written from the RFC's grammar (charset'lang'pct-encoded). */
function decodeExtValue(header: string): string {
  const m = /filename\*=([^']*)'[^']*'([A-Za-z0-9!#$&+\-.^_`|~%]+)$/.exec(header);
  if (!m) throw new Error(`no RFC 5987 filename* in ${header}`);
  expect(m[1].toUpperCase()).toBe('UTF-8');
  return Buffer.from(
    m[2].replace(/%([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
    'latin1',
  ).toString('utf8');
}

describe('attachmentDisposition', () => {
  it.each(['数据.csv', 'naïve café.tsv', "it's (final)*.jsonl", 'a"b\\c%d.csv', 'plain.csv', '😀 emoji.conll'])(
    'round-trips %s through filename*',
    (name) => {
      const header = attachmentDisposition(name);
      expect(decodeExtValue(header)).toBe(name);
      // Every byte is printable ASCII: Node accepts it as a header value.
      expect(/^[\x20-\x7e]*$/.test(header)).toBe(true);
    },
  );

  it('gives an ASCII fallback that keeps what is safe and quotes nothing it should not', () => {
    expect(attachmentDisposition('数据.csv')).toMatch(/^attachment; filename="__\.csv"; /);
    expect(attachmentDisposition('a"b\\c.csv')).toMatch(/^attachment; filename="a_b_c\.csv"; /);
    expect(attachmentDisposition('train.csv')).toBe(`attachment; filename="train.csv"; filename*=UTF-8''train.csv`);
  });
});
