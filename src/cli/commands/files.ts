import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import { Command, ParsedArgs, UsageError, say } from '../command';
import { apiClient, CONNECTION_OPTIONS, CONNECTION_USAGE } from './api-client';

interface FileObject {
  id: string;
  filename: string;
  bytes: number;
  created_at: number;
  berth?: { task: string; format: string; stats: Record<string, unknown> };
}

const USAGE = [
  `berth files upload <path> [--task classification|ner|qa] [--model <name>] ${CONNECTION_USAGE}`,
  `berth files list|get <id>|delete <id> ${CONNECTION_USAGE}`,
].join('\n');

function describe(f: FileObject): string {
  const stats = f.berth?.stats ?? {};
  return `${f.id}  ${f.filename}  ${f.bytes} bytes  ${f.berth?.task ?? '?'}/${f.berth?.format ?? '?'}  ${String(stats.rows ?? '?')} rows`;
}

/** `berth files …`: upload and manage datasets on a running server. */
export const filesCommand: Command = {
  name: 'files',
  summary: 'upload, list, inspect and delete fine-tuning datasets on a running server',
  usage: USAGE,
  options: { ...CONNECTION_OPTIONS, task: { type: 'string' }, model: { type: 'string' } },
  async run(args: ParsedArgs) {
    const [action, target, ...extra] = args.positionals;
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    const api = apiClient(args);
    const json = args.values.json === true;
    const show = (f: FileObject): void => say(json ? JSON.stringify(f, null, 2) : describe(f));
    switch (action) {
      case 'upload': {
        if (!target) throw new UsageError('upload needs the path of a file');
        const form = new FormData();
        form.set('purpose', 'fine-tune');
        if (typeof args.values.task === 'string') form.set('task', args.values.task);
        if (typeof args.values.model === 'string') form.set('model', args.values.model);
        // Streamed from disk by the Blob, never read whole into memory.
        form.set('file', await openAsBlob(target), basename(target));
        show(await api.upload<FileObject>('/v1/files', form));
        return;
      }
      case 'list': {
        const list = await api.request<{ data: FileObject[] }>('GET', '/v1/files');
        if (json) say(JSON.stringify(list, null, 2));
        else list.data.forEach((f) => say(describe(f)));
        return;
      }
      case 'get':
        if (!target) throw new UsageError('get needs a file id');
        show(await api.request<FileObject>('GET', `/v1/files/${encodeURIComponent(target)}`));
        return;
      case 'delete':
        if (!target) throw new UsageError('delete needs a file id');
        await api.request('DELETE', `/v1/files/${encodeURIComponent(target)}`);
        say(`deleted ${target}`);
        return;
      default:
        throw new UsageError(action ? `unknown action "${action}"` : 'say what to do: upload, list, get or delete');
    }
  },
};
