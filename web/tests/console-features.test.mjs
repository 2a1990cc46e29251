// Console screens beyond the basic reply loop, against the real server: every WhatsApp message kind
// rendered from a signed webhook, inbox filters, tags, assignment, snooze, keyboard shortcuts and
// the four languages.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildWeb, launchBrowser, outDir, watchPage } from './helpers/env.mjs';
import { startBottega } from './helpers/server.mjs';
import * as P from '../../tools/sim/payloads.mjs';
import { hubSignature, metaJson } from '../../tools/sim/sim.mjs';

const APP_SECRET = 'console-test-app-secret';
const WA_FROM = '31612345678';

let server;
let browser;
let whatsapp;
const logs = [];

async function deliverWhatsApp(messages, name = 'Anneke de Vries') {
  const value = P.whatsappValue({ contacts: [{ wa_id: WA_FROM, name }], messages, phoneNumberId: whatsapp.phoneNumberId });
  const raw = metaJson(P.whatsappEnvelope([{ changes: [{ value }] }]));
  const res = await fetch(`${server.origin}/webhooks/${whatsapp.id}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': hubSignature(APP_SECRET, raw) },
    body: raw,
  });
  assert.equal(res.status, 200, `webhook answered ${res.status}: ${await res.text()}`);
}

const base = (type, extra) => ({ from: WA_FROM, id: P.newWamid(), timestamp: String(Math.floor(Date.now() / 1000)), type, ...extra });

before(async () => {
  buildWeb();
  server = await startBottega('console-features');
  browser = await launchBrowser();
  const phoneNumberId = '106540352242922';
  const ch = await server.api('/api/v1/channels', {
    method: 'POST',
    body: JSON.stringify({
      type: 'whatsapp',
      name: 'WhatsApp NL',
      settings: {
        phone_number_id: phoneNumberId,
        access_token: 'EAAG-test',
        app_secret: APP_SECRET,
        verify_token: 'verify-me',
        api_base_url: 'http://127.0.0.1:9',
      },
    }),
  });
  whatsapp = { id: ch.id, phoneNumberId };
});

after(async () => {
  await browser?.close();
  await server?.stop();
  writeFileSync(join(outDir, 'browser-console-features.log'), logs.join('\n') + '\n');
});

async function login(page) {
  await page.goto(server.origin + '/');
  await page.locator('#login-email').fill(server.agent.email);
  await page.locator('#login-password').fill(server.agent.password);
  await page.locator('form.login-card button[type=submit]').click();
  await page.locator('.live.live-live').waitFor({ timeout: 15_000 });
}

test('every WhatsApp message kind renders as what it is, never as HTML', { timeout: 120_000 }, async () => {
  await deliverWhatsApp([
    P.waTextMessage(WA_FROM, 'Hallo, ik heb een vraag <b>niet vet</b>'),
    base('image', { image: { id: 'media-1', mime_type: 'image/jpeg', sha256: 'abc', caption: 'Deze maat?' } }),
    base('document', { document: { id: 'media-2', mime_type: 'application/pdf', sha256: 'def', filename: 'factuur-1001.pdf' } }),
    base('location', { location: { latitude: 52.3702, longitude: 4.8952, name: 'Winkel Amsterdam', address: 'Damrak 1' } }),
    base('contacts', { contacts: [{ name: { formatted_name: 'Piet Jansen', first_name: 'Piet' }, phones: [{ phone: '+31 6 1111 2222', type: 'CELL' }] }] }),
    P.waOrderMessage(WA_FROM, [
      { product_retailer_id: 'TEE-BLK-M', quantity: 2, item_price: 19.99, currency: 'EUR' },
      { product_retailer_id: 'CAP-RED', quantity: 1, item_price: 12.5, currency: 'EUR' },
    ], P.newWamid(), { text: 'Graag deze' }),
    base('interactive', { interactive: { type: 'button_reply', button_reply: { id: 'size_m', title: 'Maat M' } } }),
    base('unsupported', { errors: [{ code: 131051, title: 'Message type unknown' }] }),
  ]);

  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  const page = await ctx.newPage();
  watchPage(page, 'kinds', logs);
  await login(page);
  await page.locator('.conv', { hasText: 'Anneke de Vries' }).click();
  const log = page.locator('.messages');
  await log.locator('.msg').nth(7).waitFor({ timeout: 15_000 });

  // Text stays text.
  await log.locator('.msg-text', { hasText: '<b>niet vet</b>' }).waitFor();
  assert.equal(await log.locator('b').count(), 0, 'no element was created from message text');
  // Media: kind, file name and caption.
  await log.locator('.kind-media .attachment', { hasText: 'Image' }).waitFor();
  await log.locator('.kind-media', { hasText: 'Deze maat?' }).waitFor();
  await log.locator('.attachment-details', { hasText: 'factuur-1001.pdf' }).waitFor();
  // Location: name, address and a map link built from the numbers.
  const loc = log.locator('.kind-location');
  await loc.getByText('Winkel Amsterdam, Damrak 1').waitFor();
  const href = await loc.locator('a').getAttribute('href');
  assert.match(href, /^https:\/\/www\.openstreetmap\.org\/\?mlat=52\.370200&mlon=4\.895200/);
  // Contacts.
  await log.locator('.kind-contacts', { hasText: 'Piet Jansen · +31 6 1111 2222' }).waitFor();
  // Order: rows and the total computed in integer cents (2 x 19.99 + 12.50 = 52.48).
  const order = log.locator('.kind-order');
  await order.locator('td', { hasText: 'TEE-BLK-M' }).waitFor();
  assert.match(await order.locator('tfoot').innerText(), /52\.48/);
  await order.getByText('Graag deze').waitFor();
  // Interactive reply and unsupported kinds say what they are.
  await log.locator('.kind-interactive_reply', { hasText: 'Maat M' }).waitFor();
  await log.locator('.kind-unsupported .unsupported').waitFor();
  await page.screenshot({ path: join(outDir, 'console-kinds.png') });
  await ctx.close();
});

test('filters, tags, assignment, snooze and keyboard shortcuts', { timeout: 120_000 }, async () => {
  // A web chat conversation besides the WhatsApp one.
  const visitor = await fetch(`${server.origin}/api/v1/webchat/${server.channelId}/visitors`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'Web visitor' }),
  }).then((r) => r.json());
  const sent = await fetch(`${server.origin}/api/v1/webchat/${server.channelId}/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Visitor-Token': visitor.visitor_token },
    body: JSON.stringify({ text: 'Is the blue one in stock?' }),
  });
  assert.equal(sent.status, 201);

  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  const page = await ctx.newPage();
  watchPage(page, 'filters', logs);
  await login(page);
  const rows = page.locator('.conv');
  await rows.nth(1).waitFor();
  assert.equal(await rows.count(), 2);

  // Channel filter.
  await page.locator('#channel-filter').selectOption('whatsapp');
  await page.waitForFunction(() => document.querySelectorAll('.conv').length === 1);
  await page.locator('.conv', { hasText: 'Anneke de Vries' }).waitFor();
  await page.locator('#channel-filter').selectOption('');
  await page.waitForFunction(() => document.querySelectorAll('.conv').length === 2);

  // Tag the web chat conversation, then filter by the tag.
  await page.locator('.conv', { hasText: 'Web visitor' }).click();
  await page.locator('#tag-input').fill('presale');
  await page.locator('#tag-input').press('Enter');
  await page.locator('.thread-tags .chip-tag', { hasText: 'presale' }).waitFor();
  await page.locator('#tag-filter').selectOption('presale');
  await page.waitForFunction(() => document.querySelectorAll('.conv').length === 1);
  await page.locator('.conv', { hasText: 'Web visitor' }).locator('.chip-tag', { hasText: 'presale' }).waitFor();
  await page.locator('#tag-filter').selectOption('');
  // The server kept it.
  const list = await server.api('/api/v1/conversations?tag=presale');
  assert.equal(list.data.length, 1);
  assert.deepEqual(list.data[0].tags, ['presale']);

  // Assign to me with the button, filter "assigned to me".
  await page.locator('#assign-toggle', { hasText: 'Assign to me' }).click();
  await page.locator('#assign-toggle', { hasText: 'Unassign' }).waitFor();
  await page.locator('#assignee-filter').selectOption('me');
  await page.waitForFunction(() => document.querySelectorAll('.conv').length === 1);
  await page.locator('#assignee-filter').selectOption('none');
  await page.locator('.conv', { hasText: 'Anneke de Vries' }).waitFor();
  await page.locator('#assignee-filter').selectOption('');

  // Keyboard: j/k move the selection, r focuses the reply box, Esc leaves it, e resolves, s snoozes.
  await page.locator('.messages').click();
  await page.keyboard.press('Escape');
  await page.evaluate(() => document.activeElement?.blur());
  const selectedName = () => page.locator('.conv.is-selected .conv-name').innerText();
  const before = await selectedName();
  await page.keyboard.press('j');
  await page.waitForFunction((b) => document.querySelector('.conv.is-selected .conv-name')?.textContent !== b, before);
  await page.keyboard.press('k');
  await page.waitForFunction((b) => document.querySelector('.conv.is-selected .conv-name')?.textContent === b, before);
  await page.keyboard.press('r');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'composer-text');
  await page.keyboard.press('Escape');
  await page.keyboard.press('s');
  await page.locator('.thread-meta .status-snoozed').waitFor();
  await page.keyboard.press('e');
  await page.locator('.thread-meta .status-resolved').waitFor();
  await page.keyboard.press('e');
  await page.locator('.thread-meta .status-open').waitFor();
  await page.keyboard.press('?');
  await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
  await page.screenshot({ path: join(outDir, 'console-shortcuts.png') });
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'detached' });
  await ctx.close();
});

