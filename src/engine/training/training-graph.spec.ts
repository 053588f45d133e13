import { Tensor64, evaluate64, tensor64 } from '../../../test/support/float64-evaluator';
import { HEADS, WORD, batchFeeds, finiteDifferenceCheck, maxAbsOf, sparseFeeds, specFor } from '../../../test/support/training-graph-check';
import { PEFT_CONFIG_KEY, PeftConfig, initPeftWeights } from '../nn/peft';
import { Rng } from '../random';
import { decodeModel } from '../onnx/decode';
import { microConfig, microWeights } from './micro-model';
import { TrainingGraphSpec, buildEvalGraph, buildTrainingGraph, expAvgName, expAvgSqName, gradName, nextName } from './training-graph';

describe('training graph contract', () => {
  it.each(HEADS)('%s: inputs and outputs in the documented order', (head) => {
    const graph = buildTrainingGraph(specFor(head));
    const labels = head === 'question-answering' ? ['start_positions', 'end_positions'] : ['labels'];
    expect(graph.batchInputs).toEqual(['input_ids', 'attention_mask', 'token_type_ids', ...labels]);
    expect(graph.inputs).toEqual([
      ...graph.batchInputs,
      'learning_rate',
      'step',
      ...graph.trainable.flatMap((n) => [n, expAvgName(n), expAvgSqName(n)]),
    ]);
    expect(graph.outputs).toEqual([
      'loss',
      'grad_norm',
      ...graph.trainable.flatMap((n) => [nextName(n), nextName(expAvgName(n)), nextName(expAvgSqName(n))]),
      ...graph.trainable.map(gradName),
    ]);
    expect(new Set(graph.trainable)).toEqual(new Set(specFor(head).weights.keys()));
    const model = decodeModel(graph.model);
    expect(model.graph.inputs.map((i) => i.name)).toEqual(graph.inputs);
    expect(model.graph.outputs.map((o) => o.name)).toEqual(graph.outputs);
    expect(model.opsetImports).toEqual([{ domain: '', version: 17 }]);
    expect(model.graph.nodes.every((n) => !n.domain)).toBe(true);
  });

  it('is deterministic: the same spec gives byte-identical models', () => {
    const a = buildTrainingGraph(specFor('masked-lm'));
    const b = buildTrainingGraph(specFor('masked-lm'));
    expect(Buffer.from(a.model).equals(Buffer.from(b.model))).toBe(true);
  });

  it('bakes frozen parameters in as initializers and trains only the trainable set', () => {
    const trainable = new Set(['classifier.weight', 'classifier.bias']);
    const graph = buildTrainingGraph(specFor('sequence-classification', { trainable }));
    expect(graph.trainable).toEqual(['classifier.weight', 'classifier.bias']);
    expect(graph.frozen).toContain(WORD);
    const model = decodeModel(graph.model);
    expect(model.graph.inputs.map((i) => i.name)).not.toContain(WORD);
    expect(model.graph.initializers.map((i) => i.name)).toContain(WORD);
    expect(graph.weightDecay.get('classifier.weight')).toBe(0.01);
    expect(graph.weightDecay.get('classifier.bias')).toBe(0);
  });

  it('uses dropout from config.json in training graphs only, with mask outputs', () => {
    const config = microConfig('token-classification', 0.1);
    const spec = { config, weights: microWeights(config, 'token-classification'), head: 'token-classification' as const };
    const train = decodeModel(buildTrainingGraph(spec).model).graph;
    const evalGraph = decodeModel(buildEvalGraph(spec).model).graph;
    const dropouts = train.nodes.filter((n) => n.opType === 'Dropout');
    // embeddings, attention probs, attention output, FFN output, classifier
    expect(dropouts).toHaveLength(5);
    expect(dropouts.every((n) => n.outputs.length === 2)).toBe(true);
    expect(new Set(dropouts.map((n) => n.attributes.seed)).size).toBe(5);
    expect(evalGraph.nodes.some((n) => n.opType === 'Dropout')).toBe(false);
    expect(evalGraph.nodes.filter((n) => n.opType === 'LayerNormalization').every((n) => n.outputs.length === 1)).toBe(true);
  });

  it('eval graph: batch, labels and trainable parameters in; loss and head outputs out', () => {
    const graph = buildEvalGraph(specFor('question-answering'));
    expect(graph.inputs).toEqual([...graph.batchInputs, ...graph.trainable]);
    expect(graph.outputs).toEqual(['loss', 'start_logits', 'end_logits']);
  });
});

