import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The shared reference fixtures live outside the repository (`../shared/fixtures`, or
 * `BERTH_FIXTURES_DIR`). A public clone has no such folder: tests that need it skip with a
 * printed reason instead of failing, while CI always has it.
 */
export function fixturesRoot(): string {
  return process.env.BERTH_FIXTURES_DIR ?? resolve(__dirname, '..', '..', '..', 'shared', 'fixtures');
}

export function hfTinyDir(model?: string): string {
  const dir = join(fixturesRoot(), 'hf-tiny');
  return model ? join(dir, model) : dir;
}

export const HF_TINY_MODELS = ['bert-seqcls', 'bert-nli', 'bert-ner', 'bert-qa', 'bert-mlm'] as const;
export type HfTinyModel = (typeof HF_TINY_MODELS)[number];

export function haveFixtures(): boolean {
  return existsSync(hfTinyDir());
}

/** `describe` when the fixtures are present, otherwise `describe.skip` with the reason printed once. */
export function describeWithFixtures(name: string, fn: () => void): void {
  if (haveFixtures()) {
    describe(name, fn);
    return;
  }

  console.warn(`skipping "${name}": no fixtures at ${hfTinyDir()} (set BERTH_FIXTURES_DIR)`);
  // The body is not run: suites may read fixture files while they declare their tests.
  describe.skip(name, () => it(`needs the fixtures at ${hfTinyDir()}`, () => undefined));
}

/** The shared datasets (`../shared/data`, or `BERTH_DATA_ROOT`), for development checks only. */
export function sharedDataRoot(): string {
  return process.env.BERTH_SHARED_DATA ?? resolve(__dirname, '..', '..', '..', 'shared', 'data');
}