test('the console speaks Italian, German and Dutch', { timeout: 120_000 }, async () => {
  const expected = {
    'it-IT': { signIn: 'Accedi', heading: 'Conversazioni', resolve: 'Risolvi' },
    'de-DE': { signIn: 'Anmelden', heading: 'Unterhaltungen', resolve: 'Erledigen' },
    'nl-NL': { signIn: 'Inloggen', heading: 'Gesprekken', resolve: 'Afhandelen' },
  };
  for (const [locale, words] of Object.entries(expected)) {
    const ctx = await browser.newContext({ locale });
    const page = await ctx.newPage();
    watchPage(page, `lang-${locale}`, logs);
    await page.goto(server.origin + '/');
    await page.locator('form.login-card button[type=submit]', { hasText: words.signIn }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), locale.slice(0, 2));
    await page.locator('#login-email').fill(server.agent.email);
    await page.locator('#login-password').fill(server.agent.password);
    await page.locator('form.login-card button[type=submit]').click();
    await page.getByRole('heading', { name: words.heading }).waitFor();
    await page.locator('.conv').first().click();
    await page.locator('#status-toggle', { hasText: words.resolve }).waitFor();
    await ctx.close();
  }
  // The language menu overrides the browser's language and is remembered.
  const ctx = await browser.newContext({ locale: 'en-US' });
  const page = await ctx.newPage();
  await login(page);
  await page.locator('#language-select').selectOption('nl');
  await page.getByRole('heading', { name: 'Gesprekken' }).waitFor();
  await page.reload();
  await page.getByRole('heading', { name: 'Gesprekken' }).waitFor();
  await ctx.close();
});
