/** Code-point offset → UTF-16 index into the same JS string (for slicing with HF offsets). */
export function codePointToUtf16(text: string): (cp: number) => number {
  const indices: number[] = [];
  for (let i = 0; i < text.length; i++) {
    indices.push(i);
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low one is a single code point.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  indices.push(text.length);
  return (cp: number) => {
    if (cp <= 0) return 0;
    return cp >= indices.length ? text.length : indices[cp];
  };
}

/**
 * The start of a span moved past leading whitespace. SentencePiece-style tokenizers (Metaspace:
 * ALBERT, XLNet, T5) turn each space into the `▁` that starts the next word, so a word-start
 * token's offsets begin at that space (exactly as Python's fast tokenizers report them); an
 * entity or an answer should begin at the word itself. Offsets of other tokenizers never start
 * on whitespace, so this changes nothing for them.
 */
export function skipLeadingSpace(codePoints: readonly string[], start: number, end: number): number {
  let at = start;
  while (at < end && /\s/u.test(codePoints[at])) at++;
  return at;
}
