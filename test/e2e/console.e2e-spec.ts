import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { haveFixtures, hfTinyDir, sharedDataRoot } from '../helpers/fixtures';
import { chromiumPath, ensureConsoleBuilt, guardedContext, launch, screenshot, seriousViolations } from './support/browser';
import { ensureBuilt, ServerProcess, startServer, stopServer } from './support/server-process';

// These run inside the browser (page.evaluate callbacks); the test project has no DOM types.
declare const document: any, window: any, DataTransfer: any, getComputedStyle: any;
/**
 * The console in a real browser (Debian's chromium through playwright-core) against the built
 * server as its own process, with the real engine and the hf-tiny fixture models: the five
 * scenarios of the console's issue. Every request a page makes is recorded; each test ends by
 * checking that all of them went to the server.
 */

const ADMIN = 'admin-key-for-console-tests';
const INFERENCE = 'inference-key-for-console-tests';
const chromium = chromiumPath();
const sst2 = join(sharedDataRoot(), 'sentiment', 'sst2', 'dev.tsv');

const missing = !chromium
  ? 'no chromium binary (apt-get install chromium, or set BERTH_CHROMIUM)'
  : !haveFixtures()
    ? `no fixtures at ${hfTinyDir()}`
    : undefined;
if (missing) console.warn(`skipping the console browser tests: ${missing}`);
const describeInBrowser = missing ? describe.skip : describe;

/** The first `n` SST-2 dev rows as `text,target` CSV, 0/1 written as the fixture model's label names. */
function sst2Slice(n: number): { csv: string; counts: Record<string, number> } {
  const rows = readFileSync(sst2, 'utf8')
    .trim()
    .split('\n')
    .slice(1, n + 1)
    .map((line) => {
      const [text, label] = line.split('\t');
      return { text: text.trim(), label: label.trim() === '1' ? 'positive' : 'negative' };
    });
  const counts: Record<string, number> = {};
  for (const r of rows) counts[r.label] = (counts[r.label] ?? 0) + 1;
  return { csv: ['text,target', ...rows.map((r) => `"${r.text.replace(/"/g, '""')}",${r.label}`)].join('\n') + '\n', counts };
}

