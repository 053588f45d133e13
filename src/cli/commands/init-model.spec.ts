import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfig } from '../../engine/formats/config';
import { BerthTokenizer } from '../../tokenizer/tokenizer';
import { sharedDataRoot } from '../../../test/helpers/fixtures';
import { UsageError } from '../command';
import { initModelCommand } from './init-model';

const TOKENIZER = join(__dirname, '..', '..', '..', 'assets', 'tiny-tokenizer');
/** Hugging Face's bert-base-uncased tokenizer folder: tokenizer.json, tokenizer_config.json, vocab.txt, no special_tokens_map.json. */
const BERT_BASE_UNCASED = join(sharedDataRoot(), 'tokenizers', 'bert-base-uncased');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-init-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('berth init-model', () => {
  it('writes the HF layout for a preset with overrides', async () => {
    const out = join(dir, 'm');
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await initModelCommand.run({
        values: { config: '{"preset":"tiny","num_hidden_layers":1}', tokenizer: TOKENIZER, out, seed: '5' },
        positionals: [],
      });
    } finally {
      write.mockRestore();
    }
    expect(readdirSync(out).sort()).toEqual([
      'config.json',
      'model.onnx',
      'model.safetensors',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'vocab.txt',
    ]);
    const config = readConfig(join(out, 'config.json'));
    expect([config.num_hidden_layers, config.hidden_size, config.vocab_size]).toEqual([1, 64, 3000]);
  });

  it('rejects a bad seed and a missing --config', async () => {
    await expect(
      Promise.resolve().then(() =>
        initModelCommand.run({ values: { config: 'tiny', tokenizer: TOKENIZER, out: join(dir, 'x'), seed: '-1' }, positionals: [] }),
      ),
    ).rejects.toThrow(UsageError);
    await expect(
      Promise.resolve().then(() => initModelCommand.run({ values: { tokenizer: TOKENIZER, out: join(dir, 'x') }, positionals: [] })),
    ).rejects.toThrow(/--config is required/);
  });

  const withSharedData = existsSync(BERT_BASE_UNCASED) ? it : it.skip;
  if (!existsSync(BERT_BASE_UNCASED)) {
    console.warn(`skipping the bert-base-uncased init-model test: no tokenizer folder at ${BERT_BASE_UNCASED} (set BERTH_SHARED_DATA)`);
  }
  withSharedData("takes Hugging Face's bert-base-uncased tokenizer folder, which has no special_tokens_map.json", async () => {
    expect(existsSync(join(BERT_BASE_UNCASED, 'special_tokens_map.json'))).toBe(false);
    const out = join(dir, 'uncased');
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await initModelCommand.run({
        values: { config: '{"preset":"tiny","num_hidden_layers":1}', tokenizer: BERT_BASE_UNCASED, out, seed: '5' },
        positionals: [],
      });
    } finally {
      write.mockRestore();
    }
    expect(readdirSync(out).sort()).toEqual([
      'config.json',
      'model.onnx',
      'model.safetensors',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'vocab.txt',
    ]);
    expect(JSON.parse(readFileSync(join(out, 'special_tokens_map.json'), 'utf8'))).toEqual({
      unk_token: '[UNK]',
      sep_token: '[SEP]',
      pad_token: '[PAD]',
      cls_token: '[CLS]',
      mask_token: '[MASK]',
    });
    expect(readConfig(join(out, 'config.json')).vocab_size).toBe(30522);
    // bert-base-uncased's well-known ids.
    expect((await BerthTokenizer.fromModelDir(out)).specialIds).toEqual({ pad: 0, unk: 100, cls: 101, sep: 102, mask: 103 });
  });
});
