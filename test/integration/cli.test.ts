import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { readSafetensors, writeSafetensors } from '../../src/engine/formats/safetensors';

const ROOT = resolve(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

function berth(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('berth CLI', () => {
  let work: string;
  let tiny: string;
  beforeAll(() => {
    if (!existsSync(CLI)) execFileSync('npx', ['tsc', '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
    work = mkdtempSync(join(tmpdir(), 'berth-cli-'));
    tiny = join(work, 'tiny-cls');
    const r = berth('make-tiny', '--task', 'classification', '--out', tiny, '--seed', '7');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** A copy of the tiny model with one file changed. */
  function broken(name: string, mutate: (dir: string) => void): string {
    const dir = join(work, name);
    cpSync(tiny, dir, { recursive: true });
    mutate(dir);
    return dir;
  }

  function expectFailure(args: string[], code: number, message: RegExp): void {
    const out = args[args.indexOf('--out') + 1];
    const r = berth(...args);
    expect(r.status).toBe(code);
    expect(r.stderr).toMatch(message);
    if (code === 1) expect(r.stderr.trim().split('\n')).toHaveLength(1); // one line: berth: <file>: <problem>
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    if (out) expect(existsSync(out)).toBe(false); // never a partial output directory
  }

  it('prints help with the command table', () => {
    const r = berth('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/export/);
    expect(r.stdout).toMatch(/make-tiny/);
    expect(berth('export', '--help').stdout).toMatch(/berth export <hf-model-dir> --out <dir>/);
  });

  it('exits 2 on usage errors', () => {
    expect(berth().status).toBe(2);
    expectFailure(['nonsense'], 2, /unknown command "nonsense"/);
    expectFailure(['export', tiny], 2, /--out is required/);
    expectFailure(['export', tiny, '--out', join(work, 'x'), '--bogus'], 2, /bogus/);
    expectFailure(['make-tiny', '--task', 'poetry', '--out', join(work, 'y')], 2, /--task must be one of/);
    expectFailure(['make-tiny', '--task', 'ner', '--out', join(work, 'z'), '--seed=-3'], 2, /--seed must be a non-negative integer/);
    expectFailure(['make-tiny', '--task', 'ner', '--out', join(work, 'z'), '--seed', 'abc'], 2, /--seed must be a non-negative integer/);
  });

  it('fails with one line naming the directory when it does not exist', () => {
    const missing = join(work, 'no-such-model');
    expectFailure(['export', missing, '--out', join(work, 'o1')], 1, new RegExp(`^berth: ${missing}: model directory not found\\n$`));
  });

  it('fails naming config.json when it is missing', () => {
    const dir = broken('no-config', (d) => rmSync(join(d, 'config.json')));
    expectFailure(['export', dir, '--out', join(work, 'o2')], 1, new RegExp(`^berth: ${join(dir, 'config.json')}: file not found`));
  });

  it('fails naming config.json when it is not JSON', () => {
    const dir = broken('bad-json', (d) => writeFileSync(join(d, 'config.json'), '{"model_type": "bert",'));
    expectFailure(['export', dir, '--out', join(work, 'o3')], 1, new RegExp(`^berth: ${join(dir, 'config.json')}: not valid JSON`));
  });

  it('fails naming model.safetensors when it is truncated', () => {
    const dir = broken('truncated', (d) => {
      const f = join(d, 'model.safetensors');
      truncateSync(f, Math.floor(statSync(f).size / 2));
    });
    expectFailure(['export', dir, '--out', join(work, 'o4')], 1, new RegExp(`^berth: ${join(dir, 'model.safetensors')}: `));
  });

  it('fails naming the tensor and both shapes when a weight does not fit the config', () => {
    const dir = broken('mismatch', (d) => {
      const f = join(d, 'model.safetensors');
      const tensors = readSafetensors(f);
      tensors.set('classifier.weight', { shape: [3, 64], data: new Float32Array(3 * 64) });
      writeSafetensors(f, tensors);
    });
    expectFailure(
      ['export', dir, '--out', join(work, 'o5')],
      1,
      /^berth: .*model\.safetensors: tensor "classifier\.weight" has shape \[3, 64\], expected \[2, 64\] from config\.json\n$/,
    );
  });

  it('fails naming the tensor when a weight is missing', () => {
    const dir = broken('missing-tensor', (d) => {
      const f = join(d, 'model.safetensors');
      const tensors = readSafetensors(f);
      tensors.delete('bert.encoder.layer.1.output.dense.weight');
      writeSafetensors(f, tensors);
    });
    expectFailure(
      ['export', dir, '--out', join(work, 'o6')],
      1,
      /model\.safetensors: missing tensor "bert\.encoder\.layer\.1\.output\.dense\.weight" \(expected shape \[64, 128\]\)/,
    );
  });

  it('fails naming config.json on an unknown architecture', () => {
    const dir = broken('unknown-arch', (d) => {
      const f = join(d, 'config.json');
      const config = JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;
      config.architectures = ['BertForMultipleChoice'];
      writeFileSync(f, JSON.stringify(config));
    });
    expectFailure(
      ['export', dir, '--out', join(work, 'o7')],
      1,
      new RegExp(`^berth: ${join(dir, 'config.json')}: architecture "BertForMultipleChoice" is not supported`),
    );
  });

  it('refuses to overwrite a non-empty output directory unless --force', () => {
    const out = join(work, 'existing');
    expect(berth('export', tiny, '--out', out).status).toBe(0);
    const r = berth('export', tiny, '--out', out);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/already exists/);
    expect(berth('export', tiny, '--out', out, '--force').status).toBe(0);
    expect(readdirSync(work).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('make-tiny: same seed gives byte-identical files, another seed different weights', () => {
    const a = join(work, 'seed-a');
    const b = join(work, 'seed-b');
    const c = join(work, 'seed-c');
    for (const [dir, seed] of [
      [a, '11'],
      [b, '11'],
      [c, '12'],
    ] as const) {
      expect(berth('make-tiny', '--task', 'ner', '--out', dir, '--seed', seed).status).toBe(0);
    }
    const files = readdirSync(a).sort();
    expect(files).toEqual([
      'config.json',
      'model.onnx',
      'model.safetensors',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'vocab.txt',
    ]);
    for (const f of files) expect(readFileSync(join(a, f)).equals(readFileSync(join(b, f)))).toBe(true);
    expect(readFileSync(join(a, 'model.safetensors')).equals(readFileSync(join(c, 'model.safetensors')))).toBe(false);
  });

  it.each([
    ['classification', ['negative', 'positive'], 'logits'],
    ['nli', ['entailment', 'neutral', 'contradiction'], 'logits'],
    ['ner', ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC', 'B-MISC', 'I-MISC'], 'logits'],
    ['qa', ['LABEL_0', 'LABEL_1'], 'start_logits'],
    ['mlm', ['LABEL_0', 'LABEL_1'], 'logits'],
  ])('make-tiny --task %s writes a model that loads and runs', async (task, labels, output) => {
    const dir = join(work, `task-${task}`);
    expect(berth('make-tiny', '--task', task, '--out', dir).status).toBe(0);
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as {
      id2label: Record<string, string>;
      vocab_size: number;
      hidden_size: number;
    };
    expect(Object.values(config.id2label)).toEqual(labels);
    expect(config.vocab_size).toBe(readFileSync(join(dir, 'vocab.txt'), 'utf8').trimEnd().split('\n').length);
    const session = await ort.InferenceSession.create(join(dir, 'model.onnx'));
    const ids = new ort.Tensor('int64', BigInt64Array.from([2n, 50n, 60n, 3n, 0n, 0n]), [1, 6]);
    const mask = new ort.Tensor('int64', BigInt64Array.from([1n, 1n, 1n, 1n, 0n, 0n]), [1, 6]);
    const types = new ort.Tensor('int64', new BigInt64Array(6), [1, 6]);
    const result = await session.run({ input_ids: ids, attention_mask: mask, token_type_ids: types });
    await session.release();
    const expectedDims: Record<string, number[]> = {
      classification: [1, 2],
      nli: [1, 3],
      ner: [1, 6, 9],
      qa: [1, 6],
      mlm: [1, 6, config.vocab_size],
    };
    expect([...result[output].dims]).toEqual(expectedDims[task]);
    expect(Array.from(result[output].data as Float32Array).every(Number.isFinite)).toBe(true);
  });
});
