import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../errors';
import { EncoderConfig, HeadKind, writeConfig } from '../formats/config';
import { writeSafetensors } from '../formats/safetensors';
import { initWeights } from '../init';
import { writeModelFile } from '../onnx/encode';
import { buildInferenceModel } from './bert';
import { writeDirAtomically } from './export';

export const TINY_TASKS = ['classification', 'nli', 'ner', 'qa', 'mlm'] as const;
export type TinyTask = (typeof TINY_TASKS)[number];

const TASKS: Readonly<Record<TinyTask, { architecture: string; head: HeadKind; labels: readonly string[] }>> = {
  classification: { architecture: 'BertForSequenceClassification', head: 'sequence-classification', labels: ['negative', 'positive'] },
  nli: {
    architecture: 'BertForSequenceClassification',
    head: 'sequence-classification',
    labels: ['entailment', 'neutral', 'contradiction'],
  },
  ner: {
    architecture: 'BertForTokenClassification',
    head: 'token-classification',
    labels: ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC', 'B-MISC', 'I-MISC'],
  },
  // HF's default labels: its QA head is Linear(hidden, num_labels) and needs exactly 2.
  qa: { architecture: 'BertForQuestionAnswering', head: 'question-answering', labels: ['LABEL_0', 'LABEL_1'] },
  mlm: { architecture: 'BertForMaskedLM', head: 'masked-lm', labels: ['LABEL_0', 'LABEL_1'] },
};

export const TOKENIZER_FILES = ['tokenizer.json', 'vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json'];

/** The tokens of a WordPiece `vocab.txt` (line i is id i) and the id of its `[PAD]`. */
export function readVocab(vocabFile: string): { tokens: string[]; pad: number } {
  const tokens = readFileSync(vocabFile, 'utf8').split('\n');
  if (tokens[tokens.length - 1] === '') tokens.pop();
  const pad = tokens.indexOf('[PAD]');
  if (pad < 0) throw new FormatError(vocabFile, 'no [PAD] token in the vocabulary');
  return { tokens, pad };
}

/** BERT's config defaults over the vocabulary in `vocabFile`, with `fields` (architecture, sizes, labels) on top. */
export function bertConfigFor(
  vocabFile: string,
  fields: Partial<EncoderConfig> & Pick<EncoderConfig, 'architectures' | 'id2label' | 'label2id'>,
): EncoderConfig {
  const { tokens, pad } = readVocab(vocabFile);
  return {
    model_type: 'bert',
    vocab_size: tokens.length,
    hidden_size: 64,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    intermediate_size: 128,
    hidden_act: 'gelu',
    max_position_embeddings: 512,
    type_vocab_size: 2,
    layer_norm_eps: 1e-12,
    pad_token_id: pad,
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    classifier_dropout: null,
    initializer_range: 0.02,
    position_embedding_type: 'absolute',
    torch_dtype: 'float32',
    ...fields,
  };
}

/** A tiny BERT config for `task` over the WordPiece vocabulary in `vocabFile`. */
export function tinyConfig(task: TinyTask, vocabFile: string): EncoderConfig {
  const spec = TASKS[task];
  const config = bertConfigFor(vocabFile, {
    architectures: [spec.architecture],
    id2label: Object.fromEntries(spec.labels.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(spec.labels.map((l, i) => [l, i])),
  });
  if (spec.head === 'sequence-classification') config.problem_type = 'single_label_classification';
  return config;
}

export interface MakeTinyOptions {
  readonly task: TinyTask;
  readonly outDir: string;
  readonly seed: number;
  /** Directory holding the tokenizer files to copy (the repository's assets/tiny-tokenizer). */
  readonly tokenizerDir: string;
  readonly overwrite?: boolean;
}

/**
 * Writes a complete HF layout directory for a randomly initialised tiny BERT: config.json,
 * tokenizer files, model.safetensors and model.onnx. The same seed gives byte-identical files.
 */
export function makeTinyModelDir(options: MakeTinyOptions): { files: string[] } {
  const config = tinyConfig(options.task, join(options.tokenizerDir, 'vocab.txt'));
  const head = TASKS[options.task].head;
  const weights = initWeights(config, head, options.seed);
  const model = buildInferenceModel(config, weights, { head });
  return writeDirAtomically(options.outDir, options.overwrite ?? false, (tmp) => {
    writeConfig(join(tmp, 'config.json'), config);
    writeSafetensors(join(tmp, 'model.safetensors'), weights, { metadata: { format: 'pt' } });
    writeModelFile(join(tmp, 'model.onnx'), model);
    for (const name of TOKENIZER_FILES) copyFileSync(join(options.tokenizerDir, name), join(tmp, name));
  });
}
