import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';

// These run inside the browser (page.evaluate callbacks); the test project has no DOM types.
declare const document: any, window: any;
/**
 * The browser side of the console tests: Debian's chromium driven by playwright-core (Playwright's
 * own browser download is not reachable here), the console's bundle built when stale, a guard that
 * records every request a page makes, axe-core scans and screenshots.
 */

const ROOT = resolve(__dirname, '..', '..', '..');
export const SCREENSHOTS = join(ROOT, 'test-output', 'console');

/** The system Chromium (BERTH_CHROMIUM, or where Debian and others install it); undefined when none. */
export function chromiumPath(): string | undefined {
  const candidates = [
    process.env.BERTH_CHROMIUM,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
  ];
  return candidates.find((p): p is string => !!p && existsSync(p));
}

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true }))
    t = Math.max(t, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs);
  return t;
}

/** Bundles the console into dist/console when it is missing or older than console/ (as `npm run build` does). */
export function ensureConsoleBuilt(): void {
  const index = join(ROOT, 'dist', 'console', 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newest(join(ROOT, 'console'))) return;
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-console.js')], { cwd: ROOT, stdio: 'inherit' });
}

export async function launch(executablePath: string): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/**
 * A browser context whose every request is recorded; any request that is not to `origin` is
 * aborted (and stays in the record, so a test can assert none was attempted).
 */
export async function guardedContext(
  browser: Browser,
  origin: string,
  viewport = { width: 1280, height: 900 },
): Promise<{ context: BrowserContext; requests: string[] }> {
  const context = await browser.newContext({ viewport });
  const requests: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    requests.push(url);
    return url.startsWith(`${origin}/`) || url.startsWith('data:') ? route.continue() : route.abort();
  });
  return { context, requests };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeFinding {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/** axe-core's serious and critical violations on the page as it is now (WCAG 2.x A and AA rules). */
export async function seriousViolations(page: Page): Promise<AxeFinding[]> {
  // Evaluated through the DevTools protocol: the console's Content-Security-Policy forbids inline scripts.
  await page.evaluate(AXE);
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: any[] }> } }).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n: any) => String(n.target)) }));
  });
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
