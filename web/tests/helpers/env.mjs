// Paths, the front-end build and the browser, shared by the browser tests.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const webDir = resolve(here, '../..');
export const repoRoot = resolve(webDir, '..');
export const distDir = resolve(webDir, 'dist');
export const outDir = resolve(webDir, 'tests/out');
export const chromiumPath = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

mkdirSync(outDir, { recursive: true });

let built = false;
/** Runs scripts/web.sh (quick when dist is current) so the tests serve the current sources. */
export function buildWeb() {
  if (built) return;
  execFileSync(resolve(repoRoot, 'scripts/web.sh'), { stdio: ['ignore', 'pipe', 'inherit'] });
  built = true;
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Collects page errors and console errors, to print when a test fails. */
export function watchPage(page, label, sink) {
  page.on('pageerror', (e) => sink.push(`[${label}] pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') sink.push(`[${label}] console.${m.type()}: ${m.text()}`);
  });
  page.on('requestfailed', (r) => sink.push(`[${label}] requestfailed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) sink.push(`[${label}] HTTP ${r.status()} ${r.request().method()} ${r.url()}`);
  });
}
