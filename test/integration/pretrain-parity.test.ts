import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig } from '../../src/engine/formats/config';
import { TensorF32, readSafetensors } from '../../src/engine/formats/safetensors';
import { PretrainingHeads } from '../../src/engine/nn/pretraining';
import { buildEvalGraph, buildTrainingGraph } from '../../src/engine/training';
import { TrainingBatch, TrainingSession } from '../../src/runtime/training-session';
import { describeWithFixtures, hfTinyDir } from '../helpers/fixtures';
import { afterStepsFailures, gradientFailures } from '../helpers/train-reference';

/**
 * Pre-training heads against the PyTorch references of `bert-pretraining` (BertForPreTraining:
 * MLM + NSP on the pooler) and `albert-pretraining` (AlbertForPreTraining: MLM + SOP on ALBERT's
 * pooler): the pre-masked batch of `train_pretraining.jsonl`, padded as the
 * fixtures README prescribes, then the first loss and both its terms' sum, every gradient and the
 * parameters after 3 AdamW steps (lr 1e-3, wd 0.01 with HF's grouping, no clipping), with the MLM
 * scored densely ([B, L] labels) and at the masked positions only (what `berth pretrain` builds).
 */

interface Row {
  input_ids: number[];
  token_type_ids: number[];
  attention_mask: number[];
  labels: number[];
  next_sentence_label?: number;
  sentence_order_label?: number;
}

interface Reference {
  batch: {
    shape: [number, number];
    input_ids: number[][];
    labels: number[][];
    next_sentence_label?: number[];
    sentence_order_label?: number[];
  };
  loss: number;
  losses: number[];
  loss_after_3: number;
  grad_global_l2_norms: number[];
  noise_sensitive_parameters: { name: string }[];
}

/** The jsonl rows padded on the right to the longest row: ids, mask and types with 0, labels with −100. */
function paddedBatch(dir: string, sparse: boolean): { batch: TrainingBatch; rows: number[][]; labels: number[][] } {
  const rows = readFileSync(join(dir, 'train_pretraining.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Row);
  const width = Math.max(...rows.map((r) => r.input_ids.length));
  const pad = (values: number[], fill: number): number[] => [...values, ...new Array<number>(width - values.length).fill(fill)];
  const ids = rows.map((r) => pad(r.input_ids, 0));
  const labels = rows.map((r) => pad(r.labels, -100));
  const flat = (m: number[][]): BigInt64Array => BigInt64Array.from(m.flat(), (v) => BigInt(v));
  const dense = labels.flat();
  const positions = dense.flatMap((l, i) => (l === -100 ? [] : [i]));
  return {
    rows: ids,
    labels,
    batch: {
      size: rows.length,
      seqLength: width,
      inputIds: flat(ids),
      attentionMask: flat(rows.map((r) => pad(r.attention_mask, 0))),
      tokenTypeIds: flat(rows.map((r) => pad(r.token_type_ids, 0))),
      labels: sparse ? BigInt64Array.from(positions, (p) => BigInt(dense[p])) : flat(labels),
      maskedPositions: sparse ? BigInt64Array.from(positions, (p) => BigInt(p)) : undefined,
      sentenceLabels: BigInt64Array.from(rows, (r) => BigInt(r.next_sentence_label ?? r.sentence_order_label ?? -1)),
    },
  };
}

const relClose = (actual: number, expected: number, rel: number): void => {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.abs(expected));
};

const CASES: Array<[string, string, PretrainingHeads, boolean]> = [
  ['bert-pretraining', 'dense MLM labels', { sentence: 'nsp' }, false],
  ['bert-pretraining', 'masked positions only', { sentence: 'nsp' }, true],
  ['albert-pretraining', 'dense MLM labels', { sentence: 'sop' }, false],
  ['albert-pretraining', 'masked positions only', { sentence: 'sop' }, true],
];

describeWithFixtures('pre-training heads: parity with the PyTorch pre-training references', () => {
  describe.each(CASES)('%s (%s)', (model, _how, heads, sparse) => {
    const dir = hfTinyDir(model);
    const reference = JSON.parse(readFileSync(join(dir, 'train_reference.json'), 'utf8')) as Reference;
    const noisy = new Set(reference.noise_sensitive_parameters.map((p) => p.name));
    let refGrads: Map<string, TensorF32>;
    let after3: Map<string, TensorF32>;
    const losses: number[] = [];
    const gradNorms: number[] = [];
    let firstGradients: Map<string, Float32Array>;
    let lossAfter3: number;
    let finalParams: Map<string, TensorF32>;
    let built: ReturnType<typeof paddedBatch>;

    beforeAll(async () => {
      refGrads = readSafetensors(join(dir, 'grads.safetensors'));
      after3 = readSafetensors(join(dir, 'after3.safetensors'));
      built = paddedBatch(dir, sparse);
      const spec = {
        config: readConfig(join(dir, 'config.json')),
        weights: readSafetensors(join(dir, 'model.safetensors')),
        head: 'masked-lm' as const,
        pretraining: heads,
        maskedPositionsOnly: sparse,
        optimizer: { weightDecay: 0.01, maxGradNorm: 0 },
        emitGradients: true,
      };
      const session = await TrainingSession.create(buildTrainingGraph(spec), { eval: buildEvalGraph(spec), intraOpThreads: 1 });
      try {
        for (let step = 0; step < 3; step++) {
          const r = await session.step(built.batch, 1e-3);
          losses.push(r.loss);
          gradNorms.push(r.gradNorm);
          if (step === 0) firstGradients = r.gradients!;
        }
        lossAfter3 = (await session.evaluate(built.batch)).loss;
        finalParams = session.state.snapshot();
      } finally {
        await session.release();
      }
    });

    it('the jsonl rows, padded, are the reference batch', () => {
      expect([built.batch.size, built.batch.seqLength]).toEqual(reference.batch.shape);
      expect(built.rows).toEqual(reference.batch.input_ids);
      expect(built.labels).toEqual(reference.batch.labels);
      expect(Array.from(built.batch.sentenceLabels!, Number)).toEqual(
        heads.sentence === 'nsp' ? reference.batch.next_sentence_label : reference.batch.sentence_order_label,
      );
    });

    it('first-step loss (MLM + NSP or SOP) and global gradient norm to 1e-4 relative', () => {
      relClose(losses[0], reference.loss, 1e-4);
      relClose(gradNorms[0], reference.grad_global_l2_norms[0], 1e-4);
    });

    it('every gradient, heads included: max|Δ| ≤ 1e-4 · max|g_ref| (noise-sensitive: 1e-6 absolute)', () => {
      expect([...firstGradients.keys()].sort()).toEqual([...refGrads.keys()].sort());
      expect(gradientFailures(refGrads, firstGradients, noisy)).toEqual([]);
    });

    it('parameters after 3 AdamW steps: 1e-4 relative, biases and LayerNorm 1e-5', () => {
      expect(afterStepsFailures(after3, finalParams, noisy)).toEqual([]);
    });

    it('losses at steps 2 and 3 and after the third step to 1e-4 relative', () => {
      relClose(losses[1], reference.losses[1], 1e-4);
      relClose(losses[2], reference.losses[2], 1e-4);
      relClose(lossAfter3, reference.loss_after_3, 1e-4);
    });
  });
});
