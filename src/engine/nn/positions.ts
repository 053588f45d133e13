import { EncoderConfig } from '../formats/config';
import { GraphBuilder } from '../graph/builder';
import { Value } from '../graph/value';
import { FamilySpec, familySpec } from './family';

/**
 * The position embeddings added to each token, the family's way. Absolute: rows 0..L−1 of the
 * table. RoBERTa: position ids count the non-pad tokens of `input_ids` from padding_idx + 1, and
 * pads get padding_idx (HF `create_position_ids_from_input_ids`). Behind a soft prompt there are
 * no input ids for the prompt rows; HF then numbers every position from padding_idx + 1
 * (`create_position_ids_from_inputs_embeds`, what PEFT's prompt tuning runs), so only the length of
 * the prompted embeddings is read.
 */
export function positionEmbeddings(
  g: GraphBuilder,
  family: FamilySpec,
  config: EncoderConfig,
  table: Value,
  source: { readonly inputIds: Value } | { readonly prompted: Value },
): Value {
  const pad = config.pad_token_id;
  if (family.positions === 'absolute' || 'prompted' in source) {
    const first = family.positions === 'absolute' ? 0 : pad + 1;
    const length = g.op.Shape('prompted' in source ? source.prompted : source.inputIds, 1, 2);
    // A Slice of the table, cheaper than gathering an arange.
    return g.op.Slice(table, [first], first === 0 ? length : g.op.Add(length, g.constant([first], 'int64')), [0]);
  }
  return g.op.Gather(table, paddingOffsetPositionIds(g, source.inputIds, pad));
}

/**
 * RoBERTa's position ids ([B, L] int64 from int64 `inputIds`): non-pad tokens count from
 * padding_idx + 1, pads get padding_idx itself (HF `create_position_ids_from_input_ids`).
 * Shared by the plain embeddings above and EmbedLayerNormalization's position_ids (fused.ts).
 */
export function paddingOffsetPositionIds(g: GraphBuilder, inputIds: Value, padTokenId: number): Value {
  const notPad = g.op.Cast(g.op.Not(g.op.Equal(inputIds, g.constant(padTokenId, 'int64'))), 'int64');
  return g.op.Add(g.op.Mul(g.op.CumSum(notPad, 1), notPad), g.constant(padTokenId, 'int64'));
}

/** How many tokens one sequence may hold: the table's rows, less RoBERTa's padding_idx + 1 unused ones. */
export function usablePositions(config: EncoderConfig): number {
  const offset = familySpec(config.model_type).positions === 'padding-offset' ? config.pad_token_id + 1 : 0;
  return config.max_position_embeddings - offset;
}
