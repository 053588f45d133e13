/**
 * @jest-environment ./test/helpers/ort-environment.js
 */
/**
 * The load-time graph options (BERTH_FUSED_GRAPHS, BERTH_QUANTIZE) through the serving core, on
 * the hf-tiny classifier shipped as weights only: the fused graph answers PyTorch's logits to
 * 1e-4, the int8 one within the tolerance int8-fused.test.ts states, and the prepared graph is
 * cached under the data directory and reused by the next start.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphVariant } from '../../src/engine/nn/graph-variant';
import { decodeModel } from '../../src/engine/onnx/decode';
import { describeWithFixtures, hfTinyDir } from '../helpers/fixtures';
import { startTestCore } from '../helpers/test-core';

const LABELS = ['negative', 'neutral', 'positive'];
const FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'model.safetensors'];

interface Reference {
  examples: Array<{ text: string; single_logits: number[] }>;
}

describeWithFixtures('serving a prepared graph variant (hf-tiny bert-seqcls, weights only)', () => {
  let root: string;
  const ref = (): Reference => JSON.parse(readFileSync(join(hfTinyDir('bert-seqcls'), 'reference.json'), 'utf8')) as Reference;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'berth-graph-variants-'));
    for (const f of FILES) cpSync(join(hfTinyDir('bert-seqcls'), f), join(root, 'models', 'cls', f));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  async function servedLogits(graph: GraphVariant): Promise<number[][]> {
    const core = await startTestCore(root, { graph });
    try {
      expect(core.list().find((m) => m.name === 'cls')).toMatchObject({ status: 'ready' });
      const served = await core.classify(
        'cls',
        ref().examples.map((e) => e.text),
        { function_to_apply: 'none', top_k: null },
      );
      return served.result.map((item) => LABELS.map((l) => item.labels.find((x) => x.label === l)!.score));
    } finally {
      await core.close();
    }
  }

  const worst = (got: number[][]): number =>
    Math.max(...got.flatMap((row, i) => row.map((v, j) => Math.abs(v - ref().examples[i].single_logits[j]))));

  it('fused: the reference logits to 1e-4', async () => {
    expect(worst(await servedLogits({ fused: true }))).toBeLessThanOrEqual(1e-4);
    // It was the fused graph that answered: the cached file holds the contrib ops.
    const cache = join(root, 'data', 'cache', 'graphs');
    const [entry] = readdirSync(cache).filter((f) => f.endsWith('.fused.onnx'));
    const ops = decodeModel(readFileSync(join(cache, entry))).graph.nodes.map((n) => n.opType);
    expect(ops).toContain('Attention');
  });

  it('int8: within 5 % of the logits range, prepared once into the cache and reused on the next start', async () => {
    const logits = await servedLogits({ quantize: 'int8' });
    const all = ref().examples.flatMap((e) => e.single_logits);
    const error = worst(logits);
    expect(error).toBeGreaterThan(0);
    expect(error).toBeLessThanOrEqual(0.05 * (Math.max(...all) - Math.min(...all)));
    const cache = join(root, 'data', 'cache', 'graphs');
    const entries = readdirSync(cache).filter((f) => f.endsWith('.plain-int8.onnx'));
    expect(entries).toHaveLength(1);
    const written = statSync(join(cache, entries[0])).mtimeMs;
    expect(await servedLogits({ quantize: 'int8' })).toEqual(logits);
    expect(statSync(join(cache, entries[0])).mtimeMs).toBe(written);
  });
});
