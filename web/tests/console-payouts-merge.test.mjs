// Payouts and contact merging in the console, against the real server and the provider simulator:
// an agent pays a customer's store credit out from the customer panel (over the credit refused, a
// confirmation, above the shop's threshold it waits), Settings > Payouts lists it, the requester
// cannot approve it (four eyes), a second admin does and it is paid out; then the agent merges the
// same customer's Messenger contact into the WhatsApp one (a contact with another WhatsApp identity
// is refused, saying why), after a confirmation.
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
const logs = [];

before(async () => {
  buildWeb();
  [server, sim] = await Promise.all([startBottega('console-payouts-merge', { config: SIM_CONFIG }), startSim()]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await Promise.all([server?.stop(), sim?.stop()]);
  writeFileSync(join(outDir, 'browser-console-payouts-merge.log'), logs.join('\n') + '\n');
});

async function until(fn, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Pays a link through the sandbox's pages, as a customer's browser would (forms, redirects). */
async function payThroughSandbox(url) {
  const path = url.slice(url.indexOf('/pay/'));
  const post = (p, body) =>
    fetch(server.origin + p, { method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body });
  const start = await post(path, 'lang=en');
  assert.equal(start.status, 303);
  const session = start.headers.get('location').replace(server.origin, '');
  const done = await post(session, 'method=card_success');
  assert.equal(done.status, 303);
}

async function conversationOf(channelId) {
  return until(async () => (await server.api(`/api/v1/conversations?channel_id=${channelId}`)).data[0], `a conversation on ${channelId}`);
}

test('payout from the customer panel, four-eyes approval on Settings > Payouts; merge contacts', { timeout: 180_000 }, async () => {
  const wa = await sim.whatsappChannel(server, 'WhatsApp shop');
  const ms = await sim.messengerChannel(server, 'Messenger page');
  await server.api('/api/v1/payment_providers', { method: 'POST', body: JSON.stringify({ type: 'sandbox', name: 'Sandbox', settings: {} }) });
  await server.api('/api/v1/payment_settings', { method: 'PUT', body: JSON.stringify({ refund_approval_threshold: null, payout_approval_threshold: 500 }) });
  const bea = { email: 'bea@demo.test', password: 'bea-password-123' };
  await server.api('/api/v1/agents', { method: 'POST', body: JSON.stringify({ ...bea, name: 'Bea', role: 'admin' }) });

  await sim.whatsappInbound(wa, { from: '16505550301', name: 'Asha Rao', message: { type: 'text', text: { body: 'Can I get my credit back as money?' } } });
  const asha = await conversationOf(wa.ch.id);
  await sim.messengerInbound(ms, { psid: '7100000000000301', text: 'Hi, Asha here on Messenger' });
  const ashaMs = await conversationOf(ms.ch.id);
  await sim.whatsappInbound(wa, { from: '16505550302', name: 'Dario Neri', message: { type: 'text', text: { body: 'Hello' } } });
  const dario = await until(
    async () => (await server.api(`/api/v1/conversations?channel_id=${wa.ch.id}`)).data.find((c) => c.contact.name === 'Dario Neri'),
    'Dario',
  );

  // The shop holds money at the sandbox (a paid link), and Asha has €20.00 of store credit.
  const link = await server.api('/api/v1/payment_links', { method: 'POST', body: JSON.stringify({ contact_id: asha.contact.id, amount: 5000, currency: 'EUR' }) });
  await payThroughSandbox(link.url);
  await until(async () => (await server.api(`/api/v1/payments/${link.id}`)).status === 'paid', 'the link is paid');
  await server.api(`/api/v1/contacts/${asha.contact.id}/credit`, { method: 'POST', body: JSON.stringify({ amount: 2000, currency: 'EUR', reason: 'late parcel' }) });

  // ---- the payout, from the customer panel
  const ctxA = await browser.newContext({ viewport: { width: 1360, height: 1000 } });
  const page = await ctxA.newPage();
  watchPage(page, 'payouts-admin-a', logs);
  await signIn(page, server);
  await page.locator(`[data-conversation-id="${asha.id}"]`).click({ timeout: 15_000 });
  const panel = page.locator('#customer-panel');
  await panel.locator('.customer-credit li[data-currency="EUR"]', { hasText: '€20.00' }).waitFor({ timeout: 10_000 });
  await panel.getByRole('button', { name: 'Pay out credit…' }).click();
  await panel.getByLabel('How much to pay out').fill('30');
  await panel.getByLabel('Reason for the payout').fill('wants a bank transfer');
  await panel.getByRole('button', { name: 'Review', exact: true }).click();
  await panel.locator('.customer-status.is-error', { hasText: 'at most the credit (€20.00)' }).waitFor();
  await panel.getByLabel('How much to pay out').fill('15');
  await panel.getByRole('button', { name: 'Review', exact: true }).click();
  await panel.locator('.payout-confirm', { hasText: 'Pay €15.00 of store credit out to the customer' }).waitFor();
  await panel.getByRole('button', { name: 'Confirm payout' }).click();
  await panel.locator('.customer-status', { hasText: 'Payout of €15.00 waits for an admin’s approval.' }).waitFor({ timeout: 10_000 });
  await panel.locator('.customer-credit li[data-currency="EUR"]', { hasText: '€5.00' }).waitFor({ timeout: 10_000 });
  const payouts = (await server.api(`/api/v1/payouts?contact_id=${asha.contact.id}`)).data;
  assert.deepEqual(payouts.map((p) => [p.amount, p.status, p.reason]), [[1500, 'pending_approval', 'wants a bank transfer']]);
  const payoutId = payouts[0].id;

  // ---- Settings > Payouts: the requester cannot approve her own payout
  await page.goto(`${server.origin}/#/settings/payouts`);
  const row = page.locator(`#payouts-table tr[data-payout-id="${payoutId}"]`);
  await row.locator('td[data-contact-id]', { hasText: 'Asha Rao' }).waitFor({ timeout: 10_000 });
  assert.match(await row.innerText(), /Asha Rao\s+€15\.00\s+wants a bank transfer\s+Waiting for approval/);
  await row.getByRole('button', { name: 'Approve' }).click();
  await page.locator('#payouts-status.is-error', { hasText: 'four_eyes' }).waitFor();

  // A second admin approves it; the sandbox pays it out.
  const ctxB = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const pageB = await ctxB.newPage();
  watchPage(pageB, 'payouts-admin-b', logs);
  await signIn(pageB, server, bea);
  await pageB.goto(`${server.origin}/#/settings/payouts`);
  await pageB.locator('#payouts-filter').selectOption({ label: 'Waiting for approval' });
  const rowB = pageB.locator(`#payouts-table tr[data-payout-id="${payoutId}"]`);
  await rowB.waitFor({ timeout: 10_000 });
  await rowB.getByRole('button', { name: 'Approve' }).click();
  await pageB.locator('#payouts-status', { hasText: 'Payout of €15.00 approved.' }).waitFor({ timeout: 10_000 });
  await until(async () => (await server.api(`/api/v1/payouts?status=succeeded`)).data.some((p) => p.id === payoutId), 'the payout succeeds');
  await pageB.locator('#payouts-filter').selectOption({ label: 'Paid out' });
  await pageB.locator(`#payouts-table tr[data-payout-id="${payoutId}"][data-status="succeeded"]`).waitFor({ timeout: 10_000 });
  assert.match(await pageB.locator(`#payouts-table tr[data-payout-id="${payoutId}"]`).innerText(), /Paid out\s+\S+ \/ Bea/);
  // Bea keeps the Messenger conversation open while the merge happens elsewhere.
  await pageB.goto(`${server.origin}/#/inbox`);
  await pageB.locator(`[data-conversation-id="${ashaMs.id}"]`).click({ timeout: 15_000 });
  await pageB.locator(`#customer-panel[data-contact-id="${ashaMs.contact.id}"]`).waitFor({ timeout: 10_000 });

  // ---- merge: another WhatsApp identity is refused; the Messenger contact joins Asha
  await page.goto(`${server.origin}/#/inbox`);
  await page.locator(`[data-conversation-id="${asha.id}"]`).click({ timeout: 15_000 });
  await panel.getByRole('button', { name: 'Merge with another contact…' }).click();
  await panel.getByLabel('The same customer as').selectOption(dario.contact.id);
  await panel.getByRole('button', { name: 'Review merge' }).click();
  await panel.locator('.merge-confirm', { hasText: /Merge Dario Neri · whatsapp into this customer\?/ }).waitFor();
  await panel.getByRole('button', { name: 'Merge contacts' }).click();
  await panel.locator('.customer-status.is-error', { hasText: 'identity_conflict' }).waitFor({ timeout: 10_000 });
  assert.equal((await server.api(`/api/v1/contacts/${dario.contact.id}`)).id, dario.contact.id, 'nothing merged');
  // Back to the form (the confirmation's Cancel), and the right contact this time.
  await panel.locator('.merge-confirm').getByRole('button', { name: 'Cancel', exact: true }).click();
  await panel.getByLabel('The same customer as').selectOption(ashaMs.contact.id);
  await panel.getByRole('button', { name: 'Review merge' }).click();
  await panel.locator('.merge-confirm', { hasText: /· messenger into this customer\?/ }).waitFor();
  await panel.getByRole('button', { name: 'Merge contacts' }).click();
  await panel.locator('.customer-status', { hasText: 'Merged: 1 conversation moved here.' }).waitFor({ timeout: 10_000 });
  // The Messenger conversation is now one of Asha's other conversations.
  await panel.locator(`[data-conversation-link="${ashaMs.id}"]`).waitFor({ timeout: 10_000 });
  const kept = await server.api(`/api/v1/contacts/${asha.contact.id}`);
  assert.deepEqual(kept.identities.map((i) => i.channel_type).sort(), ['messenger', 'whatsapp']);
  const gone = await fetch(`${server.origin}/api/v1/contacts/${ashaMs.contact.id}`, { headers: { Authorization: `Bearer ${server.apiToken}` } });
  assert.equal(gone.status, 404);
  assert.equal((await gone.json()).error.code, 'contact_merged');
  // Bea's open conversation now shows the kept customer beside it.
  await pageB.locator(`#customer-panel[data-contact-id="${asha.contact.id}"] .customer-name`, { hasText: 'Asha Rao' }).waitFor({ timeout: 15_000 });
  await ctxB.close();
  await page.screenshot({ path: join(outDir, 'console-payouts-merge.png') });
  await ctxA.close();
});
