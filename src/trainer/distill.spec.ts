import type { EncoderConfig } from '../engine/formats/config';
import type { TensorF32 } from '../engine/formats/safetensors';
import { alternateLayers, studentLayerIndices, teacherBatchInputs } from './distill';

const t = (v: number): TensorF32 => ({ shape: [1], data: Float32Array.of(v) });

describe('distillation student and teacher inputs', () => {
  it('keeps layers spread evenly with the first and last, as DistilBERT does for 6 of 12', () => {
    expect(studentLayerIndices(12, 6)).toEqual([0, 2, 4, 7, 9, 11]);
    expect(studentLayerIndices(4, 2)).toEqual([0, 3]);
    expect(studentLayerIndices(6, 3)).toEqual([0, 3, 5]);
    expect(studentLayerIndices(4, 4)).toEqual([0, 1, 2, 3]);
    expect(studentLayerIndices(4, 1)).toEqual([0]);
  });

  it('cuts the encoder to the chosen layers, renumbered, keeping every other tensor', () => {
    const weights = new Map<string, TensorF32>([
      ['bert.embeddings.word_embeddings.weight', t(-1)],
      ...[0, 1, 2, 3].map((i): [string, TensorF32] => [`bert.encoder.layer.${i}.attention.self.query.weight`, t(i)]),
      ['bert.pooler.dense.weight', t(-2)],
      ['classifier.weight', t(-3)],
    ]);
    const config = { model_type: 'bert', num_hidden_layers: 4 } as EncoderConfig;
    const cut = alternateLayers(config, weights, 2);
    expect(cut.kept).toEqual([0, 3]);
    expect(cut.config.num_hidden_layers).toBe(2);
    expect([...cut.weights.keys()].sort()).toEqual(
      [
        'bert.embeddings.word_embeddings.weight',
        'bert.encoder.layer.0.attention.self.query.weight',
        'bert.encoder.layer.1.attention.self.query.weight',
        'bert.pooler.dense.weight',
        'classifier.weight',
      ].sort(),
    );
    expect(cut.weights.get('bert.encoder.layer.1.attention.self.query.weight')!.data[0]).toBe(3);
    // DistilBERT's layers live under transformer.layer.N.
    const distil = alternateLayers(
      { model_type: 'distilbert', num_hidden_layers: 2 } as EncoderConfig,
      new Map([['distilbert.transformer.layer.1.ffn.lin1.weight', t(1)]]),
      1,
    );
    expect([...distil.weights.keys()]).toEqual([]);
    expect(() => alternateLayers(config, weights, 5)).toThrow(/student-layers: must be an integer in \[1, 4\]/);
    expect(() => alternateLayers(config, weights, 0)).toThrow(/student-layers/);
  });

  it('pads the teacher logits of a batch to its length (zeros past each row)', () => {
    const seq = {
      seconds: 0,
      head: 'sequence-classification' as const,
      layers: 4,
      classes: 2,
      rows: [{ teacher_logits: Float32Array.of(1, 2) }, { teacher_logits: Float32Array.of(3, 4) }],
    };
    expect(teacherBatchInputs(seq, [1, 0], 7).teacher_logits).toEqual({ data: Float32Array.of(3, 4, 1, 2), dims: [2, 2] });
    const tok = {
      head: 'token-classification' as const,
      seconds: 0,
      layers: 4,
      classes: 2,
      rows: [{ teacher_logits: Float32Array.of(1, 2, 3, 4), teacher_weights: Float32Array.of(0, 1) }],
    };
    expect(teacherBatchInputs(tok, [0], 3)).toEqual({
      teacher_logits: { data: Float32Array.of(1, 2, 3, 4, 0, 0), dims: [1, 3, 2] },
      teacher_weights: { data: Float32Array.of(0, 1, 0), dims: [1, 3] },
    });
    const qa = {
      seconds: 0,
      head: 'question-answering' as const,
      layers: 4,
      classes: 0,
      rows: [{ teacher_start_logits: Float32Array.of(1), teacher_end_logits: Float32Array.of(2) }],
    };
    expect(teacherBatchInputs(qa, [0], 2)).toEqual({
      teacher_start_logits: { data: Float32Array.of(1, 0), dims: [1, 2] },
      teacher_end_logits: { data: Float32Array.of(2, 0), dims: [1, 2] },
    });
  });
});
