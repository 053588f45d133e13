import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { getMetadataStorage } from 'class-validator';
import { parseAllDocuments } from 'yaml';
import { EnvironmentSchema } from '../../src/config/app-config';
import { MetricsController } from '../../src/metrics/metrics.controller';
import { HealthController } from '../../src/modules/health/health.controller';

/**
 * The deployment files under deploy/ (Compose, Prometheus, Kubernetes), checked without a Docker
 * or Kubernetes engine: every file parses with a real YAML parser, the objects hang together
 * (selectors, claims, secrets, targets), and what they expect from the server (port, health and
 * metrics routes, BERTH_* variables, drain time) is what the code serves and reads.
 *
 * Every check reports problems as strings; the last block breaks a copy of the parsed files in
 * one way per check and sees that check complain.
 */

const ROOT = resolve(__dirname, '..', '..');
const DEPLOY = join(ROOT, 'deploy');

// ---- what the server serves and reads, from the code ------------------------------------------------

/** GET routes of a controller, from the @Controller/@Get metadata Nest itself routes by. */
function getRoutes(controller: new (...args: any[]) => unknown): string[] {
  const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
  const proto = controller.prototype as Record<string, unknown>;
  const routes: string[] = [];
  for (const name of Object.getOwnPropertyNames(proto)) {
    const handler = proto[name];
    if (name === 'constructor' || typeof handler !== 'function') continue;
    if (Reflect.getMetadata(METHOD_METADATA, handler) !== RequestMethod.GET) continue;
    const path = String(Reflect.getMetadata(PATH_METADATA, handler) ?? '');
    routes.push(
      '/' +
        [base, path]
          .flatMap((p) => p.split('/'))
          .filter((s) => s.length > 0)
          .join('/'),
    );
  }
  return routes;
}

/** Fleet mode's variables (SPEC §10): read from EnvironmentSchema like every other, and checked to be there. */
const FLEET_VARIABLES = ['BERTH_DATABASE_URL', 'BERTH_ROLE', 'BERTH_WORKER_HEARTBEAT_TIMEOUT_MS', 'BERTH_REPLICA_ID'];
const ROLES = ['all', 'api', 'worker'];

const schemaDefaults = new EnvironmentSchema();
/** Every variable loadConfig reads: the schema's fields, with or without a default. */
const schemaVariables = new Set([
  ...Object.keys(schemaDefaults),
  ...getMetadataStorage()
    .getTargetValidationMetadatas(EnvironmentSchema, '', true, false)
    .map((m) => m.propertyName),
]);

interface ServerFacts {
  port: number;
  drainSeconds: number;
  liveRoute: string;
  readyRoute: string;
  metricsRoute: string;
  knownVariables: Set<string>;
  devices: string[];
  dockerfile: string;
}

function serverFacts(): ServerFacts {
  const health = getRoutes(HealthController);
  const live = health.find((r) => r.endsWith('/live'));
  const ready = health.find((r) => r.endsWith('/ready'));
  const metrics = getRoutes(MetricsController)[0];
  if (!live || !ready || !metrics) throw new Error(`health or metrics routes not found: ${JSON.stringify({ health, metrics })}`);
  const deviceRule = getMetadataStorage()
    .getTargetValidationMetadatas(EnvironmentSchema, '', true, false)
    .find((m) => m.propertyName === 'BERTH_DEVICE' && m.name === 'isIn');
  return {
    port: schemaDefaults.PORT,
    drainSeconds: schemaDefaults.BERTH_SHUTDOWN_TIMEOUT_MS / 1000,
    liveRoute: live,
    readyRoute: ready,
    metricsRoute: metrics,
    knownVariables: schemaVariables,
    devices: (deviceRule?.constraints?.[0] as string[] | undefined) ?? [],
    dockerfile: readFileSync(join(ROOT, 'Dockerfile'), 'utf8'),
  };
}

// ---- reading deploy/ --------------------------------------------------------------------------------

/** Every YAML file under deploy/, by path relative to deploy/. */
function readDeployFiles(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.ya?ml$/.test(entry.name)) continue;
    const full = join(entry.parentPath, entry.name);
    files[relative(dir, full).split('\\').join('/')] = readFileSync(full, 'utf8');
  }
  return files;
}

interface Parsed {
  /** Each file's documents as plain values. */
  docs: Record<string, any[]>;
  problems: string[];
}

/**
 * Kubernetes reads YAML 1.1 (unquoted yes/no/on/off are booleans there); Compose reads YAML 1.2
 * with `<<` merge keys. Duplicate keys are errors in both.
 */
function parseDeployFiles(files: Record<string, string>): Parsed {
  const docs: Record<string, any[]> = {};
  const problems: string[] = [];
  for (const [file, text] of Object.entries(files)) {
    const k8s = file.startsWith('kubernetes/');
    const parsed = parseAllDocuments(text, { version: k8s ? '1.1' : '1.2', merge: true, uniqueKeys: true, prettyErrors: false });
    if (!Array.isArray(parsed)) {
      problems.push(`${file}: no YAML document`);
      continue;
    }
    docs[file] = [];
    parsed.forEach((doc, i) => {
      for (const e of [...doc.errors, ...doc.warnings]) problems.push(`${file} document ${i + 1}: ${e.message}`);
      if (doc.errors.length === 0 && doc.contents !== null) docs[file].push(doc.toJS({ maxAliasCount: 100 }));
    });
  }
  return { docs, problems };
}

// ---- helpers ----------------------------------------------------------------------------------------

