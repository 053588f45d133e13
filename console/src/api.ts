/**
 * The console's only way to the server: Berth's public HTTP API on the page's own origin, with the
 * key of this tab (sessionStorage) as a Bearer token. Errors keep the server's JSON error shape.
 */

const KEY = 'berth.apiKey';

export function apiKey(): string {
  return sessionStorage.getItem(KEY) ?? '';
}

export function setApiKey(key: string): void {
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
}

/** The server's error body, `{error: {code, message, details}}`, with the HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> | null,
  ) {
    super(message);
  }
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const key = apiKey();
  return key ? { ...extra, authorization: `Bearer ${key}` } : extra;
}

async function failure(res: Response): Promise<ApiError> {
  const body = (await res.json().catch(() => null)) as {
    error?: { code?: string; message?: string; details?: Record<string, unknown> };
  } | null;
  const e = body?.error;
  return new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? res.statusText, e?.details ?? null);
}

/** The timing and version headers every inference answer carries. */
export interface Served<T> {
  body: T;
  headers: Record<string, string>;
}

const SERVED_HEADERS = ['x-model-name', 'x-model-version', 'x-tokenization-time', 'x-queue-time', 'x-inference-time', 'x-total-time'];

export async function call<T>(method: string, path: string, body?: unknown): Promise<Served<T>> {
  const res = await fetch(path, {
    method,
    headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw await failure(res);
  const picked: Record<string, string> = {};
  for (const h of SERVED_HEADERS) {
    const v = res.headers.get(h);
    if (v !== null) picked[h] = v;
  }
  return { body: (await res.json()) as T, headers: picked };
}

export const get = async <T>(path: string): Promise<T> => (await call<T>('GET', path)).body;
export const post = async <T>(path: string, body?: unknown): Promise<T> => (await call<T>('POST', path, body)).body;

/** Multipart upload with progress (fetch cannot report upload progress; XMLHttpRequest can). */
export function upload<T>(path: string, form: FormData, onProgress: (fraction: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    const key = apiKey();
    if (key) xhr.setRequestHeader('authorization', `Bearer ${key}`);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onerror = () => reject(new ApiError(0, 'NETWORK', 'the upload did not reach the server', null));
    xhr.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(body as T);
      const e = (body as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | null)?.error;
      reject(new ApiError(xhr.status, e?.code ?? `HTTP_${xhr.status}`, e?.message ?? xhr.statusText, e?.details ?? null));
    };
    xhr.send(form);
  });
}

/**
 * Reads a server-sent event stream with fetch (EventSource cannot send an Authorization header).
 * Calls `onEvent` with each `data:` payload parsed as JSON until the stream ends or `signal` aborts.
 */
export async function stream(path: string, onEvent: (data: unknown) => void, signal: AbortSignal): Promise<void> {
  const res = await fetch(path, { headers: headers({ accept: 'text/event-stream' }), signal });
  if (!res.ok || !res.body) throw await failure(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      if (data && data !== '[DONE]') onEvent(JSON.parse(data));
    }
  }
}

// ---- the shapes the console reads (a subset of openapi/openapi.json) ----------------------------

export interface WhoAmI {
  auth_enabled: boolean;
  scope: 'admin' | 'inference' | 'none';
  can_infer: boolean;
  can_administer: boolean;
  public_metrics: boolean;
}

export interface ModelVersion {
  version: number;
  source: string;
  created_at: string;
  size_bytes: number;
  metrics?: Record<string, unknown>;
}

export interface Model {
  name: string;
  task: 'text-classification' | 'token-classification' | 'question-answering' | 'fill-mask' | 'feature-extraction';
  nli: boolean;
  architecture: string;
  labels: string[];
  max_sequence_length: number;
  versions: ModelVersion[];
  active_version: number;
  device: string;
  load_time_ms: number;
  fine_tunable: boolean;
  status: 'loading' | 'ready' | 'failed' | 'unloaded';
}

export interface FileObject {
  id: string;
  bytes: number;
  created_at: number;
  filename: string;
  berth: { task: 'classification' | 'ner' | 'qa'; format: string; stats: Record<string, unknown> };
}

export interface TokenLengths {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  histogram: { edges: number[]; counts: number[] };
}

export type JobStatus = 'validating_files' | 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface Job {
  id: string;
  created_at: number;
  finished_at: number | null;
  model: string;
  fine_tuned_model: string | null;
  status: JobStatus;
  training_file: string;
  validation_file: string | null;
  method: { type: string } & Record<string, unknown>;
  error: { code: string; message: string } | null;
  estimated_finish: number | null;
  berth: {
    task?: string;
    auto_activate?: boolean;
    target_model?: string;
    version?: number | null;
    progress?: { step?: number; total_steps?: number; epoch?: number; eta_seconds?: number } | null;
    result?: { metrics?: { epoch?: number; metrics?: Record<string, number | string> }; activated?: boolean; activation?: string } | null;
  };
}

export interface JobEvent {
  id: string;
  created_at: number;
  level: 'info' | 'warn' | 'error';
  message: string;
  type: 'message' | 'metrics';
  data: Record<string, unknown> | null;
}

export interface TrafficSummary {
  window_seconds: number;
  models: { model: string; requests: number; errors: number; requests_per_second: number; p95_seconds: number | null }[];
}

/** Code-point slices: the server's offsets count Unicode code points, not UTF-16 units. */
export function codePointSlices(text: string, spans: { start: number; end: number }[]): { text: string; span?: number }[] {
  const chars = Array.from(text);
  const ordered = spans.map((s, i) => ({ ...s, i })).sort((a, b) => a.start - b.start);
  const out: { text: string; span?: number }[] = [];
  let at = 0;
  for (const s of ordered) {
    if (s.start < at) continue; // overlapping spans: the first one wins
    if (s.start > at) out.push({ text: chars.slice(at, s.start).join('') });
    out.push({ text: chars.slice(s.start, s.end).join(''), span: s.i });
    at = s.end;
  }
  if (at < chars.length) out.push({ text: chars.slice(at).join('') });
  return out;
}
