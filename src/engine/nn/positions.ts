import { GraphBuilder } from '../graph/builder';
import { Value } from '../graph/value';

/**
 * RoBERTa's position ids ([B, L] int64 from int64 `inputIds`): non-pad tokens count from
 * padding_idx + 1, pads get padding_idx itself (HF `create_position_ids_from_input_ids`).
 * Shared by the plain embeddings (bert.ts) and EmbedLayerNormalization's position_ids (fused.ts).
 */
export function paddingOffsetPositionIds(g: GraphBuilder, inputIds: Value, padTokenId: number): Value {
  const notPad = g.op.Cast(g.op.Not(g.op.Equal(inputIds, g.constant(padTokenId, 'int64'))), 'int64');
  return g.op.Add(g.op.Mul(g.op.CumSum(notPad, 1), notPad), g.constant(padTokenId, 'int64'));
}
