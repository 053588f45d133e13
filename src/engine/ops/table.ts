import type { Value } from '../graph/value';
import { ELEMENTWISE_OPS } from './elementwise';
import { GATHER_OPS } from './gather';
import { MATMUL_OPS } from './matmul';
import { NN_OPS } from './nn';
import { MultiOutputOp, SingleOutputOp } from './op';
import { REDUCE_OPS } from './reduce';
import { SHAPE_OPS } from './shape-ops';

/**
 * The primitive op table: every ONNX op the engine emits, each defined once (emit, shape rule and
 * gradient rule in one record, in its family's file). The builder exposes each entry as a typed
 * method (`g.op.MatMul(a, b)`), `backward` reads its `grad`.
 */
export const OPS = {
  ...ELEMENTWISE_OPS,
  ...MATMUL_OPS,
  ...SHAPE_OPS,
  ...GATHER_OPS,
  ...REDUCE_OPS,
  ...NN_OPS,
} as const;

export type OpTable = typeof OPS;
export type OpType = keyof OpTable;

/** `g.op.X(...)`: each table entry as a method returning its output value (or values). */
export type OpCalls = {
  readonly [K in OpType]: OpTable[K] extends SingleOutputOp<infer A>
    ? (...args: A) => Value
    : OpTable[K] extends MultiOutputOp<infer A>
      ? (...args: A) => Value[]
      : never;
};
