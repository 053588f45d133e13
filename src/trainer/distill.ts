/**
 * Knowledge distillation's data side: the student cut from a deeper encoder (alternate layers, as
 * DistilBERT initialises its student) and the teacher's logits, computed once over the training
 * rows and fed with each batch. The loss itself is the engine's (`softTargetKl`).
 */
import { readFileSync } from 'node:fs';
import { EngineError, FormatError } from '../engine/errors';
import { EncoderConfig, headOf, readConfig } from '../engine/formats/config';
import { locateHfModelDir } from '../engine/formats/hf-dir';
import { readModelWeights } from '../engine/formats/model-weights';
import { TensorF32 } from '../engine/formats/safetensors';
import { TrainableHead, buildEvalGraph, buildTrainingGraph, teacherInputsOf } from '../engine/training';
import { TrainingSession } from '../runtime/training-session';
import {
  DataTokenizer,
  IGNORE_INDEX,
  TrainingFeature,
  collate,
  labelMapFromId2Label,
  planBatches,
  prepareClassification,
  prepareTokenClassification,
  readTextCorpus,
} from './data';
import { headParameterNames } from './method';
import { TrainOptionsError } from './options';

/** Where a layer's index sits in a parameter name: `bert.encoder.layer.3.…`, DistilBERT's `transformer.layer.3.…`. */
const LAYER = /^(.*?(?:encoder|transformer)\.layer\.)(\d+)(\..*)$/;

/**
 * The teacher layers a student of `count` layers starts from: spread evenly, first and last kept
 * (`round(i · (L − 1) / (count − 1))`), which for 6 of 12 gives DistilBERT's own 0, 2, 4, 7, 9, 11
 * and for half the layers in general one layer out of two.
 */
export function studentLayerIndices(teacherLayers: number, count: number): number[] {
  if (count === 1) return [0];
  return Array.from({ length: count }, (_, i) => Math.round((i * (teacherLayers - 1)) / (count - 1)));
}

/** The encoder cut to `count` alternate layers, renumbered 0…count−1; embeddings, pooler and head kept. */
export function alternateLayers(
  config: EncoderConfig,
  weights: ReadonlyMap<string, TensorF32>,
  count: number,
): { config: EncoderConfig; weights: Map<string, TensorF32>; kept: number[] } {
  const total = config.num_hidden_layers;
  if (!Number.isSafeInteger(count) || count < 1 || count > total)
    throw new TrainOptionsError('student-layers', `must be an integer in [1, ${total}] (the model has ${total} layers), got ${count}`);
  const kept = studentLayerIndices(total, count);
  const renumber = new Map(kept.map((from, to) => [from, to]));
  const out = new Map<string, TensorF32>();
  let perLayer = 0;
  for (const [name, t] of weights) {
    const m = LAYER.exec(name);
    if (!m) {
      out.set(name, t);
      continue;
    }
    perLayer++;
    const to = renumber.get(Number(m[2]));
    if (to !== undefined) out.set(`${m[1]}${to}${m[3]}`, t);
  }
  if (perLayer === 0) throw new TrainOptionsError('student-layers', `${config.model_type} has no per-layer weights to choose from`);
  return { config: { ...config, num_hidden_layers: count }, weights: out, kept };
}

/** The teacher's head outputs for every training row, unpadded (one array per graph input). */
export interface TeacherOutputs {
  readonly head: TrainableHead;
  /** Wall seconds the teacher's pass took. */
  readonly seconds: number;
  readonly layers: number;
  /** Classes per position (sequence and token classification); 0 for QA. */
  readonly classes: number;
  readonly rows: ReadonlyArray<Readonly<Record<string, Float32Array>>>;
}

function sameLabels(a: EncoderConfig, b: EncoderConfig): boolean {
  const labels = (c: EncoderConfig): string => JSON.stringify(Object.entries(c.id2label).sort(([x], [y]) => Number(x) - Number(y)));
  return labels(a) === labels(b);
}

/**
 * Runs the teacher (its eval graph: dropout off) once over `features`, which the student's
 * tokenizer made, so the teacher must share it; its head and labels must be the student's.
 */
