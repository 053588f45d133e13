import { int, intAttr, str } from '../graph/attributes';
import { normalizeAxis } from '../graph/shape';
import { Value } from '../graph/value';
import { Dim, tensorToNumbers } from '../onnx/model';
import { Grads, gradOf, input, inversePerm, one, zerosLike } from './op';

/** Indexing: gathers (embedding lookups, [CLS] rows, label picks) and the scatters their gradients use. */

type Reduction = 'add' | 'mul' | 'max' | 'min';

export const GATHER_OPS = {
  Gather: one({
    emit: (_g, data: Value, indices: Value, axis: number = 0) => ({ inputs: [data, indices], attributes: { axis: int(axis) } }),
    infer: ([data, idx], attrs) => {
      const axis = normalizeAxis(intAttr(attrs, 'axis', 0), data!.rank, 'Gather');
      const shape = [...data!.shape.slice(0, axis), ...idx!.shape, ...data!.shape.slice(axis + 1)];
      let known: Dim[] | undefined;
      const picks = idx!.constant ? tensorToNumbers(idx!.constant) : undefined;
      if (data!.known && data!.rank === 1 && picks) {
        known = picks.map((p) => data!.known![p < 0 ? p + data!.known!.length : p]);
      }
      return [{ dtype: data!.dtype, shape, known }];
    },
    // Sparse accumulation: ScatterND(reduction=add) of the gathered slices into zeros, after
    // moving the gathered axis to the front (so one rule covers embeddings and h[:, 0]).
    grad: (ctx): Grads => {
      const { g } = ctx;
      const data = input(ctx, 0);
      const indices = input(ctx, 1);
      const axis = normalizeAxis(intAttr(ctx.node.attributes, 'axis', 0), data.rank, 'Gather');
      const gy = gradOf(ctx);
      const q = indices.rank;
      const gyPerm = [
        ...Array.from({ length: q }, (_, i) => axis + i),
        ...Array.from({ length: axis }, (_, i) => i),
        ...Array.from({ length: gy.rank - axis - q }, (_, i) => axis + q + i),
      ];
      const dataPerm = [axis, ...Array.from({ length: data.rank }, (_, i) => i).filter((i) => i !== axis)];
      const updates = axis === 0 ? gy : g.op.Transpose(gy, gyPerm);
      const zeros = zerosLike(g, axis === 0 ? data : g.op.Transpose(data, dataPerm));
      const scattered = g.op.ScatterND(zeros, g.op.Unsqueeze(indices, [-1]), updates, 'add');
      return [axis === 0 ? scattered : g.op.Transpose(scattered, inversePerm(dataPerm)), undefined];
    },
  }),
  GatherElements: one({
    emit: (_g, data: Value, indices: Value, axis: number = 0) => ({ inputs: [data, indices], attributes: { axis: int(axis) } }),
    infer: ([data, idx]) => [{ dtype: data!.dtype, shape: idx!.shape }],
    grad: (ctx): Grads => {
      const data = input(ctx, 0);
      const axis = normalizeAxis(intAttr(ctx.node.attributes, 'axis', 0), data.rank, 'GatherElements');
      return [ctx.g.op.ScatterElements(zerosLike(ctx.g, data), input(ctx, 1), gradOf(ctx), axis, 'add'), undefined];
    },
  }),
  /** `reduction` 'add' accumulates duplicate indices (embedding gradients). */
  ScatterND: one({
    emit: (_g, data: Value, indices: Value, updates: Value, reduction?: Reduction) => ({
      inputs: [data, indices, updates],
      attributes: { ...(reduction ? { reduction: str(reduction) } : {}) },
    }),
    infer: ([data]) => [{ dtype: data!.dtype, shape: data!.shape }],
  }),
  ScatterElements: one({
    emit: (_g, data: Value, indices: Value, updates: Value, axis: number = 0, reduction?: Reduction) => ({
      inputs: [data, indices, updates],
      attributes: { axis: int(axis), ...(reduction ? { reduction: str(reduction) } : {}) },
    }),
    infer: ([data]) => [{ dtype: data!.dtype, shape: data!.shape }],
  }),
  OneHot: one({
    emit: (_g, indices: Value, depth: Value, values: Value, axis: number = -1) => ({
      inputs: [indices, depth, values],
      attributes: { axis: int(axis) },
    }),
    infer: ([idx, depth, values], attrs) => {
      const rank = idx!.rank + 1;
      const axis = normalizeAxis(intAttr(attrs, 'axis', -1), rank, 'OneHot');
      const d = depth!.constant ? tensorToNumbers(depth!.constant)[0] : null;
      const shape: (Dim | null)[] = [...idx!.shape];
      shape.splice(axis, 0, d);
      return [{ dtype: values!.dtype, shape }];
    },
  }),
} as const;
