/**
 * Knowledge distillation in the training graph (DistilBERT's recipe): the teacher's logits arrive
 * as batch inputs and the loss becomes α·T²·KL(teacher ‖ student) + (1 − α)·label loss, per
 * sequence, per scored token (NER) or over the start and end distributions (QA). Rows without
 * labels (a transfer set: text only the teacher labels) add to the soft term alone.
 */
import { EngineError } from '../errors';
import { GraphBuilder } from '../graph/builder';
import { Value } from '../graph/value';
import { distillationLoss, softTargetKl } from '../losses';
import { BATCH, SEQUENCE } from '../nn/bert';
import type { TrainableHead } from './training-graph';

export interface DistillationSpec {
  readonly temperature: number;
  /** Weight of the soft-target term; 1 − alpha weighs the label loss. */
  readonly alpha: number;
}

/** The teacher inputs a distilled head reads, in contract order. */
export function teacherInputsOf(head: TrainableHead): string[] {
  if (head === 'question-answering') return ['teacher_start_logits', 'teacher_end_logits'];
  if (head === 'sequence-classification') return ['teacher_logits'];
  // teacher_weights: 1 on the tokens the soft term scores (those the label loss scores), on
  // labelled rows and on unlabelled transfer rows alike, whose labels are all −100.
  if (head === 'token-classification') return ['teacher_logits', 'teacher_weights'];
  throw new EngineError('UNSUPPORTED_HEAD', `distillation supports classification, NER and QA heads, not ${head}`);
}

/** The distillation loss around a head's label loss, reading the teacher's logits as batch inputs. */
export function distilled(
  g: GraphBuilder,
  head: TrainableHead,
  outputs: Readonly<Record<string, Value>>,
  hard: Value,
  d: DistillationSpec,
  numLabels: number,
): Value {
  return g.scope('distillation', () => {
    switch (head) {
      case 'sequence-classification': {
        if (numLabels === 1) throw new EngineError('UNSUPPORTED_HEAD', 'distillation needs class logits, not a regression head');
        const teacher = g.input('teacher_logits', 'float32', [BATCH, numLabels]);
        return distillationLoss(g, softTargetKl(g, outputs.logits, teacher, d.temperature), hard, d.alpha);
      }
      case 'token-classification': {
        // Per token, over the word pieces a labelled row's label loss would score.
        const teacher = g.input('teacher_logits', 'float32', [BATCH, SEQUENCE, numLabels]);
        const weights = g.op.Reshape(g.input('teacher_weights', 'float32', [BATCH, SEQUENCE]), [-1]);
        const flat = (v: Value): Value => g.op.Reshape(v, [-1, numLabels]);
        return distillationLoss(
          g,
          softTargetKl(g, flat(outputs.logits), flat(teacher), d.temperature, { rowWeights: weights }),
          hard,
          d.alpha,
        );
      }
      case 'question-answering': {
        // Start and end distributions over the real tokens (padding masked out of both), averaged.
        const mask = g.op.Cast(g.valueOf('attention_mask'), 'float32');
        const start = g.input('teacher_start_logits', 'float32', [BATCH, SEQUENCE]);
        const end = g.input('teacher_end_logits', 'float32', [BATCH, SEQUENCE]);
        const kl = (s: Value, t: Value): Value => softTargetKl(g, s, t, d.temperature, { logitMask: mask });
        const soft = g.op.Div(g.op.Add(kl(outputs.start_logits, start), kl(outputs.end_logits, end)), g.constant(2, 'float32'));
        return distillationLoss(g, soft, hard, d.alpha);
      }
      default:
        throw new EngineError('UNSUPPORTED_HEAD', `distillation supports classification, NER and QA heads, not ${head}`);
    }
  });
}
