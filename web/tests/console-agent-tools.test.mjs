// Agent tools in the console, against the real server: the message search box (results with the
// contact and an escaped, highlighted snippet; a click opens the conversation scrolled to the
// message), @-autocomplete of agents in the note composer, and the mentioned agent's badge (live,
// over her own realtime stream) and list (a click opens the note and marks it read).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildWeb, launchBrowser, outDir, watchPage } from './helpers/env.mjs';
import { startBottega } from './helpers/server.mjs';
import { signIn, visitorSays } from './helpers/console.mjs';

let server;
let browser;
const logs = [];

before(async () => {
  buildWeb();
  server = await startBottega('console-agent-tools');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  writeFileSync(join(outDir, 'browser-console-agent-tools.log'), logs.join('\n') + '\n');
});

test('search messages, open a hit at its message', { timeout: 120_000 }, async () => {
  // Greta's question, then 40 replies below it (the API's, not rate limited like a visitor).
  const greta = await visitorSays(server, 'Greta', 'My <b>parcel</b> to Köln never arrived');
  for (let i = 0; i < 40; i++)
    await server.api(`/api/v1/conversations/${greta}/messages`, {
      method: 'POST',
      body: JSON.stringify({ text: `filler line number ${i} about nothing in particular` }),
    });
  await visitorSays(server, 'Hugo', 'Is the parcel tracking link right?');
  const hit = (await server.api('/api/v1/search/messages?q=parcel%20koln')).data[0];
  assert.equal(hit.conversation.id, greta);

  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  watchPage(page, 'search', logs);
  await signIn(page, server);

  await page.getByLabel('Search messages', { exact: true }).fill('PARCEL');
  await page.locator('#message-search-submit').click();
  await page.locator('#message-search-status', { hasText: '2 matching messages' }).waitFor();
  const hits = page.locator('#message-search-results .search-hit');
  assert.equal(await hits.count(), 2);
  // The snippet: message markup shown as text, the matching word in <mark>.
  const gretaHit = page.locator(`#message-search-results .search-hit[data-message-id="${hit.message.id}"]`);
  assert.match(await gretaHit.innerText(), /Greta/);
  assert.equal(await gretaHit.locator('.search-hit-snippet').innerText(), 'My <b>parcel</b> to Köln never arrived');
  assert.equal(await gretaHit.locator('b').count(), 0);
  assert.deepEqual(await gretaHit.locator('mark').allInnerTexts(), ['parcel']);

  // No match: says so. Then the first search again, and open Greta's hit.
  await page.getByLabel('Search messages', { exact: true }).fill('zzzzqx');
  await page.locator('#message-search-submit').click();
  await page.locator('#message-search-status', { hasText: 'No messages match.' }).waitFor();
  await page.getByLabel('Search messages', { exact: true }).fill('parcel koln');
  await page.getByLabel('Search messages', { exact: true }).press('Enter');
  await page.locator('#message-search-status', { hasText: '1 matching message' }).waitFor();
  await gretaHit.click();
  await page.locator('#thread-title', { hasText: 'Greta' }).waitFor();
  const found = page.locator(`.messages [data-message-id="${hit.message.id}"].msg-found`);
  await found.waitFor();
  // Scrolled to it: the first of 41 messages is in view, not the end of the thread.
  await page.waitForFunction((id) => {
    const log = document.querySelector('.messages');
    const node = document.querySelector(`.messages [data-message-id="${id}"]`);
    if (!log || !node) return false;
    const a = log.getBoundingClientRect();
    const b = node.getBoundingClientRect();
    return b.top >= a.top - 1 && b.bottom <= a.bottom + 1 && log.scrollTop < log.scrollHeight - log.clientHeight - 10;
  }, hit.message.id);
  await page.screenshot({ path: join(outDir, 'console-agent-tools-search.png') });
  await ctx.close();
});

