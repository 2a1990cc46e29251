// The cart builder's quantities, shipping option and the agent's own discount, and a payment link
// that spends the customer's store credit first, against the real server.
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
  server = await startBottega('console-sell-extras');
  browser = await launchBrowser();
  await server.api('/api/v1/products', {
    method: 'POST',
    body: JSON.stringify({ handle: 'wool-scarf', title: { en: 'Wool scarf' }, variants: [{ sku: 'SCARF', title: 'Red', prices: { EUR: 3500 }, stock: 5 }] }),
  });
  await server.api('/api/v1/commerce/settings', {
    method: 'PATCH',
    body: JSON.stringify({
      shipping_options: [{ id: 'std', name: 'Standard', prices: { EUR: 590 }, free_over: { EUR: 20000 } }],
      manual_discount_limits: { agent: '10', admin: '20' },
    }),
  });
  await server.api('/api/v1/payment_providers', {
    method: 'POST',
    body: JSON.stringify({ type: 'sandbox', name: 'Sandbox', settings: { async_delay_ms: 200 } }),
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  writeFileSync(join(outDir, 'browser-console-sell-extras.log'), logs.join('\n') + '\n');
});

test('cart quantities, shipping, manual discount, payment link with store credit', { timeout: 120_000 }, async () => {
  const conv = await visitorSays(server, 'Rita', 'I would like some scarves');
  const contact = (await server.api(`/api/v1/conversations/${conv}`)).contact.id;
  await server.api(`/api/v1/contacts/${contact}/credit`, {
    method: 'POST',
    body: JSON.stringify({ amount: 1000, currency: 'EUR', reason: 'goodwill' }),
  });

  const page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
  watchPage(page, 'sell-extras', logs);
  await signIn(page, server);
  await page.locator(`[data-conversation-id="${conv}"]`).click({ timeout: 15_000 });
  await page.locator('#sell-drawer > summary').click();
  await page.getByLabel('Search products').fill('scarf');
  await page.locator('#sell-drawer').getByRole('button', { name: 'Search', exact: true }).click();
  await page.locator('button[data-add-sku="SCARF"]').click();
  const line = page.locator('.sell-cart-line[data-sku="SCARF"]');
  await line.filter({ hasText: '1 × ' }).waitFor();

  // Quantity: over the stock is refused and says why; 3 is taken.
  const qty = page.getByLabel('Quantity of SCARF');
  await qty.fill('9');
  await qty.press('Tab');
  await page.locator('.sell-status.is-error', { hasText: 'insufficient_stock' }).waitFor();
  await page.waitForFunction(() => document.querySelector('[data-qty-sku="SCARF"]')?.value === '1');
  await page.getByLabel('Quantity of SCARF').fill('3');
  await page.getByLabel('Quantity of SCARF').press('Tab');
  await line.filter({ hasText: '3 × ' }).waitFor();
  await page.locator('dd.sell-subtotal', { hasText: '€105.00' }).waitFor();

  // Shipping from the shop's options.
  await page.getByLabel('Shipping', { exact: true }).selectOption('std');
  await page.locator('dd.sell-shipping', { hasText: '€5.90' }).waitFor();
  assert.match(await page.locator('dt.sell-shipping').innerText(), /Standard/);
  await page.locator('dd.sell-total', { hasText: '€110.90' }).waitFor();

  // The agent's own discount: over the role's limit is refused by the server, 10 % is given.
  await page.getByLabel('Kind').selectOption('percentage');
  await page.getByLabel('Value').fill('50');
  await page.getByRole('button', { name: 'Give discount' }).click();
  await page.locator('.sell-status.is-error', { hasText: 'manual_discount_over_limit' }).waitFor();
  await page.getByLabel('Value').fill('10');
  await page.getByLabel('Reason (optional)').fill('loyal customer');
  await page.getByRole('button', { name: 'Give discount' }).click();
  await page.locator('.sell-status', { hasText: 'Discount of 10 % given.' }).waitFor();
  await page.locator('dd.sell-manual-discount', { hasText: '-€10.50' }).waitFor();
  await page.locator('dd.sell-total', { hasText: '€100.40' }).waitFor();
  const cartId = (await server.api(`/api/v1/contacts/${contact}/profile`)).open_carts[0].id;
  const cart = await server.api(`/api/v1/carts/${cartId}`);
  assert.deepEqual(cart.items.map((i) => [i.sku, i.quantity]), [['SCARF', 3]]);
  assert.equal(cart.shipping_option, 'std');
  assert.equal(cart.manual_discount.kind, 'percentage');
  assert.equal(cart.totals.total, 10040);

  // The payment link spends the €10.00 of store credit first.
  const useCredit = page.getByLabel(/Use the customer’s store credit \(€10\.00 available\)/);
  await useCredit.check();
  await page.locator('#sell-send-link').click();
  const status = page.locator('.sell-status', { hasText: '€10.00 of store credit applied; €90.40 to pay.' });
  await status.waitFor({ timeout: 15_000 });
  const code = (await status.innerText()).match(/code ([A-Z0-9-]+)/)[1];
  const payments = (await server.api('/api/v1/payments')).data;
  const link = payments.find((p) => p.verification_code === code);
  assert.ok(link, JSON.stringify(payments));
  assert.deepEqual([link.amount, link.credit_applied, link.due, link.cart_id], [10040, 1000, 9040, cartId]);
  // The payment card in the thread says what the credit paid and what is left to pay.
  await page.locator('.messages .card-payment .card-credit', { hasText: '€10.00 paid with store credit · €90.40 to pay' }).waitFor({ timeout: 15_000 });
  await page.screenshot({ path: join(outDir, 'console-sell-extras.png') });
  await page.close();
});
