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
