import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { AppConfig } from '../config/app-config';

/**
 * No response names a path of the server's own file system. Versions and files are identified by
 * name and number, but error messages from lower layers (ONNX Runtime's "Load model from … failed",
 * a file system error) can carry an absolute path. This is the last line: every JSON body and
 * every server-sent event passes through `redact`, which writes the known roots as the variables
 * that configure them (`$BERTH_DATA_DIR/models/x/versions/2/model.onnx`).
 */
export type PathRedactor = (text: string) => string;

export function pathRedactor(config: Pick<AppConfig, 'dataDir' | 'modelsDir'>): PathRedactor {
  const roots: Array<[string, string]> = [
    [resolve(config.dataDir), '$BERTH_DATA_DIR'],
    [resolve(config.modelsDir), '$BERTH_MODELS_DIR'],
    [tmpdir(), '$TMPDIR'],
    [process.cwd(), '.'],
  ];
  // One pass over the text (a replaced label is never scanned again), the longest root first (the
  // data directory usually sits inside the working directory), each root starting and ending at a
  // path boundary (so `/tmp` inside `/srv/data/tmp/x` is not a root of its own).
  const labels = new Map<string, string>();
  for (const [root, label] of roots) if (root.length > 1 && !labels.has(root)) labels.set(JSON.stringify(root).slice(1, -1), label);
  const escaped = [...labels.keys()].sort((a, b) => b.length - a.length).map((r) => r.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = new RegExp(`(?<![A-Za-z0-9._~-])(?:${escaped.join('|')})(?![A-Za-z0-9._~-])`, 'g');
  return (text) => text.replace(pattern, (root) => labels.get(root) ?? root);
}

/** Redacts every string body (JSON is serialised by then); streamed bodies (downloads) are left alone. */
export function installPathRedaction(fastify: FastifyInstance, redact: PathRedactor): void {
  fastify.addHook('onSend', async (_request, _reply, payload) => (typeof payload === 'string' ? redact(payload) : payload));
}