describeInBrowser('console in a browser', () => {
  let root: string;
  let server: ServerProcess;
  let browser: Browser;
  let context: BrowserContext;
  let requests: string[];
  let page: Page;
  let jobId = '';

  const api = async (path: string, body?: unknown): Promise<any> => {
    const res = await fetch(`${server.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return res.json();
  };
  const open = (route: string): Promise<unknown> => page.goto(`${server.url}/console#/${route}`);
  const signIn = async (key: string): Promise<void> => {
    await page.goto(`${server.url}/console`);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page
      .getByTestId('scope')
      .filter({ hasText: key === ADMIN ? 'admin key' : 'inference key' })
      .waitFor();
  };
  const expectAccessible = async (name: string): Promise<void> => {
    expect({ page: name, violations: await seriousViolations(page) }).toEqual({ page: name, violations: [] });
  };

  beforeAll(async () => {
    ensureBuilt();
    ensureConsoleBuilt();
    root = mkdtempSync(join(tmpdir(), 'berth-console-'));
    mkdirSync(join(root, 'models'));
    cpSync(hfTinyDir('bert-seqcls'), join(root, 'models', 'sentiment'), { recursive: true });
    cpSync(hfTinyDir('bert-ner'), join(root, 'models', 'ner'), { recursive: true });
    cpSync(hfTinyDir('bert-qa'), join(root, 'models', 'qa'), { recursive: true });
    cpSync(hfTinyDir('bert-nli'), join(root, 'models', 'nli'), { recursive: true });
    cpSync(hfTinyDir('bert-mlm'), join(root, 'models', 'mlm'), { recursive: true });
    // A bare encoder for embeddings: the masked-LM fixture's weights read as a BertModel (built at load).
    mkdirSync(join(root, 'models', 'encoder'));
    for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'model.safetensors'])
      cpSync(join(hfTinyDir('bert-mlm'), f), join(root, 'models', 'encoder', f));
    const mlmConfig = JSON.parse(readFileSync(join(hfTinyDir('bert-mlm'), 'config.json'), 'utf8'));
    writeFileSync(join(root, 'models', 'encoder', 'config.json'), JSON.stringify({ ...mlmConfig, architectures: ['BertModel'] }));
    server = await startServer(join(root, 'models'), join(root, 'data'), { BERTH_API_KEYS: INFERENCE, BERTH_ADMIN_KEYS: ADMIN });
    browser = await launch(chromium!);
  });
  beforeEach(async () => {
    ({ context, requests } = await guardedContext(browser, server.url));
    page = await context.newPage();
  });
  afterEach(async () => {
    // No request left the machine: every one went to the server under test.
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((url) => !url.startsWith(`${server.url}/`))).toEqual([]);
    await context.close();
  });
  afterAll(async () => {
    await browser?.close();
    await stopServer(server);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('uploads an SST-2 slice, trains a LoRA job with a live loss chart, promotes it, and the playground answers with the new version', async () => {
    const { csv, counts } = sst2Slice(200);
    const file = join(root, 'sst2-slice.csv');
    writeFileSync(file, csv);
    await signIn(ADMIN);

    await open('datasets');
    await page.getByLabel('Drop a file here, or choose one').setInputFiles(file);
    await page.getByLabel('Measure token lengths with').selectOption('sentiment');
    await page.getByRole('button', { name: 'Upload and validate' }).click();
    await expect(page.getByTestId('row-count').textContent()).resolves.toBe('200');
    const distribution = page.getByTestId('label-distribution');
    for (const [label, n] of Object.entries(counts))
      await distribution
        .locator('li', { hasText: label })
        .filter({ hasText: `${n} (` })
        .waitFor();
    await page.locator('[data-testid="length-histogram"]:not([data-points="0"])').waitFor();
    await screenshot(page, 'datasets');

    await open('jobs/new');
    await page.getByLabel('Base model').selectOption('sentiment');
    const uploaded = (await api('/v1/files')).data.find((f: any) => f.filename === 'sst2-slice.csv');
    await page.getByLabel('Training file').selectOption(uploaded.id);
    await page.getByLabel('Epochs').fill('2');
    await page.getByLabel('Learning rate').fill('0.001');
    await page.getByRole('button', { name: 'Start the job' }).click();
    await page.waitForURL(/#\/jobs\/ftjob-/);
    jobId = page.url().split('/').pop()!;

    // The loss curve gets points while the job runs, and the status reaches succeeded.
    await page.locator('[data-testid="loss-chart"]:not([data-points="0"])').waitFor({ timeout: 90_000 });
    await page.locator('[data-testid="job-status"][data-status="succeeded"]').waitFor({ timeout: 120_000 });
    await page.locator('[data-testid="validation-chart"]:not([data-points="0"])').waitFor();
    const points = Number(await page.getByTestId('loss-chart').getAttribute('data-points'));
    const stored = (await api(`/v1/fine_tuning/jobs/${jobId}/events?limit=1000`)).data.filter(
      (e: any) => typeof e.data?.train_loss === 'number',
    );
    expect(points).toBe(stored.length);
    // After a reload the charts come back from the stored events.
    await page.reload();
    await page.locator(`[data-testid="loss-chart"][data-points="${points}"]`).waitFor();
    await screenshot(page, 'job');

    const job = await api(`/v1/fine_tuning/jobs/${jobId}`);
    expect(job.berth.version).toBe(2);
    await page.getByRole('button', { name: 'Promote v2' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
    await page.getByTestId('promoted').waitFor();
    expect((await api('/v1/models/sentiment')).active_version).toBe(2);

    await open('playground/classify/sentiment');
    await page.getByRole('button', { name: 'Classify' }).click();
    await page.getByTestId('classify-result').waitFor();
    await expect(page.getByTestId('served-model-version').textContent()).resolves.toBe('2');
    await expect(page.getByTestId('served-model-name').textContent()).resolves.toBe('sentiment');
    await screenshot(page, 'playground-classify');

    // The models page shows the server's own one-minute traffic figures for the model just used.
    await open('models');
    const traffic = page.getByTestId('traffic-sentiment');
    await traffic.filter({ hasNotText: ' 0.00 req/s' }).waitFor();
    const summary = (await api('/metrics/summary')).models.find((m: any) => m.model === 'sentiment');
    expect(summary.requests).toBeGreaterThan(0);
    await expect(traffic.textContent()).resolves.toMatch(/Last 60 s: \d+\.\d\d req\/s · p95 \d+\.\d ms/);
  }, 240_000);

  it('shows the line number and the problem of a file with a bad line, dropped on the page', async () => {
    await signIn(ADMIN);
    await open('datasets');
    const bad = 'text,target\ngood film,positive\nbad film,negative\nno label on this line,\nfine,positive\n';
    // A real drop: a DataTransfer holding the file, dispatched on the drop zone.
    const dataTransfer = await page.evaluateHandle((content) => {
      const dt = new DataTransfer();
      dt.items.add(new File([content], 'bad.csv', { type: 'text/csv' }));
      return dt;
    }, bad);
    await page.getByTestId('dropzone').dispatchEvent('drop', { dataTransfer });
    await page.getByText('bad.csv ·').waitFor();
    await page.getByRole('button', { name: 'Upload and validate' }).click();
    await page.getByTestId('validation-error').waitFor();
    await expect(page.getByRole('heading', { name: 'Line 4' }).isVisible()).resolves.toBe(true);
    await expect(page.getByTestId('bad-line').textContent()).resolves.toBe('no label on this line,');
    await expect(page.getByTestId('bad-problem').textContent()).resolves.toContain('label is empty');
    await expect(page.locator('tr.bad th').textContent()).resolves.toBe('4');
    await screenshot(page, 'datasets-bad-line');
    await expectAccessible('datasets with a validation error');
  });

  it('highlights the character spans of the NER and QA answers of the fixture models', async () => {
    await signIn(INFERENCE);
    // An emoji first: the server counts code points, so UTF-16 offsets would shift every span by one.
    const text = '🙂 Angela Merkel met the president of France in Paris.';
    const chars = Array.from(text);
    const entities = (await api('/v1/ner', { model: 'ner', inputs: text, aggregation_strategy: 'first' })).results[0];
    expect(entities.length).toBeGreaterThan(0);
    await open('playground/ner/ner');
    await page.getByLabel('Text').fill(text);
    await page.getByLabel('Aggregation strategy').selectOption('first');
    await page.getByRole('button', { name: 'Find entities' }).click();
    await page.getByTestId('ner-result').waitFor();
    const marks = await page.locator('[data-testid="ner-result"] mark').evaluateAll((ms) =>
      ms.map((m) => ({
        start: Number(m.getAttribute('data-start')),
        end: Number(m.getAttribute('data-end')),
        text: m.firstChild!.textContent,
        type: m.getAttribute('data-type'),
        colour: getComputedStyle(m).backgroundColor,
      })),
    );
    expect(marks.map(({ start, end, text, type }) => ({ start, end, text, type }))).toEqual(
      entities.map((e: any) => ({ start: e.start, end: e.end, text: chars.slice(e.start, e.end).join(''), type: e.entity_group })),
    );
    // One colour per type: equal types share a colour, different types do not.
    for (const a of marks) for (const b of marks) expect(a.colour === b.colour).toBe(a.type === b.type);
    await screenshot(page, 'playground-ner');
    await expectAccessible('NER playground');

    const context = 'Zürich 🏔 is where the treaty was signed in 1815 by the four great powers.';
    const question = 'Where was the treaty signed?';
    const [best] = (await api('/v1/qa', { model: 'qa', inputs: { question, context }, top_k: 3 })).results[0];
    await open('playground/qa/qa');
    await page.getByLabel('Question', { exact: true }).fill(question);
    await page.getByLabel('Context', { exact: true }).fill(context);
    await page.getByRole('button', { name: 'Answer' }).click();
    const mark = page.locator('[data-testid="qa-result"] mark');
    await mark.waitFor();
    await expect(
      mark.evaluate((m) => [Number(m.getAttribute('data-start')), Number(m.getAttribute('data-end')), m.firstChild!.textContent]),
    ).resolves.toEqual([best.start, best.end, Array.from(context).slice(best.start, best.end).join('')]);
    await screenshot(page, 'playground-qa');
  });

  it('answers NLI, zero-shot with edited labels, fill-mask and embeddings as the API does', async () => {
    await signIn(INFERENCE);
    const bars = () =>
      page
        .locator('.bars li')
        .evaluateAll((items) =>
          items.map((li) => [li.querySelector('.bar-label')!.textContent, li.querySelector('.bar-value')!.textContent]),
        );
    const asBars = (items: { label: string; score: number }[]) => items.map((i) => [i.label, i.score.toFixed(4)]);

    const premise = 'A woman is reading a book in the park.';
    const hypothesis = 'A person is reading.';
    const nli = (await api('/v1/nli', { model: 'nli', inputs: { premise, hypothesis } })).results[0].labels;
    await open('playground/nli/nli');
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.locator('.bars').waitFor();
    await expect(bars()).resolves.toEqual(asBars(nli));

    const text = 'The team scored twice in the second half and won the match.';
    const zs = (
      await api('/v1/zero-shot', {
        model: 'nli',
        inputs: text,
        candidate_labels: ['sports', 'politics', 'weather'],
        hypothesis_template: 'This text is about {}.',
      })
    ).results[0];
    await open('playground/zero-shot/nli');
    await page.getByRole('button', { name: 'Remove label cooking' }).click();
    await page.getByLabel('Add a label').fill('weather');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByLabel(/Hypothesis template/).fill('This text is about {}.');
    await page.getByRole('button', { name: 'Classify' }).click();
    await page.locator('.bars').waitFor();
    await expect(bars()).resolves.toEqual(asBars(zs.labels.map((label: string, i: number) => ({ label, score: zs.scores[i] }))));
    await screenshot(page, 'playground-zero-shot-edited');

    const masked = 'Paris is the [MASK] of France.';
    const candidates = (await api('/v1/fill-mask', { model: 'mlm', inputs: masked, top_k: 5 })).results[0];
    await open('playground/fill-mask/mlm');
    await page.getByRole('button', { name: 'Fill the mask' }).click();
    await page.getByTestId('fill-mask-result').waitFor();
    await expect(bars()).resolves.toEqual(asBars(candidates.map((c: any) => ({ label: c.token_str, score: c.score }))));

    const sentences = [
      'The cat sat on the mat.',
      'A kitten is sitting on a rug.',
      'Stock markets fell sharply today.',
      'Shares dropped on the exchange.',
    ];
    const vectors: number[][] = (
      await api('/v1/embeddings', { model: 'encoder', inputs: sentences, pooling: 'mean', normalize: true })
    ).results.map((r: any) => r.embedding);
    const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
    await open('playground/embeddings/encoder');
    await page.getByRole('button', { name: 'Compare sentences' }).click();
    await page.getByTestId('embeddings-result').waitFor();
    const cells = await page
      .locator('.heatmap tbody tr')
      .evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));
    expect(cells).toEqual(vectors.map((a) => vectors.map((b) => cosine(a, b).toFixed(2))));
    await expect(page.getByTestId('served-model-name').textContent()).resolves.toBe('encoder');
    await screenshot(page, 'playground-embeddings');
  });

  it('lets an inference key try models but not start a job, and an admin key start (and cancel) one', async () => {
    await signIn(INFERENCE);
    await open('jobs/new');
    await page.getByTestId('job-denied').waitFor();
    await expect(page.getByTestId('start-job').isDisabled()).resolves.toBe(true);
    await open('models');
    await page.getByTestId('model-sentiment').waitFor();
    await expect(page.getByRole('button', { name: 'Unload' }).first().isDisabled()).resolves.toBe(true);
    expect(requests.filter((url) => url.includes('/v1/fine_tuning/jobs'))).toEqual([]);
    await screenshot(page, 'models-inference-key');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(ADMIN);
    const before = (await api('/v1/fine_tuning/jobs')).data.length;
    const fileId = (await api('/v1/files')).data[0].id;
    await open('jobs/new');
    await page.getByLabel('Base model').selectOption('sentiment');
    await page.getByLabel('Training file').selectOption(fileId);
    await page.getByLabel('Epochs').fill('0');
    await page.getByRole('button', { name: 'Start the job' }).click();
    // Refused before sending: the value is out of range and nothing reached the server.
    await page.getByText('Epochs must be at least 1').first().waitFor();
    expect((await api('/v1/fine_tuning/jobs')).data.length).toBe(before);
    await page.getByLabel('Epochs').fill('20');
    await page.getByRole('button', { name: 'Start the job' }).click();
    await page.waitForURL(/#\/jobs\/ftjob-/);
    await page.getByRole('button', { name: 'Cancel the job' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
    await page.locator('[data-testid="job-status"][data-status="cancelled"]').waitFor({ timeout: 30_000 });
    expect((await api('/v1/fine_tuning/jobs')).data.length).toBe(before + 1);

    // Unload and load a model, each confirmed, with the server's answer shown.
    await open('models');
    const card = page.getByTestId('model-qa');
    await card.getByRole('button', { name: 'Unload' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
    await page.getByTestId('model-answer').filter({ hasText: 'Unload qa: done' }).waitFor();
    await card.locator('.badge.status-unloaded').waitFor();
    expect((await api('/v1/models/qa')).status).toBe('unloaded');
    await card.getByRole('button', { name: 'Load' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
    await page.getByTestId('model-answer').filter({ hasText: 'Load qa: done' }).waitFor();
    expect((await api('/v1/models/qa')).status).toBe('ready');
  });

  it('finds no serious or critical accessibility violations on any page (axe-core)', async () => {
    await page.goto(`${server.url}/console`);
    await page.getByLabel('API key').waitFor();
    await screenshot(page, 'sign-in');
    await expectAccessible('sign-in');
    await signIn(ADMIN);
    const pages: [string, string, string][] = [
      ['models', 'models', '[data-testid="model-sentiment"]'],
      ['playground/classify', 'playground', '#classify-text'],
      ['playground/zero-shot', 'playground-zero-shot', '#zs-text'],
      ['datasets', 'datasets-list', '#files-title'],
      ['jobs', 'jobs', '[data-testid="jobs-table"] tbody tr'],
      ['jobs/new', 'job-form', '#job-model'],
      [`jobs/${jobId}`, 'job-page', '[data-testid="job-status"]'],
    ];
    for (const [route, name, ready] of pages) {
      await open(route);
      await page.locator(ready).first().waitFor();
      await screenshot(page, name);
      await expectAccessible(name);
    }
    // Status filters: with succeeded and cancelled hidden, none of this run's jobs is listed.
    await open('jobs');
    const rows = page.locator('[data-testid="jobs-table"] tbody tr');
    await rows.first().waitFor();
    const statuses = (await api('/v1/fine_tuning/jobs')).data.map((j: any) => j.status);
    await expect(rows.count()).resolves.toBe(statuses.length);
    await page.getByLabel('succeeded').uncheck();
    await expect(rows.count()).resolves.toBe(statuses.filter((s: string) => s !== 'succeeded').length);
    await page.getByLabel('cancelled').uncheck();
    await expect(rows.count()).resolves.toBe(statuses.filter((s: string) => s !== 'succeeded' && s !== 'cancelled').length);

    // The keyboard alone reaches a playground tab and runs it.
    await open('models');
    await page.getByTestId('model-sentiment').waitFor();
    // From the first focusable element, the skip link (the page moves focus to its content after each navigation).
    await page.locator('a.skip').focus();
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      if ((await page.evaluate(() => document.activeElement?.textContent)) === 'Playground') break;
    }
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Playground', level: 1 }).waitFor();
    expect(page.url()).toMatch(/#\/playground$/);
    // The page moves focus to <main> in an effect after the navigation renders: wait for it, or it
    // can land after the focus below and take it away.
    await page.waitForFunction(() => document.activeElement?.id === 'main');
    await page.locator('#classify-text').focus();
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Classify');
    await page.keyboard.press('Enter');
    await page.getByTestId('classify-result').waitFor();

    // A phone-sized window: the playground still reads (no horizontal scrolling of the page).
    await page.setViewportSize({ width: 390, height: 844 });
    await open('playground/classify');
    await page.getByRole('button', { name: 'Classify' }).click();
    await page.getByTestId('classify-result').waitFor();
    await expect(page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).resolves.toBe(true);
    await screenshot(page, 'playground-phone');
  });
});
