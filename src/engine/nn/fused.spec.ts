import { parseConfig } from '../formats/config';
import { GraphBuilder } from '../graph/builder';
import { Value } from '../graph/value';
import { familySpec } from './family';
import { FusableEncoder, fusionRefusal } from './fused';

/** Only the fields `fusionRefusal` reads; the accessors are never called. */
function encoder(
  overrides: { modelType?: string; hiddenAct?: string; training?: boolean; peft?: unknown; heads?: number } = {},
): FusableEncoder {
  const modelType = overrides.modelType ?? 'bert';
  const config = parseConfig(
    JSON.stringify({
      model_type: modelType,
      architectures: ['BertForSequenceClassification'],
      vocab_size: 100,
      hidden_size: 768,
      num_hidden_layers: 2,
      num_attention_heads: 12,
      intermediate_size: 3072,
      hidden_act: overrides.hiddenAct ?? 'gelu',
    }),
    'config.json',
  );
  const unused = (): never => {
    throw new Error('not read by fusionRefusal');
  };
  return {
    g: new GraphBuilder({ training: overrides.training ?? false }),
    config,
    family: modelType === 'albert' ? { ...familySpec('bert'), modelType: 'albert' } : familySpec(modelType),
    hidden: 768,
    heads: overrides.heads ?? 12,
    embeddingSize: 768,
    eps: 1e-12,
    peft: overrides.peft,
    named: unused,
    param: unused as unknown as (name: string, shape: number[]) => Value,
    dense: unused,
  };
}

describe('fusionRefusal: which models the fused inference graph can express', () => {
  it('accepts the BERT-shaped families of an inference build', () => {
    for (const modelType of ['bert', 'roberta', 'xlm-roberta', 'distilbert', 'electra'])
      expect(fusionRefusal(encoder({ modelType }))).toBeUndefined();
    expect(fusionRefusal(encoder({ hiddenAct: 'gelu_new' }))).toBeUndefined();
  });

  it.each([
    ['a training graph', { training: true }, /training/],
    ['PEFT hooks', { peft: {} }, /PEFT/],
    ['another family', { modelType: 'albert' }, /albert/],
    ['an activation without a fused kernel', { hiddenAct: 'silu' }, /silu/],
    ['heads that do not divide hidden_size', { heads: 7 }, /multiple/],
  ] as const)('refuses %s, saying why', (_what, overrides, reason) => {
    expect(fusionRefusal(encoder(overrides))).toMatch(reason);
  });
});
