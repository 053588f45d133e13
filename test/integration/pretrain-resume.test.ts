/**
 * `berth pretrain` resumed from a checkpoint ends exactly where an uninterrupted run ends: the
 * same safetensors bytes and the same learning curve. The tiny model keeps dropout 0.1, so this
 * also holds the dropout stream to account (re-seeded per checkpoint segment).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main';
import { readSafetensors } from '../../src/engine/formats/safetensors';
import { initModelDir } from '../../src/trainer/pretrain/init-model';
import { PretrainEvent, PretrainOptions, PretrainingStoppedError, pretrain } from '../../src/trainer/pretrain/pretrain';

const ROOT = join(__dirname, '..', '..');
const TOKENIZER = join(ROOT, 'assets', 'tiny-tokenizer');
const CORPUS = join(TOKENIZER, 'corpus.txt');

let work: string;
let modelDir: string;
let heldOut: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'berth-pretrain-'));
  modelDir = join(work, 'init');
  initModelDir({ spec: '{"preset": "tiny", "max_position_embeddings": 64}', tokenizerDir: TOKENIZER, outDir: modelDir, seed: 7 });
  heldOut = join(work, 'held-out.txt');
  writeFileSync(heldOut, readFileSync(CORPUS, 'utf8').trim().split('\n').slice(330).join('\n'));
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

function options(outDir: string, over: Partial<PretrainOptions> = {}): PretrainOptions {
  return {
    modelDir,
    dataPath: CORPUS,
    outDir,
    validationFile: heldOut,
    validationBlocks: 8,
    maxSeqLength: 32,
    batchSize: 4,
    learningRate: 1e-3,
    warmupRatio: 0.2,
    weightDecay: 0.01,
    maxGradNorm: 1.0,
    steps: 6,
    objective: 'mlm',
    wholeWordMask: true,
    maskProbability: 0.15,
    seed: 11,
    checkpointEvery: 3,
    resume: false,
    logEvery: 1,
    threads: 1,
    ...over,
  };
}

function curve(outDir: string): Array<{ step: number; loss: number; lr: number; grad_norm: number }> {
  return readFileSync(join(outDir, 'learning-curve.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const { step, loss, lr, grad_norm } = JSON.parse(line) as { step: number; loss: number; lr: number; grad_norm: number };
      return { step, loss, lr, grad_norm };
    });
}

describe('berth pretrain: resume', () => {
  it('6 steps straight and 4 steps + stop + resume from the step-3 checkpoint give identical parameters and curves', async () => {
    const straight = join(work, 'straight');
    await pretrain(options(straight));

    const resumed = join(work, 'resumed');
    const controller = new AbortController();
    // Stopped one step past the checkpoint, as a kill between checkpoints leaves it: step 4 is redone.
    const onEvent = (e: PretrainEvent): void => {
      if (e.type === 'step' && e.step === 4) controller.abort();
    };
    await expect(pretrain(options(resumed), { signal: controller.signal, onEvent })).rejects.toBeInstanceOf(PretrainingStoppedError);
    expect(existsSync(join(resumed, 'model'))).toBe(false);
    expect(curve(resumed).map((c) => c.step)).toEqual([1, 2, 3, 4]);

    const events: PretrainEvent[] = [];
    await pretrain(options(resumed, { resume: true }), { onEvent: (e) => events.push(e) });
    const start = events.find((e) => e.type === 'start');
    expect(start).toMatchObject({ startStep: 3, totalSteps: 6 });
    expect(events.filter((e) => e.type === 'step').map((e) => (e as { step: number }).step)).toEqual([4, 5, 6]);

    const a = readFileSync(join(straight, 'model', 'model.safetensors'));
    const b = readFileSync(join(resumed, 'model', 'model.safetensors'));
    expect(b.equals(a)).toBe(true);
    expect(curve(resumed)).toEqual(curve(straight));
    // Validation is scored at each checkpoint; the resumed run repeats the straight run's scores.
    const validationCurve = (dir: string): string => readFileSync(join(dir, 'validation-curve.jsonl'), 'utf8');
    expect(validationCurve(straight).trim().split('\n')).toHaveLength(2);
    expect(validationCurve(resumed)).toBe(validationCurve(straight));
    // Training moved the parameters: identical outputs are not two untouched copies of the input.
    const before = readSafetensors(join(modelDir, 'model.safetensors'));
    const after = readSafetensors(join(straight, 'model', 'model.safetensors'));
    const name = 'bert.encoder.layer.0.attention.self.query.weight';
    expect(after.get(name)?.data).not.toEqual(before.get(name)?.data);
  });

  it.each(['mlm+nsp', 'mlm+sop', 'span+sbo'] as const)(
    '%s: 4 steps straight and 3 + stop + resume give identical parameters, heads included, and curves',
    async (objective) => {
      const straight = join(work, `${objective}-straight`);
      await pretrain(options(straight, { objective, steps: 4, checkpointEvery: 2 }));
      const resumed = join(work, `${objective}-resumed`);
      const controller = new AbortController();
      const onEvent = (e: PretrainEvent): void => {
        if (e.type === 'step' && e.step === 3) controller.abort();
      };
      await expect(
        pretrain(options(resumed, { objective, steps: 4, checkpointEvery: 2 }), { signal: controller.signal, onEvent }),
      ).rejects.toBeInstanceOf(PretrainingStoppedError);
      await pretrain(options(resumed, { objective, steps: 4, checkpointEvery: 2, resume: true }));
      const a = readFileSync(join(straight, 'model', 'model.safetensors'));
      expect(readFileSync(join(resumed, 'model', 'model.safetensors')).equals(a)).toBe(true);
      expect(curve(resumed)).toEqual(curve(straight));
      // The heads are in the checkpoint under their Hugging Face names, and were trained.
      const head = {
        'mlm+nsp': 'cls.seq_relationship.weight',
        'mlm+sop': 'sop_classifier.classifier.weight',
        'span+sbo': 'cls.pair_target_predictions.mlp_layer_norm.dense.weight',
      }[objective];
      const saved = readSafetensors(join(straight, 'model', 'model.safetensors'));
      const first = readSafetensors(join(straight, 'checkpoints', 'step-00000002', 'params.safetensors'));
      expect(saved.get(head)?.data).not.toEqual(first.get(head)?.data);
      const config = JSON.parse(readFileSync(join(straight, 'model', 'config.json'), 'utf8')) as { architectures: string[] };
      expect(config.architectures).toEqual([objective === 'mlm+nsp' ? 'BertForPreTraining' : 'BertForMaskedLM']);
      const validation = JSON.parse(readFileSync(join(straight, 'model', 'metrics.json'), 'utf8')) as {
        validation: { sentence_accuracy?: number };
      };
      expect(validation.validation.sentence_accuracy === undefined).toBe(objective === 'span+sbo');
    },
  );

  it('a different seed gives different parameters (the comparison above can fail)', async () => {
    const other = join(work, 'other-seed');
    await pretrain(options(other, { seed: 12 }));
    const a = readFileSync(join(work, 'straight', 'model', 'model.safetensors'));
    expect(readFileSync(join(other, 'model', 'model.safetensors')).equals(a)).toBe(false);
  });

  it('refuses to resume with other settings, and to overwrite a run without --resume', async () => {
    const resumed = join(work, 'resumed');
    await expect(pretrain(options(resumed, { resume: true, learningRate: 2e-3 }))).rejects.toThrow(/other settings/);
    await expect(pretrain(options(resumed))).rejects.toThrow(/--resume/);
  });

  it('the CLI writes checkpoints, a learning curve and a model with validation metrics', async () => {
    const out = join(work, 'cli');
    // A directory of text files, one of which is held out for validation (and so not trained on).
    const dataDir = join(work, 'texts');
    mkdirSync(dataDir);
    const lines = readFileSync(CORPUS, 'utf8').trim().split('\n');
    writeFileSync(join(dataDir, 'a.txt'), lines.slice(0, 200).join('\n'));
    writeFileSync(join(dataDir, 'b.txt'), lines.slice(200, 330).join('\n'));
    writeFileSync(join(dataDir, 'held-out.txt'), lines.slice(330).join('\n'));
    let stdout = '';
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += String(chunk);
      return true;
    });
    let code: number;
    try {
      code = await runCli(
        [
          'pretrain',
          '--model',
          modelDir,
          '--data',
          dataDir,
          '--validation-file',
          join(dataDir, 'held-out.txt'),
          '--validation-blocks',
          '4',
          '--out',
          out,
          '--steps',
          '4',
          '--batch-size',
          '4',
          '--max-seq-length',
          '32',
          '--checkpoint-every',
          '2',
          '--seed',
          '3',
          '--whole-word-mask',
          '--log-every',
          '1',
          '--json',
        ],
        { stdout: (t) => (stdout += t), stderr: (t) => (stdout += t) },
      );
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(0);
    const events = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; files?: number });
    expect(events[0]).toMatchObject({ type: 'data', files: 2 });
    expect(events.map((e) => e.type)).toEqual([
      'data',
      'start',
      'step',
      'step',
      'checkpoint',
      'eval',
      'step',
      'step',
      'checkpoint',
      'eval',
      'done',
    ]);
    expect(readdirSync(join(out, 'checkpoints'))).toEqual(['step-00000002', 'step-00000004']);
    const metrics = JSON.parse(readFileSync(join(out, 'model', 'metrics.json'), 'utf8')) as {
      tokens_seen: number;
      validation: { mlm_loss: number; perplexity: number };
    };
    expect(metrics.tokens_seen).toBe(4 * 4 * 32);
    expect(metrics.validation.perplexity).toBeCloseTo(Math.exp(metrics.validation.mlm_loss), 6);
    const last = readFileSync(join(out, 'validation-curve.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { step: number; mlm_loss: number });
    expect(last.map((v) => v.step)).toEqual([2, 4]);
    expect(last[1].mlm_loss).toBe(metrics.validation.mlm_loss);
    expect(readdirSync(join(out, 'model')).sort()).toEqual([
      'config.json',
      'metrics.json',
      'model.onnx',
      'model.safetensors',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'vocab.txt',
    ]);
  });
});
