import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApp } from '../src/app.module';
import { loadConfig } from '../src/config/app-config';
import { JsonLogger } from '../src/http/json-logger';
import { buildOpenApiDocument, serializeOpenApi } from '../src/http/openapi';

export const OPENAPI_FILE = join(__dirname, '..', 'openapi', 'openapi.json');

/** The OpenAPI document from the app's decorators. No models are needed: the core never starts. */
export async function renderOpenApi(): Promise<string> {
  const app = await createApp({
    config: loadConfig({}),
    coreFactory: async () => {
      throw new Error('not needed to describe the API');
    },
    logger: new JsonLogger('silent'),
    processMetrics: false,
  });
  try {
    return serializeOpenApi(buildOpenApiDocument(app));
  } finally {
    await app.close();
  }
}

if (require.main === module) {
  renderOpenApi().then(
    (text) => {
      writeFileSync(OPENAPI_FILE, text);
      process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
