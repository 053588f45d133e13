/**
 * Token classification (NER) post-processing, with the semantics of Hugging Face's
 * TokenClassificationPipeline: softmax per token, then aggregation `none | simple | first |
 * average | max`, then `ignore_labels` filtering, and, for a long text split into overlapping
 * windows, HF's `aggregate_overlapping_entities` merge (sorted by start; of two overlapping
 * entities the longer wins, then the higher score).
 *
 * One deliberate difference: `word` is the exact slice of the caller's text between `start` and
 * `end`, where HF decodes the tokens (which lowercases and strips accents for uncased models:
 * "Zürich" comes back as "zurich" from HF, as "Zürich" here). Offsets and scores are HF's.
 *
 * The pipeline below runs every text in `stride`-overlapping windows of the model maximum (default
 * overlap: a quarter of the window, at most 64 tokens), whatever the aggregation.
 */
import { InvalidInputError } from '../errors/domain-error';
import { skipLeadingSpace } from '../tokenizer/offsets';
import { argmax, softmax } from './math';
import type { TaskPipeline } from './pipeline';
import { type AggregationStrategy, type Entity, NER_AGGREGATION_DEFAULT, type NerParams } from './types';

/** One window's tokens as the tokenizer gave them (code-point offsets into the original text). */
export interface NerWindowTokens {
  ids: number[];
  tokens: string[];
  offsets: Array<[number, number]>;
  specialTokensMask: number[];
}

export interface PreEntity {
  /** Token index (global across windows when the caller supplies `indexBase`). */
  index: number;
  start: number;
  end: number;
  scores: number[];
  isSubword: boolean;
}

interface TaggedSpan {
  entity: string;
  score: number;
  start: number;
  end: number;
  index?: number;
}

export interface NerPostprocessOptions {
  aggregation: AggregationStrategy;
  ignoreLabels: string[];
  /** id2label in id order. */
  labels: string[];
  unkId: number;
  /** Continuation prefix of the WordPiece model ("##"); undefined for tokenizers without one. */
  subwordPrefix?: string;
  /** The Metaspace replacement ("▁") that starts every word of a SentencePiece-style tokenizer. */
  wordStartMark?: string;
}

/** Length of a string in code points, as Python's `len`. */
function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * HF `gather_pre_entities`: special tokens dropped; a token is a sub-word when its vocabulary
 * form is longer or shorter than the text it covers ("##soft" vs "soft"), which is how HF tells
 * continuation pieces for word-aware tokenizers; `[UNK]` always starts a word. Without a
 * continuation prefix HF falls back to "not preceded by a space", as done here too, except for
 * SentencePiece-style tokenizers, whose ▁ marks every word start (see below).
 */
export function gatherPreEntities(
  text: string,
  window: NerWindowTokens,
  logits: ArrayLike<number>,
  numLabels: number,
  opts: Pick<NerPostprocessOptions, 'unkId' | 'subwordPrefix' | 'wordStartMark'>,
  indexBase = 0,
  codePoints: string[] = Array.from(text),
): PreEntity[] {
  const out: PreEntity[] = [];
  /** A SentencePiece word start met on a token that covers only a space, passed to the next token. */
  let pendingStart = false;
  for (let t = 0; t < window.ids.length; t++) {
    if (window.specialTokensMask[t]) continue;
    const [start, end] = window.offsets[t];
    let isSubword: boolean;
    if (opts.wordStartMark) {
      // SentencePiece marks word starts (the ▁), not continuations: a lone "▁" piece followed by
      // "1848" is one word, which the space heuristic below would split in two; an <unk> piece
      // can sit inside a word. A piece that covers only a space (the lone ▁, or a doubled space)
      // carries no text: it only hands its word start on.
      const startsWord: boolean = window.tokens[t].startsWith(opts.wordStartMark) || pendingStart;
      if (codePoints.slice(start, end).every((c) => /\s/u.test(c))) {
        pendingStart = startsWord;
        continue;
      }
      pendingStart = false;
      isSubword = !startsWord;
    } else {
      if (opts.subwordPrefix) isSubword = codePointLength(window.tokens[t]) !== end - start;
      else isSubword = start > 0 && !(codePoints[start - 1] === ' ' || codePoints[start] === ' ');
      if (window.ids[t] === opts.unkId) isSubword = false;
    }
    const row = new Array<number>(numLabels);
    for (let k = 0; k < numLabels; k++) row[k] = logits[t * numLabels + k];
    out.push({ index: indexBase + t, start, end, scores: softmax(row), isSubword });
  }
  return out;
}