describe('training graph gradients: finite differences through the whole model (float64)', () => {
  it.each(HEADS)('%s', (head) => {
    const { trained } = finiteDifferenceCheck(specFor(head));
    // nn.Embedding(padding_idx=0): the lookup gives row 0 no gradient (the MLM decoder still does).
    const hidden = microConfig(head).hidden_size;
    const padRow = trained.get(gradName(WORD))!.data.subarray(0, hidden);
    if (head === 'masked-lm') expect(Array.from(padRow).some((v) => v !== 0)).toBe(true);
    else expect(Array.from(padRow)).toEqual(new Array(hidden).fill(0));
  });

  it('RoBERTa (padding-offset positions, dense/out_proj head): both padded tables get no lookup gradient at the pad row', () => {
    const head = 'sequence-classification';
    const config = { ...microConfig(head), model_type: 'roberta', architectures: ['RobertaForSequenceClassification'], type_vocab_size: 1 };
    const weights = microWeights(config, head);
    const { graph, trained } = finiteDifferenceCheck({ ...specFor(head), config, weights });
    expect(graph.trainable).toContain('classifier.out_proj.weight');
    const hidden = config.hidden_size;
    for (const table of ['roberta.embeddings.word_embeddings.weight', 'roberta.embeddings.position_embeddings.weight']) {
      const grad = trained.get(gradName(table))!.data;
      expect(Array.from(grad.subarray(0, hidden))).toEqual(new Array(hidden).fill(0));
      expect(maxAbsOf(grad)).toBeGreaterThan(0);
    }
  });

  const PEFT: PeftConfig[] = [
    { type: 'lora', r: 2, lora_alpha: 4, lora_dropout: 0, target_modules: ['query', 'value', 'intermediate.dense'] },
    { type: 'adapter', reduction_factor: 4, non_linearity: 'relu' },
    { type: 'prompt', num_virtual_tokens: 2 },
  ];
  it.each(PEFT)('PEFT $type (sequence classification, base weights frozen)', (peft) => {
    const head = 'sequence-classification';
    const config = { ...microConfig(head), [PEFT_CONFIG_KEY]: peft };
    const base = microWeights(config, head);
    const added = initPeftWeights(config, peft, base, 3);
    // Non-zero starting values everywhere (LoRA B starts at 0, which would hide A's gradient).
    const rng = new Rng(11, 'splitmix32');
    for (const t of added.values()) for (let i = 0; i < t.data.length; i++) t.data[i] += 0.2 * rng.normal();
    const trainable = new Set([...added.keys(), 'classifier.weight', 'classifier.bias']);
    const { graph } = finiteDifferenceCheck({ ...specFor(head), config, weights: new Map([...base, ...added]), trainable });
    expect(new Set(graph.trainable)).toEqual(trainable);
  });
});

describe('masked-LM scored at the masked positions only', () => {
  function run(spec: TrainingGraphSpec, feeds: Map<string, Tensor64>): Map<string, Tensor64> {
    const graph = buildTrainingGraph(spec);
    const all = new Map(feeds);
    all.set('learning_rate', tensor64('float32', [], [1e-3]));
    all.set('step', tensor64('int64', [], [1]));
    for (const name of graph.trainable) {
      const w = spec.weights.get(name)!;
      all.set(name, tensor64('float32', w.shape, w.data));
      all.set(expAvgName(name), tensor64('float32', w.shape, new Float64Array(w.data.length)));
      all.set(expAvgSqName(name), tensor64('float32', w.shape, new Float64Array(w.data.length)));
    }
    return evaluate64(decodeModel(graph.model).graph, all);
  }

  it('takes masked_positions and [M] labels, and gives the dense graph’s loss, gradients and update', () => {
    const spec = specFor('masked-lm');
    const sparse = { ...spec, maskedPositionsOnly: true };
    expect(buildTrainingGraph(sparse).batchInputs).toEqual(['input_ids', 'attention_mask', 'token_type_ids', 'masked_positions', 'labels']);
    const a = run(spec, batchFeeds('masked-lm'));
    const b = run(sparse, sparseFeeds());
    expect(b.get('loss')!.data[0]).toBeCloseTo(a.get('loss')!.data[0], 12);
    const mismatched: string[] = [];
    for (const name of buildTrainingGraph(spec).trainable) {
      for (const out of [gradName(name), nextName(name)]) {
        const x = a.get(out)!.data;
        const y = b.get(out)!.data;
        const scale = Math.max(1e-12, maxAbsOf(x));
        if (x.some((v, i) => Math.abs(v - y[i]) > 1e-10 * scale)) mismatched.push(out);
      }
    }
    expect(mismatched).toEqual([]);
  });

  it('the eval graph gives the masked positions’ logits as [M, vocab], equal to the dense logits there', () => {
    const spec = specFor('masked-lm');
    const feeds = batchFeeds('masked-lm');
    const params = new Map<string, Tensor64>();
    for (const [name, w] of spec.weights) params.set(name, tensor64('float32', w.shape, w.data));
    const dense = evaluate64(decodeModel(buildEvalGraph(spec).model).graph, new Map([...feeds, ...params]));
    const sparseIn = sparseFeeds();
    const sparse = evaluate64(
      decodeModel(buildEvalGraph({ ...spec, maskedPositionsOnly: true }).model).graph,
      new Map([...sparseIn, ...params]),
    );
    const vocab = spec.config.vocab_size;
    const positions = sparseIn.get('masked_positions')!.data;
    expect(sparse.get('logits')!.dims).toEqual([positions.length, vocab]);
    positions.forEach((p, m) => {
      for (let v = 0; v < vocab; v++)
        expect(sparse.get('logits')!.data[m * vocab + v]).toBeCloseTo(dense.get('logits')!.data[p * vocab + v], 12);
    });
    expect(sparse.get('loss')!.data[0]).toBeCloseTo(dense.get('loss')!.data[0], 12);
  });
});
