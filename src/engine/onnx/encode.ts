import { closeSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import {
  AttributeValue,
  GraphData,
  IR_VERSION,
  ModelData,
  NodeData,
  ONNX_DATA_TYPE,
  OPSET_VERSION,
  PRODUCER_NAME,
  TensorData,
  ValueInfo,
  tensorBytes,
} from './model';
import { ProtoWriter } from './protobuf';

// Field numbers from onnx.proto (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto).
const MODEL = { irVersion: 1, producerName: 2, producerVersion: 3, docString: 6, graph: 7, opsetImport: 8, metadataProps: 14 };
const OPSET_ID = { domain: 1, version: 2 };
const STRING_ENTRY = { key: 1, value: 2 };
const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12, valueInfo: 13 };
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 };
const ATTRIBUTE = { name: 1, f: 2, i: 3, s: 4, t: 5, floats: 7, ints: 8, type: 20 };
const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;
const TENSOR = { dims: 1, dataType: 2, name: 8, rawData: 9 };
const VALUE_INFO = { name: 1, type: 2 };
const TYPE = { tensorType: 1 };
const TENSOR_TYPE = { elemType: 1, shape: 2 };
const SHAPE = { dim: 1 };
const DIMENSION = { dimValue: 1, dimParam: 2 };

export function writeTensor(w: ProtoWriter, tensor: TensorData, name?: string): void {
  for (const d of tensor.dims) w.varintField(TENSOR.dims, d);
  w.varintField(TENSOR.dataType, ONNX_DATA_TYPE[tensor.dtype]);
  if (name !== undefined) w.stringField(TENSOR.name, name);
  w.bytesField(TENSOR.rawData, tensorBytes(tensor.data));
}

function writeAttribute(w: ProtoWriter, name: string, attr: AttributeValue): void {
  w.stringField(ATTRIBUTE.name, name);
  switch (attr.kind) {
    case 'float':
      w.floatField(ATTRIBUTE.f, attr.value);
      break;
    case 'int':
      w.varintField(ATTRIBUTE.i, attr.value);
      break;
    case 'string':
      w.stringField(ATTRIBUTE.s, attr.value);
      break;
    case 'tensor':
      w.messageField(ATTRIBUTE.t, (t) => writeTensor(t, attr.value));
      break;
    case 'floats':
      w.packedFloatField(ATTRIBUTE.floats, attr.value);
      break;
    case 'ints':
      w.packedVarintField(ATTRIBUTE.ints, attr.value);
      break;
  }
  w.varintField(ATTRIBUTE.type, ATTRIBUTE_TYPE[attr.kind]);
}

function writeNode(w: ProtoWriter, node: NodeData): void {
  for (const input of node.inputs) w.stringField(NODE.input, input);
  for (const output of node.outputs) w.stringField(NODE.output, output);
  w.stringField(NODE.name, node.name);
  w.stringField(NODE.opType, node.opType);
  // Attributes in name order: the bytes must not depend on how a rule happened to list them.
  for (const key of Object.keys(node.attributes).sort()) {
    w.messageField(NODE.attribute, (a) => writeAttribute(a, key, node.attributes[key]));
  }
  if (node.domain) w.stringField(NODE.domain, node.domain);
}

function writeValueInfo(w: ProtoWriter, info: ValueInfo): void {
  w.stringField(VALUE_INFO.name, info.name);
  w.messageField(VALUE_INFO.type, (type) =>
    type.messageField(TYPE.tensorType, (tt) => {
      tt.varintField(TENSOR_TYPE.elemType, ONNX_DATA_TYPE[info.dtype]);
      tt.messageField(TENSOR_TYPE.shape, (shape) => {
        for (const dim of info.shape) {
          shape.messageField(SHAPE.dim, (d) => {
            if (typeof dim === 'number') d.varintField(DIMENSION.dimValue, dim);
            else d.stringField(DIMENSION.dimParam, dim);
          });
        }
      });
    }),
  );
}

function writeGraph(w: ProtoWriter, graph: GraphData): void {
  for (const node of graph.nodes) w.messageField(GRAPH.node, (n) => writeNode(n, node));
  w.stringField(GRAPH.name, graph.name);
  for (const init of graph.initializers) w.messageField(GRAPH.initializer, (t) => writeTensor(t, init, init.name));
  for (const input of graph.inputs) w.messageField(GRAPH.input, (v) => writeValueInfo(v, input));
  for (const output of graph.outputs) w.messageField(GRAPH.output, (v) => writeValueInfo(v, output));
  for (const info of graph.valueInfo ?? []) w.messageField(GRAPH.valueInfo, (v) => writeValueInfo(v, info));
}

/** Encodes a model as protobuf chunks. Large tensors are referenced, not copied. */
export function encodeModelChunks(model: ModelData): Uint8Array[] {
  const w = new ProtoWriter();
  w.varintField(MODEL.irVersion, model.irVersion ?? IR_VERSION);
  w.stringField(MODEL.producerName, model.producerName ?? PRODUCER_NAME);
  if (model.producerVersion) w.stringField(MODEL.producerVersion, model.producerVersion);
  if (model.docString) w.stringField(MODEL.docString, model.docString);
  w.messageField(MODEL.graph, (g) => writeGraph(g, model.graph));
  for (const opset of model.opsetImports ?? [{ domain: '', version: OPSET_VERSION }]) {
    w.messageField(MODEL.opsetImport, (o) => {
      if (opset.domain) o.stringField(OPSET_ID.domain, opset.domain);
      o.varintField(OPSET_ID.version, opset.version);
    });
  }
  const metadata = model.metadata ?? {};
  for (const key of Object.keys(metadata).sort()) {
    w.messageField(MODEL.metadataProps, (e) => {
      e.stringField(STRING_ENTRY.key, key);
      e.stringField(STRING_ENTRY.value, metadata[key]);
    });
  }
  return w.finish();
}

/** The model as one buffer (one copy of the payload, for in-memory sessions). */
export function encodeModel(model: ModelData): Uint8Array {
  return Buffer.concat(encodeModelChunks(model));
}

/** Writes the model to `file` via a temporary sibling and a rename, streaming the chunks. */
export function writeModelFile(file: string, model: ModelData): void {
  const chunks = encodeModelChunks(model);
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  let complete = false;
  try {
    for (const chunk of chunks) {
      let offset = 0;
      while (offset < chunk.length) offset += writeSync(fd, chunk, offset);
    }
    complete = true;
  } finally {
    closeSync(fd);
    if (!complete) unlinkSync(tmp);
  }
  renameSync(tmp, file);
}
