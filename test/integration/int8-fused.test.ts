import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { locateHfModelDir } from '../../src/engine/formats/hf-dir';
import { buildModelFromDir, exportModelDir } from '../../src/engine/nn/export';
import { inferenceGraph, quantizeModelDir } from '../../src/engine/nn/graph-variant';
import { decodeModel } from '../../src/engine/onnx/decode';
import { encodeModel } from '../../src/engine/onnx/encode';
import { ModelData } from '../../src/engine/onnx/model';
import { quantizeDynamic } from '../../src/engine/onnx/quantize';
import { servedGraph } from '../../src/serving/graph-cache';
import { HF_TINY_MODELS, describeWithFixtures, hfTinyDir } from '../helpers/fixtures';

const ROOT = resolve(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

beforeAll(() => {
  if (!existsSync(CLI)) execFileSync('npx', ['tsc', '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
});

/** Fused graphs compute the same function with other kernels: the parity bar is export's, 1e-4. */
const FUSED_TOLERANCE = 1e-4;

/**
 * int8 changes the function: each weight moves by up to scale/2 = max|column|/254 and each
 * MatMul input by up to its range/510 (DynamicQuantizeLinear's uint8 step), and these errors
 * pass through 2 layers × 5 quantized MatMuls, softmax and LayerNorm. On the hf-tiny models
 * (random weights, hidden 32) that measured 0.8–3.2 % of each output's range over the reference
 * batch with int8 weights and 0.8–4.1 % with uint8 (ORT 1.30; the fused graph with QAttention
 * gives the same figures as the plain one). The bar is 5 % of the range, and the predicted class
 * must not change where the float32 margin between the two best classes is at least twice the
 * worst int8 error.
 */
const INT8_RELATIVE_TOLERANCE = 0.05;

const FUSED_FIXTURES = [
  ...HF_TINY_MODELS,
  'distilbert-seqcls',
  'distilbert-qa',
  'roberta-seqcls',
  'roberta-ner',
  'electra-seqcls',
] as const;

interface Reference {
  output_names: string[];
  batch: { shape: [number, number]; input_ids: number[][]; attention_mask: number[][]; token_type_ids: number[][] };
  outputs: Record<string, unknown>;
}

type Outputs = Record<string, { dims: readonly number[]; data: Float32Array }>;

const reference = (model: string): Reference => JSON.parse(readFileSync(join(hfTinyDir(model), 'reference.json'), 'utf8')) as Reference;

async function run(model: ModelData | string, ref: Reference): Promise<Outputs> {
  const session = await ort.InferenceSession.create((typeof model === 'string' ? model : encodeModel(model)) as Uint8Array);
  try {
    const [b, l] = ref.batch.shape;
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of session.inputNames) {
      const rows = ref.batch[name as 'input_ids' | 'attention_mask' | 'token_type_ids'];
      feeds[name] = new ort.Tensor(
        'int64',
        BigInt64Array.from(rows.flat(), (v) => BigInt(v)),
        [b, l],
      );
    }
    const result = await session.run(feeds);
    const out: Outputs = {};
    for (const name of session.outputNames) out[name] = { dims: result[name].dims, data: result[name].data as Float32Array };
    return out;
  } finally {
    await session.release();
  }
}

function maxAbsDiff(expected: ArrayLike<number>, got: ArrayLike<number>): number {
  expect(got.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(expected[i] - got[i]));
  return worst;
}

const contribOps = (model: ModelData): string[] =>
  [...new Set(model.graph.nodes.filter((n) => n.domain === 'com.microsoft').map((n) => n.opType))].sort();

describeWithFixtures('fused inference graphs: ONNX Runtime contrib ops, parity with PyTorch (hf-tiny)', () => {
  it.each(FUSED_FIXTURES)('%s: fused and plain graphs both match the reference to 1e-4', async (name) => {
    const ref = reference(name);
    const fused = buildModelFromDir(hfTinyDir(name), { fused: true });
    expect(contribOps(fused)).toEqual(['Attention', 'BiasGelu', 'EmbedLayerNormalization', 'SkipLayerNormalization']);
    expect(fused.opsetImports).toEqual([
      { domain: '', version: 17 },
      { domain: 'com.microsoft', version: 1 },
    ]);
    // The I/O contract is the plain graph's (Optimum's).
    const plain = buildModelFromDir(hfTinyDir(name));
    expect(fused.graph.inputs).toEqual(plain.graph.inputs);
    expect(fused.graph.outputs).toEqual(plain.graph.outputs);
    const [fusedOut, plainOut] = [await run(fused, ref), await run(plain, ref)];
    if (name === 'bert-mlm') {
      // export-parity checks the plain MLM graph against PyTorch's vocabulary-wide reference;
      // the fused one is held to the plain one over all 30522 logits of every position.
      expect(maxAbsDiff(plainOut.logits.data, fusedOut.logits.data)).toBeLessThanOrEqual(FUSED_TOLERANCE);
      return;
    }
    for (const output of ref.output_names) {
      const expected = (ref.outputs[output] as number[][]).flat(2) as number[];
      expect(maxAbsDiff(expected, fusedOut[output].data)).toBeLessThanOrEqual(FUSED_TOLERANCE);
      expect(maxAbsDiff(expected, plainOut[output].data)).toBeLessThanOrEqual(FUSED_TOLERANCE);
    }
  });

  it('`berth export --fused` through the built CLI writes the same fused graph', async () => {
    const out = mkdtempSync(join(tmpdir(), 'berth-export-fused-'));
    try {
      execFileSync(process.execPath, [CLI, 'export', hfTinyDir('bert-ner'), '--out', join(out, 'm'), '--fused'], { stdio: 'pipe' });
      const written = readFileSync(join(out, 'm', 'model.onnx'));
      expect(written.equals(Buffer.from(encodeModel(buildModelFromDir(hfTinyDir('bert-ner'), { fused: true }))))).toBe(true);
      const ref = reference('bert-ner');
      const expected = (ref.outputs.logits as number[][][]).flat(2);
      expect(maxAbsDiff(expected, (await run(join(out, 'm', 'model.onnx'), ref)).logits.data)).toBeLessThanOrEqual(FUSED_TOLERANCE);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('a Berth-written model.onnx with its weights beside it is rebuilt fused; without the weights it is served as it is', () => {
    const out = mkdtempSync(join(tmpdir(), 'berth-rebuild-fused-'));
    try {
      exportModelDir(hfTinyDir('bert-seqcls'), join(out, 'm'));
      expect(contribOps(inferenceGraph(join(out, 'm'), { fused: true }))).toContain('Attention');
      rmSync(join(out, 'm', 'model.safetensors'));
      expect(contribOps(inferenceGraph(join(out, 'm'), { fused: true }))).toEqual([]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('emission is deterministic: the same fused build twice gives identical bytes', () => {
    const a = encodeModel(buildModelFromDir(hfTinyDir('bert-seqcls'), { fused: true }));
    const b = encodeModel(buildModelFromDir(hfTinyDir('bert-seqcls'), { fused: true }));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });
});

describeWithFixtures('int8 dynamic quantization: runs in ONNX Runtime within the stated tolerance of float32 (hf-tiny)', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'berth-int8-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const TASK_MODELS = HF_TINY_MODELS.filter((m) => m !== 'bert-mlm');

  const CASES = TASK_MODELS.flatMap((m) => [[m, 'int8', 'plain'] as const, [m, 'uint8', 'plain'] as const, [m, 'int8', 'fused'] as const]);
  it.each(CASES)(
    '%s, %s weights, %s graph: outputs within 5 %% of their range of PyTorch float32, same top class where the margin allows',
    async (name, weightType, graph) => {
      const ref = reference(name);
      const q = quantizeDynamic(buildModelFromDir(hfTinyDir(name), { fused: graph === 'fused' }), { weightType });
      // In the fused graph the Attention node's Q/K/V weight is quantized too (QAttention).
      if (graph === 'fused') expect(q.model.graph.nodes.filter((n) => n.opType === 'QAttention')).toHaveLength(2);
      const out = await run(q.model, ref);
      for (const output of ref.output_names) {
        const expected = (ref.outputs[output] as number[][]).flat(2) as number[];
        const range = Math.max(...expected) - Math.min(...expected);
        const worst = maxAbsDiff(expected, out[output].data);
        expect(worst).toBeGreaterThan(0); // it really is the quantized graph
        expect(worst).toBeLessThanOrEqual(INT8_RELATIVE_TOLERANCE * range);
        if (output !== 'logits' || out[output].dims.length !== 2) continue;
        const classes = out[output].dims[1];
        for (let row = 0; row < expected.length / classes; row++) {
          const e = expected.slice(row * classes, (row + 1) * classes);
          const sorted = [...e].sort((a, b) => b - a);
          if (sorted[0] - sorted[1] < 2 * worst) continue;
          const got = Array.from(out[output].data.subarray(row * classes, (row + 1) * classes));
          expect(got.indexOf(Math.max(...got))).toBe(e.indexOf(sorted[0]));
        }
      }
    },
  );

  it('ONNX Runtime runs the int8 kernels: its optimized graph has DynamicQuantizeMatMul and no float MatMul on the weights', async () => {
    const q = quantizeDynamic(buildModelFromDir(hfTinyDir('bert-seqcls')));
    const optimized = join(work, 'optimized.onnx');
    const session = await ort.InferenceSession.create(encodeModel(q.model), {
      graphOptimizationLevel: 'extended',
      optimizedModelFilePath: optimized,
    });
    await session.release();
    const nodes = decodeModel(readFileSync(optimized)).graph.nodes;
    expect(nodes.filter((n) => n.opType === 'DynamicQuantizeMatMul')).toHaveLength(q.quantized.length);
    expect(q.quantized).toHaveLength(10); // Q/K/V (fused), attention output, FFN in and out per layer × 2, pooler, classifier
  });

  it('berth quantize (in-process): a serve-only directory with a smaller model.onnx, the same answers as quantizing in memory', async () => {
    const out = join(work, 'seqcls-int8');
    const r = quantizeModelDir(hfTinyDir('bert-seqcls'), out);
    // The fixture ships PyTorch's model.onnx, which is what a directory with an ONNX file serves.
    const source = decodeModel(readFileSync(locateHfModelDir(hfTinyDir('bert-seqcls')).onnxFile!));
    expect(r.files).toEqual([
      'config.json',
      'model.onnx',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'vocab.txt',
    ]);
    expect(r.bytesAfter).toBeLessThan(r.bytesBefore / 3);
    const ref = reference('bert-seqcls');
    const fromDir = await run(join(out, 'model.onnx'), ref);
    const inMemory = await run(quantizeDynamic(source).model, ref);
    expect(maxAbsDiff(inMemory.logits.data, fromDir.logits.data)).toBe(0);
    expect(() => quantizeModelDir(out, join(work, 'twice'))).toThrow(/already quantized/);
  });

  it('berth quantize through the built CLI: reports what it did; a bad weight type is a usage error', () => {
    const out = join(work, 'cli-int8');
    const r = spawnSync(process.execPath, [CLI, 'quantize', hfTinyDir('bert-qa'), '--out', out, '--weight-type', 'uint8'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    // The fixture's own model.onnx is PyTorch's: Q, K and V apart, 6 MatMuls a layer × 2, plus qa_outputs.
    expect(r.stdout).toMatch(/^quantized 13 MatMul weights to uint8 \(0\.1 MB → 0\.0 MB\)$/m);
    expect(decodeModel(readFileSync(join(out, 'model.onnx'))).metadata).toMatchObject({
      'berth.quantization': 'dynamic-per-channel-uint8',
    });
    const bad = spawnSync(process.execPath, [CLI, 'quantize', hfTinyDir('bert-qa'), '--out', join(work, 'bad'), '--weight-type', 'int4'], {
      encoding: 'utf8',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--weight-type must be one of int8, uint8/);
    expect(existsSync(join(work, 'bad'))).toBe(false);
  });

  it('a quantized Optimum/PyTorch export (the fixture onnx/model.onnx) stays within the same tolerance', async () => {
    const ref = reference('bert-ner');
    const files = locateHfModelDir(hfTinyDir('bert-ner'), { servable: true });
    const torchExport = decodeModel(readFileSync(files.onnxFile!));
    const q = quantizeDynamic(torchExport);
    expect(q.quantized.length).toBeGreaterThan(0);
    const out = await run(q.model, ref);
    const expected = (ref.outputs.logits as number[][][]).flat(2);
    expect(maxAbsDiff(expected, out.logits.data)).toBeLessThanOrEqual(
      INT8_RELATIVE_TOLERANCE * (Math.max(...expected) - Math.min(...expected)),
    );
  });

  it('load-time variants are prepared once into the cache and reused; a changed variant gets its own entry', () => {
    const cache = join(work, 'cache');
    const dir = hfTinyDir('bert-seqcls');
    const files = locateHfModelDir(dir, { servable: true });
    const first = servedGraph(dir, files, { quantize: 'int8' }, cache);
    expect(typeof first).toBe('string');
    expect(existsSync(first as string)).toBe(true);
    expect(servedGraph(dir, files, { quantize: 'int8' }, cache)).toBe(first);
    const fused = servedGraph(dir, files, { fused: true, quantize: 'int8' }, cache);
    expect(fused).not.toBe(first);
    expect(readdirSync(cache)).toHaveLength(2);
    // The fixture's model.onnx is PyTorch's, so `fused` cannot rebuild it: only quantized.
    expect(contribOps(decodeModel(readFileSync(fused as string)))).toEqual([]);
    // No variant asked: the directory's own file, untouched.
    expect(servedGraph(dir, files, {}, cache)).toBe(files.onnxFile);
    expect(contribOps(inferenceGraph(dir, { fused: true }, { ...files, onnxFile: undefined }))).toContain('Attention');
  });
});
