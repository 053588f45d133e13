import { readFileSync } from 'node:fs';
import request from 'supertest';
import { METADATA_FILE, OPENAPI_FILE, renderOpenApi, renderPluginMetadata } from '../../scripts/generate-openapi';
import { fakeApp } from './support/app';

describe('OpenAPI document', () => {
  it('the committed openapi/openapi.json is current (run `npm run openapi` after changing the API)', async () => {
    const generated = await renderOpenApi();
    const committed = readFileSync(OPENAPI_FILE, 'utf8');
    expect(committed).toBe(generated);
  });

  it('the committed src/metadata.ts is what the swagger plugin derives from the DTOs (run `npm run openapi` after changing one)', () => {
    expect(readFileSync(METADATA_FILE, 'utf8')).toBe(renderPluginMetadata());
  });

  it('is generated deterministically', async () => {
    expect(await renderOpenApi()).toBe(await renderOpenApi());
  });

  it('documents every route with its request and response schemas', async () => {
    const doc = JSON.parse(await renderOpenApi());
    const ops = Object.entries(doc.paths as Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: unknown }>>);
    expect(ops.map(([p]) => p)).toEqual(
      expect.arrayContaining([
        '/v1/classify',
        '/v1/nli',
        '/v1/zero-shot',
        '/v1/ner',
        '/v1/qa',
        '/v1/embeddings',
        '/v1/fill-mask',
        '/models/{model}',
        '/v2/models/{model}/infer',
        '/v2/models/{model}/versions/{version}/infer',
        '/v1/models',
        '/v1/models/{name}/versions',
        '/info',
        '/metrics',
        '/health/ready',
        '/v1/files',
        '/v1/files/{id}',
        '/v1/files/{id}/content',
        '/v1/fine_tuning/jobs',
        '/v1/fine_tuning/jobs/{id}',
        '/v1/fine_tuning/jobs/{id}/cancel',
        '/v1/fine_tuning/jobs/{id}/events',
        '/v1/fine_tuning/jobs/{id}/checkpoints',
      ]),
    );
    for (const [path, methods] of ops) {
      for (const [method, op] of Object.entries(methods)) {
        const ok = op.responses['200'] ?? op.responses['201'];
        expect({ path, method, documented: ok !== undefined }).toEqual({ path, method, documented: true });
        // Action routes (activate, rollback, unload, load, cancel) take no body; every other POST has one.
        if (method === 'post' && !/\/(activate|rollback|unload|load|cancel)$/.test(path))
          expect({ path, body: op.requestBody !== undefined }).toEqual({ path, body: true });
      }
    }
    expect(doc.components.schemas.ErrorBodyDto).toBeDefined();
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('is served at /docs-json exactly as committed, with Swagger UI at /docs', async () => {
    const t = await fakeApp();
    try {
      const json = await request(t.app.getHttpServer()).get('/docs-json').expect(200);
      expect(json.text).toBe(readFileSync(OPENAPI_FILE, 'utf8'));
      const html = await request(t.app.getHttpServer()).get('/docs').expect(200);
      expect(html.text).toContain('SwaggerUIBundle');
      const js = await request(t.app.getHttpServer()).get('/docs/swagger-ui-bundle.js').expect(200);
      expect(js.headers['content-type']).toContain('javascript');
      await request(t.app.getHttpServer()).get('/docs/package.json').expect(404);
    } finally {
      await t.app.close();
    }
  });
});
