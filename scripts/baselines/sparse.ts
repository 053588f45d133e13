/** A row-compressed sparse matrix (CSR): row r's entries are indices/values[rowStart[r] .. rowStart[r + 1]). */
export interface SparseRows {
  rows: number;
  columns: number;
  rowStart: Uint32Array;
  indices: Uint32Array;
  values: Float64Array;
}

/** Builds CSR from per-row maps of column → value; each row's columns come out sorted. */
export function sparseRowsFrom(rowMaps: ReadonlyArray<ReadonlyMap<number, number>>, columns: number): SparseRows {
  let nonZeros = 0;
  for (const row of rowMaps) nonZeros += row.size;
  const rowStart = new Uint32Array(rowMaps.length + 1);
  const indices = new Uint32Array(nonZeros);
  const values = new Float64Array(nonZeros);
  let at = 0;
  rowMaps.forEach((row, r) => {
    rowStart[r] = at;
    for (const column of [...row.keys()].sort((a, b) => a - b)) {
      if (column >= columns) throw new RangeError(`row ${r}: column ${column} is outside [0, ${columns})`);
      indices[at] = column;
      values[at] = row.get(column)!;
      at++;
    }
  });
  rowStart[rowMaps.length] = at;
  return { rows: rowMaps.length, columns, rowStart, indices, values };
}

/** Row r as a column → value map (for tests and inspection). */
export function sparseRow(matrix: SparseRows, r: number): Map<number, number> {
  const out = new Map<number, number>();
  for (let k = matrix.rowStart[r]; k < matrix.rowStart[r + 1]; k++) out.set(matrix.indices[k], matrix.values[k]);
  return out;
}
