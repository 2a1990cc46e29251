// Files from the composer, against the real server: the agent attaches a PNG and a PDF (a chip
// each, uploaded at once), sends them with a caption as one message and sees them in the thread
// (the image inline, the PDF as a download); the visitor sees them in the widget on a host page
// (the image inline with its name as alt text, the PDF as a download link); a refused file (an SVG,
// a file over the upload limit) shows why on its chip and is never sent.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildWeb, launchBrowser, outDir, watchPage } from './helpers/env.mjs';
import { startBottega } from './helpers/server.mjs';
import { serveHostPage } from './helpers/host.mjs';
import { signIn } from './helpers/console.mjs';

let server;
let browser;
let host;
const logs = [];
// A 2x2 PNG (red, green / blue, white).
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==', 'base64');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');

before(async () => {
  buildWeb();
  server = await startBottega('console-attachments', { config: ['[media]', 'upload_max_bytes = 4096'] });
  browser = await launchBrowser();
  host = await serveHostPage(
    () => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title></head>
<body><h1>Host shop</h1><script src="${server.origin}/widget.js" data-channel="${server.channelId}" data-lang="en" async></script></body></html>`,
  );
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await host?.close();
  writeFileSync(join(outDir, 'browser-console-attachments.log'), logs.join('\n') + '\n');
});

test('composer attachments: chips, refusals, one message with a caption; the thread and the widget show the files', { timeout: 150_000 }, async () => {
  // The visitor writes in the widget.
  const visitorCtx = await browser.newContext({ viewport: { width: 1000, height: 800 } });
  const visitor = await visitorCtx.newPage();
  watchPage(visitor, 'attach-visitor', logs);
  await visitor.goto(`${host.origin}/`);
  await visitor.locator('[data-bottega-widget] button.launcher').click();
  const panel = visitor.locator('[data-bottega-widget] section.panel');
  await panel.waitFor({ state: 'visible' });
  const input = panel.getByLabel('Your message');
  await input.fill('Could you send me the invoice and a photo?');
  await input.press('Enter');
  await panel.locator('li.msg-me[data-message-id]', { hasText: 'Could you send me the invoice' }).waitFor();

  // The agent opens the conversation.
  const agentCtx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await agentCtx.newPage();
  watchPage(page, 'attach-agent', logs);
  await signIn(page, server);
  await page.locator('#conversation-list button.conv', { hasText: 'Could you send me the invoice' }).click({ timeout: 15_000 });
  const composer = page.locator('form.composer');
  await composer.waitFor();
  const attach = page.getByRole('button', { name: 'Attach files' });
  assert.equal(await attach.count(), 1, 'the attach button has an accessible name');

  // A refused type and a file over the limit: each chip says why; removing one takes it away.
  await page.setInputFiles('#composer-files', [
    { name: 'drawing.svg', mimeType: 'image/svg+xml', buffer: SVG },
    { name: 'huge.txt', mimeType: 'text/plain', buffer: Buffer.alloc(5000, 'a') },
  ]);
  const failed = composer.locator('.attach-chip.is-failed');
  await failed.nth(1).waitFor({ timeout: 15_000 });
  assert.match(await composer.locator('.attach-chip', { hasText: 'drawing.svg' }).locator('.attach-error').innerText(), /Not attached: this type of file cannot be sent/);
  assert.match(await composer.locator('.attach-chip', { hasText: 'huge.txt' }).locator('.attach-error').innerText(), /Not attached: the file is too large/);
  await page.screenshot({ path: join(outDir, 'console-attachments-refused.png') });
  await page.getByRole('button', { name: 'Remove drawing.svg' }).click();
  await page.getByRole('button', { name: 'Remove huge.txt' }).click();
  assert.equal(await composer.locator('.attach-chip').count(), 0);

  // A PNG and a PDF: uploaded at once, ready chips with name and size.
  await page.setInputFiles('#composer-files', [
    { name: 'photo.png', mimeType: 'image/png', buffer: PNG },
    { name: 'invoice.pdf', mimeType: 'application/pdf', buffer: PDF },
  ]);
  await composer.locator('.attach-chip.is-ready').nth(1).waitFor({ timeout: 15_000 });
  assert.match(await composer.locator('.attach-chip', { hasText: 'photo.png' }).innerText(), new RegExp(`${PNG.length} B`));
  await page.locator('#composer-text').fill('Here are the photo and your invoice');
  await page.screenshot({ path: join(outDir, 'console-attachments-ready.png') });
  await page.locator('#composer-send').click();

  // One message in the thread: the caption, the image inline, the PDF as a download.
  const sent = page.locator('.messages li.msg', { hasText: 'Here are the photo and your invoice' });
  await sent.waitFor({ timeout: 15_000 });
  const img = sent.locator('img.attachment-img');
  await img.waitFor();
  assert.equal(await img.getAttribute('alt'), 'photo.png');
  await page.waitForFunction((el) => el.complete && el.naturalWidth === 2, await img.elementHandle(), { timeout: 10_000 });
  const pdfLink = sent.locator('a.attachment-download', { hasText: 'invoice.pdf' });
  await pdfLink.waitFor();
  assert.equal(await pdfLink.getAttribute('download'), 'invoice.pdf');
  assert.equal(await composer.locator('.attach-chip').count(), 0, 'the chips are cleared after sending');
  await page.screenshot({ path: join(outDir, 'console-attachments-thread.png') });

  // The visitor sees them in the widget: the image with its name as alt text, the PDF as a link.
  const shop = panel.locator('li.msg-shop', { hasText: 'Here are the photo and your invoice' });
  await shop.waitFor({ timeout: 15_000 });
  const wimg = shop.locator('img.file-img');
  await wimg.waitFor();
  assert.equal(await wimg.getAttribute('alt'), 'photo.png');
  await visitor.waitForFunction(
    () => {
      const root = document.querySelector('[data-bottega-widget]')?.shadowRoot;
      const i = root?.querySelector('li.msg-shop img.file-img');
      return !!i && i.complete && i.naturalWidth === 2;
    },
    null,
    { timeout: 10_000 },
  );
  const wlink = shop.locator('a.file-link');
  assert.equal(await wlink.innerText(), 'Download invoice.pdf');
  await visitor.waitForFunction(
    () => document.querySelector('[data-bottega-widget]')?.shadowRoot?.querySelector('a.file-link')?.getAttribute('href')?.startsWith('blob:'),
    null,
    { timeout: 10_000 },
  );
  const bytes = await wlink.evaluate(async (a) => (await (await fetch(a.href)).arrayBuffer()).byteLength);
  assert.equal(bytes, PDF.length);
  await visitor.screenshot({ path: join(outDir, 'widget-attachments.png') });
  await visitorCtx.close();
  await agentCtx.close();
});
