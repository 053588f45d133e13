/**
 * @jest-environment ./test/helpers/ort-environment.js
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeModelFile } from '../engine/onnx/encode';
import type { ModelData, NodeData } from '../engine/onnx/model';
import { ModelLoadError } from '../errors/domain-error';
import {
  executionProvidersFor,
  inferenceProvidersFor,
  inferenceSessionOptions,
  installedProviders,
  OnnxModelSession,
  ProviderProbe,
} from './onnx-session';

const FLOAT = { kind: 'int', value: 1 } as const; // TensorProto.FLOAT

function cast(input: string, output: string): NodeData {
  return { opType: 'Cast', name: `cast_${output}`, inputs: [input], outputs: [output], attributes: { to: FLOAT } };
}

/** A graph that echoes its int64 inputs as float32, so feeds can be read back exactly. */
function echoModel(withTypes: boolean): ModelData {
  const seq = ['batch_size', 'sequence_length'];
  const inputs = [
    { name: 'input_ids', dtype: 'int64' as const, shape: seq },
    { name: 'attention_mask', dtype: 'int64' as const, shape: seq },
  ];
  const nodes = [cast('input_ids', 'ids_out'), cast('attention_mask', 'mask_out')];
  const outputs = [
    { name: 'ids_out', dtype: 'float32' as const, shape: seq },
    { name: 'mask_out', dtype: 'float32' as const, shape: seq },
  ];
  if (withTypes) {
    inputs.push({ name: 'token_type_ids', dtype: 'int64', shape: seq });
    nodes.push(cast('token_type_ids', 'types_out'));
    outputs.push({ name: 'types_out', dtype: 'float32', shape: seq });
  }
  return { graph: { name: 'echo', nodes, initializers: [], inputs, outputs } };
}

