import { EngineError } from '../../engine/errors';
import { Command, ParsedArgs, UsageError, say } from '../command';

const USAGE = 'berth db migrate [--database-url postgres://…]   (default: $BERTH_DATABASE_URL)';

/**
 * `berth db migrate`: brings fleet mode's PostgreSQL schema up to date, as every server does at
 * boot, for operators who migrate before rolling out (a Kubernetes job, a compose one-off).
 */
export const dbCommand: Command = {
  name: 'db',
  summary: "migrate fleet mode's PostgreSQL database (BERTH_DATABASE_URL)",
  usage: USAGE,
  options: { 'database-url': { type: 'string' } },
  async run(args: ParsedArgs) {
    const [action, ...extra] = args.positionals;
    if (action !== 'migrate') throw new UsageError(action ? `unknown action "${action}"` : 'say what to do: migrate');
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    // Loaded here: the other commands never need the PostgreSQL driver.
    const { migrateDatabase, redactUrl } = await import('../../store/postgres');
    const option = args.values['database-url'];
    const url = typeof option === 'string' && option !== '' ? option : process.env.BERTH_DATABASE_URL;
    if (!url) throw new UsageError('no database: pass --database-url or set BERTH_DATABASE_URL');
    if (!/^postgres(ql)?:\/\//.test(url)) throw new UsageError(`the database URL must start with postgres:// (got ${redactUrl(url)})`);
    let run;
    try {
      run = await migrateDatabase(url);
    } catch (error) {
      // The store's errors already say which database and what went wrong: one line, no stack.
      throw new EngineError('DATABASE_UNAVAILABLE', (error as Error).message);
    }
    say(
      run.applied.length > 0
        ? `${redactUrl(url)}: applied migration${run.applied.length > 1 ? 's' : ''} ${run.applied.join(', ')}; schema version ${run.version}`
        : `${redactUrl(url)}: schema version ${run.version}, up to date`,
    );
  },
};
