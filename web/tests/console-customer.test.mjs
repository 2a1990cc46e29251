// The customer beside the conversation, against the real server: returning customer with lifetime
// value and last order, open carts (this conversation's marked), live update when another order is
// paid, and an admin giving store credit after a confirmation.
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
  server = await startBottega('console-customer');
  browser = await launchBrowser();
  await server.api('/api/v1/products', {
    method: 'POST',
    body: JSON.stringify({ handle: 'wool-scarf', title: { en: 'Wool scarf' }, variants: [{ sku: 'SCARF', title: 'Red', prices: { EUR: 3500 }, stock: 20 }] }),
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  writeFileSync(join(outDir, 'browser-console-customer.log'), logs.join('\n') + '\n');
});

async function paidOrder(conv, quantity) {
  const cart = await server.api('/api/v1/carts', { method: 'POST', body: JSON.stringify({ conversation_id: conv, items: [{ sku: 'SCARF', quantity }] }) });
  const order = await server.api('/api/v1/orders', { method: 'POST', body: JSON.stringify({ cart_id: cart.id }) });
  await server.api(`/api/v1/orders/${order.id}`, { method: 'PATCH', body: JSON.stringify({ status: 'paid', payment_ref: `bank-${order.number}` }) });
  return order;
}

test('customer panel: returning, lifetime value, last order, open cart, live update, store credit', { timeout: 90_000 }, async () => {
  const v = await fetch(`${server.origin}/api/v1/webchat/${server.channelId}/visitors`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'Carla Rossi', email: 'carla@example.test' }),
  }).then((r) => r.json());
  const sent = await fetch(`${server.origin}/api/v1/webchat/${server.channelId}/messages`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Visitor-Token': v.visitor_token }, body: JSON.stringify({ text: 'Another scarf please' }),
  }).then((r) => r.json());
  const conv = sent.conversation_id;
  const first = await paidOrder(conv, 2);
  await server.api('/api/v1/carts', { method: 'POST', body: JSON.stringify({ conversation_id: conv, items: [{ sku: 'SCARF', quantity: 1 }] }) });

  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  watchPage(page, 'customer', logs);
  await signIn(page, server);
  await page.locator(`[data-conversation-id="${conv}"]`).click({ timeout: 15_000 });
  const panel = page.locator('#customer-panel');
  await panel.locator('.chip-customer[data-customer="returning"]').waitFor({ timeout: 10_000 });
  assert.equal(await panel.locator('.customer-name').innerText(), 'Carla Rossi');
  assert.equal(await panel.locator('.chip-customer').innerText(), 'Returning customer · 1 order');
  assert.equal(await panel.locator('.customer-ltv').innerText(), '€70.00');
  assert.match(await panel.locator('.customer-last-order').innerText(), new RegExp(`^#${first.number} · paid · €70\\.00`));
  assert.match(await panel.locator('.customer-carts li').innerText(), /^1 item · €35\.00 \(this conversation\)$/);
  assert.equal(await panel.getByText('None.').count() >= 1, true, 'no other conversations, no credit');
  // Beside the thread on a wide screen.
  const box = await panel.boundingBox();
  const log = await page.locator('.messages').boundingBox();
  assert.ok(box.x > log.x + log.width - 2, 'the panel is to the right of the messages');

  // Another order paid meanwhile: the panel follows, live.
  const second = await paidOrder(conv, 1);
  await panel.locator('.chip-customer', { hasText: 'Returning customer · 2 orders' }).waitFor({ timeout: 10_000 });
  assert.equal(await panel.locator('.customer-ltv').innerText(), '€105.00');
  assert.match(await panel.locator('.customer-last-order').innerText(), new RegExp(`^#${second.number} · paid`));

  // Store credit: amount and reason, then a confirmation.
  await panel.getByRole('button', { name: 'Give store credit…' }).click();
  await panel.getByLabel('Amount').fill('0');
  await panel.getByLabel('Reason', { exact: true }).fill('Late parcel');
  await panel.getByRole('button', { name: 'Review' }).click();
  await panel.locator('.customer-status.is-error', { hasText: 'above zero' }).waitFor();
  await panel.getByLabel('Amount').fill('5');
  await panel.getByRole('button', { name: 'Review' }).click();
  await panel.locator('.credit-confirm', { hasText: 'Give €5.00 of store credit?' }).waitFor();
  await panel.getByRole('button', { name: 'Confirm credit' }).click();
  await panel.locator('.customer-status', { hasText: '€5.00 of store credit given.' }).waitFor({ timeout: 10_000 });
  await panel.locator('.customer-credit li[data-currency="EUR"]', { hasText: '€5.00' }).waitFor({ timeout: 10_000 });
  const contact = (await server.api(`/api/v1/conversations/${conv}`)).contact.id;
  const credit = await server.api(`/api/v1/contacts/${contact}/credit`);
  assert.deepEqual(credit.data, [{ currency: 'EUR', balance: 500 }]);
  await page.screenshot({ path: join(outDir, 'console-customer.png') });

  // The inbox row says "returning" too, from the priority score. The score counts paid orders when
  // the customer's next message recomputes it: wait for the server's, then load the inbox again.
  await fetch(`${server.origin}/api/v1/webchat/${server.channelId}/messages`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Visitor-Token': v.visitor_token }, body: JSON.stringify({ text: 'And matching gloves?' }),
  });
  let factors = [];
  for (let i = 0; i < 100 && !factors.includes('returning'); i++) {
    factors = ((await server.api(`/api/v1/conversations/${conv}`)).priority_score?.components ?? []).map((x) => x.factor);
    if (!factors.includes('returning')) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(factors.includes('returning'), `the server's score counts the paid orders (${factors})`);
  await page.reload();
  const row = page.locator(`#conversation-list button.conv[data-conversation-id="${conv}"]`);
  await row.locator('.chip-newness.is-returning', { hasText: 'Returning customer' }).waitFor({ timeout: 15_000 });
  await page.close();
});

