/**
 * Parity with the PyTorch references of the hf-tiny fixtures, shared by the BERT tests and the
 * per-family tests (`test/integration/family-*.test.ts`): running a reference batch through an
 * ONNX model, comparing its outputs with reference.json, and the export parity checks (training
 * parity: train-reference.ts; the HTTP API: serving-parity.ts). Expected values come from the fixtures, never from our own output.
 *
 * With BERTH_PARITY_REPORT set, the worst difference of each check is printed after the run.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { readSafetensors } from '../../src/engine/formats/safetensors';
import { buildModelFromDir, exportModelDir } from '../../src/engine/nn/export';
import { decodeModel } from '../../src/engine/onnx/decode';
import { encodeModel } from '../../src/engine/onnx/encode';
import { torchCheckpoint } from '../support/torch-checkpoint-writer';
import { hfTinyDir } from './fixtures';

const ROOT = resolve(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
export const OUTPUT_TOLERANCE = 1e-4;

export interface IoSpec {
  name: string;
  dtype: string;
  shape: (string | number)[];
}

export interface Reference {
  input_names: string[];
  output_names: string[];
  onnx_io: { inputs: IoSpec[]; outputs: IoSpec[] };
  batch: { shape: [number, number]; input_ids: number[][]; attention_mask: number[][]; token_type_ids: number[][] };
  outputs: Record<string, unknown>;
}

interface MlmOutputs {
  vocab_subset: number[];
  logits_subset: number[][][];
  logsumexp: number[][];
  argmax: number[][];
  mask_positions: [number, number][];
}

export type Outputs = Record<string, { dims: readonly number[]; data: Float32Array }>;

export function loadReference(model: string): Reference {
  return JSON.parse(readFileSync(join(hfTinyDir(model), 'reference.json'), 'utf8')) as Reference;
}

// ── worst differences, for the closing note of a parity run ─────────────────────────────────

const worst = new Map<string, number>();

/** Remembers the worst difference seen for `check` (printed with BERTH_PARITY_REPORT set). */
export function recordWorst(check: string, value: number): void {
  worst.set(check, Math.max(worst.get(check) ?? 0, value));
}

/** Call once per test file: prints the recorded worst differences after its tests. */
export function reportWorstAfterAll(): void {
  afterAll(() => {
    if (!process.env.BERTH_PARITY_REPORT || worst.size === 0) return;
    const lines = [...worst].map(([check, value]) => `  ${check}: ${value.toExponential(2)}`);
    process.stdout.write(`worst differences\n${lines.join('\n')}\n`);
  });
}

// ── running and comparing ───────────────────────────────────────────────────────────────────

/** Runs the padded reference batch, feeding exactly the inputs the reference model takes. */
export async function runReferenceBatch(model: string | Uint8Array, ref: Reference): Promise<Outputs> {
  const session = await ort.InferenceSession.create(model as Uint8Array);
  try {
    const [b, l] = ref.batch.shape;
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of ref.input_names as Array<'input_ids' | 'attention_mask' | 'token_type_ids'>) {
      feeds[name] = new ort.Tensor(
        'int64',
        BigInt64Array.from(ref.batch[name].flat(), (v) => BigInt(v)),
        [b, l],
      );
    }
    const result = await session.run(feeds);
    const out: Outputs = {};
    for (const name of ref.output_names) out[name] = { dims: result[name].dims, data: result[name].data as Float32Array };
    return out;
  } finally {
    await session.release();
  }
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

export function maxAbsDiff(expected: ArrayLike<number>, got: ArrayLike<number>): number {
  expect(got.length).toBe(expected.length);
  let m = 0;
  for (let i = 0; i < expected.length; i++) m = Math.max(m, Math.abs(expected[i] - got[i]));
  return m;
}

/**
 * Compares outputs with the PyTorch reference; every checked number must be within 1e-4. Returns
 * the worst difference. Masked-LM models store a vocabulary subset, the logsumexp and argmax of
 * every position, and the full rows at the masks.
 */