test('@-mention a colleague in a note: autocomplete, live badge, list', { timeout: 120_000 }, async () => {
  const bea = await server.api('/api/v1/agents', {
    method: 'POST',
    body: JSON.stringify({ email: 'bea@demo.test', name: 'Bea Rossi', role: 'agent', password: 'bea-password-123' }),
  });
  await server.api('/api/v1/agents', {
    method: 'POST',
    body: JSON.stringify({ email: 'ben@demo.test', name: 'Ben', role: 'agent', password: 'ben-password-123' }),
  });
  const conv = await visitorSays(server, 'Ivo', 'Can I change the size of my order?');

  // Bea is signed in elsewhere: no mentions yet.
  const beaCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const beaPage = await beaCtx.newPage();
  watchPage(beaPage, 'bea', logs);
  await signIn(beaPage, server, { email: 'bea@demo.test', password: 'bea-password-123' });
  await beaPage.locator('#mentions-button[data-unread="0"]').waitFor();
  assert.equal(await beaPage.locator('#mentions-count').isHidden(), true);

  // The admin writes a note: "@be" offers Bea Rossi and Ben; the arrows and Enter pick Bea.
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  watchPage(page, 'admin', logs);
  await signIn(page, server);
  await page.locator(`[data-conversation-id="${conv}"]`).click();
  await page.locator('#thread-title', { hasText: 'Ivo' }).waitFor();
  await page.locator('label[for="note-toggle"]').click();
  const composer = page.locator('#composer-text');
  await composer.click();
  await composer.pressSequentially('Please check this @be');
  await page.locator('#mention-picker:not([hidden]) .mention-option', { hasText: 'Ben' }).waitFor();
  assert.deepEqual(await page.locator('#mention-picker .mention-option').allInnerTexts(), ['Bea Rossi', 'Ben']);
  await composer.press('ArrowDown');
  await composer.press('ArrowUp');
  await composer.press('Enter'); // picks, does not send
  assert.equal(await composer.inputValue(), 'Please check this @Bea Rossi ');
  assert.equal(await page.locator('#mention-picker').isHidden(), true);
  await composer.pressSequentially('thanks');
  await composer.press('Enter');
  const noteNode = page.locator('.messages .msg-note', { hasText: 'Please check this @Bea Rossi thanks' });
  await noteNode.waitFor();
  await noteNode.locator('.note-mentions', { hasText: 'Mentioned: Bea Rossi' }).waitFor();
  const note = (await server.api(`/api/v1/conversations/${conv}/messages`)).data.find((m) => m.kind === 'note');
  assert.deepEqual(note.content.mentions, [{ agent_id: bea.id, name: 'Bea Rossi' }]);
  // In a reply (not a note): no suggestions.
  await page.locator('label[for="note-toggle"]').click();
  await composer.pressSequentially('Hi @be');
  assert.equal(await page.locator('#mention-picker').isHidden(), true);
  await composer.fill('');

  // Bea's badge counts it live; her list opens the note in its conversation and marks it read.
  await beaPage.locator('#mentions-button[data-unread="1"]').waitFor({ timeout: 15_000 });
  assert.equal(await beaPage.locator('#mentions-count').innerText(), '1');
  await beaPage.locator('#mentions-button').click();
  const item = beaPage.locator(`#mentions-list .mention-item.is-unread[data-message-id="${note.id}"]`);
  await item.waitFor();
  assert.match(await item.innerText(), /Ivo/);
  await item.click();
  await beaPage.locator('#thread-title', { hasText: 'Ivo' }).waitFor();
  await beaPage.locator(`.messages [data-message-id="${note.id}"].msg-found`).waitFor();
  await beaPage.locator('#mentions-button[data-unread="0"]').waitFor();
  const read = await fetchAs(beaPage, '/api/v1/mentions?unread=true');
  assert.equal(read.unread_count, 0);
  await beaPage.screenshot({ path: join(outDir, 'console-agent-tools-mention.png') });

  // The author is not told about her own note.
  await page.locator('#mentions-button[data-unread="0"]').waitFor();
  await beaCtx.close();
  await ctx.close();
});

/** A GET with the page's session cookie. */
async function fetchAs(page, path) {
  return page.evaluate(async (p) => (await fetch(p, { credentials: 'same-origin' })).json(), path);
}
