// The embeddable widget on a foreign host page: opens, sends, receives, and leaves the page alone.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildWeb, launchBrowser, outDir, watchPage } from './helpers/env.mjs';
import { startBottega } from './helpers/server.mjs';
import { serveHostPage } from './helpers/host.mjs';

let server;
let browser;
let host;
let hostOrigin;
const logs = [];

function hostPage(withWidget) {
  const tag = withWidget
    ? `<script src="${server.origin}/widget.js" data-channel="${server.channelId}" async></script>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Host shop</title>
<style>
  * { letter-spacing: 2px; }
  body { font-family: Georgia, serif; color: rgb(10, 20, 30); background: rgb(250, 240, 230); margin: 8px; }
  h1 { font-size: 40px; color: rgb(0, 0, 128); }
  p.lead { color: rgb(120, 10, 10); line-height: 30px; }
  button { background: rgb(255, 0, 0); color: rgb(255, 255, 0); font-size: 22px; border-radius: 0; }
  textarea { font-family: monospace; background: rgb(0, 0, 0); }
  section, header, ol, li { margin: 40px; padding: 40px; }
</style></head>
<body><h1>Host shop</h1><p class="lead">Handmade things.</p><button id="host-button">Buy now</button>
${tag}
</body></html>`;
}

before(async () => {
  buildWeb();
  server = await startBottega('widget');
  browser = await launchBrowser();
  host = await serveHostPage((url) => hostPage(!url.includes('nowidget')));
  hostOrigin = host.origin;
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await host?.close();
  writeFileSync(join(outDir, 'browser-widget.log'), logs.join('\n') + '\n');
});

const probe = () => {
  const pick = (sel) => {
    const s = getComputedStyle(document.querySelector(sel));
    return {
      fontFamily: s.fontFamily, color: s.color, background: s.backgroundColor, fontSize: s.fontSize,
      letterSpacing: s.letterSpacing, lineHeight: s.lineHeight, margin: s.margin, padding: s.padding,
    };
  };
  return {
    body: pick('body'), h1: pick('h1'), lead: pick('p.lead'), button: pick('#host-button'),
    sheets: document.styleSheets.length,
    headStyles: document.head.querySelectorAll('style, link').length,
    bodyRect: JSON.stringify(document.body.getBoundingClientRect()),
  };
};

test('widget opens, sends, receives live, keeps history, and does not touch the host page styles', { timeout: 120_000 }, async () => {
  const ctx = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  const page = await ctx.newPage();
  watchPage(page, 'host', logs);

  // Baseline without the widget.
  await page.goto(`${hostOrigin}/?nowidget`);
  const baseline = await page.evaluate(probe);

  await page.goto(`${hostOrigin}/`);
  const launcher = page.locator('[data-bottega-widget] button.launcher');
  await launcher.waitFor();
  assert.deepEqual(await page.evaluate(probe), baseline, 'host page styles unchanged after the widget loaded');
  assert.equal(await page.locator('[data-bottega-widget]').evaluate((h) => !!h.shadowRoot), true, 'renders in a shadow root');

  // The host's `button {}` and `* {}` rules do not reach into the widget.
  const launcherStyle = await launcher.evaluate((b) => {
    const s = getComputedStyle(b);
    return { background: s.backgroundColor, letterSpacing: s.letterSpacing };
  });
  assert.notEqual(launcherStyle.background, 'rgb(255, 0, 0)');
  assert.equal(launcherStyle.letterSpacing, 'normal');

  // Open.
  assert.equal(await launcher.getAttribute('aria-expanded'), 'false');
  await launcher.click();
  assert.equal(await launcher.getAttribute('aria-expanded'), 'true');
  const panel = page.locator('[data-bottega-widget] section.panel');
  await panel.waitFor({ state: 'visible' });
  await panel.locator('h2.title', { hasText: 'Demo shop' }).waitFor();
  const panelFont = await panel.evaluate((p) => getComputedStyle(p).fontFamily);
  assert.doesNotMatch(panelFont, /Georgia/, 'host font does not leak into the widget');
  const input = panel.getByLabel('Your message');
  assert.equal(await input.evaluate((el) => el.getRootNode().activeElement === el), true, 'focus moves to the input');
  const inputBg = await input.evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.notEqual(inputBg, 'rgb(0, 0, 0)', 'host textarea rule does not reach the widget');

  // Send.
  await input.fill('Hello from the widget');
  await input.press('Enter');
  await panel.locator('li.msg-me[data-message-id]', { hasText: 'Hello from the widget' }).waitFor();
  await panel.locator('li.is-pending').waitFor({ state: 'detached' });

  // The message reached the server; an agent answers through the API; the widget shows it live.
  const list = await server.api('/api/v1/conversations');
  const conv = list.data.find((c) => c.last_message?.text === 'Hello from the widget' || c.channel_id === server.channelId);
  assert.ok(conv, 'conversation created on the server');
  await server.api(`/api/v1/conversations/${conv.id}/messages`, {
    method: 'POST',
    body: JSON.stringify({ text: 'We have it in blue and in green.' }),
  });
  await panel.locator('li.msg-shop[data-message-id]', { hasText: 'We have it in blue and in green.' }).waitFor({ timeout: 15_000 });

  assert.deepEqual(await page.evaluate(probe), baseline, 'host page styles unchanged with the widget open');
  await page.screenshot({ path: join(outDir, 'widget.png') });

  // Escape closes and gives focus back to the launcher.
  await input.press('Escape');
  await panel.waitFor({ state: 'hidden' });
  assert.equal(await launcher.evaluate((b) => b.getRootNode().activeElement === b), true);

  // The conversation persists across page loads.
  await page.reload();
  await launcher.click();
  await panel.locator('li.msg-me[data-message-id]', { hasText: 'Hello from the widget' }).waitFor();
  await panel.locator('li.msg-shop[data-message-id]', { hasText: 'We have it in blue and in green.' }).waitFor();

  await ctx.close();
});