export async function computeTeacherOutputs(
  teacherDir: string,
  student: { config: EncoderConfig; modelDir: string; head: TrainableHead },
  features: readonly TrainingFeature[],
  run: { batchSize: number; threads?: number; device?: 'cpu' | 'cuda' },
): Promise<TeacherOutputs> {
  const started = performance.now();
  const located = locateHfModelDir(teacherDir, { weights: true });
  const config = readConfig(located.configFile);
  const head = headOf(config, located.configFile);
  if (head !== student.head) throw new FormatError(located.configFile, `the teacher is a ${head} model; the student is ${student.head}`);
  if (head !== 'question-answering' && !sameLabels(config, student.config))
    throw new FormatError(located.configFile, `the teacher's labels (id2label) differ from the student's`);
  const studentTokenizer = locateHfModelDir(student.modelDir).tokenizerFile;
  if (readFileSync(located.tokenizerFile, 'utf8') !== readFileSync(studentTokenizer, 'utf8'))
    throw new FormatError(
      located.tokenizerFile,
      "the teacher's tokenizer differs from the student's; distillation needs the same token ids",
    );
  const weights = readModelWeights(located.weightsFile as string);
  const spec = {
    config,
    weights,
    head,
    // Nothing is stepped; the session needs a training graph to hold the eval graph.
    trainable: new Set(headParameterNames(config, weights.keys())),
    optimizer: { weightDecay: 0, maxGradNorm: 0 },
  };
  const session = await TrainingSession.create(buildTrainingGraph(spec), {
    eval: buildEvalGraph(spec),
    intraOpThreads: run.threads,
    device: run.device,
  });
  const names = teacherInputsOf(head);
  const classes = head === 'question-answering' ? 0 : Object.keys(config.id2label).length;
  const rows: Array<Record<string, Float32Array>> = new Array<Record<string, Float32Array>>(features.length);
  try {
    for (const batchRows of planBatches(features, { batchSize: run.batchSize, shuffle: false })) {
      const batch = collate(features, batchRows, { padId: config.pad_token_id });
      const { outputs } = await session.evaluate(batch);
      batchRows.forEach((row, i) => {
        const len = features[row].inputIds.length;
        const L = batch.seqLength;
        if (head === 'sequence-classification') {
          rows[row] = { teacher_logits: outputs.logits.data.slice(i * classes, (i + 1) * classes) };
        } else if (head === 'token-classification') {
          // The soft term scores the tokens the label loss would (word pieces; not specials or padding).
          const labels = features[row].labels as number[];
          rows[row] = {
            teacher_logits: outputs.logits.data.slice(i * L * classes, (i * L + len) * classes),
            teacher_weights: Float32Array.from(labels, (l) => (l === IGNORE_INDEX ? 0 : 1)),
          };
        } else {
          rows[row] = {
            teacher_start_logits: outputs.start_logits.data.slice(i * L, i * L + len),
            teacher_end_logits: outputs.end_logits.data.slice(i * L, i * L + len),
          };
        }
      });
    }
  } finally {
    await session.release();
  }
  for (const r of rows) if (!r || names.some((n) => !r[n])) throw new EngineError('TEACHER_FAILED', 'the teacher left rows without logits');
  return { head, layers: config.num_hidden_layers, classes, rows, seconds: (performance.now() - started) / 1000 };
}

/** The teacher inputs of one batch, padded with zeros to its length (the loss gives padding no weight). */
export function teacherBatchInputs(
  teacher: TeacherOutputs,
  rows: readonly number[],
  seqLength: number,
): Record<string, { data: Float32Array; dims: number[] }> {
  const B = rows.length;
  if (teacher.head === 'sequence-classification') {
    const data = new Float32Array(B * teacher.classes);
    rows.forEach((row, i) => data.set(teacher.rows[row].teacher_logits, i * teacher.classes));
    return { teacher_logits: { data, dims: [B, teacher.classes] } };
  }
  if (teacher.head === 'token-classification') {
    const data = new Float32Array(B * seqLength * teacher.classes);
    const weights = new Float32Array(B * seqLength);
    rows.forEach((row, i) => {
      data.set(teacher.rows[row].teacher_logits, i * seqLength * teacher.classes);
      weights.set(teacher.rows[row].teacher_weights, i * seqLength);
    });
    return { teacher_logits: { data, dims: [B, seqLength, teacher.classes] }, teacher_weights: { data: weights, dims: [B, seqLength] } };
  }
  const out: Record<string, { data: Float32Array; dims: number[] }> = {};
  for (const name of ['teacher_start_logits', 'teacher_end_logits']) {
    const data = new Float32Array(B * seqLength);
    rows.forEach((row, i) => data.set(teacher.rows[row][name], i * seqLength));
    out[name] = { data, dims: [B, seqLength] };
  }
  return out;
}

/**
 * The transfer set's texts as rows of the student's task: classification rows of one text, or
 * NER sentences split on spaces. They are tokenized as labelled rows are, with a placeholder label
 * that marks the scored tokens; `withoutLabels` clears it once the teacher has read them.
 */
export async function transferFeatures(
  file: string,
  task: 'classification' | 'ner',
  config: EncoderConfig,
  tokenizer: DataTokenizer,
  maxLength: number,
): Promise<TrainingFeature[]> {
  const corpus = await readTextCorpus(file);
  if (corpus.documents.length === 0) throw new FormatError(file, 'the transfer file holds no text');
  const { label2id } = labelMapFromId2Label(config.id2label);
  const placeholder = Object.keys(label2id)[0];
  if (task === 'classification') {
    const rows = corpus.documents.map((d) => ({ text: d.text, label: placeholder, line: d.line }));
    return (await prepareClassification(rows, tokenizer, { maxLength, label2id, file: corpus.file, labelField: 'label' })).features;
  }
  const sentences = corpus.documents.map((d) => {
    const tokens = d.text.split(/\s+/).filter((w) => w !== '');
    return { tokens, tags: tokens.map(() => placeholder), line: d.line };
  });
  return (await prepareTokenClassification(sentences, tokenizer, { maxLength, label2id, file: corpus.file })).features;
}

/** Transfer rows have no labels: −100 everywhere, so the label loss leaves them to the soft term. */
export function withoutLabels(features: readonly TrainingFeature[]): void {
  for (const f of features) {
    if (f.label !== undefined) f.label = IGNORE_INDEX;
    if (f.labels) f.labels = f.labels.map(() => IGNORE_INDEX);
  }
}
