// Selling in the conversation, in real browsers against the real server: the agent searches the
// catalog in the console and sends a product card, builds a cart, applies a discount code (a
// refused one says why), sends the cart summary and a payment link; the visitor sees the product
// card, the cart and the payment card with its verification code, and the card turns "Paid" after
// paying through the sandbox.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildWeb, launchBrowser, outDir, watchPage } from './helpers/env.mjs';
import { startBottega } from './helpers/server.mjs';

let server;
let browser;
const logs = [];

before(async () => {
  buildWeb();
  server = await startBottega('console-sell');
  browser = await launchBrowser();
  await server.api('/api/v1/products', {
    method: 'POST',
    body: JSON.stringify({
      handle: 'chelsea-boots',
      title: { en: 'Chelsea boots', it: 'Stivaletti' },
      description: { en: 'Waxed leather, <b>made</b> in Italy' },
      images: [{ url: 'https://img.example/boots.jpg', alt: 'boots' }],
      variants: [
        { sku: 'BOOT-40', title: '40', prices: { EUR: 12000 }, stock: 4 },
        { sku: 'BOOT-41', title: '41', prices: { EUR: 12000 }, stock: 0 },
      ],
    }),
  });
  await server.api('/api/v1/discounts', {
    method: 'POST',
    body: JSON.stringify({ code: 'WELCOME10', kind: 'percentage', percent: '10' }),
  });
  await server.api('/api/v1/discounts', {
    method: 'POST',
    body: JSON.stringify({ code: 'BIGSPEND', kind: 'percentage', percent: '20', currency: 'EUR', minimum_subtotal: 100000 }),
  });
  await server.api('/api/v1/payment_providers', {
    method: 'POST',
    body: JSON.stringify({ type: 'sandbox', name: 'Sandbox', settings: { async_delay_ms: 200 } }),
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  writeFileSync(join(outDir, 'browser-console-sell.log'), logs.join('\n') + '\n');
});

test('agent sends a product card and a cart payment link; the visitor sees the cards and pays', { timeout: 180_000 }, async () => {
  const agentCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const visitorCtx = await browser.newContext({ viewport: { width: 480, height: 860 } });
  const agent = await agentCtx.newPage();
  const visitor = await visitorCtx.newPage();
  watchPage(agent, 'agent', logs);
  watchPage(visitor, 'visitor', logs);

  // The visitor asks on the hosted chat page.
  await visitor.goto(`${server.origin}/chat/${server.channelId}`);
  await visitor.locator('h2.title', { hasText: 'Demo shop' }).waitFor();
  const input = visitor.getByLabel('Your message');
  await input.fill('Do you have Chelsea boots in 40?');
  await input.press('Enter');
  await visitor.locator('li.is-pending').waitFor({ state: 'detached' });

  // The agent opens the conversation and the selling drawer.
  await agent.goto(server.origin + '/');
  await agent.getByLabel('Email').fill(server.agent.email);
  await agent.getByLabel('Password').fill(server.agent.password);
  await agent.getByRole('button', { name: 'Sign in' }).click();
  await agent.locator('#conversation-list button.conv', { hasText: 'Chelsea boots in 40' }).click({ timeout: 15_000 });
  await agent.locator('#sell-drawer > summary').click();
  await agent.getByLabel('Search products').fill('chelsea');
  await agent.locator('#sell-drawer').getByRole('button', { name: 'Search', exact: true }).click();
  await agent.locator('.sell-result', { hasText: 'BOOT-40' }).waitFor();
  assert.match(await agent.locator('.sell-result', { hasText: 'BOOT-41' }).innerText(), /Out of stock/);
  assert.equal(await agent.locator('button[data-add-sku="BOOT-41"]').isDisabled(), true, 'no adding what is not in stock');

  // Product card: sent from the console, rendered as a card for the visitor.
  await agent.locator('button[data-sku="BOOT-40"]').click();
  await agent.locator('.sell-status', { hasText: 'Product card sent.' }).waitFor();
  await agent.locator('.messages .card-product', { hasText: 'Chelsea boots - 40' }).waitFor({ timeout: 15_000 });
  const card = visitor.locator('li.msg-shop .card-product');
  await card.waitFor({ timeout: 15_000 });
  assert.equal(await card.locator('.card-title').innerText(), 'Chelsea boots - 40');
  assert.equal(await card.locator('.card-price').innerText(), '€120.00');
  assert.equal(await card.locator('.card-stock').innerText(), 'In stock');
  assert.equal(await card.locator('img.card-image').getAttribute('src'), 'https://img.example/boots.jpg');
  assert.equal(await card.locator('b').count(), 0, 'catalog text is never HTML');

  // Cart: two units, a refused code says why, a good code applies.
  await agent.locator('button[data-add-sku="BOOT-40"]').click();
  await agent.locator('.sell-cart-line[data-sku="BOOT-40"]').waitFor();
  await agent.locator('button[data-add-sku="BOOT-40"]').click();
  await agent.locator('.sell-cart-line[data-sku="BOOT-40"]', { hasText: '2 × ' }).waitFor();
  await agent.getByLabel('Discount code').fill('bigspend');
  await agent.getByRole('button', { name: 'Apply' }).click();
  await agent.locator('.sell-status.is-error', { hasText: 'minimum_not_reached' }).waitFor();
  await agent.getByLabel('Discount code').fill('welcome10');
  await agent.getByRole('button', { name: 'Apply' }).click();
  await agent.locator('.sell-status', { hasText: 'Code WELCOME10 applied.' }).waitFor();
  assert.equal(await agent.locator('dd.sell-total').innerText(), '€216.00');

  // The cart summary and the payment link reach the visitor as cards; the code is visible.
  await agent.locator('#sell-send-cart').click();
  const cartCard = visitor.locator('li.msg-shop .card-cart');
  await cartCard.waitFor({ timeout: 15_000 });
  assert.match(await cartCard.innerText(), /2 × Chelsea boots - 40/);
  assert.match(await cartCard.locator('.cart-total').innerText(), /€216\.00/);
  await agent.locator('#sell-send-link').click();
  await agent.locator('.sell-status', { hasText: 'Payment link sent' }).waitFor();
  const code = (await agent.locator('.sell-status').innerText()).match(/code ([A-Z0-9-]+)/)[1];
  await agent.locator('.sell-held').waitFor();
  const pay = visitor.locator('li.msg-shop .card-payment');
  await pay.waitFor({ timeout: 15_000 });
  assert.equal(await pay.locator('.card-code-value').innerText(), code);
  assert.equal(await pay.locator('.card-amount').innerText(), '€216.00');
  await visitor.screenshot({ path: join(outDir, 'sell-visitor.png') });
  await agent.screenshot({ path: join(outDir, 'sell-console.png') });

  // The visitor pays on the checkout page (same code), through the sandbox; the card turns Paid.
  const href = await pay.locator('a.card-button').getAttribute('href');
  const checkout = await visitorCtx.newPage();
  await checkout.goto(href);
  await checkout.locator('body', { hasText: code }).waitFor();
  await checkout.getByRole('button', { name: /Pay/ }).first().click();
  await checkout.getByRole('button', { name: /Card 4242/ }).first().click();
  await pay.locator('.card-paid').waitFor({ timeout: 20_000 });
  await agent.locator('.messages .card-payment .card-paid').waitFor({ timeout: 15_000 });
  await visitor.locator('li.msg-shop', { hasText: /Order #\d+/ }).waitFor();

  await agentCtx.close();
  await visitorCtx.close();
});
