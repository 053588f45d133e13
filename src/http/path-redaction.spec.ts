import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathRedactor } from './path-redaction';

describe('pathRedactor', () => {
  const redact = pathRedactor({ dataDir: '/srv/berth/data', modelsDir: '/srv/berth/models' });

  it('writes the data, models and temporary directories as the variables that set them', () => {
    expect(redact('Load model from /srv/berth/data/tmp/archive-x/model/model.onnx failed: Protobuf parsing failed.')).toBe(
      'Load model from $BERTH_DATA_DIR/tmp/archive-x/model/model.onnx failed: Protobuf parsing failed.',
    );
    expect(redact('{"message":"open /srv/berth/models/a/config.json and /srv/berth/models/b"}')).toBe(
      '{"message":"open $BERTH_MODELS_DIR/a/config.json and $BERTH_MODELS_DIR/b"}',
    );
    expect(redact(`ENOENT ${join(tmpdir(), 'berth-x')}`)).toBe('ENOENT $TMPDIR/berth-x');
  });

  it('leaves text without those paths as it is', () => {
    const text = '{"results":[{"label":"positive","score":0.98}]}';
    expect(redact(text)).toBe(text);
  });

  it('resolves a relative data directory against the working directory', () => {
    const relative = pathRedactor({ dataDir: './data', modelsDir: './models' });
    expect(relative(`at ${join(process.cwd(), 'data', 'files', 'f.csv')}`)).toBe('at $BERTH_DATA_DIR/files/f.csv');
  });
});
