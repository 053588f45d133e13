/**
 * A task model from a pre-trained encoder: the encoder's weights kept, a freshly initialised task
 * head (and pooler, which a masked-LM checkpoint does not have) put on top. This is what HF's
 * `AutoModelFor<Task>.from_pretrained(mlm_checkpoint, num_labels=...)` does when it warns "Some
 * weights ... were newly initialized"; here it is an explicit step that writes an HF layout
 * directory `berth train` can fine-tune.
 */
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../engine/errors';
import { EncoderConfig, HeadKind, familyOf, headOf, readConfig, writeConfig } from '../engine/formats/config';
import { locateHfModelDir } from '../engine/formats/hf-dir';
import { readModelWeights } from '../engine/formats/model-weights';
import { TensorF32, writeSafetensors } from '../engine/formats/safetensors';
import { initWeights } from '../engine/init';
import { buildInferenceModel } from '../engine/nn/bert';
import { writeDirAtomically } from '../engine/nn/export';
import { familySpec } from '../engine/nn/family';
import { TOKENIZER_FILES } from '../engine/nn/tiny';
import { writeModelFile } from '../engine/onnx/encode';

export const NEW_HEAD_TASKS = ['classification', 'ner', 'qa'] as const;
export type NewHeadTask = (typeof NEW_HEAD_TASKS)[number];

const HEADS: Readonly<Record<NewHeadTask, { head: HeadKind; suffix: string }>> = {
  classification: { head: 'sequence-classification', suffix: 'ForSequenceClassification' },
  ner: { head: 'token-classification', suffix: 'ForTokenClassification' },
  qa: { head: 'question-answering', suffix: 'ForQuestionAnswering' },
};

export interface NewHeadOptions {
  /** A pre-trained model directory (config.json, tokenizer files, model.safetensors), any head. */
  readonly modelDir: string;
  readonly task: NewHeadTask;
  /** Label names in id order; question answering takes none (its head has two outputs). */
  readonly labels: readonly string[];
  readonly outDir: string;
  /** Seeds the new head's initialisation. */
  readonly seed: number;
  readonly overwrite?: boolean;
}

export interface NewHeadResult {
  readonly files: string[];
  readonly config: EncoderConfig;
  /** Tensors taken from the pre-trained model. */
  readonly kept: string[];
  /** Tensors the new model has that the pre-trained one did not: the head, and the pooler for an MLM checkpoint. */
  readonly initialised: string[];
  /** Tensors of the pre-trained model that the new one does not use (its old head). */
  readonly dropped: string[];
}

function labelConfig(task: NewHeadTask, labels: readonly string[]): Pick<EncoderConfig, 'id2label' | 'label2id'> {
  if (task === 'qa') {
    if (labels.length > 0) throw new RangeError('question answering takes no labels (its head has a start and an end output)');
    labels = ['LABEL_0', 'LABEL_1'];
  } else {
    if (labels.length < 2) throw new RangeError(`a ${task} head needs at least 2 labels, got ${labels.length}`);
    const seen = new Set<string>();
    for (const label of labels) {
      if (label.trim() === '') throw new RangeError('label names must not be empty');
      if (seen.has(label)) throw new RangeError(`label "${label}" is given twice`);
      seen.add(label);
    }
  }
  return {
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
  };
}

/** The config of the new model: the encoder's, with the task's architecture and labels. */
export function newHeadConfig(source: EncoderConfig, task: NewHeadTask, labels: readonly string[], file = 'config.json'): EncoderConfig {
  familyOf(source, file);
  headOf(source, file);
  const { classPrefix } = familySpec(source.model_type, file);
  const config: EncoderConfig = {
    ...source,
    architectures: [`${classPrefix}${HEADS[task].suffix}`],
    ...labelConfig(task, labels),
  };
  delete config.problem_type;
  if (task === 'classification') config.problem_type = 'single_label_classification';
  return config;
}

/**
 * Every tensor of the new model: the pre-trained one's where names match (a bare `BertModel`
 * checkpoint names them without the `bert.` prefix), the seeded HF initialisation elsewhere. Every
 * encoder tensor except the pooler must come from the checkpoint, so that a mismatched or truncated
 * model is an error rather than a silently random encoder.
 */
export function transplant(
  config: EncoderConfig,
  head: HeadKind,
  pretrained: ReadonlyMap<string, TensorF32>,
  seed: number,
  file = 'model.safetensors',
): { weights: Map<string, TensorF32>; kept: string[]; initialised: string[]; dropped: string[] } {
  const prefix = `${familySpec(config.model_type).base}.`;
  const fresh = initWeights(config, head, seed);
  const weights = new Map<string, TensorF32>();
  const kept: string[] = [];
  const initialised: string[] = [];
  const used = new Set<string>();
  for (const [name, init] of fresh) {
    const sourceName = pretrained.has(name)
      ? name
      : name.startsWith(prefix) && pretrained.has(name.slice(prefix.length))
        ? name.slice(prefix.length)
        : undefined;
    const source = sourceName === undefined ? undefined : pretrained.get(sourceName);
    if (source && sourceName !== undefined) {
      if (source.shape.join() !== init.shape.join()) {
        throw new FormatError(
          file,
          `tensor "${sourceName}" has shape [${source.shape.join(', ')}], the config needs [${init.shape.join(', ')}]`,
        );
      }
      weights.set(name, source);
      kept.push(name);
      used.add(sourceName);
    } else {
      const encoderTensor = name.startsWith(prefix) && !name.startsWith(`${prefix}pooler.`);
      if (encoderTensor) throw new FormatError(file, `the pre-trained model has no tensor "${name}"`);
      weights.set(name, init);
      initialised.push(name);
    }
  }
  const dropped = [...pretrained.keys()].filter((n) => !used.has(n)).sort();
  return { weights, kept, initialised, dropped };
}

/** Writes the task model directory: config.json, tokenizer files, model.safetensors and model.onnx. */
export function newHeadModelDir(options: NewHeadOptions): NewHeadResult {
  const located = locateHfModelDir(options.modelDir, { weights: true });
  for (const name of TOKENIZER_FILES) {
    if (!existsSync(join(options.modelDir, name))) throw new FormatError(join(options.modelDir, name), 'file not found');
  }
  const config = newHeadConfig(readConfig(located.configFile), options.task, options.labels, located.configFile);
  const head = HEADS[options.task].head;
  const weightsFile = located.weightsFile as string;
  const { weights, kept, initialised, dropped } = transplant(config, head, readModelWeights(weightsFile), options.seed, weightsFile);
  const model = buildInferenceModel(config, weights, { head });
  const { files } = writeDirAtomically(options.outDir, options.overwrite ?? false, (tmp) => {
    writeConfig(join(tmp, 'config.json'), config);
    writeSafetensors(join(tmp, 'model.safetensors'), weights, { metadata: { format: 'pt' } });
    writeModelFile(join(tmp, 'model.onnx'), model);
    for (const name of TOKENIZER_FILES) copyFileSync(join(options.modelDir, name), join(tmp, name));
  });
  return { files, config, kept, initialised, dropped };
}
