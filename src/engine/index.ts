/**
 * The engine's public surface: graph building, ONNX serialisation, BERT-family definitions,
 * model-file formats and export. Plain TypeScript; no NestJS, no onnxruntime-node.
 */
export { EngineError, FormatError, UnsupportedModelError } from './errors';

// Model files
export type { EncoderConfig, HeadKind, ModelFamily } from './formats/config';
export { familyOf, headOf, isNliConfig, labelsOf, parseConfig, readConfig, serializeConfig, writeConfig } from './formats/config';
export type { HfModelDir } from './formats/hf-dir';
export { locateHfModelDir } from './formats/hf-dir';
export type { SafetensorsHeader, SafetensorsWriteOptions, TensorF32 } from './formats/safetensors';
export { parseSafetensors, readSafetensors, readSafetensorsHeader, serializeSafetensors, writeSafetensors } from './formats/safetensors';

// ONNX
export type { Attributes, AttributeValue, DType, Dim, GraphData, ModelData, NamedTensor, NodeData, Shape, TensorData, ValueInfo } from './onnx/model';
export { IR_VERSION, OPSET_VERSION, tensorFromNumbers, tensorToNumbers } from './onnx/model';
export { encodeModel, encodeModelChunks, writeModelFile } from './onnx/encode';
export { decodeModel } from './onnx/decode';

// Graph builder
export type { GraphBuilderOptions, Parameter, WeightTensor } from './graph/builder';
export { GraphBuilder } from './graph/builder';
export { Value } from './graph/value';
export type { ValueType } from './graph/value';
export type { GradContext, GradRule, NodeSpec, OpCalls, OpType } from './graph/ops';
export { OPS } from './graph/ops';
export { dropout, gelu, geluTanh, layerNorm, linear, softmax } from './graph/composites';
export { ShapeError } from './graph/shape';

// BERT family
export type { EncoderBuildOptions, EncoderGraph, InferenceModelOptions } from './nn/bert';
export { BATCH, FLOAT32_MIN, SEQUENCE, buildEncoder, buildInferenceModel, checkBuildable } from './nn/bert';
export type { FamilySpec } from './nn/family';
export { familySpec } from './nn/family';
export type { WeightSource } from './nn/weights';
export { WeightSet } from './nn/weights';
export type { ExportOptions } from './nn/export';
export { buildModelFromDir, exportModelDir, writeDirAtomically } from './nn/export';
export type { MakeTinyOptions, TinyTask } from './nn/tiny';
export { TINY_TASKS, makeTinyModelDir, tinyConfig } from './nn/tiny';
export { initTensor, initWeights } from './init';
export { Rng } from './random';
