/**
 * The whole app over HTTP on hf-tiny fixture models, answering the PyTorch references of their
 * reference.json: classification logits, NER scores and character offsets, QA spans and
 * fill-mask candidates. Each model is served twice: from the fixture's ONNX export and from its
 * weights alone (the server builds the graph on load). Expected values are computed here from
 * the references (softmax, span search), independently of the server.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createApp } from '../../src/app.module';
import { loadConfig } from '../../src/config/app-config';
import { JsonLogger } from '../../src/http/json-logger';
import { hfTinyDir } from './fixtures';
import { recordWorst } from './reference-parity';

export type ServedTask = 'classify' | 'ner' | 'qa' | 'fill-mask';

export interface RefExample {
  text: string;
  text_pair?: string;
  input_ids: number[];
  token_type_ids: number[];
  offsets: Array<[number, number]>;
  word_ids: Array<number | null>;
  single_logits?: number[] | number[][];
  single_start_logits?: number[];
  single_end_logits?: number[];
}
interface ServingReference {
  examples: RefExample[];
  outputs: Record<string, unknown>;
}

/** What a served model needs; training references and dataset files stay behind. */
const SERVED_FILES = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.txt',
  'model.safetensors',
];

const WEIGHTS_ONLY = '-weights-only';

function copyModel(model: string, modelsDir: string, weightsOnly: boolean): void {
  const target = join(modelsDir, weightsOnly ? `${model}${WEIGHTS_ONLY}` : model);
  const files = weightsOnly ? SERVED_FILES : [...SERVED_FILES, 'onnx'];
  for (const file of files) {
    const from = join(hfTinyDir(model), file);
    if (existsSync(from)) cpSync(from, join(target, file), { recursive: true });
  }
}

export function servingReference(model: string): ServingReference {
  return JSON.parse(readFileSync(join(hfTinyDir(model), 'reference.json'), 'utf8')) as ServingReference;
}

export function labels(model: string): string[] {
  const config = JSON.parse(readFileSync(join(hfTinyDir(model), 'config.json'), 'utf8')) as { id2label?: Record<string, string> };
  const id2label = config.id2label ?? {};
  return Object.keys(id2label)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => id2label[k]);
}

