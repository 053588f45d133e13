import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { readSafetensors } from '../../src/engine/formats/safetensors';
import { buildModelFromDir, exportModelDir } from '../../src/engine/nn/export';
import { decodeModel } from '../../src/engine/onnx/decode';
import { encodeModel } from '../../src/engine/onnx/encode';
import { HF_TINY_MODELS, describeWithFixtures, hfTinyDir } from '../helpers/fixtures';

const ROOT = resolve(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const TOLERANCE = 1e-4;

interface Reference {
  input_names: string[];
  output_names: string[];
  onnx_io: { inputs: IoSpec[]; outputs: IoSpec[] };
  batch: { shape: [number, number]; input_ids: number[][]; attention_mask: number[][]; token_type_ids: number[][] };
  outputs: Record<string, unknown>;
}
interface IoSpec {
  name: string;
  dtype: string;
  shape: (string | number)[];
}
interface MlmOutputs {
  vocab_subset: number[];
  logits_subset: number[][][];
  logsumexp: number[][];
  argmax: number[][];
  mask_positions: [number, number][];
}

type Outputs = Record<string, { dims: readonly number[]; data: Float32Array }>;

async function runOnnx(model: string | Uint8Array, ref: Reference): Promise<Outputs> {
  const session = await ort.InferenceSession.create(model as Uint8Array);
  try {
    const [b, l] = ref.batch.shape;
    const feed = (key: 'input_ids' | 'attention_mask' | 'token_type_ids') =>
      new ort.Tensor(
        'int64',
        BigInt64Array.from(ref.batch[key].flat(), (v) => BigInt(v)),
        [b, l],
      );
    const result = await session.run({
      input_ids: feed('input_ids'),
      attention_mask: feed('attention_mask'),
      token_type_ids: feed('token_type_ids'),
    });
    const out: Outputs = {};
    for (const name of ref.output_names) out[name] = { dims: result[name].dims, data: result[name].data as Float32Array };
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

/** Compares outputs with the PyTorch reference; every checked number must be within 1e-4. */
function checkAgainstReference(model: string, ref: Reference, out: Outputs): void {
  const [b, l] = ref.batch.shape;
  if (model !== 'bert-mlm') {
    for (const name of ref.output_names) {
      const expected = (ref.outputs[name] as number[] | number[][] | number[][][]).flat(2) as number[];
      expect(maxAbsDiff(expected, out[name].data)).toBeLessThanOrEqual(TOLERANCE);
    }
    return;
  }
  const mlm = ref.outputs as unknown as MlmOutputs;
  const { dims, data } = out.logits;
  const vocab = dims[2];
  expect([...dims]).toEqual([b, l, 30522]);
  const subsetExpected: number[] = [];
  const subsetGot: number[] = [];
  const lseExpected: number[] = [];
  const lseGot: number[] = [];
  for (let i = 0; i < b; i++) {
    for (let t = 0; t < l; t++) {
      const row = data.subarray((i * l + t) * vocab, (i * l + t + 1) * vocab);
      mlm.vocab_subset.forEach((id, k) => {
        subsetExpected.push(mlm.logits_subset[i][t][k]);
        subsetGot.push(row[id]);
      });
      let max = -Infinity;
      let arg = -1;
      for (let v = 0; v < vocab; v++) {
        if (row[v] > max) {
          max = row[v];
          arg = v;
        }
      }
      let sum = 0;
      for (let v = 0; v < vocab; v++) sum += Math.exp(row[v] - max);
      lseExpected.push(mlm.logsumexp[i][t]);
      lseGot.push(max + Math.log(sum));
      expect(arg).toBe(mlm.argmax[i][t]);
    }
  }
  expect(maxAbsDiff(subsetExpected, subsetGot)).toBeLessThanOrEqual(TOLERANCE);
  expect(maxAbsDiff(lseExpected, lseGot)).toBeLessThanOrEqual(TOLERANCE);
  const maskLogits = readSafetensors(join(hfTinyDir(model), 'reference_mask_logits.safetensors')).get('mask_logits')!;
  expect(maskLogits.shape).toEqual([mlm.mask_positions.length, vocab]);
  const got = new Float32Array(maskLogits.data.length);
  mlm.mask_positions.forEach(([i, t], k) => got.set(data.subarray((i * l + t) * vocab, (i * l + t + 1) * vocab), k * vocab));
  expect(maxAbsDiff(maskLogits.data, got)).toBeLessThanOrEqual(TOLERANCE);
}

describeWithFixtures('berth export: parity with the PyTorch reference (hf-tiny)', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'berth-export-parity-'));
    if (!existsSync(CLI)) execFileSync('npx', ['tsc', '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  describe.each(HF_TINY_MODELS)('%s', (model) => {
    const ref = (): Reference => JSON.parse(readFileSync(join(hfTinyDir(model), 'reference.json'), 'utf8')) as Reference;

    it('our graph, built in-process, matches PyTorch to 1e-4 with the Optimum I/O contract', async () => {
      const r = ref();
      const bytes = encodeModel(buildModelFromDir(hfTinyDir(model)));
      const graph = decodeModel(bytes).graph;
      const io = (v: { name: string; dtype: string; shape: readonly (string | number)[] }) => ({
        name: v.name,
        dtype: v.dtype === 'float32' ? 'float' : v.dtype,
        shape: [...v.shape],
      });
      expect(graph.inputs.map(io)).toEqual(r.onnx_io.inputs);
      expect(graph.outputs.map(io)).toEqual(r.onnx_io.outputs);
      expect(graph.nodes.some((n) => n.opType === 'Dropout')).toBe(false);
      checkAgainstReference(model, r, await runOnnx(bytes, r));
    });

    it('`berth export` through the built CLI writes a directory whose model.onnx matches too', async () => {
      const out = join(work, `${model}-cli`);
      execFileSync(process.execPath, [CLI, 'export', hfTinyDir(model), '--out', out], { stdio: 'pipe' });
      for (const f of ['config.json', 'tokenizer.json', 'vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json', 'model.onnx']) {
        expect(existsSync(join(out, f))).toBe(true);
      }
      expect(readFileSync(join(out, 'config.json'))).toEqual(readFileSync(join(hfTinyDir(model), 'config.json')));
      // In-process and CLI exports are the same bytes (deterministic emission).
      const inProcess = join(work, `${model}-lib`);
      exportModelDir(hfTinyDir(model), inProcess);
      expect(readFileSync(join(out, 'model.onnx')).equals(readFileSync(join(inProcess, 'model.onnx')))).toBe(true);
      checkAgainstReference(model, ref(), await runOnnx(join(out, 'model.onnx'), ref()));
    });

    it("the fixture's own PyTorch-exported model.onnx matches the same reference", async () => {
      checkAgainstReference(model, ref(), await runOnnx(join(hfTinyDir(model), 'onnx', 'model.onnx'), ref()));
    });
  });

  it('stores the MLM decoder tied: the word embedding table is in the file once', () => {
    const graph = decodeModel(encodeModel(buildModelFromDir(hfTinyDir('bert-mlm')))).graph;
    const tables = graph.initializers.filter((t) => t.dims.includes(30522) && t.dims.length === 2);
    expect(tables.map((t) => t.name)).toEqual(['bert.embeddings.word_embeddings.weight']);
  });
});
