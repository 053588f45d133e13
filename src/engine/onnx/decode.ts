import {
  AttributeValue,
  DTYPE_OF_ONNX,
  DType,
  Dim,
  GraphData,
  ModelData,
  NamedTensor,
  NodeData,
  OpsetImport,
  TensorArray,
  ValueInfo,
  elementCount,
} from './model';
import { ProtoField, floatOf, readFields, repeatedFloats, repeatedInts, signedOf, stringOf } from './protobuf';

/**
 * Reads ONNX models back into plain data: what tests need to inspect our output and the
 * reference exports (initializers, nodes, I/O), with no Python available. Tensor payloads are
 * copied into aligned typed arrays; float_data/int64_data/int32_data are understood as well as
 * raw_data, since other exporters use them for small tensors.
 */
export function decodeModel(bytes: Uint8Array): ModelData {
  const fields = readFields(bytes);
  let graph: GraphData | undefined;
  const opsetImports: OpsetImport[] = [];
  const metadata: Record<string, string> = {};
  let irVersion: number | undefined;
  let producerName: string | undefined;
  let producerVersion: string | undefined;
  let docString: string | undefined;
  for (const f of fields) {
    switch (f.field) {
      case 1:
        irVersion = signedOf(f);
        break;
      case 2:
        producerName = stringOf(f);
        break;
      case 3:
        producerVersion = stringOf(f);
        break;
      case 6:
        docString = stringOf(f);
        break;
      case 7:
        graph = decodeGraph(f.bytes as Uint8Array);
        break;
      case 8: {
        const sub = readFields(f.bytes as Uint8Array);
        opsetImports.push({
          domain: stringFieldOf(sub, 1) ?? '',
          version: signedOf(sub.find((s) => s.field === 2) ?? { field: 2, wireType: 0, varint: 0n }),
        });
        break;
      }
      case 14: {
        const sub = readFields(f.bytes as Uint8Array);
        metadata[stringFieldOf(sub, 1) ?? ''] = stringFieldOf(sub, 2) ?? '';
        break;
      }
    }
  }
  if (!graph) throw new Error('ONNX model has no graph');
  return { graph, irVersion, opsetImports, producerName, producerVersion, docString, metadata };
}

function stringFieldOf(fields: ProtoField[], field: number): string | undefined {
  const f = fields.find((x) => x.field === field);
  return f ? stringOf(f) : undefined;
}

export function decodeGraph(bytes: Uint8Array): GraphData {
  const fields = readFields(bytes);
  const nodes: NodeData[] = [];
  const initializers: NamedTensor[] = [];
  const inputs: ValueInfo[] = [];
  const outputs: ValueInfo[] = [];
  const valueInfo: ValueInfo[] = [];
  let name = '';
  for (const f of fields) {
    const b = f.bytes as Uint8Array;
    switch (f.field) {
      case 1:
        nodes.push(decodeNode(b));
        break;
      case 2:
        name = stringOf(f);
        break;
      case 5:
        initializers.push(decodeTensor(b));
        break;
      case 11:
        inputs.push(decodeValueInfo(b));
        break;
      case 12:
        outputs.push(decodeValueInfo(b));
        break;
      case 13:
        valueInfo.push(decodeValueInfo(b));
        break;
    }
  }
  return { name, nodes, initializers, inputs, outputs, valueInfo };
}

function decodeNode(bytes: Uint8Array): NodeData {
  const fields = readFields(bytes);
  const attributes: Record<string, AttributeValue> = {};
  for (const f of fields) {
    if (f.field !== 5) continue;
    const [key, value] = decodeAttribute(f.bytes as Uint8Array);
    attributes[key] = value;
  }
  return {
    inputs: fields.filter((f) => f.field === 1).map(stringOf),
    outputs: fields.filter((f) => f.field === 2).map(stringOf),
    name: stringFieldOf(fields, 3) ?? '',
    opType: stringFieldOf(fields, 4) ?? '',
    domain: stringFieldOf(fields, 7) ?? '',
    attributes,
  };
}