export function softmax(xs: number[]): number[] {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

const codePoints = (text: string, start: number, end: number): string => Array.from(text).slice(start, end).join('');

export interface ExpectedToken {
  index: number;
  entity: string;
  score: number;
  start: number;
  end: number;
  word: string;
}

/** NER with aggregation none, from the reference logits: every word token's argmax tag, its softmax score and offsets. */
export function expectedNerTokens(e: RefExample, order: readonly string[]): ExpectedToken[] {
  const logits = e.single_logits as number[][];
  return e.input_ids
    .map((_, t) => t)
    .filter((t) => e.word_ids[t] !== null)
    .map((t) => {
      const p = softmax(logits[t]);
      const k = p.indexOf(Math.max(...p));
      const [start, end] = e.offsets[t];
      return { index: t, entity: order[k], score: p[k], start, end, word: codePoints(e.text, start, end) };
    });
}

/**
 * The QA pipeline's best answer from the reference start/end logits: [CLS] stays in the softmax,
 * the question and separators do not; spans up to 15 tokens, widened to whole words as HF does.
 */
export function expectedQaAnswer(e: RefExample): { start: number; end: number; answer: string; score: number } {
  const isContext = e.input_ids.map((_, t) => e.token_type_ids[t] === 1 && e.word_ids[t] !== null);
  const mask = (xs: number[]) => xs.map((x, t) => (isContext[t] || t === 0 ? x : -10000));
  const ps = softmax(mask(e.single_start_logits!));
  const pe = softmax(mask(e.single_end_logits!));
  let best = { s: -1, t: -1, score: -1 };
  for (let s = 0; s < ps.length; s++) {
    for (let t = s; t < Math.min(pe.length, s + 15); t++) {
      if (isContext[s] && isContext[t] && ps[s] * pe[t] > best.score) best = { s, t, score: ps[s] * pe[t] };
    }
  }
  const tokensOf = (w: number | null) => e.word_ids.map((x, t) => (x === w && isContext[t] ? t : -1)).filter((t) => t >= 0);
  const start = e.offsets[tokensOf(e.word_ids[best.s])[0]][0];
  const endTokens = tokensOf(e.word_ids[best.t]);
  const end = e.offsets[endTokens[endTokens.length - 1]][1];
  return { start, end, answer: codePoints(e.text_pair!, start, end), score: best.score };
}

function worstOf(pairs: Array<[number, number]>): number {
  return pairs.reduce((w, [a, b]) => Math.max(w, Math.abs(a - b)), 0);
}

/** A fine-tuning job to run through the jobs API on a classifier's own train.csv. */
export interface JobCheck {
  readonly model: string;
  readonly method: 'full' | 'lora' | 'adapter' | 'head' | 'prompt';
}

/**
 * Describes the HTTP checks for `models` (fixture name → task), each served from its ONNX file
 * and from its weights only, in one app started for the family; with `job`, also the fine-tuning
 * jobs API (the trainer in its worker thread) training that model and serving the new version.
 */
export function describeServingParity(family: string, models: Readonly<Record<string, ServedTask>>, job?: JobCheck): void {
  describe(`${family}: the HTTP API answers the PyTorch references (ONNX export and weights only)`, () => {
    let app: NestFastifyApplication;
    let work: string;
    const http = () => request(app.getHttpServer());

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), 'berth-family-serving-'));
      const modelsDir = join(work, 'models');
      for (const model of Object.keys(models)) {
        copyModel(model, modelsDir, false);
        copyModel(model, modelsDir, true);
      }
      const config = loadConfig({
        BERTH_MODELS_DIR: modelsDir,
        BERTH_DATA_DIR: join(work, 'data'),
        BERTH_THREADS: '1',
        BERTH_LOG_LEVEL: 'error',
      });
      app = await createApp({ config, logger: new JsonLogger(config.logLevel), waitForCore: true, processMetrics: false });
      await app.listen({ port: 0, host: '127.0.0.1' });
    }, 120_000);

    afterAll(async () => {
      await app?.close();
      rmSync(work, { recursive: true, force: true });
    });

    const served = Object.entries(models).flatMap(([model, task]) => [
      [model, task, model, 'ONNX export'],
      [model, task, `${model}${WEIGHTS_ONLY}`, 'weights only'],
    ]) as Array<[string, ServedTask, string, string]>;

    it.each(served)('%s (%s), served as %s: answers the reference', async (model, task, name, how) => {
      const worst = await CHECKS[task](http, model, name);
      recordWorst(`${model} serving (${how}, HTTP)`, worst);
    });

    if (job) {
      it(`${job.model}: a ${job.method} fine-tuning job on its train.csv succeeds and the new version serves`, async () => {
        const file = (
          await http()
            .post('/v1/files')
            .field('purpose', 'fine-tune')
            .attach('file', join(hfTinyDir(job.model), 'train.csv'))
            .expect(200)
        ).body.id as string;
        const created = (
          await http()
            .post('/v1/fine_tuning/jobs')
            .send({
              model: job.model,
              training_file: file,
              validation_file: file,
              suffix: job.method,
              method: { type: job.method, [job.method]: { hyperparameters: { n_epochs: 1, batch_size: 4 } } },
            })
            .expect(200)
        ).body as { id: string };
        let status = '';
        // Bounded: 1 epoch of one batch on a tiny model takes seconds.
        for (let i = 0; i < 600 && !['succeeded', 'failed', 'cancelled'].includes(status); i++) {
          if (i > 0) await new Promise((r) => setTimeout(r, 100));
          status = (await http().get(`/v1/fine_tuning/jobs/${created.id}`).expect(200)).body.status as string;
        }
        const done = (await http().get(`/v1/fine_tuning/jobs/${created.id}`)).body as Record<string, unknown>;
        expect(done).toMatchObject({ status: 'succeeded', fine_tuned_model: `${job.model}-ft-${job.method}` });
        const text = servingReference(job.model).examples[0].text;
        const res = await http()
          .post('/v1/classify')
          .send({ model: `${job.model}-ft-${job.method}`, inputs: text, top_k: null })
          .expect(200);
        expect((res.body.results[0].labels as Array<{ label: string }>).map((l) => l.label).sort()).toEqual([...labels(job.model)].sort());
      }, 120_000);
    }
  });
}

