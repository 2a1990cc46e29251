// The visitor side: once a visitor has a conversation, the chat offers the shop's other channels
// (WhatsApp, Messenger, email) with the conversation reference prefilled; the widget speaks the
// language its script tag asks for.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildWeb, launchBrowser, outDir, watchPage } from './helpers/env.mjs';
import { startBottega } from './helpers/server.mjs';

let server;
let browser;
let channelId;
let host;
const logs = [];

before(async () => {
  buildWeb();
  server = await startBottega('widget-continue');
  browser = await launchBrowser();
  const ch = await server.api('/api/v1/channels', {
    method: 'POST',
    body: JSON.stringify({
      type: 'webchat',
      name: 'Negozio',
      settings: { continue_whatsapp: '+39 333 1234567', continue_messenger: 'negozio.demo', continue_email: 'aiuto@negozio.example' },
    }),
  });
  channelId = ch.id;
  host = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="it"><head><meta charset="utf-8"><title>Negozio</title></head><body><h1>Negozio</h1>
<script src="${server.origin}/widget.js" data-channel="${channelId}" data-lang="it" async></script></body></html>`);
  });
  await new Promise((r) => host.listen(0, '127.0.0.1', r));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await new Promise((r) => (host ? host.close(r) : r()));
  writeFileSync(join(outDir, 'browser-widget-continue.log'), logs.join('\n') + '\n');
});

test('after the first message the chat offers WhatsApp, Messenger and email with the reference', { timeout: 90_000 }, async () => {
  const ctx = await browser.newContext({ viewport: { width: 480, height: 760 }, locale: 'en-US' });
  const page = await ctx.newPage();
  watchPage(page, 'continue', logs);
  await page.goto(`${server.origin}/chat/${channelId}`);
  const panel = page.locator('#chat');
  await panel.locator('.title', { hasText: 'Negozio' }).waitFor();
  assert.equal(await panel.locator('.continue').isHidden(), true, 'nothing offered before the visitor writes');

  await panel.locator('textarea').fill('Do you have this in blue?');
  await panel.locator('textarea').press('Enter');
  const bar = panel.locator('.continue');
  await bar.waitFor({ state: 'visible' });
  const hrefs = await bar.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.equal(hrefs.length, 3);
  const conv = (await server.api('/api/v1/conversations')).data.find((c) => c.channel_id === channelId);
  const ref = conv.id.slice(-8).toUpperCase();
  assert.match(hrefs[0], /^https:\/\/wa\.me\/393331234567\?text=/);
  assert.ok(decodeURIComponent(hrefs[0].split('?text=')[1]).includes(`ref ${ref}`), hrefs[0]);
  assert.equal(hrefs[1], 'https://m.me/negozio.demo');
  assert.match(hrefs[2], /^mailto:aiuto@negozio\.example\?subject=/);
  for (const rel of await bar.locator('a').evaluateAll((as) => as.map((a) => a.rel))) assert.equal(rel, 'noopener noreferrer');

  // A returning visitor (same browser) sees the offer with the history, without writing again.
  await page.reload();
  await panel.locator('.continue').waitFor({ state: 'visible' });
  await page.screenshot({ path: join(outDir, 'chat-continue.png') });
  await ctx.close();
});

test('the widget speaks the language of its data-lang attribute', { timeout: 90_000 }, async () => {
  const ctx = await browser.newContext({ viewport: { width: 1000, height: 760 }, locale: 'en-US' });
  const page = await ctx.newPage();
  watchPage(page, 'widget-it', logs);
  await page.goto(`http://127.0.0.1:${host.address().port}/`);
  const launcher = page.locator('[data-bottega-widget] >> button.launcher');
  await launcher.waitFor();
  assert.equal(await launcher.getAttribute('aria-label'), 'Apri la chat');
  await launcher.click();
  await page.locator('[data-bottega-widget] >> textarea').waitFor();
  assert.equal(await page.locator('[data-bottega-widget] >> textarea').getAttribute('placeholder'), 'Scrivi il tuo messaggio…');
  await ctx.close();
});
