import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfig } from '../../engine/formats/config';
import { readSafetensors } from '../../engine/formats/safetensors';
import { BerthTokenizer } from '../../tokenizer/tokenizer';
import { MODEL_PRESETS, initModelDir, maskedLmConfig, resolveModelSpec } from './init-model';

const TOKENIZER = join(__dirname, '..', '..', '..', 'assets', 'tiny-tokenizer');
const VOCAB = join(TOKENIZER, 'vocab.txt');

/** BertForMaskedLM's parameter count written out (decoder weight tied to the word embeddings). */
function expectedParameters(V: number, H: number, L: number, I: number, P: number, T: number): number {
  const embeddings = V * H + P * H + T * H + 2 * H;
  const layer = 4 * (H * H + H) + 2 * H + (H * I + I) + (I * H + H) + 2 * H;
  const head = H * H + H + 2 * H + V;
  return embeddings + L * layer + head;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-init-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveModelSpec', () => {
  it('reads presets, JSON objects over a preset, and JSON files', () => {
    expect(resolveModelSpec('small')).toEqual({ num_hidden_layers: 4, hidden_size: 512, num_attention_heads: 8, intermediate_size: 2048 });
    expect(resolveModelSpec('{"preset": "mini", "num_hidden_layers": 2}')).toEqual({ ...MODEL_PRESETS.mini, num_hidden_layers: 2 });
    const file = join(dir, 'dims.json');
    writeFileSync(file, '{"num_hidden_layers": 3, "hidden_size": 96, "num_attention_heads": 3, "intermediate_size": 384}');
    expect(resolveModelSpec(file)).toEqual({ num_hidden_layers: 3, hidden_size: 96, num_attention_heads: 3, intermediate_size: 384 });
  });

  it('rejects unknown presets and fields, bad values and bad JSON', () => {
    expect(() => resolveModelSpec('huge')).toThrow(/neither a preset/);
    expect(() => resolveModelSpec('{"preset": "huge"}')).toThrow(/unknown preset/);
    expect(() => resolveModelSpec('{"vocab_size": 10}')).toThrow(/cannot be set/);
    expect(() => resolveModelSpec('{"hidden_size": -1}')).toThrow(/invalid value/);
    expect(() => resolveModelSpec('{"hidden_size": ')).toThrow(/invalid JSON/);
    expect(() => maskedLmConfig({ hidden_size: 100, num_attention_heads: 3 }, VOCAB)).toThrow(/not a multiple/);
  });
});

