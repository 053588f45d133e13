import { Command, ParsedArgs, UsageError, say } from '../command';
import { apiClient, CONNECTION_OPTIONS, CONNECTION_USAGE } from './api-client';

interface JobObject {
  id: string;
  status: string;
  model: string;
  fine_tuned_model: string | null;
  created_at: number;
  error: { message: string } | null;
  method: { type: string };
  berth?: { version: number | null; progress: Record<string, unknown> | null };
}

interface EventObject {
  created_at: number;
  level: string;
  message: string;
}

const USAGE = [
  `berth jobs create --model <base> --training-file <file-id> [--validation-file <file-id>] [--method full|lora|adapter|head|prompt]`,
  `  [--epochs N] [--batch-size N] [--learning-rate X] [--suffix S] [--seed N] [--auto-activate] ${CONNECTION_USAGE}`,
  `berth jobs list|get <id>|cancel <id>|events <id> [--follow] ${CONNECTION_USAGE}`,
].join('\n');

function describe(j: JobObject): string {
  const progress = j.berth?.progress;
  const step = progress && typeof progress.step === 'number' ? `  step ${progress.step}/${String(progress.total_steps)}` : '';
  const result = j.fine_tuned_model ? `  → ${j.fine_tuned_model} v${j.berth?.version ?? '?'}` : '';
  const error = j.error ? `  error: ${j.error.message}` : '';
  return `${j.id}  ${j.status}  ${j.method.type} on ${j.model}${step}${result}${error}`;
}

function numberOption(args: ParsedArgs, name: string): number | undefined {
  const v = args.values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (String(v).trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${String(v)}"`);
  return n;
}

const eventLine = (e: EventObject): string => `${new Date(e.created_at * 1000).toISOString()}  ${e.level.padEnd(5)}  ${e.message}`;

/** `berth jobs …`: fine-tuning jobs on a running server. */
export const jobsCommand: Command = {
  name: 'jobs',
  summary: 'create, list, inspect, cancel and follow fine-tuning jobs on a running server',
  usage: USAGE,
  options: {
    ...CONNECTION_OPTIONS,
    model: { type: 'string' },
    'training-file': { type: 'string' },
    'validation-file': { type: 'string' },
    method: { type: 'string' },
    epochs: { type: 'string' },
    'batch-size': { type: 'string' },
    'learning-rate': { type: 'string' },
    suffix: { type: 'string' },
    seed: { type: 'string' },
    'auto-activate': { type: 'boolean' },
    follow: { type: 'boolean' },
  },
  async run(args: ParsedArgs) {
    const [action, id, ...extra] = args.positionals;
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    const api = apiClient(args);
    const json = args.values.json === true;
    const show = (j: JobObject): void => say(json ? JSON.stringify(j, null, 2) : describe(j));
    const needId = (): string => {
      if (!id) throw new UsageError(`${action} needs a job id`);
      return encodeURIComponent(id);
    };
    switch (action) {
      case 'create': {
        const model = args.values.model;
        const training = args.values['training-file'];
        if (typeof model !== 'string' || typeof training !== 'string') throw new UsageError('create needs --model and --training-file');
        const type = typeof args.values.method === 'string' ? args.values.method : 'full';
        const hyperparameters = Object.fromEntries(
          Object.entries({
            n_epochs: numberOption(args, 'epochs'),
            batch_size: numberOption(args, 'batch-size'),
            learning_rate: numberOption(args, 'learning-rate'),
          }).filter(([, v]) => v !== undefined),
        );
        const body = {
          model,
          training_file: training,
          ...(typeof args.values['validation-file'] === 'string' ? { validation_file: args.values['validation-file'] } : {}),
          method: { type, [type]: { hyperparameters } },
          ...(typeof args.values.suffix === 'string' ? { suffix: args.values.suffix } : {}),
          ...(args.values.seed !== undefined ? { seed: numberOption(args, 'seed') } : {}),
          ...(args.values['auto-activate'] === true ? { auto_activate: true } : {}),
        };
        show(await api.request<JobObject>('POST', '/v1/fine_tuning/jobs', body));
        return;
      }
      case 'list': {
        const list = await api.request<{ data: JobObject[] }>('GET', '/v1/fine_tuning/jobs?limit=100');
        if (json) say(JSON.stringify(list, null, 2));
        else list.data.forEach((j) => say(describe(j)));
        return;
      }
      case 'get':
        show(await api.request<JobObject>('GET', `/v1/fine_tuning/jobs/${needId()}`));
        return;
      case 'cancel':
        show(await api.request<JobObject>('POST', `/v1/fine_tuning/jobs/${needId()}/cancel`));
        return;
      case 'events': {
        const path = `/v1/fine_tuning/jobs/${needId()}/events`;
        if (args.values.follow === true) {
          await api.stream(`${path}?stream=true`, (data) => {
            if (data === '[DONE]') return;
            const e = JSON.parse(data) as EventObject;
            say(json ? data : eventLine(e));
          });
          return;
        }
        const list = await api.request<{ data: EventObject[] }>('GET', `${path}?limit=1000`);
        if (json) say(JSON.stringify(list, null, 2));
        else [...list.data].reverse().forEach((e) => say(eventLine(e)));
        return;
      }
      default:
        throw new UsageError(action ? `unknown action "${action}"` : 'say what to do: create, list, get, cancel or events');
    }
  },
};
