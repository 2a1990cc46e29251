// Inbox operations in the console, against the real server: the list ordered by priority score
// (a pre-sale question above an older delivery question), the SLA countdown turning into a breach
// badge live, and the score explained on the conversation.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildWeb, launchBrowser, outDir, watchPage } from './helpers/env.mjs';
import { startBottega } from './helpers/server.mjs';

let server;
let browser;
const logs = [];

async function visitorSays(name, text) {
  const res = await fetch(`${server.origin}/api/v1/webchat/${server.channelId}/visitors`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  assert.equal(res.status, 201);
  const { visitor_token: token } = await res.json();
  const sent = await fetch(`${server.origin}/api/v1/webchat/${server.channelId}/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Visitor-Token': token },
    body: JSON.stringify({ text }),
  });
  const body = await sent.text();
  assert.equal(sent.status, 201, body);
  return JSON.parse(body).conversation_id;
}

before(async () => {
  buildWeb();
  server = await startBottega('console-service');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  writeFileSync(join(outDir, 'browser-console-service.log'), logs.join('\n') + '\n');
});

test('priority order, SLA countdown and breach badge, score explained', { timeout: 90_000 }, async () => {
  await server.api('/api/v1/service/settings', {
    method: 'PATCH',
    body: JSON.stringify({
      sla: { business_hours: false, policies: { normal: { first_response_seconds: 6 }, high: { first_response_seconds: 86400 } } },
    }),
  });
  const post = await visitorSays('Ann', 'My parcel has not arrived');
  const pre = await visitorSays('Bob', 'Is the blue jacket available in M?');
  await server.api(`/api/v1/conversations/${post}`, { method: 'PATCH', body: JSON.stringify({ tags: ['order-status'] }) });
  await server.api(`/api/v1/conversations/${pre}`, { method: 'PATCH', body: JSON.stringify({ tags: ['presale'] }) });

  const page = await browser.newPage();
  watchPage(page, 'console-service', logs);
  await page.goto(server.origin + '/');
  await page.locator('#login-email').fill(server.agent.email);
  await page.locator('#login-password').fill(server.agent.password);
  await page.locator('form.login-card button[type=submit]').click();
  await page.locator('.live.live-live').waitFor({ timeout: 15_000 });

  // The pre-sale question is first, though it came later, and says why.
  const rows = page.locator('#conversation-list [data-conversation-id]');
  await page.waitForFunction(
    (id) => document.querySelector('#conversation-list [data-conversation-id]')?.getAttribute('data-conversation-id') === id,
    pre,
    { timeout: 10_000 },
  );
  assert.equal(await rows.count(), 2);
  const preRow = page.locator(`[data-conversation-id="${pre}"]`);
  assert.equal(await preRow.locator('.chip-presale').count(), 1);
  // The delivery question has a 6-second first-response target: a countdown, then the breach badge.
  const postRow = page.locator(`[data-conversation-id="${post}"]`);
  await postRow.locator('.chip-sla').first().waitFor({ timeout: 10_000 });
  await postRow.locator('.chip-sla-breached').waitFor({ timeout: 20_000 });
  assert.match(await postRow.locator('.chip-sla-breached').textContent(), /SLA missed: first response/);
  // The pre-sale one (level high, 24 h target) is counting down.
  assert.equal(await preRow.locator('.chip-sla-breached').count(), 0);
  assert.match(await preRow.locator('.chip-sla').textContent(), /first response due in/);

  // An explicit priority moves the delivery question up, live.
  await server.api(`/api/v1/conversations/${post}`, { method: 'PATCH', body: JSON.stringify({ priority: 900 }) });
  await page.waitForFunction(
    (id) => document.querySelector('#conversation-list [data-conversation-id]')?.getAttribute('data-conversation-id') === id,
    post,
    { timeout: 10_000 },
  );
  // "Newest" orders by activity alone: the priority change just made is the newest activity.
  await page.locator('#sort-order').selectOption('recent');
  assert.equal(await rows.count(), 2);
  assert.equal(await rows.first().getAttribute('data-conversation-id'), post);
  await page.locator('#sort-order').selectOption('score');

  // The conversation shows its score and why.
  await preRow.click();
  const score = page.locator('.thread .chip-score');
  await score.waitFor({ timeout: 10_000 });
  const title = await score.getAttribute('title');
  assert.match(title, /pre-sale question/);
  assert.match(await score.textContent(), /Score \d+/);
  await page.screenshot({ path: join(outDir, 'console-service.png') });
  await page.close();
});