export function checkAgainstReference(model: string, ref: Reference, out: Outputs): number {
  const [b, l] = ref.batch.shape;
  if (!model.endsWith('-mlm')) {
    let worstDiff = 0;
    for (const name of ref.output_names) {
      const expected = (ref.outputs[name] as number[] | number[][] | number[][][]).flat(2) as number[];
      const diff = maxAbsDiff(expected, out[name].data);
      expect(diff).toBeLessThanOrEqual(OUTPUT_TOLERANCE);
      worstDiff = Math.max(worstDiff, diff);
    }
    return worstDiff;
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
  const subset = maxAbsDiff(subsetExpected, subsetGot);
  const lse = maxAbsDiff(lseExpected, lseGot);
  const maskLogits = readSafetensors(join(hfTinyDir(model), 'reference_mask_logits.safetensors')).get('mask_logits')!;
  expect(maskLogits.shape).toEqual([mlm.mask_positions.length, vocab]);
  const got = new Float32Array(maskLogits.data.length);
  mlm.mask_positions.forEach(([i, t], k) => got.set(data.subarray((i * l + t) * vocab, (i * l + t + 1) * vocab), k * vocab));
  const masks = maxAbsDiff(maskLogits.data, got);
  for (const diff of [subset, lse, masks]) expect(diff).toBeLessThanOrEqual(OUTPUT_TOLERANCE);
  return Math.max(subset, lse, masks);
}

// ── export parity ───────────────────────────────────────────────────────────────────────────

/**
 * `berth export` against reference.json for each of `models`: the graph built in-process (with the
 * Optimum I/O contract), the built CLI's output directory (the same bytes), and the fixture's own
 * PyTorch-exported ONNX file as a check of the harness.
 */
export function describeExportParity(models: readonly string[], family: string): void {
  describe(`${family}: berth export reproduces reference.json (1e-4)`, () => {
    let work: string;
    beforeAll(() => {
      work = mkdtempSync(join(tmpdir(), 'berth-export-parity-'));
      if (!existsSync(CLI)) execFileSync('npx', ['tsc', '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
    });
    afterAll(() => rmSync(work, { recursive: true, force: true }));

    describe.each(models)('%s', (model) => {
      it('our graph, built in-process, matches PyTorch to 1e-4 with the Optimum I/O contract', async () => {
        const ref = loadReference(model);
        const bytes = encodeModel(buildModelFromDir(hfTinyDir(model)));
        const graph = decodeModel(bytes).graph;
        const io = (v: { name: string; dtype: string; shape: readonly (string | number)[] }) => ({
          name: v.name,
          dtype: v.dtype === 'float32' ? 'float' : v.dtype,
          shape: [...v.shape],
        });
        expect(graph.inputs.map(io)).toEqual(ref.onnx_io.inputs);
        expect(graph.outputs.map(io)).toEqual(ref.onnx_io.outputs);
        expect(graph.nodes.some((n) => n.opType === 'Dropout')).toBe(false);
        recordWorst(`${model} export (in-process)`, checkAgainstReference(model, ref, await runReferenceBatch(bytes, ref)));
      });

      it('`berth export` through the built CLI writes a directory whose model.onnx matches too', async () => {
        const ref = loadReference(model);
        const out = join(work, `${model}-cli`);
        execFileSync(process.execPath, [CLI, 'export', hfTinyDir(model), '--out', out], { stdio: 'pipe' });
        for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'model.onnx']) {
          expect(existsSync(join(out, f))).toBe(true);
        }
        expect(readFileSync(join(out, 'config.json'))).toEqual(readFileSync(join(hfTinyDir(model), 'config.json')));
        // In-process and CLI exports are the same bytes (deterministic emission).
        const inProcess = join(work, `${model}-lib`);
        exportModelDir(hfTinyDir(model), inProcess);
        expect(readFileSync(join(out, 'model.onnx')).equals(readFileSync(join(inProcess, 'model.onnx')))).toBe(true);
        recordWorst(
          `${model} export (berth export)`,
          checkAgainstReference(model, ref, await runReferenceBatch(join(out, 'model.onnx'), ref)),
        );
      });

      it('a folder holding the weights as pytorch_model.bin only exports the same model.onnx', () => {
        const binDir = join(work, `${model}-bin`);
        mkdirSync(binDir);
        cpSync(join(hfTinyDir(model), 'config.json'), join(binDir, 'config.json'));
        writeFileSync(join(binDir, 'pytorch_model.bin'), torchCheckpoint(readSafetensors(join(hfTinyDir(model), 'model.safetensors'))));
        const fromBin = encodeModel(buildModelFromDir(binDir));
        expect(Buffer.from(fromBin).equals(Buffer.from(encodeModel(buildModelFromDir(hfTinyDir(model)))))).toBe(true);
      });

      it("the fixture's own PyTorch-exported model.onnx matches the same reference", async () => {
        const ref = loadReference(model);
        checkAgainstReference(model, ref, await runReferenceBatch(join(hfTinyDir(model), 'onnx', 'model.onnx'), ref));
      });
    });
  });
}
