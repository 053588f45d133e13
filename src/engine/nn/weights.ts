import { FormatError } from '../errors';
import { WeightTensor } from '../graph/builder';

/**
 * The checkpoint's tensors, checked against the shapes the config implies. A missing tensor or
 * a wrong shape is a FormatError naming the weights file, the tensor, expected and actual shapes.
 */
export interface WeightSource {
  has(name: string): boolean;
  /** The tensor `name`, which must have exactly `shape`. */
  take(name: string, shape: readonly number[]): WeightTensor;
}

export class WeightSet implements WeightSource {
  private readonly used = new Set<string>();

  constructor(
    private readonly tensors: ReadonlyMap<string, WeightTensor>,
    readonly file = 'model.safetensors',
  ) {}

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  /** The tensor `name`, which must have exactly `shape`. */
  take(name: string, shape: readonly number[]): WeightTensor {
    const t = this.tensors.get(name);
    if (!t) throw new FormatError(this.file, `missing tensor "${name}" (expected shape [${shape.join(', ')}])`);
    const same = t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]);
    if (!same) {
      throw new FormatError(
        this.file,
        `tensor "${name}" has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}] from config.json`,
      );
    }
    this.used.add(name);
    return t;
  }

  /** Names present in the file but not used by the graph (HF logs these as unused weights). */
  unused(): string[] {
    return [...this.tensors.keys()].filter((n) => !this.used.has(n)).sort();
  }
}
