/**
 * Training on a device: a worker with BERTH_DEVICE=cuda trains on ONNX Runtime's CUDA provider.
 * Where this onnxruntime-node build has no CUDA provider (CPU machines, CI), asking for it fails
 * at once with the same clear message serving gives, before any training starts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executionProvidersFor } from '../../src/runtime/onnx-session';
import { resolveTrainOptions } from '../../src/trainer/options';
import { train } from '../../src/trainer/train';
import { describeWithFixtures, hfTinyDir } from '../helpers/fixtures';

describeWithFixtures('training on a device', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'berth-train-device-'));
    const rows = [
      'text,target',
      ...Array.from({ length: 20 }, (_, i) => `${i % 2 ? 'bad' : 'good'} film ${i},${i % 2 ? 'negative' : 'positive'}`),
    ];
    writeFileSync(join(work, 'train.csv'), rows.join('\n') + '\n');
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const options = (device: 'cpu' | 'cuda', out: string) =>
    resolveTrainOptions({
      modelDir: hfTinyDir('bert-seqcls'),
      task: 'classification',
      trainFile: join(work, 'train.csv'),
      outDir: join(work, out),
      method: 'head',
      epochs: 1,
      batchSize: 8,
      device,
    });

  it('trains on the CPU by default and when asked', async () => {
    const result = await train(options('cpu', 'cpu'));
    expect(result.metrics.selected).toBeDefined();
  }, 120_000);

  it('refuses cuda where the provider is missing, with the serving message', async () => {
    let expected: string | undefined;
    try {
      executionProvidersFor('cuda');
    } catch (e) {
      expected = (e as Error).message;
    }
    if (expected === undefined) {
      console.warn('skipping the missing-provider case: this machine has a working CUDA provider');
      return;
    }
    await expect(train(options('cuda', 'cuda'))).rejects.toThrow(expected);
  }, 120_000);
});
