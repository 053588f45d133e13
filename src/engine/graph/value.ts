import { DType, Dim, Shape, TensorData } from '../onnx/model';

/**
 * A value in the graph: a graph input, an initializer or a node output. It carries its dtype and
 * symbolic shape, and for small integer tensors whose content is known while building (constants,
 * `Shape` of a value, concatenations of those) the content as dims, so shape-computing subgraphs
 * (`Reshape(x, Concat(Shape(x)[0], -1))`) still get precise shapes.
 */
export class Value {
  /** @internal */
  constructor(
    private currentName: string,
    readonly dtype: DType,
    readonly shape: Shape,
    readonly known?: readonly Dim[],
    readonly constant?: TensorData,
  ) {}

  get name(): string {
    return this.currentName;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** @internal Renaming goes through the builder, which keeps nodes consistent. */
  setName(name: string): void {
    this.currentName = name;
  }

  toString(): string {
    return `${this.name}: ${this.dtype}[${this.shape.join(', ')}]`;
  }
}

/** What a shape rule returns for each output. */
export interface ValueType {
  readonly dtype: DType;
  readonly shape: readonly (Dim | null)[];
  readonly known?: readonly Dim[];
}
