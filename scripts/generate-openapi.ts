import 'reflect-metadata';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ts from 'typescript';
import { PluginMetadataGenerator } from '@nestjs/cli/lib/compiler/plugins/plugin-metadata-generator';

// The package exports its plugin as '@nestjs/swagger/plugin', a path `moduleResolution: node` cannot type.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ReadonlyVisitor } = require('@nestjs/swagger/plugin') as typeof import('@nestjs/swagger/dist/plugin');

/**
 * `npm run openapi`: regenerates src/metadata.ts (what the @nestjs/swagger CLI plugin derives from
 * the DTOs' types and JSDoc comments, for the SWC-compiled tests and scripts that run no
 * TypeScript transformers), then openapi/openapi.json from the app with that metadata loaded.
 * Both files are committed; test/e2e/openapi.e2e-spec.ts fails when either is stale.
 */

const ROOT = join(__dirname, '..');
const SRC = join(ROOT, 'src');
export const OPENAPI_FILE = join(ROOT, 'openapi', 'openapi.json');
export const METADATA_FILE = join(SRC, 'metadata.ts');

interface NestCliPlugin {
  name: string;
  options?: Record<string, unknown>;
}

/** The swagger plugin's options exactly as nest-cli.json gives them to `nest build`. */
function swaggerPluginOptions(): Record<string, unknown> {
  const cli = JSON.parse(readFileSync(join(ROOT, 'nest-cli.json'), 'utf8')) as {
    compilerOptions?: { plugins?: (string | NestCliPlugin)[] };
  };
  const plugin = cli.compilerOptions?.plugins?.find((p): p is NestCliPlugin => typeof p === 'object' && p.name === '@nestjs/swagger');
  if (!plugin) throw new Error('nest-cli.json does not enable the @nestjs/swagger plugin');
  return plugin.options ?? {};
}

/** The text of src/metadata.ts as the plugin's metadata generator writes it for the current sources. */
export function renderPluginMetadata(): string {
  const program = ReadonlyVisitor.createTsProgram(join(ROOT, 'tsconfig.build.json'));
  const outputDir = mkdtempSync(join(tmpdir(), 'berth-metadata-'));
  try {
    new PluginMetadataGenerator().generate({
      visitors: [new ReadonlyVisitor({ ...swaggerPluginOptions(), pathToSource: SRC })],
      outputDir,
      filename: 'metadata.ts',
      tsProgramRef: program,
      printDiagnostics: false,
    });
    return layOut(readFileSync(join(outputDir, 'metadata.ts'), 'utf8'));
  } finally {
    rmSync(outputDir, { recursive: true, force: true });
  }
}

/**
 * The generator prints the metadata on one line; this breaks the maps of files and classes onto
 * their own lines and leaves each class's properties (and each controller's methods) on one, so
 * that a change to one DTO shows as a one-line diff and the file stays short.
 */
function layOut(text: string): string {
  const source = ts.createSourceFile('metadata.ts', text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const isMap = (node: ts.ObjectLiteralExpression): boolean =>
    node.properties.length > 0 &&
    node.properties.every(
      (p) => ts.isPropertyAssignment(p) && (ts.isObjectLiteralExpression(p.initializer) || ts.isArrayLiteralExpression(p.initializer)),
    );
  const transformer: ts.TransformerFactory<ts.SourceFile> = (context) => {
    const visit = (node: ts.Node): ts.Node => {
      const visited = ts.visitEachChild(node, visit, context);
      // Fresh nodes: the printer keeps parsed siblings on the line they were parsed from.
      const f = context.factory;
      // A map of leaf objects (a class's properties, a controller's methods) stays on one line.
      const ofLeaves = (n: ts.ObjectLiteralExpression): boolean =>
        n.properties.every((p) => ts.isPropertyAssignment(p) && ts.isObjectLiteralExpression(p.initializer) && !isMap(p.initializer));
      if (ts.isObjectLiteralExpression(visited) && isMap(visited) && !ofLeaves(visited)) {
        return f.createObjectLiteralExpression(
          visited.properties.map((p) =>
            f.createPropertyAssignment((p as ts.PropertyAssignment).name, (p as ts.PropertyAssignment).initializer),
          ),
          true,
        );
      }
      if (ts.isArrayLiteralExpression(visited) && visited.elements.length > 0 && visited.elements.every(ts.isArrayLiteralExpression)) {
        return f.createArrayLiteralExpression(
          visited.elements.map((e) => f.createArrayLiteralExpression((e as ts.ArrayLiteralExpression).elements)),
          true,
        );
      }
      return visited;
    };
    return (file) => ts.visitNode(file, visit) as ts.SourceFile;
  };
  const [file] = ts.transform(source, [transformer]).transformed;
  return ts.createPrinter({ newLine: ts.NewLineKind.LineFeed }).printFile(file);
}

/** The OpenAPI document from the app's decorators. No models are needed: the core never starts. */
export async function renderOpenApi(): Promise<string> {
  // Loaded here rather than at the top, so that `npm run openapi` builds the app only after it has
  // rewritten src/metadata.ts.
  const { createApp } = await import('../src/app.module');
  const { loadConfig } = await import('../src/config/app-config');
  const { JsonLogger } = await import('../src/http/json-logger');
  const { buildOpenApiDocument, serializeOpenApi } = await import('../src/http/openapi');
  const { default: metadata } = await import('../src/metadata');
  const app = await createApp({
    config: loadConfig({}),
    coreFactory: async () => {
      throw new Error('not needed to describe the API');
    },
    logger: new JsonLogger('silent'),
    processMetrics: false,
  });
  try {
    return serializeOpenApi(await buildOpenApiDocument(app, metadata));
  } finally {
    await app.close();
  }
}

async function main(): Promise<void> {
  writeFileSync(METADATA_FILE, renderPluginMetadata());
  process.stdout.write(`wrote ${METADATA_FILE}\n`);
  writeFileSync(OPENAPI_FILE, await renderOpenApi());
  process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
