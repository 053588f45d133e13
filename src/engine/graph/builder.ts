import {
  Attributes,
  DType,
  Dim,
  GraphData,
  IR_VERSION,
  ModelData,
  NamedTensor,
  NodeData,
  OPSET_VERSION,
  OpsetImport,
  PRODUCER_NAME,
  Shape,
  TensorArray,
  TensorData,
  ValueInfo,
  tensorFromNumbers,
  tensorToNumbers,
} from '../onnx/model';
import { NodeSpec } from '../ops/op';
import { OPS, OpCalls, OpType } from '../ops/table';
import { ShapeError } from './shape';
import { Value, ValueType } from './value';

/** A float32 weight as the formats layer reads it from safetensors. */
export interface WeightTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface GraphBuilderOptions {
  readonly name?: string;
  /** Parameter names fed as graph inputs (trainable); all others become initializers. */
  readonly trainable?: Iterable<string> | ((name: string) => boolean);
  /** Training graphs keep Dropout nodes; inference graphs have none. */
  readonly training?: boolean;
  /** Base seed for Dropout nodes (each node gets its own, derived deterministically). */
  readonly seed?: number;
}

/**
 * A gradient a composite supplies for itself: `vjp` maps d(loss)/d(output) to d(loss)/d(inputs).
 * `backward` then differentiates the composite as one unit and never visits the nodes inside it,
 * which leaves them free for ONNX Runtime's fusions (exact GELU).
 */
export interface CompositeGradient {
  readonly inputs: readonly Value[];
  readonly vjp: (gy: Value) => (Value | undefined)[];
}

/** A parameter of the model: a graph input when trainable, an initializer otherwise. */
export interface Parameter {
  readonly name: string;
  readonly value: Value;
  readonly trainable: boolean;
  /** The starting value; for trainable parameters, what the trainer feeds first. */
  readonly initial: WeightTensor;
}

/**
 * Builds an ONNX graph as plain data. Ops are called by their ONNX names (`g.op.MatMul(a, b)`),
 * each defined once in the op table (`src/engine/ops`) with its shape and gradient rules;
 * composites (layerNorm, gelu, ...) live in `composites.ts`, and those with a gradient of their
 * own register it here (`defineGradient`). Names are deterministic: parameters keep their HF
 * dotted path, intermediates are `{scope}/{OpType}_{n}`, constants are cached by (dtype, shape,
 * value).
 */
