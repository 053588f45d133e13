import { EngineError } from '../../engine/errors';
import { ParsedArgs } from '../command';

/** Connection options shared by the commands that talk to a running server. */
export const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  'api-key': { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const CONNECTION_USAGE = '[--url <server> (BERTH_URL, default http://localhost:8080)] [--api-key <key> (BERTH_API_KEY)] [--json]';

/** A request the server refused: its SPEC error code and message. */
export class ApiError extends EngineError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
  ) {
    super(code, `${message} (HTTP ${status} ${code})`);
  }
}

export interface ApiClient {
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
  upload<T>(path: string, form: FormData): Promise<T>;
  stream(path: string, onData: (data: string) => void): Promise<void>;
}

export function apiClient(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): ApiClient {
  const base = String(args.values.url ?? env.BERTH_URL ?? 'http://localhost:8080').replace(/\/+$/, '');
  const key = (args.values['api-key'] as string | undefined) ?? env.BERTH_API_KEY;
  const headers = (extra: Record<string, string> = {}): Record<string, string> => ({
    ...(key ? { authorization: `Bearer ${key}` } : {}),
    ...extra,
  });
  const send = async (
    method: string,
    path: string,
    init: { body?: string | FormData; headers?: Record<string, string> },
  ): Promise<Response> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { method, body: init.body, headers: headers(init.headers) });
    } catch (e) {
      throw new EngineError('SERVER_UNREACHABLE', `cannot reach ${base}: ${(e as Error).message}`);
    }
    if (!res.ok) {
      const text = await res.text();
      let parsed: { error?: { code?: string; message?: string } } = {};
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {
        // Not a Berth error body (a proxy's page, say): show it as it is.
      }
      throw new ApiError(res.status, parsed.error?.code ?? 'HTTP_ERROR', parsed.error?.message ?? text.slice(0, 500));
    }
    return res;
  };
  return {
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      const res = await send(
        method,
        path,
        body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } },
      );
      return (await res.json()) as T;
    },
    async upload<T>(path: string, form: FormData): Promise<T> {
      return (await (await send('POST', path, { body: form })).json()) as T;
    },
    async stream(path: string, onData: (data: string) => void): Promise<void> {
      const res = await send('GET', path, { headers: { accept: 'text/event-stream' } });
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame.split('\n').find((l) => l.startsWith('data: '));
          if (data) onData(data.slice(6));
        }
      }
    },
  };
}
