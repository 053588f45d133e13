/**
 * scripts/build-default-models.sh, read through its dry run (BERTH_DRY_RUN=1 prints each step's
 * command instead of running it): the stages a whole build runs, in order, and the commands they
 * would run. No model is trained here; the commands are the ones a real build runs.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(__dirname, '..', '..');

describe('build-default-models.sh (dry run)', () => {
  let dir: string;
  let lines: string[];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-build-dry-'));
    mkdirSync(join(dir, 'data'));
    const out = execFileSync('bash', [join(REPO, 'scripts', 'build-default-models.sh')], {
      cwd: REPO,
      encoding: 'utf8',
      env: {
        ...process.env,
        BERTH_DRY_RUN: '1',
        BERTH_BUILD_DIR: join(dir, 'build'),
        BERTH_MODELS_DIR: join(dir, 'models'),
        BERTH_SHARED_DATA: join(dir, 'data'),
      },
    });
    // "HH:MM:SS would run <step>: <command>" → "<step>: <command>"
    lines = out
      .split('\n')
      .filter((l) => l.includes(' would '))
      .map((l) => l.replace(/^\S+ would (run )?/, ''));
  }, 60_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const index = (prefix: string): number => {
    const i = lines.findIndex((l) => l.startsWith(prefix));
    if (i < 0) throw new Error(`no "${prefix}" step in the dry run:\n${lines.join('\n')}`);
    return i;
  };
  const command = (step: string): string => lines[index(`${step}: `)].slice(step.length + 2);

  it('a whole build ends by measuring the learning-curve table, after the models and the student are packaged', () => {
    const curve = index('curve: ');
    expect(index('package sentiment nli ner qa')).toBeLessThan(curve);
    expect(index('package berth-mini-sentiment-distilled')).toBeLessThan(curve);
    expect(curve).toBe(lines.length - 1);
  });

  it("the table is measured on the build's own encoders and their random initialisations, and written into the README", () => {
    const build = join(dir, 'build');
    const args = command('curve');
    expect(args).toContain('scripts/defaults/learning-curve.ts ');
    expect(args).toContain(`--pretrained ${build}/pretrain/model --random ${build}/init`);
    expect(args).toContain(`--pretrained-cased ${build}/cased/pretrain/model --random-cased ${build}/cased/init`);
    expect(args).toContain('--fractions 0.01,0.1 --seeds 42,1,2');
    expect(args).toContain(`--results ${build}/curve/results.json`);
    expect(args).toContain(`--models ${dir}/models`);
    expect(args).toMatch(/--write$/);
  });

  it('(a) and (b) of every task get the same budget: their commands differ only in the start and the output', () => {
    const runs: Array<[string, string]> = [
      ['sentiment-pretrained', 'sentiment-random'],
      ['nli-pretrained', 'nli-random'],
      ['ner-pretrained', 'ner-random'],
      ['qa-pretrained', 'qa-random'],
      ['ner-cased', 'ner-random-cased'],
    ];
    for (const [a, b] of runs) {
      const normalise = (name: string): string =>
        command(`train-${name}`).replace(`${dir}/build/heads/${name} `, '<head> ').replace(`${dir}/build/ft/${name} `, '<out> ');
      expect(normalise(a)).toContain('--model <head> ');
      expect(normalise(a)).toBe(normalise(b));
    }
  });
});