export class GraphBuilder {
  readonly op: OpCalls;
  readonly nodes: NodeData[] = [];
  readonly initializers: NamedTensor[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  readonly parameters: Parameter[] = [];

  readonly training: boolean;
  private readonly name: string;
  private readonly seed: number;
  private seedsIssued = 0;
  /** Whether the parameter `name` is fed as a graph input (per the `trainable` option). */
  readonly isTrainable: (name: string) => boolean;
  private readonly values = new Map<string, Value>();
  private readonly producers = new Map<string, NodeData>();
  private readonly consumers = new Map<string, NodeData[]>();
  private readonly constants = new Map<string, Value>();
  private readonly counters = new Map<string, number>();
  private readonly scopes: string[] = [];
  private readonly compositeGradients = new Map<Value, CompositeGradient>();
  private unknownDims = 0;

  constructor(options: GraphBuilderOptions = {}) {
    this.name = options.name ?? 'main_graph';
    this.training = options.training ?? false;
    this.seed = options.seed ?? 0;
    const t = options.trainable;
    if (typeof t === 'function') this.isTrainable = t;
    else {
      const set = new Set(t ?? []);
      this.isTrainable = (n) => set.has(n);
    }
    const calls: Record<string, (...args: unknown[]) => Value | Value[]> = {};
    for (const type of Object.keys(OPS) as OpType[]) {
      calls[type] = (...args: unknown[]) => this.callOp(type, args);
    }
    this.op = calls as unknown as OpCalls;
  }

  // ── values ─────────────────────────────────────────────────────────────────

  /** A graph input (e.g. `input_ids`, int64 `['batch_size', 'sequence_length']`). */
  input(name: string, dtype: DType, shape: Shape): Value {
    const v = this.define(name, { dtype, shape });
    this.inputs.push({ name, dtype, shape: [...shape] });
    return v;
  }

  /**
   * A model parameter by its HF dotted name: a graph input when trainable, else an initializer.
   * Asking twice for the same name returns the same value (tied weights).
   */
  param(name: string, weight: WeightTensor): Value {
    const existing = this.parameters.find((p) => p.name === name);
    if (existing) return existing.value;
    const trainable = this.isTrainable(name);
    const value = trainable
      ? this.input(name, 'float32', weight.shape)
      : this.initializer(name, { dtype: 'float32', dims: weight.shape, data: weight.data });
    this.parameters.push({ name, value, trainable, initial: weight });
    return value;
  }

  /**
   * A `[out, in]` Linear weight used as `[in, out]` (so `MatMul(x, W)` needs no runtime
   * transpose). Frozen: an initializer `{name}.T` holding the transposed data. Trainable: the
   * graph input `{name}` in HF layout, followed by a Transpose node whose output is `{name}.T`,
   * so its gradient arrives in HF layout.
   */
  paramTransposed(name: string, weight: WeightTensor): Value {
    if (weight.shape.length !== 2) throw new ShapeError(`${name}: expected a 2-D weight`);
    const tName = `${name}.T`;
    const cached = this.values.get(tName);
    if (cached) return cached;
    if (this.isTrainable(name)) {
      const w = this.param(name, weight);
      const t = this.op.Transpose(w, [1, 0]);
      this.rename(t, tName);
      return t;
    }
    const [rows, cols] = weight.shape;
    const data = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) data[c * rows + r] = weight.data[r * cols + c];
    }
    const value = this.initializer(tName, { dtype: 'float32', dims: [cols, rows], data });
    this.parameters.push({ name, value, trainable: false, initial: weight });
    return value;
  }

  /** A named initializer (not a parameter: no gradient is expected for it). */
  initializer(name: string, tensor: TensorData): Value {
    const v = this.define(
      name,
      {
        dtype: tensor.dtype,
        shape: tensor.dims,
        known: smallIntContent(tensor),
      },
      tensor,
    );
    this.initializers.push({ name, ...tensor });
    return v;
  }

  /** A constant, cached by (dtype, shape, values). A number is a scalar, an array is 1-D. */
  constant(values: number | readonly number[], dtype: DType = 'float32', dims?: readonly number[]): Value {
    const list = typeof values === 'number' ? [values] : values;
    const shape = dims ?? (typeof values === 'number' ? [] : [list.length]);
    const tensor = tensorFromNumbers(dtype, shape, list);
    const key = `${dtype}[${shape.join(',')}]:${tensorToNumbers(tensor).map(numberKey).join(',')}`;
    const cached = this.constants.get(key);
    if (cached) return cached;
    const short =
      list.length <= 8
        ? `${shape.length === 0 ? '' : '['}${list.map(numberKey).join(',')}${shape.length === 0 ? '' : ']'}`
        : `${this.constants.size}`;
    let name = `const_${DTYPE_ABBREV[dtype]}_${short}`;
    if (this.values.has(name)) name = `${name}_${this.constants.size}`;
    const v = this.initializer(name, tensor);
    this.constants.set(key, v);
    return v;
  }

  /** An int64 1-D operand: values pass through, number lists become cached constants. */
  int64s(x: Value | readonly number[]): Value {
    return x instanceof Value ? x : this.constant(x, 'int64');
  }

  /** Marks `value` as a graph output named `name` (renaming its producer's output). */
  output(value: Value, name = value.name): Value {
    let out = value;
    if (name !== value.name) {
      const renamable = this.producers.has(value.name) && !this.outputs.some((o) => o.name === value.name);
      // Inputs, initializers and values already exported under another name get an Identity.
      if (!renamable) out = this.op.Identity(value);
      this.rename(out, name);
    }
    this.outputs.push({ name, dtype: out.dtype, shape: [...out.shape] });
    return out;
  }

  /** Renames a node output everywhere it is used (for outputs, `{param}_grad`, ...). */
  rename(value: Value, name: string): void {
    if (value.name === name) return;
    if (this.values.has(name)) throw new ShapeError(`value name "${name}" is already taken`);
    const old = value.name;
    const producer = this.producers.get(old);
    if (!producer) throw new ShapeError(`only node outputs can be renamed, "${old}" is not one`);
    producer.outputs[producer.outputs.indexOf(old)] = name;
    for (const consumer of this.consumers.get(old) ?? []) {
      consumer.inputs.forEach((input, i) => {
        if (input === old) consumer.inputs[i] = name;
      });
    }
    this.outputs.forEach((o, i) => {
      if (o.name === old) this.outputs[i] = { ...o, name };
    });
    this.values.delete(old);
    this.values.set(name, value);
    this.producers.delete(old);
    this.producers.set(name, producer);
    this.consumers.set(name, this.consumers.get(old) ?? []);
    this.consumers.delete(old);
    value.setName(name);
  }

  /** Looks a value up by name (gradient rules get node data with names). */
  valueOf(name: string): Value {
    const v = this.values.get(name);
    if (!v) throw new ShapeError(`unknown value "${name}"`);
    return v;
  }

  producerOf(value: Value): NodeData | undefined {
    return this.producers.get(value.name);
  }

  consumersOf(value: Value): readonly NodeData[] {
    return this.consumers.get(value.name) ?? [];
  }

  /** A fresh, deterministic seed for the next random node (Dropout). */
  nextSeed(): number {
    const k = this.seedsIssued++;
    // splitmix-style mixing keeps seeds of neighbouring nodes unrelated.
    let z = (Math.imul(this.seed | 0, 0x9e3779b1) + Math.imul(k + 1, 0x85ebca6b)) | 0;
    z = Math.imul(z ^ (z >>> 16), 0x7feb352d);
    z = Math.imul(z ^ (z >>> 15), 0x846ca68b);
    return (z ^ (z >>> 16)) & 0x7fffffff;
  }

  // ── composite gradients ───────────────────────────────────────────────────

  /** Gives the composite that produced `output` its own gradient (see `CompositeGradient`). */
  defineGradient(output: Value, gradient: CompositeGradient): void {
    this.compositeGradients.set(output, gradient);
  }

  /** The gradient a composite registered for `value`, if any. */
  compositeGradientOf(value: Value): CompositeGradient | undefined {
    return this.compositeGradients.get(value);
  }

  // ── naming ─────────────────────────────────────────────────────────────────

  /** Runs `fn` with `name` pushed on the scope stack; intermediates are named `{scope}/{Op}_{n}`. */
  scope<T>(name: string, fn: () => T): T {
    this.scopes.push(name);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  /**
   * Emits a node of any op type with explicit inputs/attributes and output types; `domain` names
   * an operator set other than `ai.onnx` (ONNX Runtime's contrib ops are `com.microsoft`).
   */
  node(
    opType: string,
    inputs: readonly (Value | undefined)[],
    attributes: Attributes,
    outputTypes: readonly ValueType[],
    domain?: string,
  ): Value[] {
    const prefix = this.scopes.length ? `${this.scopes.join('/')}/` : '';
    const counterKey = `${prefix}${opType}`;
    const n = this.counters.get(counterKey) ?? 0;
    this.counters.set(counterKey, n + 1);
    let nodeName = `${prefix}${opType}_${n}`;
    while (this.values.has(nodeName)) nodeName = `${nodeName}_`;
    const outputNames = outputTypes.map((_, i) => (i === 0 ? nodeName : `${nodeName}:${i}`));
    const node: NodeData = {
      opType,
      name: nodeName,
      inputs: inputs.map((v) => v?.name ?? ''),
      outputs: outputNames,
      attributes,
      ...(domain ? { domain } : {}),
    };
    // Trailing omitted optional inputs are dropped, as ONNX writers do.
    while (node.inputs.length && node.inputs[node.inputs.length - 1] === '') node.inputs.pop();
    const outs = outputTypes.map((t, i) => this.define(outputNames[i], t));
    this.nodes.push(node);
    for (const name of outputNames) this.producers.set(name, node);
    for (const v of inputs) {
      if (!v) continue;
      const list = this.consumers.get(v.name) ?? [];
      if (!list.includes(node)) list.push(node);
      this.consumers.set(v.name, list);
    }
    return outs;
  }

  // ── output ─────────────────────────────────────────────────────────────────

  graph(): GraphData {
    return {
      name: this.name,
      nodes: this.nodes,
      initializers: this.initializers,
      inputs: this.inputs,
      outputs: this.outputs,
    };
  }

  model(metadata?: Readonly<Record<string, string>>, docString?: string): ModelData {
    return {
      graph: this.graph(),
      irVersion: IR_VERSION,
      opsetImports: opsetImportsFor(this.nodes),
      producerName: PRODUCER_NAME,
      metadata,
      docString,
    };
  }

  // ── internals ──────────────────────────────────────────────────────────────

  private callOp(type: OpType, args: unknown[]): Value | Value[] {
    const def = OPS[type];
    const emit = def.emit as (g: GraphBuilder, ...rest: unknown[]) => NodeSpec;
    const spec = emit(this, ...args);
    const attributes = spec.attributes ?? {};
    let types: ValueType[];
    try {
      types = def.infer(spec.inputs, attributes, spec.outputs ?? 1);
    } catch (err) {
      const where = spec.inputs.map((v) => (v ? v.toString() : '<none>')).join('; ');
      throw new ShapeError(`${type}: ${(err as Error).message} (inputs: ${where})`);
    }
    const outs = this.node(type, spec.inputs, attributes, types);
    return def.outputs === 'one' ? outs[0] : outs;
  }

  private define(name: string, type: ValueType, constant?: TensorData): Value {
    if (this.values.has(name)) throw new ShapeError(`value name "${name}" is already taken`);
    const shape: Dim[] = type.shape.map((d) => (d === null ? `unk__${this.unknownDims++}` : d));
    const v = new Value(name, type.dtype, shape, type.known, constant);
    this.values.set(name, v);
    return v;
  }
}

/** `ai.onnx` always; every other domain a node uses (contrib ops) at version 1, sorted. */
export function opsetImportsFor(nodes: readonly NodeData[]): OpsetImport[] {
  const domains = [...new Set(nodes.map((n) => n.domain ?? '').filter((d) => d !== ''))].sort();
  return [{ domain: '', version: OPSET_VERSION }, ...domains.map((domain) => ({ domain, version: 1 }))];
}

const DTYPE_ABBREV: Readonly<Record<DType, string>> = {
  float32: 'f32',
  float16: 'f16',
  int64: 'i64',
  int32: 'i32',
  int8: 'i8',
  uint8: 'u8',
  bool: 'b',
};

function numberKey(n: number): string {
  return Object.is(n, -0) ? '-0' : String(n);
}

function smallIntContent(tensor: TensorData): Dim[] | undefined {
  if ((tensor.dtype !== 'int64' && tensor.dtype !== 'int32') || tensor.dims.length > 1) return undefined;
  const data: TensorArray = tensor.data;
  if (data.length > 16) return undefined;
  return tensorToNumbers(tensor);
}
