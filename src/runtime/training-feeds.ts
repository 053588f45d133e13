/** The batch inputs of training and eval graphs as ONNX Runtime tensors. */
import * as ort from 'onnxruntime-node';

/** A padded batch; structurally the `Batch` that src/trainer/data builds. */
export interface TrainingBatch {
  readonly size: number;
  readonly seqLength: number;
  readonly inputIds: BigInt64Array;
  readonly attentionMask: BigInt64Array;
  readonly tokenTypeIds?: BigInt64Array;
  /** [size] for sequence classification (float32 for regression), [size, seqLength] for NER and MLM. */
  readonly labels?: BigInt64Array | Float32Array;
  readonly startPositions?: BigInt64Array;
  readonly endPositions?: BigInt64Array;
  /**
   * Masked-LM scored at the masked positions only: their row-major indices into batch × sequence;
   * `labels` then holds one token id per position.
   */
  readonly maskedPositions?: BigInt64Array;
  /** Further float inputs by graph name with their dims (a distilled student's teacher logits). */
  /** Pre-training's sentence objective: one label per row (`next_sentence_label` or `sentence_order_label`). */
  readonly sentenceLabels?: BigInt64Array;
  /** The span boundary objective, per masked position: the row-major positions left and right of its span, its offset in it. */
  readonly spanLeft?: BigInt64Array;
  readonly spanRight?: BigInt64Array;
  readonly spanOffset?: BigInt64Array;
  readonly floatInputs?: Readonly<Record<string, { readonly data: Float32Array; readonly dims: readonly number[] }>>;
}

export function batchFeeds(names: readonly string[], batch: TrainingBatch, labelsFloat: boolean): Record<string, ort.Tensor> {
  const grid = [batch.size, batch.seqLength];
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of names) {
    switch (name) {
      case 'input_ids':
        feeds[name] = new ort.Tensor('int64', batch.inputIds, grid);
        break;
      case 'attention_mask':
        feeds[name] = new ort.Tensor('int64', batch.attentionMask, grid);
        break;
      case 'token_type_ids':
        feeds[name] = new ort.Tensor('int64', batch.tokenTypeIds ?? new BigInt64Array(batch.size * batch.seqLength), grid);
        break;
      case 'labels': {
        const labels = required(batch.labels, name);
        const dims = batch.maskedPositions ? [labels.length] : labels.length === batch.size ? [batch.size] : grid;
        if (labelsFloat) {
          feeds[name] = new ort.Tensor('float32', labels instanceof Float32Array ? labels : Float32Array.from(labels, Number), dims);
        } else {
          feeds[name] = new ort.Tensor(
            'int64',
            labels instanceof BigInt64Array ? labels : BigInt64Array.from(labels, (v) => BigInt(Math.trunc(v))),
            dims,
          );
        }
        break;
      }
      case 'start_positions':
        feeds[name] = new ort.Tensor('int64', required(batch.startPositions, name), [batch.size]);
        break;
      case 'end_positions':
        feeds[name] = new ort.Tensor('int64', required(batch.endPositions, name), [batch.size]);
        break;
      case 'masked_positions': {
        const positions = required(batch.maskedPositions, name);
        feeds[name] = new ort.Tensor('int64', positions, [positions.length]);
        break;
      }
      case 'next_sentence_label':
      case 'sentence_order_label':
        feeds[name] = new ort.Tensor('int64', required(batch.sentenceLabels, name), [batch.size]);
        break;
      case 'span_left':
      case 'span_right':
      case 'span_offset': {
        const values = required(name === 'span_left' ? batch.spanLeft : name === 'span_right' ? batch.spanRight : batch.spanOffset, name);
        feeds[name] = new ort.Tensor('int64', values, [values.length]);
        break;
      }
      default: {
        const extra = batch.floatInputs?.[name];
        if (!extra) throw new Error(`training session: the graph needs batch input "${name}", which a batch does not carry`);
        feeds[name] = new ort.Tensor('float32', extra.data, [...extra.dims]);
      }
    }
  }
  return feeds;
}

function required<T>(v: T | undefined, name: string): T {
  if (v === undefined) throw new Error(`training session: the batch has no "${name}"`);
  return v;
}