const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether a label selector (matchLabels only) selects these labels. */
function selects(matchLabels: Record<string, unknown> | undefined, labels: Record<string, unknown> | undefined): boolean {
  if (!isObject(matchLabels) || Object.keys(matchLabels).length === 0) return false;
  return Object.entries(matchLabels).every(([k, v]) => isObject(labels) && labels[k] === v);
}

/** Compose's `${VAR:-default}`, `${VAR-default}` and `${VAR}` with nothing set: the defaults. */
function interpolateDefaults(value: string): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}/g, (_m, _name, op, def) => (op ? def : ''));
}

/** Compose `environment` as a map or a list of NAME=value. */
function composeEnv(env: unknown): Record<string, string> {
  if (Array.isArray(env)) return Object.fromEntries(env.map((e) => String(e).split(/=(.*)/s).slice(0, 2)));
  if (isObject(env)) return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
  return {};
}

/** Compose durations: 40s, 1m30s, 500ms. */
function durationSeconds(value: unknown): number {
  if (typeof value !== 'string') return NaN;
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 1e-6 };
  let total = 0;
  const rest = value.replace(/(\d+(?:\.\d+)?)(ms|us|h|m|s)/g, (_m, n, u) => {
    total += Number(n) * units[u];
    return '';
  });
  return rest.length === 0 && value.length > 0 ? total : NaN;
}

/** The repository part of an image reference (registry/name without tag or digest). */
function imageRepository(image: string): string {
  const noDigest = image.split('@')[0];
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}
const imageTag = (image: string): string => image.slice(imageRepository(image).length + 1) || 'latest';

// ---- Kubernetes -------------------------------------------------------------------------------------

const COMPONENT = 'app.kubernetes.io/component';
const NAME = 'app.kubernetes.io/name';
const EXPECTED_API_VERSIONS: Record<string, string> = {
  Namespace: 'v1',
  Secret: 'v1',
  PersistentVolumeClaim: 'v1',
  Service: 'v1',
  Deployment: 'apps/v1',
  PodDisruptionBudget: 'policy/v1',
  HorizontalPodAutoscaler: 'autoscaling/v2',
};

function kubernetesObjects(parsed: Parsed): { file: string; obj: Record<string, any> }[] {
  return Object.entries(parsed.docs)
    .filter(([file]) => file.startsWith('kubernetes/'))
    .flatMap(([file, docs]) => docs.map((obj) => ({ file, obj })));
}

