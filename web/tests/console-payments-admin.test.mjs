// Settings > Payments against the real server: connect a Mollie provider (a missing key refused
// before sending), see and copy its webhook URL, secrets never shown; set the refund approval
// threshold; a refund above it then waits in the conversation, its requester cannot approve it
// (four eyes), a second admin does, and both consoles see it settle.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildWeb, launchBrowser, outDir, watchPage } from './helpers/env.mjs';
import { startBottega } from './helpers/server.mjs';
import { signIn } from './helpers/console.mjs';

let server;
let browser;
const logs = [];

before(async () => {
  buildWeb();
  server = await startBottega('console-payments-admin');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  writeFileSync(join(outDir, 'browser-console-payments-admin.log'), logs.join('\n') + '\n');
});

test('payment providers with their webhook URL, and the refund approval threshold', { timeout: 90_000 }, async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await ctx.newPage();
  watchPage(page, 'payments-admin', logs);
  await signIn(page, server);
  await page.goto(`${server.origin}/#/settings/payments`);
  await page.locator('#provider-form').waitFor({ timeout: 10_000 });
  await page.getByText('No payment provider yet').waitFor();

  await page.locator('#new-provider-type').selectOption('mollie');
  await page.locator('#new-provider-name').fill('Mollie NL');
  await page.getByRole('button', { name: 'Connect a provider' }).click();
  await page.locator('#new-provider-error', { hasText: 'api_key is required.' }).waitFor();
  assert.equal((await server.api('/api/v1/payment_providers')).data.length, 0, 'nothing sent');
  await page.locator('#provider-setting-api_key').fill('test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM');
  await page.getByRole('button', { name: 'Connect a provider' }).click();
  const hook = page.locator('#new-provider-webhook');
  await hook.waitFor({ timeout: 10_000 });
  const providers = (await server.api('/api/v1/payment_providers')).data;
  assert.equal(providers.length, 1);
  assert.equal(providers[0].type, 'mollie');
  assert.equal(await hook.innerText(), providers[0].webhook_url);
  assert.match(providers[0].webhook_url, /\/webhooks\/psp\//);
  const row = page.locator(`#providers-table tr[data-provider-id="${providers[0].id}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), /Mollie NL\s+mollie/);
  assert.equal(await page.getByText('test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM').count(), 0, 'secrets are never shown');
  await row.getByRole('button', { name: 'Copy the webhook URL of Mollie NL' }).waitFor();

  // Approvals: a refund above €50.00 waits for a second admin.
  await page.getByLabel('Refunds above').fill('5,000');
  await page.locator('#guardrails-form').getByRole('button', { name: 'Save' }).click();
  await page.locator('#guardrails-error', { hasText: 'a whole number' }).waitFor();
  await page.getByLabel('Refunds above').fill('5000');
  await page.locator('#guardrails-form').getByRole('button', { name: 'Save' }).click();
  await page.locator('#guardrails-saved', { hasText: 'Saved.' }).waitFor();
  assert.deepEqual(await server.api('/api/v1/payment_settings'), { refund_approval_threshold: 5000, payout_approval_threshold: null });
  await page.reload();
  await page.locator('#guardrails-form').waitFor({ timeout: 10_000 });
  assert.equal(await page.getByLabel('Refunds above').inputValue(), '5000');
  await page.screenshot({ path: join(outDir, 'console-payments-admin.png'), fullPage: true });

  // A paid €80.00 payment in a conversation (sandbox, paid through its pages).
  await server.api('/api/v1/payment_providers', { method: 'POST', body: JSON.stringify({ type: 'sandbox', name: 'Sandbox', settings: { async_delay_ms: 100 } }) });
  const v = await fetch(`${server.origin}/api/v1/webchat/${server.channelId}/visitors`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }).then((r) => r.json());
  const sent = await fetch(`${server.origin}/api/v1/webchat/${server.channelId}/messages`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Visitor-Token': v.visitor_token }, body: JSON.stringify({ text: 'Can I pay for the custom order?' }),
  }).then((r) => r.json());
  const sandbox = (await server.api('/api/v1/payment_providers')).data.find((x) => x.type === 'sandbox');
  const link = await server.api('/api/v1/payment_links', {
    method: 'POST', body: JSON.stringify({ conversation_id: sent.conversation_id, amount: 8000, currency: 'EUR', provider_id: sandbox.id, description: 'Custom order' }),
  });
  const checkout = await ctx.newPage();
  await checkout.goto(link.url);
  await checkout.getByRole('button', { name: /Pay/ }).first().click();
  await checkout.getByRole('button', { name: /Card 4242/ }).first().click();
  for (let i = 0; i < 100 && (await server.api(`/api/v1/payments/${link.id}`)).status !== 'paid'; i++) await new Promise((r) => setTimeout(r, 100));
  await checkout.close();

  // The agent asks for €60.00 back: above the threshold, it waits; the requester cannot approve it.
  await page.goto(`${server.origin}/#/inbox`);
  await page.locator(`[data-conversation-id="${sent.conversation_id}"]`).click({ timeout: 10_000 });
  const refunds = page.locator(`.refund-panel[data-payment-id="${link.id}"]`);
  await refunds.locator('.payment-state', { hasText: 'Paid' }).waitFor({ timeout: 10_000 });
  await refunds.getByRole('button', { name: 'Refund…' }).click();
  await refunds.getByLabel('Refund amount').fill('60');
  await refunds.getByLabel('Reason').fill('Wrong engraving');
  await refunds.getByRole('button', { name: 'Review refund' }).click();
  await refunds.getByRole('button', { name: 'Confirm refund' }).click();
  await refunds.locator('.refund-status', { hasText: "waits for an admin's approval" }).waitFor({ timeout: 10_000 });
  const pending = refunds.locator('.refund-pending_approval');
  await pending.waitFor();
  await pending.getByRole('button', { name: 'Approve' }).click();
  await refunds.locator('.refund-status.is-error', { hasText: 'four_eyes' }).waitFor({ timeout: 10_000 });

  // A second admin approves it; both see it settle.
  await server.api('/api/v1/agents', { method: 'POST', body: JSON.stringify({ email: 'boss@demo.test', name: 'Boss', role: 'admin', password: 'another long password' }) });
  const ctx2 = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const boss = await ctx2.newPage();
  watchPage(boss, 'second-admin', logs);
  await signIn(boss, server, { email: 'boss@demo.test', password: 'another long password' });
  await boss.locator(`[data-conversation-id="${sent.conversation_id}"]`).click({ timeout: 10_000 });
  const bossRefunds = boss.locator(`.refund-panel[data-payment-id="${link.id}"]`);
  await bossRefunds.locator('.refund-pending_approval').getByRole('button', { name: 'Approve' }).click();
  await bossRefunds.locator('.payment-state', { hasText: 'Partly refunded' }).waitFor({ timeout: 15_000 });
  await refunds.locator('.payment-state', { hasText: 'Partly refunded' }).waitFor({ timeout: 15_000 });
  assert.match(await refunds.locator('.refund-succeeded').innerText(), /Refund €60\.00: refunded \(Wrong engraving\)/);
  const payment = await server.api(`/api/v1/payments/${link.id}`);
  assert.equal(payment.refunded, 6000);
  assert.equal(payment.refunds[0].approved_by !== payment.refunds[0].requested_by, true);
  await ctx2.close();
  await ctx.close();
});
