import { Dim, Shape } from '../onnx/model';

/**
 * Shape arithmetic over symbolic dimensions. A dimension is a number or a name; two different
 * names are assumed equal where ONNX requires equality (the runtime checks it), and a name
 * minted for an unknowable size (`unk__N`) yields to any other.
 */
export class ShapeError extends Error {}

export function isUnknown(d: Dim): boolean {
  return typeof d === 'string' && d.startsWith('unk__');
}

function broadcastDim(a: Dim, b: Dim, context: string): Dim {
  if (a === b) return a;
  if (a === 1) return b;
  if (b === 1) return a;
  if (typeof a === 'number' && typeof b === 'number') {
    throw new ShapeError(`${context}: cannot broadcast ${a} with ${b}`);
  }
  if (typeof a === 'number') return a;
  if (typeof b === 'number') return b;
  return isUnknown(a) ? b : a;
}

/** numpy-style multidirectional broadcasting. */
export function broadcastShapes(shapes: readonly Shape[], context = 'broadcast'): Dim[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let dim: Dim = 1;
    for (const s of shapes) {
      const j = i - (rank - s.length);
      if (j >= 0) dim = broadcastDim(dim, s[j], context);
    }
    out.push(dim);
  }
  return out;
}

/** numpy matmul: 1-D operands are promoted and the promoted axis removed afterwards. */
export function matmulShape(a: Shape, b: Shape): Dim[] {
  if (a.length === 0 || b.length === 0) throw new ShapeError('MatMul: scalar operand');
  const a2 = a.length === 1 ? [1, a[0]] : a;
  const b2 = b.length === 1 ? [b[0], 1] : b;
  const k1 = a2[a2.length - 1];
  const k2 = b2[b2.length - 2];
  if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) {
    throw new ShapeError(`MatMul: inner dimensions differ, [${a.join(',')}] x [${b.join(',')}]`);
  }
  const batch = broadcastShapes([a2.slice(0, -2), b2.slice(0, -2)], 'MatMul');
  const out: Dim[] = [...batch];
  if (a.length > 1) out.push(a2[a2.length - 2]);
  if (b.length > 1) out.push(b2[b2.length - 1]);
  return out;
}

export function normalizeAxis(axis: number, rank: number, context: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new ShapeError(`${context}: axis ${axis} out of range for rank ${rank}`);
  return a;
}

/**
 * Reshape target resolution: 0 copies the input dim, -1 is inferred. With symbolic dims, -1 is
 * resolved by cancelling equal factors; when that is impossible the caller mints an unknown.
 */
export function reshapeShape(input: Shape, target: readonly Dim[], allowZero = false): (Dim | null)[] {
  const out: (Dim | null)[] = target.map((d, i) => (d === 0 && !allowZero ? input[i] : d));
  const inferAt = out.indexOf(-1);
  if (inferAt < 0) return out;
  const known = out.filter((_, i) => i !== inferAt) as Dim[];
  // Cancel factors: remaining input factors divided by the other target factors.
  const num: Dim[] = [...input];
  let numConst = 1;
  const numSyms: string[] = [];
  for (const d of num) {
    if (typeof d === 'number') numConst *= d;
    else numSyms.push(d);
  }
  let denConst = 1;
  for (const d of known) {
    if (typeof d === 'number') denConst *= d;
    else {
      const k = numSyms.indexOf(d);
      if (k < 0) {
        out[inferAt] = null;
        return out;
      }
      numSyms.splice(k, 1);
    }
  }
  if (numConst % denConst !== 0) {
    out[inferAt] = null;
    return out;
  }
  const c = numConst / denConst;
  if (numSyms.length === 0) out[inferAt] = c;
  else if (numSyms.length === 1 && c === 1) out[inferAt] = numSyms[0];
  else out[inferAt] = null;
  return out;
}