function checkKubernetes(parsed: Parsed, facts: ServerFacts): string[] {
  const problems: string[] = [];
  const objects = kubernetesObjects(parsed);
  const of = (kind: string) => objects.filter((o) => o.obj?.kind === kind);
  const named = (kind: string, name: string) => of(kind).find((o) => o.obj.metadata?.name === name)?.obj;

  for (const { file, obj } of objects) {
    const where = `${file} ${obj?.kind ?? '?'}/${obj?.metadata?.name ?? '?'}`;
    if (!isObject(obj)) {
      problems.push(`${file}: a document that is not a mapping`);
      continue;
    }
    if (typeof obj.apiVersion !== 'string' || obj.apiVersion === '') problems.push(`${where}: no apiVersion`);
    if (typeof obj.kind !== 'string' || obj.kind === '') problems.push(`${where}: no kind`);
    if (typeof obj.metadata?.name !== 'string' || obj.metadata.name === '') problems.push(`${where}: no metadata.name`);
    const expected = EXPECTED_API_VERSIONS[obj.kind];
    if (expected === undefined) problems.push(`${where}: unexpected kind`);
    else if (obj.apiVersion !== expected) problems.push(`${where}: apiVersion ${obj.apiVersion}, expected ${expected}`);
    // No namespace in the objects, so `kubectl apply -n <ns> -f deploy/kubernetes/` places them.
    if (obj.metadata?.namespace !== undefined) problems.push(`${where}: names a namespace`);
    if (obj.metadata?.labels?.[NAME] !== 'berth') problems.push(`${where}: label ${NAME} is not berth`);
    for (const field of ['labels', 'annotations'] as const) {
      for (const [k, v] of Object.entries(obj.metadata?.[field] ?? {}))
        if (typeof v !== 'string') problems.push(`${where}: ${field} ${k} is not a string`);
      for (const [k, v] of Object.entries(obj.spec?.template?.metadata?.[field] ?? {}))
        if (typeof v !== 'string') problems.push(`${where}: pod ${field} ${k} is not a string`);
    }
  }

  const secret = of('Secret')[0]?.obj;
  const pvc = of('PersistentVolumeClaim')[0]?.obj;
  if (!secret) problems.push('no Secret');
  else {
    if (secret.type !== 'Opaque') problems.push(`Secret ${secret.metadata.name}: type ${secret.type}, expected Opaque`);
    if (!isObject(secret.stringData)) problems.push(`Secret ${secret.metadata.name}: no stringData`);
    else if (!Object.values(secret.stringData).every((v) => /REPLACE/.test(String(v))))
      problems.push(`Secret ${secret.metadata.name}: every example value must be marked REPLACE`);
  }
  const secretKeys = new Set([...Object.keys(secret?.stringData ?? {}), ...Object.keys(secret?.data ?? {})]);
  if (!pvc) problems.push('no PersistentVolumeClaim');
  else if (!(pvc.spec?.accessModes ?? []).includes('ReadWriteMany'))
    problems.push(`PersistentVolumeClaim ${pvc.metadata.name}: not ReadWriteMany`);

  const deployments = of('Deployment').map((o) => o.obj);
  const api = named('Deployment', 'berth-api');
  const worker = named('Deployment', 'berth-worker');
  const gpu = named('Deployment', 'berth-worker-gpu');
  if (!api) problems.push('no Deployment berth-api');
  if (!worker) problems.push('no Deployment berth-worker');
  if (!gpu) problems.push('no Deployment berth-worker-gpu');
  if (api && api.spec?.replicas !== 2) problems.push(`Deployment berth-api: replicas ${api.spec?.replicas}, expected 2`);
  if (gpu && gpu.spec?.replicas !== 0) problems.push(`Deployment berth-worker-gpu: replicas ${gpu.spec?.replicas}, expected 0`);

  const repositories = new Set<string>();
  for (const d of deployments) {
    const where = `Deployment ${d.metadata?.name}`;
    const podLabels = d.spec?.template?.metadata?.labels;
    const matchLabels = d.spec?.selector?.matchLabels;
    if (!selects(matchLabels, podLabels))
      problems.push(`${where}: selector ${JSON.stringify(matchLabels)} does not match its pod labels ${JSON.stringify(podLabels)}`);
    if (matchLabels?.[NAME] !== 'berth' || !['api', 'worker'].includes(matchLabels?.[COMPONENT]))
      problems.push(`${where}: selector must hold ${NAME}=berth and ${COMPONENT}=api|worker`);
    for (const other of deployments)
      if (other !== d && selects(matchLabels, other.spec?.template?.metadata?.labels))
        problems.push(`${where}: selector also selects the pods of ${other.metadata?.name}`);
    if (!d.spec?.strategy?.type) problems.push(`${where}: no explicit strategy`);
    const component = podLabels?.[COMPONENT];
    const pod = d.spec?.template?.spec ?? {};
    const annotations = d.spec?.template?.metadata?.annotations ?? {};
    if (!(pod.terminationGracePeriodSeconds > facts.drainSeconds))
      problems.push(
        `${where}: terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} not above the ${facts.drainSeconds} s drain`,
      );
    if (annotations['prometheus.io/scrape'] !== 'true') problems.push(`${where}: no prometheus.io/scrape "true" annotation`);
    if (annotations['prometheus.io/path'] !== facts.metricsRoute)
      problems.push(`${where}: prometheus.io/path is not ${facts.metricsRoute}`);
    if (annotations['prometheus.io/port'] !== String(facts.port)) problems.push(`${where}: prometheus.io/port is not ${facts.port}`);
    const volumes: any[] = pod.volumes ?? [];
    const containers: any[] = pod.containers ?? [];
    if (containers.length === 0) problems.push(`${where}: no containers`);
    for (const c of containers) {
      const cw = `${where} container ${c.name}`;
      if (typeof c.image !== 'string') problems.push(`${cw}: no image`);
      else {
        repositories.add(imageRepository(c.image));
        const cuda = imageTag(c.image).endsWith('-cuda');
        if (cuda !== (d === gpu)) problems.push(`${cw}: image ${c.image} ${cuda ? 'is' : 'is not'} the CUDA tag`);
      }
      const ports: any[] = c.ports ?? [];
      const resolvePort = (p: unknown): number | undefined => (typeof p === 'number' ? p : ports.find((x) => x.name === p)?.containerPort);
      if (!ports.some((p) => p.containerPort === facts.port)) problems.push(`${cw}: no containerPort ${facts.port}`);

      const mount = (c.volumeMounts ?? []).find((m: any) => m.mountPath === '/data');
      const volume = volumes.find((v) => v.name === mount?.name);
      if (!mount) problems.push(`${cw}: nothing mounted at /data`);
      else if (!pvc || volume?.persistentVolumeClaim?.claimName !== pvc.metadata?.name)
        problems.push(`${cw}: /data is not the PersistentVolumeClaim ${pvc?.metadata?.name}`);
      else if (mount.readOnly) problems.push(`${cw}: /data mounted read-only`);

      const env: any[] = c.env ?? [];
      const byName = new Map<string, any>();
      for (const e of env) {
        if (byName.has(e.name)) problems.push(`${cw}: env ${e.name} set twice`);
        byName.set(e.name, e);
        if ('value' in e && typeof e.value !== 'string') problems.push(`${cw}: env ${e.name} value is not a string`);
        if (/^BERTH_/.test(e.name) && !facts.knownVariables.has(e.name))
          problems.push(`${cw}: env ${e.name} is not a variable the server reads`);
        const ref = e.valueFrom?.secretKeyRef;
        if (ref && !ref.optional && (ref.name !== secret?.metadata?.name || !secretKeys.has(ref.key)))
          problems.push(`${cw}: env ${e.name} from secret ${ref.name} key ${ref.key}, which secret.yaml does not hold`);
      }
      const dbRef = byName.get('BERTH_DATABASE_URL')?.valueFrom?.secretKeyRef;
      if (!dbRef || dbRef.optional || dbRef.name !== secret?.metadata?.name)
        problems.push(`${cw}: BERTH_DATABASE_URL is not taken from the Secret`);
      if (byName.get('BERTH_ROLE')?.value !== component)
        problems.push(`${cw}: BERTH_ROLE ${byName.get('BERTH_ROLE')?.value}, expected ${component}`);
      if (!ROLES.includes(byName.get('BERTH_ROLE')?.value)) problems.push(`${cw}: BERTH_ROLE is not one of ${ROLES.join('|')}`);
      const device = byName.get('BERTH_DEVICE')?.value;
      if (device !== undefined && !facts.devices.includes(device))
        problems.push(`${cw}: BERTH_DEVICE ${device} is not one of ${facts.devices.join('|')}`);
      if (byName.has('PORT') && byName.get('PORT').value !== String(facts.port)) problems.push(`${cw}: PORT is not ${facts.port}`);
      if (byName.has('BERTH_DATA_DIR') && byName.get('BERTH_DATA_DIR').value !== '/data')
        problems.push(`${cw}: BERTH_DATA_DIR is not /data`);
      const gpus = c.resources?.limits?.['nvidia.com/gpu'];
      if (d === gpu) {
        if (String(gpus) !== '1') problems.push(`${cw}: no nvidia.com/gpu: 1 limit`);
        if (device !== 'cuda') problems.push(`${cw}: BERTH_DEVICE is not cuda`);
      } else if (gpus !== undefined || device === 'cuda') problems.push(`${cw}: asks for a GPU`);

      for (const [probe, path] of [
        ['readinessProbe', facts.readyRoute],
        ['livenessProbe', facts.liveRoute],
        ['startupProbe', facts.readyRoute],
      ] as const) {
        const p = c[probe];
        if (p?.httpGet?.path !== path) problems.push(`${cw}: ${probe} path ${p?.httpGet?.path}, expected ${path}`);
        if (p && resolvePort(p.httpGet?.port) !== facts.port) problems.push(`${cw}: ${probe} port ${p.httpGet?.port} is not ${facts.port}`);
      }
      const startup = c.startupProbe ?? {};
      if ((startup.periodSeconds ?? 10) * (startup.failureThreshold ?? 3) < 120)
        problems.push(`${cw}: startupProbe allows under 120 s for model loading`);
      for (const kind of ['requests', 'limits'])
        for (const r of ['cpu', 'memory']) if (c.resources?.[kind]?.[r] === undefined) problems.push(`${cw}: no ${r} ${kind}`);
    }
  }
  if (repositories.size > 1) problems.push(`the Deployments use different images: ${[...repositories].join(', ')}`);

  const apiLabels = api?.spec?.template?.metadata?.labels;
  const others = deployments.filter((d) => d !== api);
  const service = named('Service', 'berth-api');
  if (!service) problems.push('no Service berth-api');
  else {
    if ((service.spec?.type ?? 'ClusterIP') !== 'ClusterIP') problems.push(`Service berth-api: type ${service.spec?.type}`);
    if (!selects(service.spec?.selector, apiLabels)) problems.push('Service berth-api: selector does not select the API pods');
    if (others.some((d) => selects(service.spec?.selector, d.spec?.template?.metadata?.labels)))
      problems.push('Service berth-api: selector also selects worker pods');
    const port = (service.spec?.ports ?? []).find((p: any) => p.port === 80);
    const apiPorts: any[] = api?.spec?.template?.spec?.containers?.[0]?.ports ?? [];
    const target =
      typeof port?.targetPort === 'number' ? port.targetPort : apiPorts.find((p) => p.name === port?.targetPort)?.containerPort;
    if (target !== facts.port) problems.push(`Service berth-api: port 80 does not lead to ${facts.port}`);
  }
  const pdb = of('PodDisruptionBudget')[0]?.obj;
  if (!pdb) problems.push('no PodDisruptionBudget');
  else {
    if (pdb.spec?.minAvailable !== 1) problems.push('PodDisruptionBudget: minAvailable is not 1');
    if (!selects(pdb.spec?.selector?.matchLabels, apiLabels)) problems.push('PodDisruptionBudget: selector does not select the API pods');
    if (others.some((d) => selects(pdb.spec?.selector?.matchLabels, d.spec?.template?.metadata?.labels)))
      problems.push('PodDisruptionBudget: selector also selects worker pods');
  }
  const hpa = of('HorizontalPodAutoscaler')[0]?.obj;
  if (!hpa) problems.push('no HorizontalPodAutoscaler');
  else {
    const ref = hpa.spec?.scaleTargetRef ?? {};
    if (ref.apiVersion !== 'apps/v1' || ref.kind !== 'Deployment' || ref.name !== 'berth-api' || !api)
      problems.push(`HorizontalPodAutoscaler: targets ${JSON.stringify(ref)}, not the API Deployment`);
    if (hpa.spec?.minReplicas !== 2 || hpa.spec?.maxReplicas !== 10) problems.push('HorizontalPodAutoscaler: not 2–10 replicas');
    const cpu = (hpa.spec?.metrics ?? []).find(
      (m: any) => m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource?.target?.type === 'Utilization',
    );
    if (!cpu) problems.push('HorizontalPodAutoscaler: no CPU utilisation metric');
  }
  return problems;
}