/** HF `get_tag`: B-/I- prefixes, anything else counts as a continuation of its own tag. */
export function tagOf(label: string): { bi: 'B' | 'I'; tag: string } {
  if (label.startsWith('B-')) return { bi: 'B', tag: label.slice(2) };
  if (label.startsWith('I-')) return { bi: 'I', tag: label.slice(2) };
  return { bi: 'I', tag: label };
}

/** HF `aggregate_word`: the label of one word from its tokens. */
function aggregateWord(tokens: PreEntity[], strategy: 'first' | 'average' | 'max', labels: string[]): TaggedSpan {
  let scores: number[];
  if (strategy === 'first') {
    scores = tokens[0].scores;
  } else if (strategy === 'max') {
    let best = tokens[0];
    for (const t of tokens) if (Math.max(...t.scores) > Math.max(...best.scores)) best = t;
    scores = best.scores;
  } else {
    scores = tokens[0].scores.map((_, k) => tokens.reduce((sum, t) => sum + t.scores[k], 0) / tokens.length);
  }
  const id = argmax(scores);
  return { entity: labels[id], score: scores[id], start: tokens[0].start, end: tokens[tokens.length - 1].end };
}

/** HF `aggregate_words`: a word is a token plus the sub-word tokens that follow it. */
function aggregateWords(pre: PreEntity[], strategy: 'first' | 'average' | 'max', labels: string[]): TaggedSpan[] {
  const words: TaggedSpan[] = [];
  let group: PreEntity[] = [];
  for (const p of pre) {
    if (group.length > 0 && !p.isSubword) {
      words.push(aggregateWord(group, strategy, labels));
      group = [];
    }
    group.push(p);
  }
  if (group.length > 0) words.push(aggregateWord(group, strategy, labels));
  return words;
}

interface Group {
  entity_group: string;
  score: number;
  start: number;
  end: number;
}

/** HF `group_entities`: adjacent spans with the same tag merge unless the next one is a B-. */
export function groupEntities(spans: TaggedSpan[]): Group[] {
  const groups: Group[] = [];
  let current: TaggedSpan[] = [];
  const flush = () => {
    if (current.length === 0) return;
    const first = current[0].entity;
    groups.push({
      // HF: entity.split("-", 1)[-1]
      entity_group: first.includes('-') ? first.slice(first.indexOf('-') + 1) : first,
      score: current.reduce((sum, s) => sum + s.score, 0) / current.length,
      start: current[0].start,
      end: current[current.length - 1].end,
    });
    current = [];
  };
  for (const span of spans) {
    if (current.length > 0) {
      const { bi, tag } = tagOf(span.entity);
      const last = tagOf(current[current.length - 1].entity);
      if (!(tag === last.tag && bi !== 'B')) flush();
    }
    current.push(span);
  }
  flush();
  return groups;
}

/** Aggregation and ignore-label filtering of one window (HF `aggregate` + the filter in `postprocess`). */
export function aggregateWindow(
  pre: PreEntity[],
  opts: Pick<NerPostprocessOptions, 'aggregation' | 'ignoreLabels' | 'labels'>,
): Array<Omit<Entity, 'word'>> {
  const ignore = new Set(opts.ignoreLabels);
  if (opts.aggregation === 'none') {
    return pre
      .map((p) => {
        const id = argmax(p.scores);
        const entity = opts.labels[id];
        return { entity, entity_group: tagOf(entity).tag, score: p.scores[id], index: p.index, start: p.start, end: p.end };
      })
      .filter((e) => !ignore.has(e.entity));
  }
  const spans: TaggedSpan[] =
    opts.aggregation === 'simple'
      ? pre.map((p) => {
          const id = argmax(p.scores);
          return { entity: opts.labels[id], score: p.scores[id], start: p.start, end: p.end, index: p.index };
        })
      : aggregateWords(pre, opts.aggregation, opts.labels);
  return groupEntities(spans).filter((g) => !ignore.has(g.entity_group));
}

