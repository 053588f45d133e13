import type { GraphBuilder } from '../graph/builder';
import { ShapeError } from '../graph/shape';
import { Value, ValueType } from '../graph/value';
import { Attributes, Dim, NodeData, tensorToNumbers } from '../onnx/model';

/**
 * What a primitive op is: one record holding, side by side,
 *  - `emit`: the typed call (`g.op.MatMul(a, b)`) turned into node inputs and attributes,
 *  - `infer`: the dtype/shape rule for its outputs,
 *  - `grad`: its vector-Jacobian rule, d(loss)/d(outputs) → d(loss)/d(inputs), as new graph
 *    values (absent for ops autodiff does not differentiate; it refuses them on a gradient path).
 * The records are grouped by family (`elementwise.ts`, `matmul.ts`, `shape-ops.ts`, `gather.ts`,
 * `reduce.ts`, `nn.ts`) and joined into one table in `table.ts`. Ops are opset 17 `ai.onnx` only.
 */

/** What an emitter produces: the node's inputs (undefined = omitted optional) and attributes. */
export interface NodeSpec {
  readonly inputs: readonly (Value | undefined)[];
  readonly attributes?: Attributes;
  /** Number of outputs (default 1). */
  readonly outputs?: number;
}

export type InferRule = (inputs: readonly (Value | undefined)[], attributes: Attributes, outputCount: number) => ValueType[];

/** Everything a gradient rule sees about one node of the forward graph. */
export interface GradContext {
  readonly g: GraphBuilder;
  readonly node: NodeData;
  readonly inputs: readonly (Value | undefined)[];
  readonly outputs: readonly Value[];
  /** d(loss)/d(output i), or undefined where no gradient flows into that output. */
  readonly gradOutputs: readonly (Value | undefined)[];
  /** Which inputs need a gradient (float paths from the `wrt` tensors); rules skip the others. */
  readonly requires: readonly boolean[];
}

/**
 * d(loss)/d(input i) for each input; undefined where the input gets none. A rule may answer in
 * the broadcast (output) shape: `backward` sums every gradient back to its input's shape once
 * (`sumToShape`), so no rule repeats that.
 */
export type GradRule = (ctx: GradContext) => Grads;

/**
 * A rule's answer: one gradient (or undefined) per input. Rules declare it as their return type,
 * `(ctx): Grads => ...`: the rules build with `ctx.g.op`, whose type is read from this very table,
 * so TypeScript needs the return type spelled out rather than inferred.
 */
export type Grads = (Value | undefined)[];

export interface SingleOutputOp<A extends unknown[]> {
  readonly outputs: 'one';
  readonly emit: (g: GraphBuilder, ...args: A) => NodeSpec;
  readonly infer: InferRule;
  readonly grad?: GradRule;
}

export interface MultiOutputOp<A extends unknown[]> {
  readonly outputs: 'many';
  readonly emit: (g: GraphBuilder, ...args: A) => NodeSpec;
  readonly infer: InferRule;
  readonly grad?: GradRule;
}

/** An op whose call returns one `Value`. */
export const one = <A extends unknown[]>(def: Omit<SingleOutputOp<A>, 'outputs'>): SingleOutputOp<A> => ({ outputs: 'one', ...def });
/** An op whose call returns `Value[]` (Split, LayerNormalization with stats, Dropout). */
export const many = <A extends unknown[]>(def: Omit<MultiOutputOp<A>, 'outputs'>): MultiOutputOp<A> => ({ outputs: 'many', ...def });

/** An int64 1-D operand given either as a value or as literal numbers (made a constant). */
export type Int64Operand = Value | readonly number[];

// ── shape-rule helpers ──────────────────────────────────────────────────────

export function req(v: Value | undefined, op: string, what: string): Value {
  if (!v) throw new ShapeError(`${op}: missing ${what}`);
  return v;
}

/** Output 0 has the dtype and shape of input 0. */
export const same: InferRule = ([x]) => [{ dtype: req(x, 'op', 'input').dtype, shape: x!.shape }];

/** Known integer content of a 1-D operand, when the builder can see it. */
export function knownOf(v: Value | undefined): readonly Dim[] | undefined {
  return v?.known;
}

export function knownNumbers(v: Value | undefined): number[] | undefined {
  const k = knownOf(v);
  return k && k.every((d) => typeof d === 'number') ? (k as number[]) : undefined;
}

// ── gradient-rule helpers ───────────────────────────────────────────────────

/** d(loss)/d(output i); a rule is only called when some output has one. */
export function gradOf(ctx: GradContext, i = 0): Value {
  const gy = ctx.gradOutputs[i];
  if (!gy) throw new Error(`${ctx.node.opType} ${ctx.node.name}: no gradient for output ${i}`);
  return gy;
}

/** Forward input i, which must be present. */
export function input(ctx: GradContext, i: number): Value {
  const v = ctx.inputs[i];
  if (!v) throw new Error(`${ctx.node.opType} ${ctx.node.name}: input ${i} is absent`);
  return v;
}

/** A float32 scalar constant. */
export const f32 = (g: GraphBuilder, v: number): Value => g.constant(v, 'float32');

/** Float zeros with the runtime shape of `like`. */
export function zerosLike(g: GraphBuilder, like: Value): Value {
  return g.op.ConstantOfShape(g.op.Shape(like), { dtype: like.dtype, dims: [1], data: new Float32Array([0]) });
}

/** The permutation that undoes `perm` (a Transpose's gradient). */
export function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** The integer content of a constant or shape-valued operand, when known while building. */
export function knownInts(v: Value | undefined): number[] | undefined {
  if (!v) return undefined;
  if (v.constant) return tensorToNumbers(v.constant);
  const k = v.known;
  return k && k.every((d) => typeof d === 'number') ? (k as number[]) : undefined;
}

/** The value of a scalar constant operand (e.g. Dropout's ratio), which a rule needs as a number. */
export function scalarConstant(v: Value | undefined, what: string): number {
  if (!v?.constant) throw new Error(`${what} must be a constant to be differentiated`);
  return tensorToNumbers(v.constant)[0];
}