// ---- Compose and Prometheus -------------------------------------------------------------------------

const BERTH_SERVICES: Record<string, { role: string; device: string }> = {
  'api-1': { role: 'api', device: 'cpu' },
  'api-2': { role: 'api', device: 'cpu' },
  worker: { role: 'worker', device: 'cpu' },
  'worker-gpu': { role: 'worker', device: 'cuda' },
};

function checkCompose(parsed: Parsed, facts: ServerFacts): string[] {
  const problems: string[] = [];
  const compose = parsed.docs['compose.yaml']?.[0];
  const prometheusConfig = parsed.docs['prometheus.yml']?.[0];
  if (!isObject(compose)) return ['compose.yaml: missing or not a mapping'];
  const services: Record<string, any> = compose.services ?? {};
  const volumes: Record<string, unknown> = compose.volumes ?? {};

  const withRole = Object.keys(services).filter((s) => 'BERTH_ROLE' in composeEnv(services[s]?.environment));
  if (withRole.sort().join() !== Object.keys(BERTH_SERVICES).sort().join())
    problems.push(`compose: the Berth services are ${withRole.join(', ')}, expected ${Object.keys(BERTH_SERVICES).join(', ')}`);

  // postgres: official image, a named volume, pg_isready.
  const pg = services.postgres;
  if (!pg) problems.push('compose: no postgres service');
  else {
    if (!/^postgres(:|$)/.test(String(pg.image))) problems.push(`compose postgres: image ${pg.image} is not the official postgres image`);
    const named = (pg.volumes ?? []).some((v: unknown) => typeof v === 'string' && v.split(':')[0] in volumes);
    if (!named) problems.push('compose postgres: no named volume');
    if (!JSON.stringify(pg.healthcheck?.test ?? '').includes('pg_isready'))
      problems.push('compose postgres: healthcheck does not run pg_isready');
    const password = composeEnv(pg.environment).POSTGRES_PASSWORD ?? '';
    if (!/^\$\{BERTH_DB_PASSWORD[:}-]/.test(password))
      problems.push('compose postgres: POSTGRES_PASSWORD is not taken from BERTH_DB_PASSWORD');
  }

  const repositories = new Set<string>();
  const hostPorts = new Map<string, string>();
  for (const [name, expected] of Object.entries(BERTH_SERVICES)) {
    const s = services[name];
    const where = `compose ${name}`;
    if (!isObject(s)) {
      problems.push(`${where}: missing`);
      continue;
    }
    // The root Dockerfile; the GPU variant with DEVICE=cuda.
    const build = typeof s.build === 'string' ? { context: s.build } : s.build;
    if (!isObject(build) || resolve(DEPLOY, String(build.context)) !== ROOT || (build.dockerfile ?? 'Dockerfile') !== 'Dockerfile')
      problems.push(`${where}: does not build the repository's Dockerfile`);
    const args = Array.isArray(build?.args) ? Object.fromEntries(build.args.map((a: string) => a.split('='))) : (build?.args ?? {});
    if ((args.DEVICE ?? 'cpu') !== expected.device) problems.push(`${where}: build arg DEVICE ${args.DEVICE}, expected ${expected.device}`);
    if (args.DEVICE !== undefined && !new RegExp(`^ARG DEVICE\\b`, 'm').test(facts.dockerfile))
      problems.push(`${where}: the Dockerfile has no ARG DEVICE`);
    if (typeof s.image !== 'string') problems.push(`${where}: no image name`);
    else {
      const image = interpolateDefaults(s.image);
      repositories.add(imageRepository(image));
      if (imageTag(image).endsWith('-cuda') !== (expected.device === 'cuda'))
        problems.push(`${where}: image ${image} and device ${expected.device} disagree`);
    }
    const mountsData = (s.volumes ?? []).some((v: any) =>
      typeof v === 'string'
        ? /^berth-data:\/data(:rw)?$/.test(v)
        : v?.type === 'volume' && v.source === 'berth-data' && v.target === '/data' && !v.read_only,
    );
    if (!mountsData) problems.push(`${where}: berth-data not mounted at /data`);

    const env = composeEnv(s.environment);
    for (const key of Object.keys(env))
      if (/^BERTH_/.test(key) && !facts.knownVariables.has(key)) problems.push(`${where}: ${key} is not a variable the server reads`);
    if (env.BERTH_ROLE !== expected.role) problems.push(`${where}: BERTH_ROLE ${env.BERTH_ROLE}, expected ${expected.role}`);
    if ((env.BERTH_DEVICE ?? 'cpu') !== expected.device || !facts.devices.includes(env.BERTH_DEVICE ?? 'cpu'))
      problems.push(`${where}: BERTH_DEVICE ${env.BERTH_DEVICE}, expected ${expected.device}`);
    if (env.PORT !== undefined && env.PORT !== String(facts.port)) problems.push(`${where}: PORT ${env.PORT} is not ${facts.port}`);
    if (env.BERTH_DATA_DIR !== undefined && env.BERTH_DATA_DIR !== '/data') problems.push(`${where}: BERTH_DATA_DIR is not /data`);
    // The URL points at the postgres service, its password only through a variable.
    const url = env.BERTH_DATABASE_URL ?? '';
    const m = /^postgres(?:ql)?:\/\/([^:@/]+):(.+)@([^:/@]+)(?::\d+)?\/\w+/.exec(url);
    if (!m) problems.push(`${where}: BERTH_DATABASE_URL ${JSON.stringify(url)} is not a postgres:// URL with a password`);
    else {
      if (m[3] !== 'postgres') problems.push(`${where}: BERTH_DATABASE_URL host ${m[3]} is not the postgres service`);
      if (!/^\$\{BERTH_DB_PASSWORD[:}-]/.test(m[2]))
        problems.push(`${where}: the database password is written in the file, not taken from BERTH_DB_PASSWORD`);
    }
    if (s.depends_on?.postgres?.condition !== 'service_healthy') problems.push(`${where}: does not wait for postgres to be healthy`);
    const grace = durationSeconds(s.stop_grace_period);
    if (!(grace > facts.drainSeconds))
      problems.push(`${where}: stop_grace_period ${s.stop_grace_period} not above the ${facts.drainSeconds} s drain`);
    const health = JSON.stringify(s.healthcheck?.test ?? '');
    if (!health.includes(`:${facts.port}${facts.readyRoute}`))
      problems.push(`${where}: healthcheck does not probe :${facts.port}${facts.readyRoute}`);

    for (const p of s.ports ?? []) {
      const parts = interpolateDefaults(String(typeof p === 'object' ? `${p.published}:${p.target}` : p)).split(':');
      const container = Number(parts[parts.length - 1].split('/')[0]);
      const host = parts.slice(0, -1).join(':');
      if (container !== facts.port) problems.push(`${where}: publishes container port ${container}, the server listens on ${facts.port}`);
      if (hostPorts.has(host)) problems.push(`${where}: host port ${host} also published by ${hostPorts.get(host)}`);
      hostPorts.set(host, name);
    }
    if (expected.role === 'api' && (s.ports ?? []).length === 0) problems.push(`${where}: no published port`);

    const gpuDevices: any[] = s.deploy?.resources?.reservations?.devices ?? [];
    const nvidia = gpuDevices.some((dev) => dev.driver === 'nvidia' && (dev.capabilities ?? []).includes('gpu'));
    if (expected.device === 'cuda') {
      if (!nvidia) problems.push(`${where}: reserves no nvidia GPU`);
      if (!(s.profiles ?? []).includes('gpu')) problems.push(`${where}: not under the gpu profile`);
    } else if (gpuDevices.length > 0 || (s.profiles ?? []).length > 0) problems.push(`${where}: reserves a GPU or sits under a profile`);
  }
  if (repositories.size > 1) problems.push(`compose: the Berth services use different images: ${[...repositories].join(', ')}`);
  if (!('berth-data' in volumes)) problems.push('compose: no top-level volume berth-data');

  // Prometheus mounts deploy/prometheus.yml, which scrapes every Berth service on its port.
  const prom = services.prometheus;
  const mountsConfig = (prom?.volumes ?? []).some(
    (v: unknown) =>
      typeof v === 'string' &&
      resolve(DEPLOY, v.split(':')[0]) === join(DEPLOY, 'prometheus.yml') &&
      v.split(':')[1] === '/etc/prometheus/prometheus.yml',
  );
  if (!mountsConfig) problems.push('compose prometheus: does not mount ./prometheus.yml at /etc/prometheus/prometheus.yml');
  if (!isObject(prometheusConfig)) problems.push('prometheus.yml: missing or not a mapping');
  else {
    const targets: string[] = [];
    for (const job of prometheusConfig.scrape_configs ?? []) {
      const path = job.metrics_path ?? '/metrics';
      if (path !== facts.metricsRoute)
        problems.push(`prometheus.yml job ${job.job_name}: metrics_path ${path}, the server serves ${facts.metricsRoute}`);
      for (const sc of job.static_configs ?? []) targets.push(...(sc.targets ?? []));
    }
    const expectedTargets = Object.keys(BERTH_SERVICES).map((s) => `${s}:${facts.port}`);
    const missing = expectedTargets.filter((t) => !targets.includes(t));
    const unknown = targets.filter((t) => !expectedTargets.includes(t));
    if (missing.length > 0) problems.push(`prometheus.yml: does not scrape ${missing.join(', ')}`);
    if (unknown.length > 0) problems.push(`prometheus.yml: scrapes ${unknown.join(', ')}, which is not a Berth service`);
  }
  return problems;
}