describe('OnnxModelSession', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-session-'));
    writeModelFile(join(dir, 'typed.onnx'), echoModel(true));
    writeModelFile(join(dir, 'untyped.onnx'), echoModel(false));
    writeFileSync(join(dir, 'garbage.onnx'), 'this is not a model');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('pads a batch on the right and returns each sequence its own unpadded slice', async () => {
    const session = await OnnxModelSession.load(join(dir, 'typed.onnx'), { device: 'cpu' });
    try {
      expect(session.provider).toBe('cpu');
      expect([...session.tokenLevelOutputs].sort()).toEqual(['ids_out', 'mask_out', 'types_out']);
      const big = 2 ** 31 - 1; // the largest value one int32 half holds
      const out = await session.runBatch([
        { ids: [101, 7, 102], attentionMask: [1, 1, 1], typeIds: [0, 1, 1] },
        { ids: [101, 30521, big, 5, 102], attentionMask: [1, 1, 1, 1, 1], typeIds: [0, 0, 0, 1, 1] },
      ]);
      expect(Array.from(out[0].ids_out.data)).toEqual([101, 7, 102]);
      expect(out[0].ids_out.dims).toEqual([3]);
      expect(Array.from(out[0].types_out.data)).toEqual([0, 1, 1]);
      expect(Array.from(out[1].ids_out.data)).toEqual([101, 30521, Math.fround(big), 5, 102]);
      expect(Array.from(out[1].mask_out.data)).toEqual([1, 1, 1, 1, 1]);
    } finally {
      await session.release();
    }
  });

  it('feeds token_type_ids only when the graph declares it', async () => {
    const session = await OnnxModelSession.load(join(dir, 'untyped.onnx'), { device: 'cpu' });
    try {
      expect(session.hasInput('token_type_ids')).toBe(false);
      const [out] = await session.runBatch([{ ids: [1, 2], attentionMask: [1, 1], typeIds: [0, 1] }]);
      expect(Array.from(out.ids_out.data)).toEqual([1, 2]);
    } finally {
      await session.release();
    }
  });

  it('missing token types are fed as zeros', async () => {
    const session = await OnnxModelSession.load(join(dir, 'typed.onnx'), { device: 'cpu' });
    try {
      const [out] = await session.runBatch([{ ids: [1, 2], attentionMask: [1, 1] }]);
      expect(Array.from(out.types_out.data)).toEqual([0, 0]);
    } finally {
      await session.release();
    }
  });

  it('refuses a file that is not a model with ModelLoadError naming it', async () => {
    const file = join(dir, 'garbage.onnx');
    await expect(OnnxModelSession.load(file, { device: 'cpu' })).rejects.toThrow(ModelLoadError);
    await expect(OnnxModelSession.load(file, { device: 'cpu' })).rejects.toThrow(file);
  });

  it('a released session refuses to run', async () => {
    const session = await OnnxModelSession.load(join(dir, 'typed.onnx'), { device: 'cpu' });
    await session.release();
    await expect(session.runBatch([{ ids: [1], attentionMask: [1] }])).rejects.toThrow(/released/);
  });

  it('asks for CPU by default, and for cuda only when its provider is installed', () => {
    expect(executionProvidersFor('cpu')).toEqual(['cpu']);
    let providers: string[] | undefined;
    try {
      providers = executionProvidersFor('cuda');
    } catch (e) {
      expect(e).toBeInstanceOf(ModelLoadError);
      expect((e as Error).message).toMatch(/cuda/i);
    }
    if (providers) expect(providers).toEqual(['cuda', 'cpu']);
  });

  describe('execution providers', () => {
    /** An installation listing `listed`, with the provider libraries in `installed` present. */
    const probe = (listed: string[], installed: string[]): ProviderProbe => ({
      listed: () => listed,
      missingLibrary: (p) => (installed.includes(p) ? undefined : `/ort/bin/libonnxruntime_providers_${p}.so`),
    });
    const gpuBuild = ['cpu', 'webgpu', 'cuda', 'tensorrt'];

    it('tensorrt asks for TensorRT, then CUDA, then CPU when both providers are installed', () => {
      expect(executionProvidersFor('tensorrt', probe(gpuBuild, ['cuda', 'tensorrt']))).toEqual(['tensorrt', 'cuda', 'cpu']);
    });

    it('tensorrt is refused, naming the missing library and the fix, when its provider is not installed', () => {
      const call = () => executionProvidersFor('tensorrt', probe(gpuBuild, ['cuda']));
      expect(call).toThrow(ModelLoadError);
      expect(call).toThrow(
        'device "tensorrt" was requested but the tensorrt execution provider is not installed (/ort/bin/libonnxruntime_providers_tensorrt.so is missing)',
      );
      expect(() => executionProvidersFor('tensorrt', probe(['cpu', 'cuda'], ['cuda']))).toThrow(
        /no tensorrt execution provider \(available: cpu, cuda\)/,
      );
      expect(() => executionProvidersFor('tensorrt', probe(gpuBuild, ['tensorrt']))).toThrow(/cuda execution provider is not installed/);
    });

    it('on the real installation, tensorrt is refused exactly when its provider library is missing', () => {
      // The repository installs onnxruntime-node without its GPU providers (ONNXRUNTIME_NODE_INSTALL=skip): refused here.
      const missing = installedProviders.missingLibrary('tensorrt');
      if (missing !== undefined) {
        expect(() => executionProvidersFor('tensorrt')).toThrow(`the tensorrt execution provider is not installed (${missing} is missing)`);
      } else {
        expect(executionProvidersFor('tensorrt')).toEqual(['tensorrt', 'cuda', 'cpu']);
      }
    });

    it('cuda adds TensorRT on its own only when TensorRT is listed and installed', () => {
      expect(inferenceProvidersFor('cuda', probe(gpuBuild, ['cuda', 'tensorrt']))).toEqual({
        providers: ['tensorrt', 'cuda', 'cpu'],
        automatic: true,
      });
      expect(inferenceProvidersFor('cuda', probe(gpuBuild, ['cuda']))).toEqual({ providers: ['cuda', 'cpu'], automatic: false });
      expect(inferenceProvidersFor('tensorrt', probe(gpuBuild, ['cuda', 'tensorrt']))).toEqual({
        providers: ['tensorrt', 'cuda', 'cpu'],
        automatic: false,
      });
      expect(inferenceProvidersFor('cpu', probe(gpuBuild, ['cuda', 'tensorrt']))).toEqual({ providers: ['cpu'], automatic: false });
    });

    it('a session on device tensorrt fails to load with the clear error when TensorRT is absent', async () => {
      const load = OnnxModelSession.load(join(dir, 'typed.onnx'), { device: 'tensorrt', probe: probe(gpuBuild, ['cuda']) });
      await expect(load).rejects.toBeInstanceOf(ModelLoadError);
      await expect(load).rejects.toThrow(/tensorrt execution provider is not installed/);
    });
  });
});

describe('inferenceSessionOptions', () => {
  it('passes thread spinning to ONNX Runtime as its session config entries, and leaves its default alone when unset', () => {
    const off = inferenceSessionOptions(['cpu'], { intraOpThreads: 2, threadSpinning: false });
    expect(off).toMatchObject({ executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: 2 });
    expect(off.extra).toEqual({ session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } });
    expect(inferenceSessionOptions(['cpu'], { threadSpinning: true }).extra).toEqual({
      session: { intra_op: { allow_spinning: '1' }, inter_op: { allow_spinning: '1' } },
    });
    expect(inferenceSessionOptions(['cpu'], {}).extra).toBeUndefined();
  });
});
