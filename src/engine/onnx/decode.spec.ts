import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithFixtures, hfTinyDir } from '../../../test/helpers/fixtures';
import { readSafetensors } from '../formats/safetensors';
import { decodeModel } from './decode';
import { encodeModel, writeModelFile } from './encode';
import { f16ToF32, f32ToF16 } from '../formats/float16';
import { ModelData, tensorFromNumbers } from './model';

describe('ONNX encoder', () => {
  const model: ModelData = {
    graph: {
      name: 'g',
      nodes: [{ opType: 'Cast', name: 'c', inputs: ['x'], outputs: ['y'], attributes: { to: { kind: 'int', value: 10 } } }],
      initializers: [
        { name: 'h', ...tensorFromNumbers('float16', [3], [1, -2.5, 65504]) },
        { name: 'b', ...tensorFromNumbers('bool', [2], [1, 0]) },
        { name: 'i', ...tensorFromNumbers('int32', [2], [-7, 7]) },
        { name: 'l', ...tensorFromNumbers('int64', [], [-(2 ** 40)]) },
      ],
      inputs: [{ name: 'x', dtype: 'float32', shape: ['n', 3] }],
      outputs: [{ name: 'y', dtype: 'float16', shape: ['n', 3] }],
    },
  };

  it('round-trips every dtype and attribute kind', () => {
    const decoded = decodeModel(encodeModel(model));
    const byName = Object.fromEntries(decoded.graph.initializers.map((t) => [t.name, t]));
    expect(Array.from(byName.h.data as Uint16Array, f16ToF32)).toEqual([1, -2.5, 65504]);
    expect(Array.from(byName.b.data as Uint8Array)).toEqual([1, 0]);
    expect(Array.from(byName.i.data as Int32Array)).toEqual([-7, 7]);
    expect(byName.l.dims).toEqual([]);
    expect((byName.l.data as BigInt64Array)[0]).toBe(-(2n ** 40n));
    expect(decoded.graph.outputs[0]).toEqual({ name: 'y', dtype: 'float16', shape: ['n', 3] });
    expect(decoded.graph.nodes[0].attributes).toEqual({ to: { kind: 'int', value: 10 } });
  });

  it('converts float16 with round-to-nearest-even', () => {
    expect(f32ToF16(1)).toBe(0x3c00);
    expect(f32ToF16(-2)).toBe(0xc000);
    expect(f32ToF16(65504)).toBe(0x7bff);
    expect(f32ToF16(1e6)).toBe(0x7c00); // overflow → inf
    expect(f32ToF16(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(f32ToF16(1 + 2 ** -11)).toBe(0x3c00); // tie rounds to even
    expect(f32ToF16(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });

  it('writes files atomically with the same bytes as encodeModel', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-onnx-'));
    try {
      writeModelFile(join(dir, 'm.onnx'), model);
      expect(readdirSync(dir)).toEqual(['m.onnx']);
      expect(readFileSync(join(dir, 'm.onnx')).equals(Buffer.from(encodeModel(model)))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeWithFixtures('ONNX reader on a PyTorch export', () => {
  it("reads the fixture's torch.onnx.export graph: I/O, opset, and HF-named initializers equal to the safetensors", () => {
    const decoded = decodeModel(readFileSync(join(hfTinyDir('bert-mlm'), 'onnx', 'model.onnx')));
    expect(decoded.irVersion).toBe(8);
    expect(decoded.opsetImports).toContainEqual({ domain: '', version: 17 });
    expect(decoded.graph.inputs.map((i) => [i.name, i.dtype, i.shape])).toEqual(
      ['input_ids', 'attention_mask', 'token_type_ids'].map((n) => [n, 'int64', ['batch_size', 'sequence_length']]),
    );
    expect(decoded.graph.outputs.map((o) => [o.name, o.shape])).toEqual([['logits', ['batch_size', 'sequence_length', 30522]]]);
    expect(decoded.graph.nodes.some((n) => n.opType === 'LayerNormalization')).toBe(true);
    const weights = readSafetensors(join(hfTinyDir('bert-mlm'), 'model.safetensors'));
    const named = decoded.graph.initializers.filter((t) => weights.has(t.name));
    expect(named.length).toBeGreaterThan(0);
    for (const t of named) {
      const w = weights.get(t.name)!;
      expect(t.dims).toEqual(w.shape);
      expect(Buffer.from((t.data as Float32Array).buffer).equals(Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength))).toBe(
        true,
      );
    }
  });
});
