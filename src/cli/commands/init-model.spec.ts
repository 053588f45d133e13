import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfig } from '../../engine/formats/config';
import { UsageError } from '../command';
import { initModelCommand } from './init-model';

const TOKENIZER = join(__dirname, '..', '..', '..', 'assets', 'tiny-tokenizer');

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
      await initModelCommand.run({ values: { config: '{"preset":"tiny","num_hidden_layers":1}', tokenizer: TOKENIZER, out, seed: '5' }, positionals: [] });
    } finally {
      write.mockRestore();
    }
    expect(readdirSync(out).sort()).toEqual(['config.json', 'model.onnx', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
    const config = readConfig(join(out, 'config.json'));
    expect([config.num_hidden_layers, config.hidden_size, config.vocab_size]).toEqual([1, 64, 3000]);
  });

  it('rejects a bad seed and a missing --config', async () => {
    await expect(Promise.resolve().then(() => initModelCommand.run({ values: { config: 'tiny', tokenizer: TOKENIZER, out: join(dir, 'x'), seed: '-1' }, positionals: [] }))).rejects.toThrow(UsageError);
    await expect(Promise.resolve().then(() => initModelCommand.run({ values: { tokenizer: TOKENIZER, out: join(dir, 'x') }, positionals: [] }))).rejects.toThrow(/--config is required/);
  });
});
