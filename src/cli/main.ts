#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { EngineError } from '../engine/errors';
import { Command, UsageError } from './command';
import { COMMANDS } from './commands';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const defaultIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return ['usage: berth <command> [options]', '', 'commands:', ...lines, '', 'berth <command> --help shows its options.', ''].join('\n');
}

/** Runs the CLI and returns the exit code: 0 ok, 1 failed, 2 usage error. */
export async function runCli(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout)(overview());
    return name === undefined ? 2 : 0;
  }
  const command: Command | undefined = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr(`berth: unknown command "${name}"\n\n${overview()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(`usage: ${command.usage}\n`);
    return 0;
  }
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: [...rest], options: command.options, allowPositionals: true, strict: true });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    await command.run({ values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals });
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`berth ${command.name}: ${err.message}\nusage: ${command.usage}\n`);
      return 2;
    }
    if (err instanceof EngineError) {
      io.stderr(`berth: ${err.message}\n`);
      return 1;
    }
    // Not an expected failure: keep the stack, it is a bug report.
    io.stderr(`berth: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

if (require.main === module) {
  void runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
