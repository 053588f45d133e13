import { EngineError } from '../errors';
import type { GraphBuilder } from '../graph/builder';
import { Value } from '../graph/value';
import { Dim, NodeData } from '../onnx/model';
import { GradRule, zerosLike } from '../ops/op';
import { OPS } from '../ops/table';

/**
 * Reverse-mode autodiff over a built graph: appends the gradient nodes of `loss` with respect to
 * each of `wrt` to `g` and returns them by value name. Each node is differentiated by its op's
 * `grad` rule in the op table (`src/engine/ops`), or as one unit by the gradient a composite
 * registered with the builder (`g.defineGradient`).
 *
 * Only float paths from `wrt` are differentiated: a node gets a gradient rule call when one of its
 * inputs depends on `wrt` and one of its outputs reaches `loss` with a gradient. Contributions to
 * a value used several times (residuals, tied weights) are summed. Rules may answer in the
 * broadcast shape; `sumToShape` reduces every contribution to its input's shape, once, here.
 */
export interface BackwardOptions {
  /**
   * Rewrites the summed gradient of a named value before it flows further back, e.g. to zero
   * the positions of an embedding lookup that `nn.Embedding(padding_idx=...)` excludes.
   */
  readonly gradientHooks?: ReadonlyMap<string, (grad: Value) => Value>;
}

export function backward(g: GraphBuilder, loss: Value, wrt: readonly Value[], options: BackwardOptions = {}): Map<string, Value> {
  const forward = g.nodes.slice();
  const onPath = dependentsOf(g, forward, wrt);
  const contributions = new Map<string, Value[]>();
  const seed = loss.rank === 0 ? g.constant(1, 'float32') : g.op.Expand(g.constant(1, 'float32'), g.op.Shape(loss));
  contributions.set(loss.name, [seed]);

  for (let n = forward.length - 1; n >= 0; n--) {
    const node = forward[n];
    const requires = node.inputs.map((name) => name !== '' && onPath.has(name));
    if (!requires.some(Boolean)) continue;
    g.scope(`grad/${node.name}`, () => {
      const gradOutputs = node.outputs.map((name) => {
        const grad = sumContributions(g, contributions, name);
        const hook = options.gradientHooks?.get(name);
        return grad && hook ? hook(grad) : grad;
      });
      if (gradOutputs.every((v) => v === undefined)) return;
      // A composite's own gradient: the nodes inside it then receive none and are skipped.
      const composite = node.outputs.length === 1 ? g.compositeGradientOf(g.valueOf(node.outputs[0])) : undefined;
      if (composite) {
        const grads = composite.vjp(gradOutputs[0]!);
        composite.inputs.forEach((x, i) => {
          const gi = grads[i];
          if (!gi || !onPath.has(x.name)) return;
          const list = contributions.get(x.name) ?? [];
          list.push(sumToShape(g, gi, x.shape));
          contributions.set(x.name, list);
        });
        return;
      }
      const rule = ruleFor(node.opType);
      const inputs = node.inputs.map((name) => (name === '' ? undefined : g.valueOf(name)));
      const outputs = node.outputs.map((name) => g.valueOf(name));
      const grads = rule({ g, node, inputs, outputs, gradOutputs, requires });
      requires.forEach((needed, i) => {
        const gi = grads[i];
        const x = inputs[i];
        if (!needed || !gi || !x) return;
        const list = contributions.get(x.name) ?? [];
        list.push(sumToShape(g, gi, x.shape));
        contributions.set(x.name, list);
      });
    });
  }

  const result = new Map<string, Value>();
  g.scope('grad', () => {
    for (const v of wrt) {
      result.set(v.name, sumContributions(g, contributions, v.name) ?? zerosLike(g, v));
    }
  });
  return result;
}

function ruleFor(opType: string): GradRule {
  const rule = (OPS as Readonly<Record<string, { readonly grad?: GradRule }>>)[opType]?.grad;
  if (!rule)
    throw new EngineError(
      'NO_GRADIENT_RULE',
      `autodiff: no gradient rule for ${opType}, which lies on a path from a trainable tensor to the loss`,
    );
  return rule;
}

/** Values that depend on `wrt` through float-valued node outputs (integer paths carry no gradient). */
function dependentsOf(g: GraphBuilder, nodes: readonly NodeData[], wrt: readonly Value[]): Set<string> {
  const on = new Set(wrt.map((v) => v.name));
  for (const node of nodes) {
    if (!node.inputs.some((name) => on.has(name))) continue;
    for (const name of node.outputs) {
      const dtype = g.valueOf(name).dtype;
      if (dtype === 'float32' || dtype === 'float16') on.add(name);
    }
  }
  return on;
}

/** The summed gradient of one value (Add chain in arrival order), or undefined when none flows. */
function sumContributions(g: GraphBuilder, contributions: Map<string, Value[]>, name: string): Value | undefined {
  const list = contributions.get(name);
  if (!list || list.length === 0) return undefined;
  if (list.length > 1) {
    const total = list.reduce((acc, v) => g.op.Add(acc, v));
    contributions.set(name, [total]);
    return total;
  }
  return list[0];
}

function sameDim(a: Dim, b: Dim): boolean {
  // Symbolic names are assumed to agree (as in shape inference); the runtime checks them.
  return a === b || typeof a === 'string' || typeof b === 'string';
}

/**
 * Sums a gradient computed in a broadcast shape back to `shape`: leading extra axes are reduced
 * away, axes where `shape` has 1 and the gradient does not are reduced with keepdims.
 */
export function sumToShape(g: GraphBuilder, grad: Value, shape: readonly Dim[]): Value {
  const lead = grad.rank - shape.length;
  if (lead < 0) throw new EngineError('GRADIENT_SHAPE', `gradient ${grad} has a lower rank than its input [${shape.join(', ')}]`);
  const axes: number[] = [];
  for (let i = 0; i < lead; i++) axes.push(i);
  shape.forEach((d, i) => {
    const gd = grad.shape[i + lead];
    if (d === 1 && gd !== 1) axes.push(i + lead);
    else if (!sameDim(d, gd)) throw new EngineError('GRADIENT_SHAPE', `gradient ${grad} does not broadcast to [${shape.join(', ')}]`);
  });
  if (axes.length === 0) return grad;
  const summed = g.op.ReduceSum(grad, axes, true);
  return lead > 0
    ? g.op.Squeeze(
        summed,
        Array.from({ length: lead }, (_, i) => i),
      )
    : summed;
}
