import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { BERTH_VERSION } from '../config/version';

/** What the @nestjs/swagger plugin derived from the DTOs: src/metadata.ts's default export. */
export type PluginMetadata = Parameters<typeof SwaggerModule.loadPluginMetadata>[0];

/** Recursively orders object keys so the committed document is byte-stable across runs. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/**
 * The document for the app's routes. DTO schemas come from the @nestjs/swagger CLI plugin (types
 * and JSDoc comments of `*.dto.ts`), given as `metadata` from src/metadata.ts (`npm run openapi`
 * regenerates it; the composition root passes it in)
 * so that builds that run no TypeScript transformers (SWC: the tests and scripts) describe the API
 * exactly as `nest build` does; explicit decorators add what the plugin cannot express.
 */
export async function buildOpenApiDocument(app: INestApplication, metadata: PluginMetadata): Promise<OpenAPIObject> {
  await SwaggerModule.loadPluginMetadata(metadata);
  const config = new DocumentBuilder()
    .setTitle('Berth')
    .setDescription(
      'Serve and fine-tune BERT-family encoder models on ONNX Runtime. Errors are `{ "error": { "code", "message", "details" } }`. Inference responses carry x-model-name, x-model-version, x-tokenization-time, x-queue-time, x-inference-time and x-total-time (milliseconds) headers.',
    )
    .setVersion(BERTH_VERSION)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An inference or admin API key (only when keys are configured).' })
    .build();
  return SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controller, method) => `${controller.replace(/Controller$/, '')}_${method}`,
  });
}

/** The document as committed under openapi/: sorted keys, two-space indent, final newline. */
export function serializeOpenApi(document: OpenAPIObject): string {
  return JSON.stringify(sortKeys(document), null, 2) + '\n';
}