async function visitorConversation(name, text) {
  const v = await fetch(`${server.origin}/api/v1/webchat/${server.channelId}/visitors`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name }),
  }).then((r) => r.json());
  const sent = await fetch(`${server.origin}/api/v1/webchat/${server.channelId}/messages`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Visitor-Token': v.visitor_token }, body: JSON.stringify({ text }),
  }).then((r) => r.json());
  return sent.conversation_id;
}

async function paidOrderOf(conv, items) {
  const cart = await server.api('/api/v1/carts', { method: 'POST', body: JSON.stringify({ conversation_id: conv, items }) });
  const order = await server.api('/api/v1/orders', { method: 'POST', body: JSON.stringify({ cart_id: cart.id }) });
  await server.api(`/api/v1/orders/${order.id}`, { method: 'PATCH', body: JSON.stringify({ status: 'paid', payment_ref: `bank-${order.number}` }) });
  return order;
}

test('customer panel: bought-together suggestions send a card; a qualifying customer gets a reward code for the reply', { timeout: 90_000 }, async () => {
  await server.api('/api/v1/products', {
    method: 'POST',
    body: JSON.stringify({ handle: 'wool-gloves', title: { en: 'Wool gloves' }, variants: [{ sku: 'GLOVES', title: 'Grey', prices: { EUR: 2500 }, stock: 20 }] }),
  });
  await server.api('/api/v1/commerce/settings', {
    method: 'PATCH',
    body: JSON.stringify({
      reward_rules: [
        { id: 'loyal', name: 'Loyal customer', min_orders: 1, kind: 'percentage', percent: '15', valid_days: 30 },
        { id: 'vip', name: 'VIP', min_orders: 5, kind: 'percentage', percent: '25', valid_days: 30 },
      ],
    }),
  });
  // Someone else bought the scarf together with gloves; Dora bought only the scarf.
  const other = await visitorConversation('Ugo Bianchi', 'Scarf and gloves');
  await paidOrderOf(other, [{ sku: 'SCARF', quantity: 1 }, { sku: 'GLOVES', quantity: 1 }]);
  const conv = await visitorConversation('Dora Neri', 'Is the scarf warm?');

  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  watchPage(page, 'customer-extras', logs);
  await signIn(page, server);
  const row = page.locator(`#conversation-list button.conv[data-conversation-id="${conv}"]`);
  await row.locator('.chip-newness', { hasText: 'New customer' }).waitFor({ timeout: 15_000 });
  await row.click();
  const panel = page.locator('#customer-panel');
  await panel.locator('.customer-name', { hasText: 'Dora Neri' }).waitFor({ timeout: 10_000 });
  await panel.locator('.customer-rewards li[data-rule-id="loyal"][data-eligible="false"]').waitFor({ timeout: 10_000 });

  // She pays an order while the agent looks: the panel and the inbox row say "returning", live,
  // without her writing again (the server rescores her open conversations on order.paid).
  await paidOrderOf(conv, [{ sku: 'SCARF', quantity: 1 }]);
  await panel.locator('.chip-customer[data-customer="returning"]').waitFor({ timeout: 10_000 });
  await row.locator('.chip-newness.is-returning', { hasText: 'Returning customer' }).waitFor({ timeout: 15_000 });

  // Bought together: the gloves (not the scarf she has), in one other order; one click sends the card.
  const suggestion = panel.locator('.customer-suggestions li');
  await suggestion.first().waitFor({ timeout: 10_000 });
  assert.equal(await suggestion.count(), 1);
  assert.match(await suggestion.innerText(), /^Wool gloves · with theirs in 1 order/);
  await suggestion.getByRole('button', { name: 'Send card' }).click();
  await panel.locator('.customer-status', { hasText: 'Card for Wool gloves sent.' }).waitFor({ timeout: 10_000 });
  let card = null;
  for (let i = 0; i < 100 && !card; i++) {
    const msgs = (await server.api(`/api/v1/conversations/${conv}/messages`)).data;
    card = msgs.find((m) => m.kind === 'product');
    if (!card) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(card, 'the product card is in the conversation');
  assert.equal(card.content.product.sku, 'GLOVES');

  // Rewards: the rule she qualifies for offers a code; the other says how far she is.
  const loyal = panel.locator('.customer-rewards li[data-rule-id="loyal"]');
  const vip = panel.locator('.customer-rewards li[data-rule-id="vip"]');
  assert.match(await loyal.innerText(), /Loyal customer · from 1 order · qualifies/);
  assert.match(await vip.innerText(), /VIP · from 5 orders · not yet \(1 of 5\)/);
  assert.equal(await vip.getByRole('button').count(), 0, 'no code for a customer who does not qualify');
  await loyal.getByRole('button', { name: 'Give code' }).click();
  const code = loyal.locator('.reward-code code');
  await code.waitFor({ timeout: 10_000 });
  const text = await code.innerText();
  const m = /^(REWARD-[A-Z0-9]+) · valid until /.exec(text);
  assert.ok(m, `a personal code with its end date: ${text}`);
  const discounts = (await server.api('/api/v1/discounts?limit=100')).data;
  const issued = discounts.find((d) => d.code === m[1]);
  assert.ok(issued, 'the code exists at the server');
  assert.equal(issued.usage_limit, 1);
  await loyal.getByRole('button', { name: 'Put in reply' }).click();
  const composer = page.locator('#composer-text');
  assert.match(await composer.inputValue(), new RegExp(`^Here is your personal code: ${m[1]} \\(valid until .+\\)\\.$`));
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'composer-text');
  await page.screenshot({ path: join(outDir, 'console-customer-extras.png') });
  await page.close();
});