function checkAll(parsed: Parsed, facts: ServerFacts): string[] {
  return [...parsed.problems, ...checkKubernetes(parsed, facts), ...checkCompose(parsed, facts)];
}

// ---- the tests --------------------------------------------------------------------------------------

describe('deployment manifests (deploy/)', () => {
  const facts = serverFacts();
  const files = readDeployFiles(DEPLOY);
  const parsed = parseDeployFiles(files);

  it('reads what the server serves from the code: port, health and metrics routes, variables', () => {
    expect(facts).toMatchObject({
      port: 8080,
      liveRoute: '/health/live',
      readyRoute: '/health/ready',
      metricsRoute: '/metrics',
      devices: ['cpu', 'cuda', 'tensorrt'],
    });
    expect(facts.drainSeconds).toBeGreaterThan(0);
    // Fields with and without a default (the default-model names have none), and fleet mode's.
    for (const v of [
      'PORT',
      'BERTH_DATA_DIR',
      'BERTH_DEVICE',
      'BERTH_API_KEYS',
      'BERTH_THREADS',
      'BERTH_DEFAULT_NLI_MODEL',
      ...FLEET_VARIABLES,
    ])
      expect([v, facts.knownVariables.has(v)]).toEqual([v, true]);
  });

  it('holds the Compose file, prometheus.yml and every Kubernetes manifest', () => {
    expect(Object.keys(files).sort()).toEqual(
      expect.arrayContaining([
        'compose.yaml',
        'prometheus.yml',
        ...['namespace', 'secret', 'pvc', 'api-deployment', 'api-service', 'worker-deployment', 'worker-gpu-deployment', 'pdb', 'hpa'].map(
          (f) => `kubernetes/${f}.yaml`,
        ),
      ]),
    );
  });

  it('every YAML document parses (no errors, warnings or duplicate keys)', () => {
    expect(parsed.problems).toEqual([]);
    for (const [file, docs] of Object.entries(parsed.docs)) expect([file, docs.length > 0]).toEqual([file, true]);
  });

  it('the Kubernetes objects hang together and ask of the server only what it serves', () => {
    expect(checkKubernetes(parsed, facts)).toEqual([]);
  });

  it('the Compose file and prometheus.yml hang together and ask of the server only what it serves', () => {
    expect(checkCompose(parsed, facts)).toEqual([]);
  });

  describe('each check catches a broken copy', () => {
    const broken = (edit: (docs: Record<string, any[]>) => void): string[] => {
      const copy: Parsed = { docs: structuredClone(parsed.docs), problems: [] };
      edit(copy.docs);
      return checkAll(copy, facts);
    };
    const k8s = (docs: Record<string, any[]>, file: string, i = 0): any => docs[`kubernetes/${file}.yaml`][i];
    const container = (docs: Record<string, any[]>, file: string): any => k8s(docs, file).spec.template.spec.containers[0];
    const env = (docs: Record<string, any[]>, file: string, name: string): any =>
      container(docs, file).env.find((e: any) => e.name === name);
    const service = (docs: Record<string, any[]>, name: string): any => docs['compose.yaml'][0].services[name];

    it('the untouched copy passes', () => {
      expect(broken(() => undefined)).toEqual([]);
    });

    it('YAML that does not parse, and duplicate keys', () => {
      const bad = parseDeployFiles({ ...files, 'compose.yaml': files['compose.yaml'].replace('services:', 'services:\n  - [') });
      expect(bad.problems.join('\n')).toMatch(/compose\.yaml document 1/);
      const dup = parseDeployFiles({ ...files, 'kubernetes/pvc.yaml': files['kubernetes/pvc.yaml'] + '\nkind: Secret\n' });
      expect(dup.problems.join('\n')).toMatch(/kubernetes\/pvc\.yaml document 1: .*unique/i);
    });

    const cases: [string, (docs: Record<string, any[]>) => void, RegExp][] = [
      ['an object without apiVersion', (d) => delete k8s(d, 'pvc').apiVersion, /no apiVersion/],
      ['an object without metadata.name', (d) => delete k8s(d, 'hpa').metadata.name, /no metadata\.name/],
      ['a wrong apiVersion', (d) => (k8s(d, 'hpa').apiVersion = 'autoscaling/v1'), /apiVersion autoscaling\/v1, expected autoscaling\/v2/],
      [
        'a selector that misses its pod labels',
        (d) => (k8s(d, 'worker-deployment').spec.selector.matchLabels[COMPONENT] = 'api'),
        /berth-worker: selector .* does not match/,
      ],
      [
        'overlapping worker selectors',
        (d) => delete k8s(d, 'worker-gpu-deployment').spec.selector.matchLabels['berth/device'],
        /selector also selects the pods of berth-worker/,
      ],
      [
        'a Service that misses the API pods',
        (d) => (k8s(d, 'api-service').spec.selector[COMPONENT] = 'web'),
        /Service berth-api: selector does not select/,
      ],
      ['a Service port leading elsewhere', (d) => (k8s(d, 'api-service').spec.ports[0].targetPort = 9000), /port 80 does not lead to 8080/],
      [
        'a PDB that selects workers',
        (d) => (k8s(d, 'pdb').spec.selector.matchLabels = { [NAME]: 'berth' }),
        /PodDisruptionBudget: selector also selects worker/,
      ],
      [
        'an HPA aimed at another Deployment',
        (d) => (k8s(d, 'hpa').spec.scaleTargetRef.name = 'berth-worker'),
        /HorizontalPodAutoscaler: targets/,
      ],
      ['another image', (d) => (container(d, 'worker-deployment').image = 'other/berth:0.1.0'), /different images/],
      [
        'a CPU tag on the GPU worker',
        (d) => (container(d, 'worker-gpu-deployment').image = 'registry.example.com/berth:0.1.0'),
        /is not the CUDA tag/,
      ],
      [
        '/data not mounted',
        (d) => (container(d, 'api-deployment').volumeMounts = []),
        /berth-api container berth: nothing mounted at \/data/,
      ],
      [
        '/data from another claim',
        (d) => (k8s(d, 'worker-deployment').spec.template.spec.volumes[0].persistentVolumeClaim.claimName = 'other'),
        /is not the PersistentVolumeClaim/,
      ],
      ['a ReadWriteOnce claim', (d) => (k8s(d, 'pvc').spec.accessModes = ['ReadWriteOnce']), /not ReadWriteMany/],
      [
        'a Secret key that does not exist',
        (d) => (env(d, 'worker-deployment', 'BERTH_DATABASE_URL').valueFrom.secretKeyRef.key = 'DATABASE_URL'),
        /which secret\.yaml does not hold/,
      ],
      [
        'a literal database URL',
        (d) => (env(d, 'api-deployment', 'BERTH_DATABASE_URL').valueFrom = undefined),
        /BERTH_DATABASE_URL is not taken from the Secret/,
      ],
      [
        'an unmarked example secret',
        (d) => (k8s(d, 'secret').stringData.BERTH_DATABASE_URL = 'postgres://berth:hunter2@db/berth'),
        /marked REPLACE/,
      ],
      ['a wrong role', (d) => (env(d, 'worker-deployment', 'BERTH_ROLE').value = 'api'), /BERTH_ROLE api, expected worker/],
      [
        'an unknown BERTH_ variable',
        (d) => container(d, 'api-deployment').env.push({ name: 'BERTH_WORKERS', value: '2' }),
        /BERTH_WORKERS is not a variable the server reads/,
      ],
      [
        'a number where Kubernetes wants a string',
        (d) => (env(d, 'api-deployment', 'PORT').value = 8080),
        /env PORT value is not a string/,
      ],
      [
        'a probe on a route the server lacks',
        (d) => (container(d, 'api-deployment').readinessProbe.httpGet.path = '/healthz'),
        /readinessProbe path \/healthz/,
      ],
      [
        'a liveness probe on readiness',
        (d) => (container(d, 'worker-deployment').livenessProbe.httpGet.path = '/health/ready'),
        /livenessProbe path \/health\/ready, expected \/health\/live/,
      ],
      ['a probe on another port', (d) => (container(d, 'api-deployment').livenessProbe.httpGet.port = 3000), /livenessProbe port 3000/],
      [
        'a short startup probe',
        (d) => (container(d, 'api-deployment').startupProbe.failureThreshold = 3),
        /startupProbe allows under 120 s/,
      ],
      ['another container port', (d) => (container(d, 'api-deployment').ports[0].containerPort = 3000), /no containerPort 8080/],
      [
        'a grace period shorter than the drain',
        (d) => (k8s(d, 'api-deployment').spec.template.spec.terminationGracePeriodSeconds = 30),
        /terminationGracePeriodSeconds 30 not above/,
      ],
      [
        'no scrape annotation',
        (d) => delete k8s(d, 'worker-deployment').spec.template.metadata.annotations['prometheus.io/scrape'],
        /no prometheus\.io\/scrape/,
      ],
      [
        'no GPU limit on the GPU worker',
        (d) => delete container(d, 'worker-gpu-deployment').resources.limits['nvidia.com/gpu'],
        /no nvidia\.com\/gpu: 1 limit/,
      ],
      ['a running GPU worker by default', (d) => (k8s(d, 'worker-gpu-deployment').spec.replicas = 1), /replicas 1, expected 0/],
      ['no resources', (d) => delete container(d, 'api-deployment').resources.requests, /no cpu requests/],
      ['a namespaced object', (d) => (k8s(d, 'pvc').metadata.namespace = 'berth'), /names a namespace/],

      [
        'a Berth service built elsewhere',
        (d) => (service(d, 'api-2').build = { context: '.' }),
        /compose api-2: does not build the repository's Dockerfile/,
      ],
      [
        'a GPU service built for the CPU',
        (d) => delete service(d, 'worker-gpu').build.args,
        /worker-gpu: build arg DEVICE undefined, expected cuda/,
      ],
      [
        'another image name',
        (d) => (service(d, 'worker').image = 'berth-worker:latest'),
        /compose: the Berth services use different images/,
      ],
      [
        'berth-data not mounted',
        (d) => (service(d, 'worker').volumes = ['scratch:/data']),
        /compose worker: berth-data not mounted at \/data/,
      ],
      ['no shared volume', (d) => delete d['compose.yaml'][0].volumes['berth-data'], /no top-level volume berth-data/],
      ['a service without its role', (d) => delete service(d, 'api-1').environment.BERTH_ROLE, /the Berth services are/],
      ['a wrong role', (d) => (service(d, 'worker').environment.BERTH_ROLE = 'all'), /compose worker: BERTH_ROLE all, expected worker/],
      [
        'an unknown BERTH_ variable',
        (d) => (service(d, 'api-1').environment.BERTH_DB_URL = 'x'),
        /compose api-1: BERTH_DB_URL is not a variable/,
      ],
      [
        'a literal password',
        (d) => (service(d, 'api-1').environment.BERTH_DATABASE_URL = 'postgres://berth:secret@postgres:5432/berth'),
        /password is written in the file/,
      ],
      [
        'a database elsewhere',
        (d) => (service(d, 'worker').environment.BERTH_DATABASE_URL = 'postgres://berth:${BERTH_DB_PASSWORD}@db:5432/berth'),
        /host db is not the postgres service/,
      ],
      ['starting before postgres is healthy', (d) => (service(d, 'worker').depends_on = ['postgres']), /does not wait for postgres/],
      ['postgres without pg_isready', (d) => delete service(d, 'postgres').healthcheck, /pg_isready/],
      [
        'a healthcheck on another route',
        (d) => (service(d, 'api-2').healthcheck = { test: ['CMD', 'true'] }),
        /api-2: healthcheck does not probe :8080\/health\/ready/,
      ],
      ['two replicas on one host port', (d) => (service(d, 'api-2').ports = service(d, 'api-1').ports), /also published by api-1/],
      [
        'a stop grace period shorter than the drain',
        (d) => delete service(d, 'api-1').stop_grace_period,
        /stop_grace_period undefined not above/,
      ],
      ['a GPU service without a GPU', (d) => delete service(d, 'worker-gpu').deploy, /reserves no nvidia GPU/],
      ['a GPU service outside the gpu profile', (d) => delete service(d, 'worker-gpu').profiles, /not under the gpu profile/],
      ['prometheus without its config', (d) => (service(d, 'prometheus').volumes = []), /does not mount \.\/prometheus\.yml/],
      [
        'a Berth service Prometheus does not scrape',
        (d) => d['prometheus.yml'][0].scrape_configs[1].static_configs.pop(),
        /does not scrape worker-gpu:8080/,
      ],
      [
        'a scrape target on the wrong port',
        (d) => (d['prometheus.yml'][0].scrape_configs[0].static_configs[0].targets = ['api-1:9100', 'api-2:8080']),
        /does not scrape api-1:8080/,
      ],
      ['a wrong metrics path', (d) => (d['prometheus.yml'][0].scrape_configs[0].metrics_path = '/prometheus'), /metrics_path \/prometheus/],
    ];
    it.each(cases)('%s', (_name, edit, complaint) => {
      const problems = broken(edit);
      expect(problems.join('\n')).toMatch(complaint);
    });
  });
});