function decodeAttribute(bytes: Uint8Array): [string, AttributeValue] {
  const fields = readFields(bytes);
  const name = stringFieldOf(fields, 1) ?? '';
  const type = Number(fields.find((f) => f.field === 20)?.varint ?? 0n);
  const one = (field: number): ProtoField => {
    const f = fields.find((x) => x.field === field);
    if (!f) throw new Error(`attribute ${name}: missing value`);
    return f;
  };
  switch (type) {
    case 1:
      return [name, { kind: 'float', value: floatOf(one(2)) }];
    case 2:
      return [name, { kind: 'int', value: signedOf(one(3)) }];
    case 3:
      return [name, { kind: 'string', value: stringOf(one(4)) }];
    case 4:
      return [name, { kind: 'tensor', value: decodeTensor(one(5).bytes as Uint8Array) }];
    case 6:
      return [name, { kind: 'floats', value: repeatedFloats(fields, 7) }];
    case 7:
      return [name, { kind: 'ints', value: repeatedInts(fields, 8) }];
    default:
      throw new Error(`attribute ${name}: unsupported attribute type ${type}`);
  }
}

export function decodeTensor(bytes: Uint8Array): NamedTensor {
  const fields = readFields(bytes);
  const dims = repeatedInts(fields, 1);
  const code = Number(fields.find((f) => f.field === 2)?.varint ?? 0n);
  const dtype = DTYPE_OF_ONNX[code];
  const name = stringFieldOf(fields, 8) ?? '';
  if (!dtype) throw new Error(`tensor ${name}: unsupported data type ${code}`);
  const raw = fields.find((f) => f.field === 9)?.bytes;
  const count = elementCount(dims);
  let data: TensorArray;
  if (raw) {
    data = typedArrayFromBytes(dtype, raw);
  } else if (dtype === 'float32') {
    data = Float32Array.from(repeatedFloats(fields, 4));
  } else if (dtype === 'int64') {
    data = BigInt64Array.from(repeatedInts(fields, 7), (v) => BigInt(v));
  } else {
    const values = repeatedInts(fields, 5);
    data =
      dtype === 'int32'
        ? Int32Array.from(values)
        : dtype === 'int8'
          ? Int8Array.from(values)
          : dtype === 'bool' || dtype === 'uint8'
            ? Uint8Array.from(values)
            : Uint16Array.from(values);
  }
  if (data.length !== count) throw new Error(`tensor ${name}: ${data.length} values for shape [${dims.join(',')}]`);
  return { name, dtype, dims, data };
}

function typedArrayFromBytes(dtype: DType, raw: Uint8Array): TensorArray {
  const copy = new Uint8Array(raw); // an aligned, owned copy (Buffer.slice would be a view)
  switch (dtype) {
    case 'float32':
      return new Float32Array(copy.buffer, 0, copy.length / 4);
    case 'float16':
      return new Uint16Array(copy.buffer, 0, copy.length / 2);
    case 'int64':
      return new BigInt64Array(copy.buffer, 0, copy.length / 8);
    case 'int32':
      return new Int32Array(copy.buffer, 0, copy.length / 4);
    case 'int8':
      return new Int8Array(copy.buffer, 0, copy.length);
    case 'uint8':
    case 'bool':
      return copy;
  }
}

function decodeValueInfo(bytes: Uint8Array): ValueInfo {
  const fields = readFields(bytes);
  const name = stringFieldOf(fields, 1) ?? '';
  let dtype: DType = 'float32';
  const shape: Dim[] = [];
  const type = fields.find((f) => f.field === 2);
  const tensorType = type && readFields(type.bytes as Uint8Array).find((f) => f.field === 1);
  if (tensorType) {
    const tt = readFields(tensorType.bytes as Uint8Array);
    const elem = tt.find((f) => f.field === 1);
    if (elem) dtype = DTYPE_OF_ONNX[Number(elem.varint)] ?? dtype;
    const shapeField = tt.find((f) => f.field === 2);
    if (shapeField) {
      for (const dimField of readFields(shapeField.bytes as Uint8Array)) {
        if (dimField.field !== 1) continue;
        const d = readFields(dimField.bytes as Uint8Array);
        const value = d.find((x) => x.field === 1);
        const param = d.find((x) => x.field === 2);
        shape.push(value ? signedOf(value) : param ? stringOf(param) : '?');
      }
    }
  }
  return { name, dtype, shape };
}
