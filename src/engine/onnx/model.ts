/**
 * Plain-data mirror of the ONNX protobuf messages Berth writes and reads. The graph builder
 * produces these objects directly, so the in-memory graph is inspectable data (autodiff walks
 * `GraphData.nodes` in reverse) and serialization is a separate, mechanical step.
 */
import { f16ToF32, f32ToF16 } from '../formats/float16';

/**
 * Element types the engine emits. Names follow numpy/ORT (`float32`, `int64`, ...); `int8` and
 * `uint8` hold quantized weights and zero points.
 */
export type DType = 'float32' | 'float16' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';

/** A dimension: a fixed size, or a symbolic name such as `batch_size` (ONNX `dim_param`). */
export type Dim = number | string;
export type Shape = readonly Dim[];

/** The typed array backing each dtype; float16 is stored as raw IEEE half bits. */
export interface TypedArrayOf {
  float32: Float32Array;
  float16: Uint16Array;
  int64: BigInt64Array;
  int32: Int32Array;
  int8: Int8Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}
export type TensorArray = TypedArrayOf[DType];

export interface TensorData {
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly data: TensorArray;
}

export interface NamedTensor extends TensorData {
  readonly name: string;
}

export interface ValueInfo {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: Shape;
}

export type AttributeValue =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'tensor'; readonly value: TensorData };

export type Attributes = Readonly<Record<string, AttributeValue>>;

export interface NodeData {
  readonly opType: string;
  readonly name: string;
  /** Value names; `''` marks an omitted optional input, as in ONNX. */
  readonly inputs: string[];
  readonly outputs: string[];
  readonly attributes: Attributes;
  readonly domain?: string;
}

export interface GraphData {
  readonly name: string;
  readonly nodes: NodeData[];
  readonly initializers: NamedTensor[];
  readonly inputs: ValueInfo[];
  readonly outputs: ValueInfo[];
  readonly valueInfo?: ValueInfo[];
}

export interface OpsetImport {
  readonly domain: string;
  readonly version: number;
}

export interface ModelData {
  readonly graph: GraphData;
  readonly irVersion?: number;
  readonly opsetImports?: readonly OpsetImport[];
  readonly producerName?: string;
  readonly producerVersion?: string;
  readonly docString?: string;
  /** Written as `metadata_props`, in key order. */
  readonly metadata?: Readonly<Record<string, string>>;
}

export const IR_VERSION = 8;
export const OPSET_VERSION = 17;
export const PRODUCER_NAME = 'berth';

/** ONNX `TensorProto.DataType` codes. */
export const ONNX_DATA_TYPE: Readonly<Record<DType, number>> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
};

export const DTYPE_OF_ONNX: Readonly<Record<number, DType>> = Object.fromEntries(
  Object.entries(ONNX_DATA_TYPE).map(([dtype, code]) => [code, dtype as DType]),
);

export const BYTES_PER_ELEMENT: Readonly<Record<DType, number>> = {
  float32: 4,
  float16: 2,
  int64: 8,
  int32: 4,
  int8: 1,
  uint8: 1,
  bool: 1,
};

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((n, d) => n * d, 1);
}

/** Builds a tensor from plain numbers, converting to the dtype's typed array. */
export function tensorFromNumbers(dtype: DType, dims: readonly number[], values: readonly number[]): TensorData {
  if (values.length !== elementCount(dims)) {
    throw new Error(`tensor of shape [${dims.join(',')}] needs ${elementCount(dims)} values, got ${values.length}`);
  }
  switch (dtype) {
    case 'float32':
      return { dtype, dims, data: Float32Array.from(values) };
    case 'int64':
      return { dtype, dims, data: BigInt64Array.from(values, (v) => BigInt(Math.trunc(v))) };
    case 'int32':
      return { dtype, dims, data: Int32Array.from(values) };
    case 'int8':
      return { dtype, dims, data: Int8Array.from(values) };
    case 'uint8':
      return { dtype, dims, data: Uint8Array.from(values) };
    case 'bool':
      return { dtype, dims, data: Uint8Array.from(values, (v) => (v ? 1 : 0)) };
    case 'float16':
      return { dtype, dims, data: Uint16Array.from(values, f32ToF16) };
  }
}

/** The tensor's values as plain numbers (int64 beyond 2^53 loses precision; fine for shapes). */
export function tensorToNumbers(tensor: TensorData): number[] {
  if (tensor.dtype === 'float16') return Array.from(tensor.data as Uint16Array, f16ToF32);
  if (tensor.data instanceof BigInt64Array) return Array.from(tensor.data, (v) => Number(v));
  return Array.from(tensor.data as ArrayLike<number>);
}

/** Little-endian bytes of a typed array, as a view (no copy) on little-endian hosts. */
export function tensorBytes(data: TensorArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
