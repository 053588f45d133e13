/**
 * Entity-level scores for sequence labelling, counted as conlleval and seqeval (default mode) count
 * them. A chunk is a maximal run that the tag prefixes (B, I, E, S, O) and types delimit; the same
 * rules read IOB2, IOB1 (an I-X after O or after another type starts a new chunk) and IOBES.
 * An entity is correct only when its type, first and last token all match.
 */

export interface Entity {
  type: string;
  /** Index of the first token, inclusive. */
  start: number;
  /** Index of the last token, inclusive. */
  end: number;
}

/** Splits a tag into its prefix character and its type, as seqeval does ("O" has type "_"). */
function splitTag(tag: string): [string, string] {
  const prefix = tag.charAt(0);
  const rest = tag.slice(1);
  const dash = rest.indexOf('-');
  const type = dash === -1 ? rest : rest.slice(dash + 1);
  return [prefix, type === '' ? '_' : type];
}

function endOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (prevTag === 'E' || prevTag === 'S') return true;
  if ((prevTag === 'B' || prevTag === 'I') && (tag === 'B' || tag === 'S' || tag === 'O')) return true;
  return prevTag !== 'O' && prevTag !== '.' && prevType !== type;
}

function startOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (tag === 'B' || tag === 'S') return true;
  if ((prevTag === 'E' || prevTag === 'S' || prevTag === 'O') && (tag === 'E' || tag === 'I')) return true;
  return tag !== 'O' && tag !== '.' && prevType !== type;
}

/** The chunks of one tag sequence. */
export function getEntities(tags: readonly string[]): Entity[] {
  const entities: Entity[] = [];
  let prevTag = 'O';
  let prevType = '';
  let begin = 0;
  for (let i = 0; i <= tags.length; i++) {
    const [tag, type] = splitTag(i < tags.length ? tags[i] : 'O');
    if (endOfChunk(prevTag, tag, prevType, type)) entities.push({ type: prevType, start: begin, end: i - 1 });
    if (startOfChunk(prevTag, tag, prevType, type)) begin = i;
    prevTag = tag;
    prevType = type;
  }
  return entities;
}

export interface PrecisionRecallF1 {
  precision: number;
  recall: number;
  f1: number;
  /** Number of gold entities. */
  support: number;
}

export interface EntityScores extends PrecisionRecallF1 {
  /** Micro-averaged over all entities (the headline figures, as seqeval's f1_score). */
  perType: Record<string, PrecisionRecallF1>;
  /** Unweighted mean of the per-type scores. */
  macro: PrecisionRecallF1;
  /** Token-level accuracy (seqeval's accuracy_score). */
  accuracy: number;
  predicted: number;
  correct: number;
}

function prf(correct: number, predicted: number, gold: number): PrecisionRecallF1 {
  // Zero division gives 0, as seqeval and sklearn report by default.
  const precision = predicted === 0 ? 0 : correct / predicted;
  const recall = gold === 0 ? 0 : correct / gold;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, support: gold };
}

/** Scores predicted tag sequences against gold ones, sentence by sentence. */
export function entityScores(gold: readonly (readonly string[])[], predicted: readonly (readonly string[])[]): EntityScores {
  if (gold.length !== predicted.length) {
    throw new RangeError(`gold has ${gold.length} sequences, predictions ${predicted.length}`);
  }
  const counts = new Map<string, { gold: number; predicted: number; correct: number }>();
  const bump = (type: string, key: 'gold' | 'predicted' | 'correct'): void => {
    const c = counts.get(type) ?? { gold: 0, predicted: 0, correct: 0 };
    c[key]++;
    counts.set(type, c);
  };
  let tokens = 0;
  let tokensRight = 0;
  for (let s = 0; s < gold.length; s++) {
    const g = gold[s];
    const p = predicted[s];
    if (g.length !== p.length) {
      throw new RangeError(`sequence ${s}: gold has ${g.length} tags, predictions ${p.length}`);
    }
    for (let i = 0; i < g.length; i++) if (g[i] === p[i]) tokensRight++;
    tokens += g.length;
    const goldKeys = new Set(getEntities(g).map((e) => `${e.type}\u0000${e.start}\u0000${e.end}`));
    for (const e of getEntities(g)) bump(e.type, 'gold');
    for (const e of getEntities(p)) {
      bump(e.type, 'predicted');
      if (goldKeys.has(`${e.type}\u0000${e.start}\u0000${e.end}`)) bump(e.type, 'correct');
    }
  }
  const perType: Record<string, PrecisionRecallF1> = {};
  let goldTotal = 0;
  let predictedTotal = 0;
  let correctTotal = 0;
  for (const type of [...counts.keys()].sort()) {
    const c = counts.get(type)!;
    perType[type] = prf(c.correct, c.predicted, c.gold);
    goldTotal += c.gold;
    predictedTotal += c.predicted;
    correctTotal += c.correct;
  }
  const types = Object.values(perType);
  const mean = (k: 'precision' | 'recall' | 'f1'): number =>
    types.length === 0 ? 0 : types.reduce((sum, t) => sum + t[k], 0) / types.length;
  return {
    ...prf(correctTotal, predictedTotal, goldTotal),
    perType,
    macro: { precision: mean('precision'), recall: mean('recall'), f1: mean('f1'), support: goldTotal },
    accuracy: tokens === 0 ? 0 : tokensRight / tokens,
    predicted: predictedTotal,
    correct: correctTotal,
  };
}
