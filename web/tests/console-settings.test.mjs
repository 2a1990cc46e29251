// Settings screens against the real server: connect a channel and get its webhook URL, refuse a
// channel with a missing secret, register a merchant webhook and read its delivery log after a
// real delivery to a local receiver.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildWeb, launchBrowser, outDir, watchPage } from './helpers/env.mjs';
import { startBottega } from './helpers/server.mjs';

let server;
let browser;
let receiver;
let received = [];
const logs = [];

before(async () => {
  buildWeb();
  // Merchant webhooks go to a receiver on loopback, which Bottega refuses unless told otherwise.
  process.env.BOTTEGA_OUTBOUND_ALLOW_PRIVATE_NETWORKS = 'true';
  server = await startBottega('console-settings');
  browser = await launchBrowser();
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(received.length === 1 ? 500 : 204).end();
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
});

after(async () => {
  delete process.env.BOTTEGA_OUTBOUND_ALLOW_PRIVATE_NETWORKS;
  await browser?.close();
  await server?.stop();
  receiver?.close();
  writeFileSync(join(outDir, 'browser-console-settings.log'), logs.join('\n') + '\n');
});

async function login(page) {
  await page.goto(server.origin + '/');
  await page.locator('#login-email').fill(server.agent.email);
  await page.locator('#login-password').fill(server.agent.password);
  await page.locator('form.login-card button[type=submit]').click();
  await page.locator('.live.live-live').waitFor({ timeout: 15_000 });
}

test('an admin connects a Telegram channel and copies its webhook URL; a missing secret is refused', { timeout: 90_000 }, async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  const page = await ctx.newPage();
  watchPage(page, 'channels', logs);
  await login(page);
  await page.locator('#nav-settings').click();
  await page.locator('#channels-table tbody tr').first().waitFor();
  assert.equal(await page.locator('#inbox-view').isHidden(), true);

  await page.locator('#new-channel-type').selectOption('telegram');
  await page.locator('#new-channel-name').fill('Telegram shop bot');
  await page.locator('#setting-bot_token').fill('123456:ABC-DEF');
  // secret_token left empty: the form says which field is missing and sends nothing.
  await page.getByRole('button', { name: 'Add a channel' }).click();
  await page.locator('#new-channel-error', { hasText: 'secret_token is required' }).waitFor();
  assert.equal((await server.api('/api/v1/channels')).data.length, 1, 'nothing was created');

  await page.locator('#setting-secret_token').fill('s3cret-token_value');
  await page.getByRole('button', { name: 'Add a channel' }).click();
  const hook = page.locator('#new-channel-webhook');
  await hook.waitFor();
  const url = await hook.innerText();
  const channels = (await server.api('/api/v1/channels')).data;
  const tg = channels.find((c) => c.type === 'telegram');
  assert.ok(tg, 'the channel exists');
  assert.equal(url, tg.webhook_url);
  await page.locator(`#channels-table tr[data-channel-id="${tg.id}"]`, { hasText: 'Telegram shop bot' }).waitFor();
  // Secrets are write-only: the page never shows them.
  assert.equal(await page.getByText('123456:ABC-DEF').count(), 0);
  await page.screenshot({ path: join(outDir, 'console-settings-channels.png') });

  // The server's own validation errors come back with the field named.
  await page.locator('#new-channel-type').selectOption('twilio');
  await page.locator('#new-channel-name').fill('SMS');
  await page.locator('#setting-account_sid').fill('not-a-sid');
  await page.locator('#setting-auth_token').fill('tok');
  await page.locator('#setting-from').fill('+15550001111');
  await page.getByRole('button', { name: 'Add a channel' }).click();
  await page.locator('#new-channel-error', { hasText: 'account_sid' }).waitFor();
  await ctx.close();
});

