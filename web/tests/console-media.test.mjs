// Customers' attachments in the conversation view, against the real server and the provider
// simulator: a WhatsApp photo shows "Downloading…" while the media job fetches it, then the image
// itself (live, from GET /api/v1/media/{id}); a PDF is a download link; an SVG is only a download
// (never an <img>); a file the provider no longer has says why; a filename is text, never HTML.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildWeb, launchBrowser, outDir, watchPage } from './helpers/env.mjs';
import { startBottega } from './helpers/server.mjs';
import { SIM_CONFIG, startSim } from './helpers/sim.mjs';
import { signIn } from './helpers/console.mjs';

let server;
let sim;
let browser;
let wa;
const logs = [];
// A 2x2 PNG (red, green / blue, white).
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==';
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n').toString('base64');
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>').toString('base64');

before(async () => {
  buildWeb();
  [server, sim] = await Promise.all([startBottega('console-media', { config: SIM_CONFIG }), startSim()]);
  browser = await launchBrowser();
  wa = await sim.whatsappChannel(server, 'WhatsApp shop');
});

after(async () => {
  await browser?.close();
  await Promise.all([server?.stop(), sim?.stop()]);
  writeFileSync(join(outDir, 'browser-console-media.log'), logs.join('\n') + '\n');
});

async function media(content, mime) {
  return sim.call('POST', '/__sim/media', { provider: 'whatsapp', content_base64: content, mime_type: mime });
}

test('attachments: pending, then the image inline; downloads; SVG never inline; failures say why', { timeout: 120_000 }, async () => {
  const page = await browser.newPage();
  watchPage(page, 'console-media', logs);
  await signIn(page, server);

  // The photo's first provider call answers 6 s late: the console shows the pending state first.
  const from = '16505550101';
  const photo = await media(PNG, 'image/png');
  await sim.call('POST', '/__sim/delay', { provider: 'whatsapp', ms: 6000, times: 1 });
  await sim.whatsappInbound(wa, { from, name: 'Photo Sender', message: { type: 'image', image: { id: photo.id, mime_type: 'image/png', sha256: photo.sha256, caption: 'Is this the right colour?' } } });
  const row = page.locator('#conversation-list button.conv', { hasText: 'Photo Sender' });
  await row.click({ timeout: 15_000 });
  const first = page.locator('.messages li.msg').first();
  await first.locator('.attachment-progress', { hasText: 'Downloading' }).waitFor({ timeout: 10_000 });
  assert.equal(await first.locator('img').count(), 0, 'no image before it is stored');
  assert.match(await first.innerText(), /Is this the right colour\?/);
  await page.screenshot({ path: join(outDir, 'console-media-pending.png') });

  // Stored: the message.updated event replaces the pending state with the picture.
  const img = first.locator('img.attachment-img');
  await img.waitFor({ timeout: 30_000 });
  const src = await img.getAttribute('src');
  assert.match(src, /^\/api\/v1\/media\/[A-Za-z0-9_-]+$/);
  await page.waitForFunction((el) => el.complete && el.naturalWidth === 2, await img.elementHandle(), { timeout: 10_000 });
  assert.equal(await first.locator('.attachment-progress').count(), 0);
  assert.match(await first.locator('a.attachment-download').getAttribute('href'), /^\/api\/v1\/media\//);

  // A PDF (its name is text, never HTML): a download link, no player, no image.
  const pdf = await media(PDF, 'application/pdf');
  await sim.whatsappInbound(wa, { from, name: 'Photo Sender', message: { type: 'document', document: { id: pdf.id, mime_type: 'application/pdf', sha256: pdf.sha256, filename: 'invoice <b>42</b>.pdf' } } });
  const doc = page.locator('.messages li.msg .attachment-document.is-ready');
  await doc.waitFor({ timeout: 30_000 });
  assert.match(await doc.locator('.attachment-details').innerText(), /invoice <b>42<\/b>\.pdf · application\/pdf · \d+ B/);
  assert.equal(await doc.locator('b').count(), 0);
  assert.equal(await doc.locator('img, audio, video').count(), 0);
  const link = doc.locator('a.attachment-download');
  assert.equal(await link.innerText(), 'Download invoice <b>42</b>.pdf');
  assert.equal(await link.getAttribute('download'), 'invoice <b>42</b>.pdf');
  // The link serves the stored file to the signed-in agent (a PDF as a download: docs/api.md).
  const got = await page.evaluate(async (href) => {
    const r = await fetch(href);
    return { status: r.status, disposition: r.headers.get('content-disposition'), size: (await r.arrayBuffer()).byteLength };
  }, await link.getAttribute('href'));
  assert.equal(got.status, 200);
  assert.match(got.disposition, /^attachment/);
  assert.equal(got.size, Buffer.from(PDF, 'base64').length);

  // An SVG sent as a document: a download only (the server sends it as an attachment anyway).
  const svg = await media(SVG, 'image/svg+xml');
  await sim.whatsappInbound(wa, { from, name: 'Photo Sender', message: { type: 'image', image: { id: svg.id, mime_type: 'image/svg+xml', sha256: svg.sha256 } } });
  const svgItem = page.locator('.messages li.msg .attachment.is-ready', { hasText: 'image/svg+xml' });
  await svgItem.waitFor({ timeout: 30_000 });
  assert.equal(await svgItem.locator('img').count(), 0, 'SVG is never an <img>');
  await svgItem.locator('a.attachment-download').waitFor();

  // A file the provider does not have: refused at once, and the console says why.
  await sim.whatsappInbound(wa, { from, name: 'Photo Sender', message: { type: 'image', image: { id: '999999999999999', mime_type: 'image/jpeg' } } });
  const failed = page.locator('.messages li.msg .attachment.is-failed');
  await failed.waitFor({ timeout: 30_000 });
  assert.match(await failed.locator('.attachment-error').innerText(), /^Could not download: \S+/);
  assert.equal(await failed.locator('img, a').count(), 0);
  // The inbox row of a conversation whose last message is a photo without a caption says so.
  assert.match(await row.innerText(), /\[Attachment\]/);
  await page.screenshot({ path: join(outDir, 'console-media.png'), fullPage: true });
  await page.close();
});