describe('initModelDir', () => {
  it('writes a BertForMaskedLM over the tokenizer with HF init, sized as asked', () => {
    const out = join(dir, 'm');
    const { parameters } = initModelDir({
      spec: '{"preset": "tiny", "max_position_embeddings": 64}',
      tokenizerDir: TOKENIZER,
      outDir: out,
      seed: 3,
    });
    const config = readConfig(join(out, 'config.json'));
    expect(config.architectures).toEqual(['BertForMaskedLM']);
    expect(config.vocab_size).toBe(3000);
    expect(config.pad_token_id).toBe(0);
    expect([config.num_hidden_layers, config.hidden_size, config.num_attention_heads, config.intermediate_size]).toEqual([2, 64, 4, 256]);
    expect(parameters).toBe(expectedParameters(3000, 64, 2, 256, 64, 2));
    const weights = readSafetensors(join(out, 'model.safetensors'));
    let total = 0;
    for (const t of weights.values()) total += t.data.length;
    expect(total).toBe(parameters);
    // HF init: LayerNorm 1/0, biases 0, the [PAD] row 0, other rows N(0, 0.02²).
    expect([...(weights.get('bert.embeddings.LayerNorm.weight')?.data ?? [])].every((v) => v === 1)).toBe(true);
    expect([...(weights.get('cls.predictions.bias')?.data ?? [1])].every((v) => v === 0)).toBe(true);
    const table = weights.get('bert.embeddings.word_embeddings.weight')?.data as Float32Array;
    expect([...table.subarray(0, 64)].every((v) => v === 0)).toBe(true);
    const rest = table.subarray(64);
    const mean = rest.reduce((a, b) => a + b, 0) / rest.length;
    const std = Math.sqrt(rest.reduce((a, b) => a + (b - mean) ** 2, 0) / rest.length);
    expect(Math.abs(mean)).toBeLessThan(0.001);
    expect(std).toBeGreaterThan(0.019);
    expect(std).toBeLessThan(0.021);
    expect(readFileSync(join(out, 'vocab.txt'), 'utf8')).toBe(readFileSync(VOCAB, 'utf8'));
  });

  it('is deterministic in its seed', () => {
    const spec = 'tiny';
    initModelDir({ spec, tokenizerDir: TOKENIZER, outDir: join(dir, 'a'), seed: 1 });
    initModelDir({ spec, tokenizerDir: TOKENIZER, outDir: join(dir, 'b'), seed: 1 });
    initModelDir({ spec, tokenizerDir: TOKENIZER, outDir: join(dir, 'c'), seed: 2 });
    const bytes = (d: string): Buffer => readFileSync(join(dir, d, 'model.safetensors'));
    expect(bytes('b').equals(bytes('a'))).toBe(true);
    expect(bytes('c').equals(bytes('a'))).toBe(false);
  });

  describe('a tokenizer folder without special_tokens_map.json (as many HF folders are)', () => {
    function tokenizerWithout(name: string, edit?: (json: string) => string): string {
      const folder = join(dir, name);
      mkdirSync(folder);
      for (const file of ['tokenizer.json', 'vocab.txt', 'tokenizer_config.json']) copyFileSync(join(TOKENIZER, file), join(folder, file));
      if (edit) writeFileSync(join(folder, 'tokenizer.json'), edit(readFileSync(join(folder, 'tokenizer.json'), 'utf8')));
      return folder;
    }

    it('writes the map from tokenizer_config.json, and the model loads with the same special ids', async () => {
      const out = join(dir, 'm');
      initModelDir({ spec: 'tiny', tokenizerDir: tokenizerWithout('tok'), outDir: out, seed: 1 });
      expect(readdirSync(out).sort()).toEqual([
        'config.json',
        'model.onnx',
        'model.safetensors',
        'special_tokens_map.json',
        'tokenizer.json',
        'tokenizer_config.json',
        'vocab.txt',
      ]);
      const written = JSON.parse(readFileSync(join(out, 'special_tokens_map.json'), 'utf8'));
      expect(written).toEqual(JSON.parse(readFileSync(join(TOKENIZER, 'special_tokens_map.json'), 'utf8')));
      expect((await BerthTokenizer.fromModelDir(out)).specialIds).toEqual({ pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 });
    });

    it('reads the roles from tokenizer.json when tokenizer_config.json does not name them', () => {
      const folder = tokenizerWithout('bare');
      writeFileSync(join(folder, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true, model_max_length: 512 }));
      const out = join(dir, 'm');
      initModelDir({ spec: 'tiny', tokenizerDir: folder, outDir: out, seed: 1 });
      expect(JSON.parse(readFileSync(join(out, 'special_tokens_map.json'), 'utf8'))).toEqual({
        unk_token: '[UNK]',
        sep_token: '[SEP]',
        pad_token: '[PAD]',
        cls_token: '[CLS]',
        mask_token: '[MASK]',
      });
    });

    it('refuses, naming the roles, when nothing names the special tokens', () => {
      // No special added tokens, no template, no unk: nothing says which token is which.
      const folder = tokenizerWithout('nameless', (text) => {
        const json = JSON.parse(text);
        json.added_tokens = [];
        json.post_processor = null;
        json.model.unk_token = null;
        return JSON.stringify(json);
      });
      writeFileSync(join(folder, 'tokenizer_config.json'), '{}');
      expect(() => initModelDir({ spec: 'tiny', tokenizerDir: folder, outDir: join(dir, 'm'), seed: 1 })).toThrow(
        `${join(folder, 'special_tokens_map.json')}: file not found, and tokenizer_config.json / tokenizer.json do not name the unk, sep, pad, cls, mask tokens`,
      );
    });
  });
});
