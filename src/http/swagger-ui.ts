import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ROUTE_POLICY_KEY, type AccessScope } from './scope.decorator';

/**
 * Serves the OpenAPI document at /docs-json and Swagger UI at /docs from the swagger-ui-dist
 * files that @nestjs/swagger ships. Only a fixed list of assets is served (no directory serving),
 * and the document is served exactly as `npm run openapi` commits it.
 */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

function swaggerUiDir(): string {
  const swagger = dirname(require.resolve('@nestjs/swagger/package.json'));
  return dirname(require.resolve('swagger-ui-dist/package.json', { paths: [swagger] }));
}

const PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>Berth API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css" />
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" />
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: '/docs-json',
      dom_id: '#swagger-ui',
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: 'StandaloneLayout',
      persistAuthorization: true,
    });
  </script>
</body>
</html>
`;

/** `scope`: who may read the docs (`public`, or `inference` when BERTH_PUBLIC_DOCS is off). */
export function installSwaggerUi(fastify: FastifyInstance, documentJson: string, scope: AccessScope): void {
  const dir = swaggerUiDir();
  const cache = new Map<string, Buffer>();
  const route = { config: { [ROUTE_POLICY_KEY]: { scope } } };
  fastify.get('/docs-json', route, async (_request, reply) => reply.type('application/json; charset=utf-8').send(documentJson));
  fastify.get('/docs', route, async (_request, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
  fastify.get('/docs/:asset', route, async (request, reply) => {
    const asset = (request.params as { asset: string }).asset;
    const type = ASSETS[asset];
    if (!type) return reply.callNotFound();
    let content = cache.get(asset);
    if (!content) {
      content = readFileSync(join(dir, asset));
      cache.set(asset, content);
    }
    return reply.type(type).header('cache-control', 'public, max-age=86400').send(content);
  });
}
