// Files from the composer, against the real server: the agent attaches a PNG and a PDF (a chip
// each, uploaded at once), sends them with a caption as one message and sees them in the thread
// (the image inline, the PDF as a download); the visitor sees them in the widget on a host page
// (the image inline with its name as alt text, the PDF as a download link); a refused file (an SVG,
// a file over the upload limit) shows why on its chip and is never sent. A chip shows the share of
// its bytes sent, up to 100%; an upload that failed on the way (the connection broke, the server
// answered 5xx) gets a Retry button that uploads it again, a refused file does not.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildWeb, launchBrowser, outDir, watchPage } from './helpers/env.mjs';
import { startBottega } from './helpers/server.mjs';
import { serveHostPage } from './helpers/host.mjs';
import { serverSays, signIn, visitorSays } from './helpers/console.mjs';

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

test('composer attachments: byte progress up to 100%; Retry after a broken connection or a 5xx, none after a refusal', { timeout: 150_000 }, async () => {
  const conv = await visitorSays(server, 'Rita', 'Please send the manual again');
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await ctx.newPage();
  watchPage(page, 'attach-retry', logs);
  await signIn(page, server);
  await page.locator('#conversation-list button.conv', { hasText: 'Please send the manual again' }).click({ timeout: 15_000 });
  const composer = page.locator('form.composer');
  await composer.waitFor();

  // Every percentage a chip shows while uploading, recorded as it is shown (nothing missed between polls).
  await page.evaluate(() => {
    window.__percents = [];
    new MutationObserver(() => {
      for (const chip of document.querySelectorAll('.attach-chip')) {
        const pct = chip.querySelector('.attach-percent');
        const bar = chip.querySelector('progress.attach-progress');
        if (!pct || pct.hidden) continue;
        window.__percents.push({ name: chip.querySelector('.attach-name')?.textContent, text: pct.textContent, value: bar?.value, label: bar?.getAttribute('aria-label') });
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  });

  // Progress: the chip counts up to 100% of the bytes, then says Ready.
  const manual = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(3900, 'm'), Buffer.from('\n%%EOF\n')]);
  await page.setInputFiles('#composer-files', [{ name: 'manual.pdf', mimeType: 'application/pdf', buffer: manual }]);
  const manualChip = composer.locator('.attach-chip', { hasText: 'manual.pdf' });
  await composer.locator('.attach-chip.is-ready', { hasText: 'manual.pdf' }).waitFor({ timeout: 15_000 });
  const seen = (await page.evaluate(() => window.__percents)).filter((p) => p.name === 'manual.pdf');
  assert.ok(seen.some((p) => p.text === '100%' && p.value === 100), `the chip reached 100%: ${JSON.stringify(seen)}`);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i].value >= seen[i - 1].value, `progress never goes back: ${JSON.stringify(seen)}`);
  assert.equal(seen[0].label, 'Upload progress of manual.pdf', 'the bar is labelled for screen readers');
  assert.equal(await manualChip.getAttribute('data-progress'), '100');
  assert.equal(await manualChip.locator('progress.attach-progress').isVisible(), false, 'no bar once ready');

  // The first upload of broken.pdf loses its connection, busy.pdf's gets a 503; later tries pass.
  const failures = new Map([['broken.pdf', 'abort'], ['busy.pdf', 503]]);
  const tries = new Map();
  const isUpload = (url) => url.pathname === '/api/v1/media';
  await page.route(isUpload, async (route) => {
    const name = new URL(route.request().url()).searchParams.get('filename');
    tries.set(name, (tries.get(name) ?? 0) + 1);
    const failure = failures.get(name);
    failures.delete(name);
    if (failure === 'abort') return route.abort('connectionreset');
    if (failure === 503) return route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'unavailable', message: 'store busy' } }) });
    return route.continue();
  });
  await page.setInputFiles('#composer-files', [
    { name: 'broken.pdf', mimeType: 'application/pdf', buffer: PDF },
    { name: 'busy.pdf', mimeType: 'application/pdf', buffer: PDF },
    { name: 'drawing.svg', mimeType: 'image/svg+xml', buffer: SVG },
  ]);
  await composer.locator('.attach-chip.is-failed').nth(2).waitFor({ timeout: 15_000 });
  assert.match(await composer.locator('.attach-chip', { hasText: 'broken.pdf' }).locator('.attach-error').innerText(), /Not attached: the upload was interrupted/);
  assert.match(await composer.locator('.attach-chip', { hasText: 'busy.pdf' }).locator('.attach-error').innerText(), /Not attached: the server could not store it/);
  assert.match(await composer.locator('.attach-chip', { hasText: 'drawing.svg' }).locator('.attach-error').innerText(), /this type of file cannot be sent/);
  assert.equal(await page.getByRole('button', { name: 'Retry uploading drawing.svg' }).count(), 0, 'a refused file is not retried');
  await page.screenshot({ path: join(outDir, 'console-attachments-retry.png') });
  // Retry both: each is uploaded again and becomes ready.
  await page.getByRole('button', { name: 'Retry uploading broken.pdf' }).click();
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Remove broken.pdf', 'focus stays on the chip');
  await page.getByRole('button', { name: 'Retry uploading busy.pdf' }).click();
  await composer.locator('.attach-chip.is-ready').nth(2).waitFor({ timeout: 15_000 });
  for (const name of ['broken.pdf', 'busy.pdf']) {
    const chip = composer.locator('.attach-chip', { hasText: name });
    assert.equal(await chip.getAttribute('data-state'), 'ready');
    assert.equal(await chip.locator('.attach-error').innerText(), '', `${name}: the error is gone`);
    assert.equal(await page.getByRole('button', { name: `Retry uploading ${name}` }).count(), 0);
    assert.equal(tries.get(name), 2, `${name} was uploaded twice`);
  }
  await page.getByRole('button', { name: 'Remove drawing.svg' }).click();

  // The retried files go out with the other one, as one message.
  await page.locator('#composer-text').fill('The manual, again');
  await page.locator('#composer-send').click();
  const sent = page.locator('.messages li.msg', { hasText: 'The manual, again' });
  await sent.waitFor({ timeout: 15_000 });
  for (const name of ['manual.pdf', 'broken.pdf', 'busy.pdf']) await sent.locator('a.attachment-download', { hasText: name }).waitFor();
  assert.equal(await composer.locator('.attach-chip').count(), 0);
  const stored = await serverSays(
    server,
    `/api/v1/conversations/${conv}/messages`,
    (r) => r.data.some((m) => m.kind === 'attachment' && m.content.attachments.length === 3),
    'one message with the three files',
  );
  const files = stored.data.find((m) => m.kind === 'attachment').content.attachments.map((a) => a.filename);
  assert.deepEqual(files, ['manual.pdf', 'broken.pdf', 'busy.pdf']);
  await page.unroute(isUpload);
  await ctx.close();
});
