import { ParseArgsConfig } from 'node:util';

/** A `berth` subcommand: its options (node:util parseArgs) and what it does. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Usage lines shown by `berth <name> --help` and after a usage error. */
  readonly usage: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  run(args: ParsedArgs): Promise<void> | void;
}

export interface ParsedArgs {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

/** Wrong invocation: printed with the command's usage, exit code 2. */
export class UsageError extends Error {}

/** Writes one line to stdout (commands report what they wrote). */
export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function requireString(args: ParsedArgs, name: string): string {
  const v = args.values[name];
  if (typeof v !== 'string' || v.length === 0) throw new UsageError(`--${name} is required`);
  return v;
}

/** `--name N` as a non-negative safe integer, or `fallback` when it is absent. */
export function optionalCount(args: ParsedArgs, name: string): number | undefined;
export function optionalCount(args: ParsedArgs, name: string, fallback: number): number;
export function optionalCount(args: ParsedArgs, name: string, fallback?: number): number | undefined {
  const v = args.values[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) {
    throw new UsageError(`--${name} must be a non-negative integer, got "${String(v)}"`);
  }
  return Number(v);
}
