/**
 * @jest-environment ./test/helpers/ort-environment.js
 */
/**
 * The serving core on the hf-tiny reference models, checked against the PyTorch reference
 * outputs in each model's reference.json. Expected values are computed here from those
 * references (softmax, span search), independently of the code under test.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientClosedError, InputTooLongError, InvalidInputError, ModelNotFoundError, WrongTaskError } from '../../src/errors/domain-error';
import { ServingCore, ServingCoreOptions } from '../../src/serving/serving-core';
import { describeWithFixtures, hfTinyDir, HfTinyModel } from '../helpers/fixtures';
import { RefExample, expectedNerTokens, expectedQaAnswer } from '../helpers/serving-parity';

interface Reference {
  examples: RefExample[];
  outputs: Record<string, unknown>;
}

const SERVED_FILES = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.txt',
  'onnx',
  'model.safetensors',
];

function copyModel(model: HfTinyModel, modelsDir: string, as: string = model): string {
  const target = join(modelsDir, as);
  for (const file of SERVED_FILES) cpSync(join(hfTinyDir(model), file), join(target, file), { recursive: true });
  return target;
}

function reference(model: HfTinyModel): Reference {
  return JSON.parse(readFileSync(join(hfTinyDir(model), 'reference.json'), 'utf8')) as Reference;
}

function softmaxRef(xs: number[]): number[] {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

function coreOptions(modelsDir: string, dataDir: string): ServingCoreOptions {
  return {
    modelsDir,
    dataDir,
    device: 'cpu',
    intraOpThreads: 1,
    interOpThreads: 1,
    batching: { maxBatchSize: 8, maxBatchTokens: 4096, maxWaitMs: 2, maxQueue: 256, enabled: true },
    limits: { maxInputsPerRequest: 32, maxCandidateLabels: 10, maxTextChars: 10_000 },
  };
}

describeWithFixtures('serving core on hf-tiny fixtures', () => {
  let root: string;
  let core: ServingCore;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'berth-serving-'));
    const modelsDir = join(root, 'models');
    for (const m of ['bert-seqcls', 'bert-nli', 'bert-ner', 'bert-qa', 'bert-mlm'] as const) copyModel(m, modelsDir);
    // The same classifier shipped as weights only: the server builds its graph on load.
    rmSync(join(copyModel('bert-seqcls', modelsDir, 'bert-seqcls-weights-only'), 'onnx'), { recursive: true });
    core = await ServingCore.start(coreOptions(modelsDir, join(root, 'data')));
  });

  afterAll(async () => {
    await core?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('loads every model with its task and is ready', () => {
    expect(core.isReady()).toBe(true);
    const byName = Object.fromEntries(core.list().map((m) => [m.name, m]));
    expect(byName['bert-seqcls']).toMatchObject({
      task: 'text-classification',
      nli: false,
      status: 'ready',
      active_version: 1,
      labels: ['negative', 'neutral', 'positive'],
    });
    expect(byName['bert-nli']).toMatchObject({ task: 'text-classification', nli: true, status: 'ready' });
    expect(byName['bert-ner']).toMatchObject({ task: 'token-classification', status: 'ready' });
    expect(byName['bert-qa']).toMatchObject({ task: 'question-answering', status: 'ready' });
    expect(byName['bert-mlm']).toMatchObject({ task: 'fill-mask', status: 'ready', max_sequence_length: 128, fine_tunable: true });
    expect(byName['bert-seqcls'].versions[0]).toMatchObject({ version: 1, source: 'embedded' });
    expect(core.defaultModelFor('text-classification')).toBe('bert-seqcls');
    expect(core.defaultModelFor('zero-shot')).toBe('bert-nli');
  });

  it('classification with function_to_apply none returns the reference logits (all 8 examples)', async () => {
    const ref = reference('bert-seqcls');
    const labels = ['negative', 'neutral', 'positive'];
    const served = await core.classify(
      'bert-seqcls',
      ref.examples.map((e) => e.text),
      { function_to_apply: 'none', top_k: null },
    );
    expect(served).toMatchObject({ model: 'bert-seqcls', version: 1 });
    served.result.forEach((item, i) => {
      const expected = ref.examples[i].single_logits as number[];
      expect(item.truncated).toBe(false);
      for (const { label, score } of item.labels) expect(Math.abs(score - expected[labels.indexOf(label)])).toBeLessThan(1e-4);
    });
  });

  it('a model shipped without an ONNX file serves from its safetensors weights with the reference logits', async () => {
    const ref = reference('bert-seqcls');
    const labels = ['negative', 'neutral', 'positive'];
    const served = await core.classify(
      'bert-seqcls-weights-only',
      ref.examples.map((e) => e.text),
      { function_to_apply: 'none', top_k: null },
    );
    expect(core.list().find((m) => m.name === 'bert-seqcls-weights-only')).toMatchObject({ status: 'ready', fine_tunable: true });
    served.result.forEach((item, i) => {
      const expected = ref.examples[i].single_logits as number[];
      for (const { label, score } of item.labels) expect(Math.abs(score - expected[labels.indexOf(label)])).toBeLessThan(1e-4);
    });
  });

  it('default softmax and top_k follow the reference logits', async () => {
    const ref = reference('bert-seqcls');
    const served = await core.classify(undefined, [ref.examples[0].text], {});
    const probs = softmaxRef(ref.examples[0].single_logits as number[]);
    const best = probs.indexOf(Math.max(...probs));
    expect(served.result[0].labels).toHaveLength(1);
    expect(served.result[0].labels[0].label).toBe(['negative', 'neutral', 'positive'][best]);
    expect(Math.abs(served.result[0].labels[0].score - probs[best])).toBeLessThan(1e-5);
  });

  it('NLI pairs: classify (none) gives the reference logits and nli the softmax of them', async () => {
    const ref = reference('bert-nli');
    const labels = ['entailment', 'neutral', 'contradiction'];
    const pairs = ref.examples.map((e) => ({ premise: e.text, hypothesis: e.text_pair! }));
    const raw = await core.classify(
      'bert-nli',
      pairs.map((p) => ({ text: p.premise, text_pair: p.hypothesis })),
      { function_to_apply: 'none', top_k: null },
    );
    const nli = await core.nli(undefined, pairs);
    ref.examples.forEach((e, i) => {
      const logits = e.single_logits as number[];
      const probs = softmaxRef(logits);
      for (const { label, score } of raw.result[i].labels) expect(Math.abs(score - logits[labels.indexOf(label)])).toBeLessThan(1e-4);
      expect(nli.result[i].labels).toHaveLength(3);
      for (const { label, score } of nli.result[i].labels) expect(Math.abs(score - probs[labels.indexOf(label)])).toBeLessThan(1e-5);
    });
  });

  it('NER aggregation none returns the softmax of the reference token logits, with offsets into the text', async () => {
    const ref = reference('bert-ner');
    const labels = ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC', 'B-MISC', 'I-MISC'];
    const served = await core.ner(
      'bert-ner',
      ref.examples.map((e) => e.text),
      { aggregation_strategy: 'none', ignore_labels: [] },
    );
    ref.examples.forEach((e, i) => {
      const expected = expectedNerTokens(e, labels);
      const got = served.result[i];
      expect(got.map((g) => [g.index, g.entity, g.start, g.end, g.word])).toEqual(
        expected.map((x) => [x.index, x.entity, x.start, x.end, x.word]),
      );
      got.forEach((g, k) => expect(Math.abs(g.score - expected[k].score)).toBeLessThan(1e-5));
    });
  });

  it('NER simple aggregation reports entities whose words are the exact source text', async () => {
    const ref = reference('bert-ner');
    const served = await core.ner(
      'bert-ner',
      ref.examples.map((e) => e.text),
      {},
    );
    served.result.forEach((entities, i) => {
      const cps = Array.from(ref.examples[i].text);
      for (const e of entities) {
        expect(e.word).toBe(cps.slice(e.start, e.end).join(''));
        expect(e.entity_group).not.toBe('O');
      }
    });
  });

  it('NER windows: a long text split with stride gives the same token entities as the whole text would', async () => {
    // 20 copies of a sentence exceed the 128-token window; every token must be reported once,
    // with offsets matching a single-window run of each sentence where windows agree.
    const sentence = 'John Smith works at Google in London.';
    const long = Array.from({ length: 20 }, () => sentence).join(' ');
    const served = await core.ner('bert-ner', [long], { aggregation_strategy: 'none', ignore_labels: [], stride: 16 });
    const starts = served.result[0].map((e) => e.start);
    expect(new Set(starts).size).toBe(starts.length); // no duplicates
    expect([...starts].sort((a, b) => a - b)).toEqual(starts); // in text order
    expect(served.result[0]).toHaveLength(20 * 8); // 8 tokens per sentence
    expect(served.result[0].map((e) => e.index)).toEqual(Array.from({ length: 160 }, (_, k) => k + 1));
    for (const e of served.result[0]) expect(e.word).toBe(long.slice(e.start, e.end));
  });

  it('QA returns the span the reference start/end logits select', async () => {
    const ref = reference('bert-qa');
    const served = await core.qa(
      'bert-qa',
      ref.examples.map((e) => ({ question: e.text, context: e.text_pair! })),
      {},
    );
    ref.examples.forEach((e, i) => {
      const { score, ...span } = expectedQaAnswer(e);
      const [answer] = served.result[i];
      expect(answer).toMatchObject(span);
      expect(Math.abs(answer.score - score)).toBeLessThan(1e-5);
    });
  });

  it('QA over a context longer than one window: doc_stride windows, answers sliced from the context', async () => {
    const ref = reference('bert-qa');
    const { text: question, text_pair: sentence } = ref.examples[0];
    const context = Array.from({ length: 12 }, () => sentence!).join(' ');
    const served = await core.qa('bert-qa', [{ question, context }], { max_seq_len: 48, doc_stride: 8, top_k: 4 });
    const answers = served.result[0];
    expect(answers).toHaveLength(4);
    expect(answers.map((a) => a.score)).toEqual([...answers.map((a) => a.score)].sort((a, b) => b - a));
    for (const a of answers) {
      expect(a.answer).toBe(context.slice(a.start, a.end));
      expect(a.score).toBeGreaterThan(0);
      expect(a.score).toBeLessThanOrEqual(1);
    }
    // The answers start in more than the first window (a 48-token window holds about 2 sentences).
    expect(Math.max(...answers.map((a) => a.start))).toBeGreaterThan(sentence!.length);
  });

  it('QA refuses a question longer than max_question_len, and adds the null answer on request', async () => {
    const ref = reference('bert-qa');
    const input = { question: ref.examples[0].text, context: ref.examples[0].text_pair! };
    await expect(core.qa('bert-qa', [input], { max_question_len: 2 })).rejects.toBeInstanceOf(InputTooLongError);
    const served = await core.qa('bert-qa', [input], { handle_impossible_answer: true, top_k: 100 });
    const empty = served.result[0].filter((a) => a.answer === '');
    expect(empty).toHaveLength(1);
    expect(empty[0]).toMatchObject({ start: 0, end: 0 });
    // The null score is start[CLS]·end[CLS] of the masked softmax.
    const e = ref.examples[0];
    const firstSep = e.input_ids.indexOf(102);
    const mask = (xs: number[]) => xs.map((x, t) => (t === 0 || (t > firstSep && t < xs.length - 1) ? x : -10000));
    const expectedNull = softmaxRef(mask(e.single_start_logits!))[0] * softmaxRef(mask(e.single_end_logits!))[0];
    expect(Math.abs(empty[0].score - expectedNull)).toBeLessThan(1e-6);
  });

  it('a request whose client already left never runs', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(core.classify('bert-seqcls', ['x'], {}, { signal: controller.signal })).rejects.toBeInstanceOf(ClientClosedError);
  });

  it('fill-mask returns the reference top-5 tokens with softmax scores', async () => {
    const ref = reference('bert-mlm');
    const top5 = ref.outputs.mask_top5 as Record<string, { ids: number[]; logits: number[] }>;
    const lse = ref.outputs.logsumexp as number[][];
    const served = await core.fillMask('bert-mlm', [ref.examples[0].text, ref.examples[4].text], { top_k: 5 });
    const single = served.result[0];
    expect(single.map((c) => c.token)).toEqual(top5['0,6'].ids);
    single.forEach((c, k) => expect(Math.abs(c.score - Math.exp(top5['0,6'].logits[k] - lse[0][6]))).toBeLessThan(1e-5));
    expect(single[0].sequence).toBe(`the capital of france is ${single[0].token_str}.`);
    // Two masks: five candidates for each, tagged with the mask they fill.
    const double = served.result[1];
    expect(double.filter((c) => c.mask_index === 0).map((c) => c.token)).toEqual(top5['4,5'].ids);
    expect(double.filter((c) => c.mask_index === 1).map((c) => c.token)).toEqual(top5['4,9'].ids);
  });

  it('batch invariance: the same answer alone or batched with longer neighbours', async () => {
    const ref = reference('bert-seqcls');
    const short = 'It was okay, nothing special.';
    const alone = await core.classify('bert-seqcls', [short], { function_to_apply: 'none', top_k: null });
    const neighbours = ref.examples.map((e) => e.text).filter((t) => t.length > short.length);
    const together = await Promise.all([
      core.classify('bert-seqcls', [short, ...neighbours], { function_to_apply: 'none', top_k: null }),
      ...neighbours.map((n) => core.classify('bert-seqcls', [n], { function_to_apply: 'none', top_k: null })),
    ]);
    const scoreOf = (items: { label: string; score: number }[], label: string) => items.find((l) => l.label === label)!.score;
    for (const label of ['negative', 'neutral', 'positive']) {
      expect(Math.abs(scoreOf(together[0].result[0].labels, label) - scoreOf(alone.result[0].labels, label))).toBeLessThan(1e-5);
    }
  });

  it('zero-shot scores are the HF rule applied to the NLI logits of each (sequence, hypothesis) pair', async () => {
    const sequence = 'The team won the championship last night.';
    const candidates = ['sports', 'politics', 'cooking'];
    const pairs = candidates.map((c) => ({ text: sequence, text_pair: `This example is ${c}.` }));
    const raw = await core.classify('bert-nli', pairs, { function_to_apply: 'none', top_k: null });
    const entail = raw.result.map((r) => r.labels.find((l) => l.label === 'entailment')!.score);
    const contra = raw.result.map((r) => r.labels.find((l) => l.label === 'contradiction')!.score);
    const single = softmaxRef(entail);
    const multi = entail.map((e, k) => softmaxRef([contra[k], e])[1]);

    const one = await core.zeroShot(undefined, [sequence], { candidate_labels: candidates });
    const many = await core.zeroShot('bert-nli', [sequence], { candidate_labels: candidates, multi_label: true });
    for (const [served, expected] of [
      [one.result[0], single],
      [many.result[0], multi],
    ] as const) {
      expect([...served.scores]).toEqual([...served.scores].sort((a, b) => b - a));
      served.labels.forEach((label, k) => expect(Math.abs(served.scores[k] - expected[candidates.indexOf(label)])).toBeLessThan(1e-5));
    }
  });

  it('reports stage timings and the serving version', async () => {
    const served = await core.classify('bert-seqcls', ['hello'], {});
    const t = served.timings;
    expect(served.version).toBe(1);
    for (const v of [t.tokenizationMs, t.queueMs, t.inferenceMs, t.totalMs]) expect(v).toBeGreaterThanOrEqual(0);
    expect(t.totalMs).toBeGreaterThanOrEqual(t.inferenceMs);
  });

  it('truncates classification input past the model maximum and says so', async () => {
    const long = Array.from({ length: 300 }, () => 'word').join(' ');
    const served = await core.classify('bert-seqcls', [long, 'short'], {});
    expect(served.result.map((r) => r.truncated)).toEqual([true, false]);
  });

  it('refuses bad requests with domain errors', async () => {
    await expect(core.classify('no-such-model', ['x'], {})).rejects.toBeInstanceOf(ModelNotFoundError);
    await expect(core.classify('../etc', ['x'], {})).rejects.toBeInstanceOf(ModelNotFoundError);
    await expect(core.ner('bert-seqcls', ['x'], {})).rejects.toBeInstanceOf(WrongTaskError);
    await expect(core.zeroShot('bert-seqcls', ['x'], { candidate_labels: ['a'] })).rejects.toBeInstanceOf(WrongTaskError);
    await expect(core.embeddings('bert-seqcls', ['x'], {})).rejects.toBeInstanceOf(WrongTaskError);
    await expect(core.classify('bert-seqcls', [''], {})).rejects.toBeInstanceOf(InvalidInputError);
    await expect(core.classify('bert-seqcls', [], {})).rejects.toBeInstanceOf(InvalidInputError);
    await expect(
      core.classify(
        'bert-seqcls',
        Array.from({ length: 33 }, () => 'x'),
        {},
      ),
    ).rejects.toBeInstanceOf(InvalidInputError);
    await expect(
      core.zeroShot('bert-nli', ['x'], { candidate_labels: Array.from({ length: 11 }, (_, i) => `l${i}`) }),
    ).rejects.toBeInstanceOf(InvalidInputError);
    await expect(core.fillMask('bert-mlm', ['no mask here'], {})).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('counts the text limit in code points, as the HTTP layer does (10,000 here)', async () => {
    // 4,000 spaced emoji are 12,000 UTF-16 units but 8,000 characters: within the limit (and
    // 4,000 words, so the model truncates them).
    const served = await core.classify('bert-seqcls', ['\u{1F600} '.repeat(4000)], {});
    expect(served.result[0].truncated).toBe(true);
    const tooLong = await core.classify('bert-seqcls', ['\u{1F600}'.repeat(10_001)], {}).catch((e: unknown) => e);
    expect(tooLong).toBeInstanceOf(InputTooLongError);
    expect((tooLong as InputTooLongError).details).toEqual({ field: 'inputs[0]', limit: 10_000, received: 10_001 });
  });
});