/** HF `aggregate_overlapping_entities`, used when a text ran in several windows. */
export function mergeOverlapping<E extends { start: number; end: number; score: number }>(entities: E[]): E[] {
  if (entities.length === 0) return entities;
  // Array.prototype.sort is stable, as Python's sorted.
  const sorted = [...entities].sort((a, b) => a.start - b.start);
  const merged: E[] = [];
  let previous = sorted[0];
  for (const entity of sorted) {
    if (previous.start <= entity.start && entity.start < previous.end) {
      const length = entity.end - entity.start;
      const previousLength = previous.end - previous.start;
      if (length > previousLength || (length === previousLength && entity.score > previous.score)) previous = entity;
    } else {
      merged.push(previous);
      previous = entity;
    }
  }
  merged.push(previous);
  return merged;
}

/**
 * Every window of one text → its entities, with `word` sliced from the original text.
 * `windowIndexBase[w]` maps window-local token indices to indices in the whole text's encoding.
 */
export function postprocessNer(
  text: string,
  windows: Array<{ tokens: NerWindowTokens; logits: ArrayLike<number>; indexBase: number }>,
  numLabels: number,
  opts: NerPostprocessOptions,
): Entity[] {
  const codePoints = Array.from(text);
  let all: Array<Omit<Entity, 'word'>> = [];
  for (const w of windows) {
    const pre = gatherPreEntities(text, w.tokens, w.logits, numLabels, opts, w.indexBase, codePoints);
    all.push(...aggregateWindow(pre, opts));
  }
  if (windows.length > 1) all = mergeOverlapping(all);
  return all.map((e) => {
    const start = skipLeadingSpace(codePoints, e.start, e.end);
    return { ...e, start, word: codePoints.slice(start, e.end).join('') };
  });
}

export const nerPipeline: TaskPipeline<string, NerParams, Entity[]> = {
  requires: 'token-classification',

  check(texts, _params, limits) {
    limits.inputs(texts.length);
    limits.texts(texts.map((s, i): [string, string] => [`inputs[${i}]`, s]));
  },

  async run(model, stages, texts, params) {
    const { tokenizer } = model;
    const room = model.maxLength - tokenizer.numSpecialTokens(false);
    const stride = params.stride ?? Math.min(64, Math.floor(room / 4));
    if (!Number.isInteger(stride) || stride < 0 || stride >= room) {
      throw new InvalidInputError(`stride must be an integer from 0 to ${room - 1} for this model (got ${stride})`);
    }
    const encoded = await stages.tokenize(() =>
      tokenizer.encodeBatch(texts, { truncation: 'longest_first', stride, returnOverflowing: true }),
    );
    const outputs = await stages.run(encoded.flat());
    const { labels } = model.descriptor;
    let k = 0;
    return texts.map((text, i) => {
      const windows = encoded[i].map((w, windowIndex) => ({
        tokens: w,
        logits: outputs[k++].logits.data,
        // Window w's first text token is token w·(room − stride) of the whole text.
        indexBase: windowIndex * (room - stride),
      }));
      return postprocessNer(text, windows, labels.length, {
        aggregation: params.aggregation_strategy ?? NER_AGGREGATION_DEFAULT,
        ignoreLabels: params.ignore_labels ?? ['O'],
        labels,
        unkId: tokenizer.specialIds.unk,
        subwordPrefix: model.continuingSubwordPrefix,
        wordStartMark: model.wordStartMark,
      });
    });
  },
};