type Http = () => ReturnType<typeof request>;

const CHECKS: Record<ServedTask, (http: Http, model: string, name: string) => Promise<number>> = {
  /** function_to_apply none gives the reference logits of every example. */
  async classify(http, model, name) {
    const ref = servingReference(model);
    const order = labels(model);
    const res = await http()
      .post('/v1/classify')
      .send({ model: name, inputs: ref.examples.map((e) => e.text), top_k: null, function_to_apply: 'none' })
      .expect(200);
    const pairs: Array<[number, number]> = [];
    ref.examples.forEach((e, i) => {
      const got = res.body.results[i].labels as Array<{ label: string; score: number }>;
      expect(got.map((l) => l.label).sort()).toEqual([...order].sort());
      for (const { label, score } of got) pairs.push([score, (e.single_logits as number[])[order.indexOf(label)]]);
    });
    const worst = worstOf(pairs);
    expect(worst).toBeLessThanOrEqual(1e-4);
    return worst;
  },

  /** Aggregation none: every word token with the argmax tag, its softmax score and the reference offsets. */
  async ner(http, model, name) {
    const ref = servingReference(model);
    const order = labels(model);
    const res = await http()
      .post('/v1/ner')
      .send({ model: name, inputs: ref.examples.map((e) => e.text), aggregation_strategy: 'none', ignore_labels: [] })
      .expect(200);
    const pairs: Array<[number, number]> = [];
    ref.examples.forEach((e, i) => {
      const expected = expectedNerTokens(e, order);
      const got = res.body.results[i] as Array<{ index: number; entity: string; score: number; start: number; end: number; word: string }>;
      expect(got.map((g) => [g.index, g.entity, g.start, g.end, g.word])).toEqual(
        expected.map((x) => [x.index, x.entity, x.start, x.end, x.word]),
      );
      got.forEach((g, k) => pairs.push([g.score, expected[k].score]));
    });
    const worst = worstOf(pairs);
    expect(worst).toBeLessThanOrEqual(1e-5);
    return worst;
  },

  /** The best span of the reference start/end logits over the context (widened to whole words, as HF does). */
  async qa(http, model, name) {
    const ref = servingReference(model);
    const res = await http()
      .post('/v1/qa')
      .send({ model: name, inputs: ref.examples.map((e) => ({ question: e.text, context: e.text_pair })) })
      .expect(200);
    const pairs: Array<[number, number]> = [];
    ref.examples.forEach((e, i) => {
      const { score, ...span } = expectedQaAnswer(e);
      const [answer] = res.body.results[i] as Array<{ answer: string; score: number; start: number; end: number }>;
      expect(answer).toMatchObject(span);
      pairs.push([answer.score, score]);
    });
    const worst = worstOf(pairs);
    expect(worst).toBeLessThanOrEqual(1e-5);
    return worst;
  },

  /** The reference top-5 tokens at each mask, scored exp(logit − logsumexp). */
  async 'fill-mask'(http, model, name) {
    const ref = servingReference(model);
    const top5 = ref.outputs.mask_top5 as Record<string, { ids: number[]; logits: number[] }>;
    const lse = ref.outputs.logsumexp as number[][];
    const masked = ref.examples.map((e, i) => ({ i, e, masks: e.input_ids.flatMap((id, t) => (top5[`${i},${t}`] ? [t] : [])) }));
    const single = masked.filter((m) => m.masks.length === 1);
    expect(single.length).toBeGreaterThan(0);
    const res = await http()
      .post('/v1/fill-mask')
      .send({ model: name, inputs: single.map((m) => m.e.text), top_k: 5 })
      .expect(200);
    const pairs: Array<[number, number]> = [];
    single.forEach(({ i, masks: [t] }, k) => {
      const expected = top5[`${i},${t}`];
      const got = res.body.results[k] as Array<{ token: number; score: number; sequence: string }>;
      expect(got.map((c) => c.token)).toEqual(expected.ids);
      got.forEach((c, j) => pairs.push([c.score, Math.exp(expected.logits[j] - lse[i][t])]));
    });
    const worst = worstOf(pairs);
    expect(worst).toBeLessThanOrEqual(1e-5);
    return worst;
  },
};