test('an admin registers a merchant webhook, sees the secret once and the delivery log with the retry', { timeout: 120_000 }, async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  const page = await ctx.newPage();
  watchPage(page, 'webhooks', logs);
  await login(page);
  await page.goto(server.origin + '/#/settings/webhooks');
  await page.locator('#new-endpoint-url').fill(`http://127.0.0.1:${receiver.address().port}/hooks`);
  await page.locator('#event-message-created').check();
  await page.getByRole('button', { name: 'Add an endpoint' }).click();
  const secret = await page.locator('#new-endpoint-secret').innerText();
  assert.match(secret, /^whsec_/);
  const endpoints = (await server.api('/api/v1/webhook_endpoints')).data;
  assert.equal(endpoints.length, 1);
  assert.deepEqual(endpoints[0].events, ['message.created']);
  assert.equal(endpoints[0].secret, undefined, 'the list never returns the secret');

  // A visitor message triggers a delivery; the receiver fails the first attempt, the retry lands.
  const visitor = await fetch(`${server.origin}/api/v1/webchat/${server.channelId}/visitors`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }).then((r) => r.json());
  const sent = await fetch(`${server.origin}/api/v1/webchat/${server.channelId}/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Visitor-Token': visitor.visitor_token },
    body: JSON.stringify({ text: 'hello webhook' }),
  });
  assert.equal(sent.status, 201);
  const deadline = Date.now() + 60_000;
  while (received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  assert.ok(received.length >= 2, `receiver got ${received.length} requests`);
  assert.match(received[0].headers['bottega-signature'] ?? '', /^t=\d+,v1=[0-9a-f]{64}$/);

  await page.locator(`[data-endpoint-id="${endpoints[0].id}"] button`).click();
  const table = page.locator('#deliveries-table');
  await table.waitFor();
  await table.locator('tr.failed', { hasText: '500' }).waitFor();
  await table.locator('tr.ok', { hasText: '204' }).waitFor();
  await page.screenshot({ path: join(outDir, 'console-settings-webhooks.png') });
  await ctx.close();
});

test('an admin adds a teammate, assigns a conversation to her by name, and cannot demote the last admin', { timeout: 120_000 }, async () => {
  const visitor = await fetch(`${server.origin}/api/v1/webchat/${server.channelId}/visitors`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'Team test visitor' }) }).then((r) => r.json());
  await fetch(`${server.origin}/api/v1/webchat/${server.channelId}/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Visitor-Token': visitor.visitor_token },
    body: JSON.stringify({ text: 'who will help me?' }),
  });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  const page = await ctx.newPage();
  watchPage(page, 'team', logs);
  await login(page);
  await page.goto(server.origin + '/#/settings/team');
  await page.locator('#team-table tbody tr').first().waitFor();

  // A too-short password is refused by the server with the field named; nothing is created.
  await page.locator('#new-agent-email').fill('bea@demo.test');
  await page.locator('#new-agent-name').fill('Bea');
  await page.locator('#new-agent-password').fill('short');
  await page.getByRole('button', { name: 'Add an agent' }).click();
  await page.locator('#new-agent-error', { hasText: '10 characters' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'new-agent-password');
  assert.equal((await server.api('/api/v1/agents')).data.length, 1);

  await page.locator('#new-agent-password').fill('bea first password');
  await page.getByRole('button', { name: 'Add an agent' }).click();
  await page.locator('#team-table tr', { hasText: 'bea@demo.test' }).waitFor();
  const bea = (await server.api('/api/v1/agents')).data.find((a) => a.email === 'bea@demo.test');
  assert.equal(bea.role, 'agent');

  // Demoting the only admin (the signed-in one) is refused and the menu goes back.
  const me = (await server.api('/api/v1/agents')).data.find((a) => a.role === 'admin');
  const mine = page.locator(`select[data-agent-id="${me.id}"]`);
  await mine.selectOption('agent');
  await page.locator('#team-error', { hasText: 'at least one admin' }).waitFor();
  assert.equal(await mine.inputValue(), 'admin');
  await page.screenshot({ path: join(outDir, 'console-settings-team.png') });

  // In the inbox, the teammate is in the assignee menu and the row names her.
  await page.locator('#nav-inbox').click();
  await page.locator('.conv', { hasText: 'Team test visitor' }).click();
  await page.locator('#assignee-select').selectOption(bea.id);
  await page.locator('.conv', { hasText: 'Team test visitor' }).locator('.chip-assignee', { hasText: 'Assigned to Bea' }).waitFor();
  const convs = (await server.api(`/api/v1/conversations?assignee_id=${bea.id}`)).data;
  assert.equal(convs.length, 1);
  await ctx.close();
});
