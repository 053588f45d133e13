import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError } from '../errors';
import { locateHfModelDir } from './hf-dir';

describe('locateHfModelDir', () => {
  let root: string;
  let count = 0;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'berth-hfdir-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** A fresh model directory holding the given (empty) files. */
  function modelDir(files: string[]): string {
    const dir = join(root, `m${count++}`);
    mkdirSync(dir);
    for (const file of files) {
      mkdirSync(join(dir, file, '..'), { recursive: true });
      writeFileSync(join(dir, file), '');
    }
    return dir;
  }

  function expectMissing(fn: () => unknown, file: string, problem: RegExp): void {
    let caught: unknown;
    try {
      fn();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(FormatError);
    expect((caught as FormatError).file).toBe(file);
    expect((caught as FormatError).problem).toMatch(problem);
  }

  it('finds every file of a complete directory', () => {
    const dir = modelDir([
      'config.json',
      'tokenizer.json',
      'model.onnx',
      'model.safetensors',
      'tokenizer_config.json',
      'special_tokens_map.json',
      'vocab.txt',
    ]);
    expect(locateHfModelDir(dir, { onnx: true, weights: true })).toEqual({
      dir,
      configFile: join(dir, 'config.json'),
      tokenizerFile: join(dir, 'tokenizer.json'),
      onnxFile: join(dir, 'model.onnx'),
      weightsFile: join(dir, 'model.safetensors'),
      tokenizerConfigFile: join(dir, 'tokenizer_config.json'),
      specialTokensMapFile: join(dir, 'special_tokens_map.json'),
      vocabFile: join(dir, 'vocab.txt'),
    });
  });

  it("finds Optimum's onnx/model.onnx, and prefers model.onnx in the root when both exist", () => {
    const optimum = modelDir(['config.json', 'tokenizer.json', 'onnx/model.onnx']);
    expect(locateHfModelDir(optimum, { onnx: true }).onnxFile).toBe(join(optimum, 'onnx', 'model.onnx'));
    const both = modelDir(['config.json', 'tokenizer.json', 'onnx/model.onnx', 'model.onnx']);
    expect(locateHfModelDir(both).onnxFile).toBe(join(both, 'model.onnx'));
  });

  it('leaves optional files out when absent', () => {
    const dir = modelDir(['config.json', 'tokenizer.json']);
    expect(locateHfModelDir(dir)).toEqual({ dir, configFile: join(dir, 'config.json'), tokenizerFile: join(dir, 'tokenizer.json') });
  });

  it('names the missing required file', () => {
    const noConfig = modelDir(['tokenizer.json', 'model.onnx']);
    expectMissing(() => locateHfModelDir(noConfig), join(noConfig, 'config.json'), /file not found/);
    const noTokenizer = modelDir(['config.json', 'model.onnx', 'vocab.txt']);
    expectMissing(() => locateHfModelDir(noTokenizer), join(noTokenizer, 'tokenizer.json'), /file not found/);
  });

  it('names the missing weights only when the caller needs them', () => {
    const dir = modelDir(['config.json', 'tokenizer.json']);
    expectMissing(() => locateHfModelDir(dir, { onnx: true }), join(dir, 'model.onnx'), /not found \(nor .*onnx\/model\.onnx\)/);
    expectMissing(() => locateHfModelDir(dir, { weights: true }), join(dir, 'model.safetensors'), /file not found, nor pytorch_model\.bin/);
    expectMissing(() => locateHfModelDir(dir, { servable: true }), join(dir, 'model.onnx'), /nor model\.safetensors or pytorch_model\.bin/);
  });

  it('a servable directory has an ONNX export or the weights to build one from', () => {
    const weightsOnly = modelDir(['config.json', 'tokenizer.json', 'model.safetensors']);
    expect(locateHfModelDir(weightsOnly, { servable: true }).weightsFile).toBe(join(weightsOnly, 'model.safetensors'));
    const torchOnly = modelDir(['config.json', 'tokenizer.json', 'pytorch_model.bin']);
    expect(locateHfModelDir(torchOnly, { servable: true, weights: true }).weightsFile).toBe(join(torchOnly, 'pytorch_model.bin'));
    const onnxOnly = modelDir(['config.json', 'tokenizer.json', 'model.onnx']);
    expect(locateHfModelDir(onnxOnly, { servable: true }).onnxFile).toBe(join(onnxOnly, 'model.onnx'));
  });

  it('prefers model.safetensors when pytorch_model.bin is there too', () => {
    const both = modelDir(['config.json', 'tokenizer.json', 'pytorch_model.bin', 'model.safetensors']);
    expect(locateHfModelDir(both, { weights: true }).weightsFile).toBe(join(both, 'model.safetensors'));
  });

  it('a directory that does not exist, or a file given as the directory', () => {
    const missing = join(root, 'nope');
    expectMissing(() => locateHfModelDir(missing), missing, /model directory not found/);
    const dir = modelDir(['config.json']);
    expectMissing(() => locateHfModelDir(join(dir, 'config.json')), join(dir, 'config.json'), /model directory not found/);
  });

  it('a directory named like a file does not count as the file', () => {
    const dir = modelDir(['tokenizer.json', 'config.json/placeholder']);
    expectMissing(() => locateHfModelDir(dir), join(dir, 'config.json'), /file not found/);
  });
});
