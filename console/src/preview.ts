/** The first rows of a chosen file, read in the browser before it is sent (the server checks every row). */
export interface Preview {
  /** Raw lines, for showing the one the server names. */
  lines: string[];
  header: string[];
  rows: { line: number; cells: string[] }[];
}

const PREVIEW_BYTES = 256 * 1024;
const PREVIEW_ROWS = 10;

/** Splits one CSV/TSV line, honouring double quotes (a preview: a quoted newline ends the row here). */
export function splitDelimited(line: string, sep: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === sep) {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}

export async function previewRows(file: File): Promise<Preview> {
  const text = (await file.slice(0, PREVIEW_BYTES).text()).replace(/^\uFEFF/, '');
  const lines = text.split(/\r\n|\n|\r/);
  const name = file.name.toLowerCase();
  const first = lines.find((l) => l.trim() !== '') ?? '';
  if (first.trim().startsWith('{') && !name.endsWith('.json')) {
    const rows = lines.slice(0, PREVIEW_ROWS).map((l, i) => {
      try {
        return { line: i + 1, record: JSON.parse(l) as Record<string, unknown> };
      } catch {
        return { line: i + 1, record: { '(not JSON)': l } };
      }
    });
    const header = [...new Set(rows.flatMap((r) => Object.keys(r.record)))];
    return { lines, header, rows: rows.map((r) => ({ line: r.line, cells: header.map((h) => cellText(r.record[h])) })) };
  }
  if (name.endsWith('.json'))
    return { lines, header: ['content'], rows: lines.slice(0, PREVIEW_ROWS).map((l, i) => ({ line: i + 1, cells: [l] })) };
  const sep = name.endsWith('.tsv') || (first.includes('\t') && !first.includes(',')) ? '\t' : name.endsWith('.csv') ? ',' : ' ';
  if (sep === ' ') return { lines, header: ['line'], rows: lines.slice(0, PREVIEW_ROWS).map((l, i) => ({ line: i + 1, cells: [l] })) };
  const header = splitDelimited(lines[0] ?? '', sep);
  return { lines, header, rows: lines.slice(1, PREVIEW_ROWS + 1).map((l, i) => ({ line: i + 2, cells: splitDelimited(l, sep) })) };
}

function cellText(v: unknown): string {
  if (v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}
