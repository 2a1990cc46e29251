// Several products in one message, in real browsers against the real server: the agent ticks three
// products in the console's product search (two from one search, one from another), sends them as one
// message; the console shows the carousel with what was offered, the visitor's chat shows it as a
// carousel with an "Add to cart" button on each product, and a tap on the second product's button puts
// exactly that product in the conversation's cart.
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

const product = (handle, title, sku, price) => ({
  method: 'POST',
  body: JSON.stringify({
    handle,
    title: { en: title },
    images: [{ url: `https://img.example/${handle}.jpg`, alt: title }],
    variants: [{ sku, prices: { EUR: price }, stock: 5 }],
  }),
});

before(async () => {
  buildWeb();
  server = await startBottega('console-carousel');
  browser = await launchBrowser();
  await server.api('/api/v1/products', product('chelsea-boots', 'Chelsea boots', 'BOOT-CHELSEA', 12000));
  await server.api('/api/v1/products', product('desert-boots', 'Desert boots', 'BOOT-DESERT', 9900));
  await server.api('/api/v1/products', product('wool-scarf', 'Wool scarf', 'SCARF-RED', 3500));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  writeFileSync(join(outDir, 'browser-console-carousel.log'), logs.join('\n') + '\n');
});

test('the agent sends three products as one message; the visitor adds the second one to the cart', { timeout: 180_000 }, async () => {
  const visitor = await browser.newPage({ viewport: { width: 480, height: 860 } });
  const agent = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  watchPage(visitor, 'visitor', logs);
  watchPage(agent, 'agent', logs);

  await visitor.goto(`${server.origin}/chat/${server.channelId}`);
  const input = visitor.getByLabel('Your message');
  await input.fill('Boots and a scarf for winter?');
  await input.press('Enter');
  await visitor.locator('li.is-pending').waitFor({ state: 'detached' });
  const conv = (await server.api('/api/v1/conversations')).data[0].id;

  // The agent ticks two boots from one search and the scarf from another: the selection stays.
  await signIn(agent, server);
  await agent.locator(`[data-conversation-id="${conv}"]`).click({ timeout: 15_000 });
  await agent.locator('#sell-drawer > summary').click();
  const search = async (q, sku) => {
    await agent.getByLabel('Search products').fill(q);
    await agent.getByRole('button', { name: 'Search', exact: true }).click();
    await agent.locator('.sell-result', { hasText: sku }).waitFor();
  };
  await search('boots', 'BOOT-DESERT');
  await agent.getByLabel('Select BOOT-CHELSEA').check();
  const sendSelected = agent.locator('#sell-send-selected');
  assert.equal(await sendSelected.isDisabled(), true, 'one product is a card, not a list');
  await agent.getByLabel('Select BOOT-DESERT').check();
  await search('scarf', 'SCARF-RED');
  await agent.getByLabel('Select SCARF-RED').check();
  assert.equal(await agent.locator('.sell-selection-text').innerText(), '3 selected: BOOT-CHELSEA, BOOT-DESERT, SCARF-RED');
  assert.equal(await sendSelected.innerText(), 'Send 3 products as one message');
  await sendSelected.click();
  await agent.locator('.sell-status', { hasText: '3 products sent in one message.' }).waitFor();
  await agent.locator('.sell-selection').waitFor({ state: 'hidden' });

  // The console: one message, the carousel in the order picked, each product's offer as text.
  const offered = agent.locator('.messages .card-carousel');
  await offered.waitFor({ timeout: 15_000 });
  assert.deepEqual(await offered.locator('.card-product').evaluateAll((cards) => cards.map((c) => c.dataset.sku)), ['BOOT-CHELSEA', 'BOOT-DESERT', 'SCARF-RED']);
  assert.equal(await offered.locator('.card-offer').count(), 3);
  assert.equal(await agent.locator('.messages button.choice-buy').count(), 0, 'the console only shows what was offered');

  // The visitor: one message with a carousel of three products, prices and an "Add to cart" each.
  const msg = visitor.locator('li.msg-shop', { has: visitor.locator('.card-carousel') });
  await msg.waitFor({ timeout: 15_000 });
  assert.equal(await visitor.locator('li.msg-shop .card-carousel').count(), 1, 'one message, not three');
  const slides = msg.locator('.card-slide');
  assert.equal(await slides.count(), 3);
  assert.equal(await msg.locator('.card-list-heading').innerText(), 'Our picks for you');
  assert.deepEqual(await slides.locator('.card-title').allInnerTexts(), ['Chelsea boots', 'Desert boots', 'Wool scarf']);
  assert.deepEqual(await slides.locator('.card-price').allInnerTexts(), ['€120.00', '€99.00', '€35.00']);
  assert.equal(await slides.nth(1).locator('img.card-image').getAttribute('src'), 'https://img.example/desert-boots.jpg');
  const second = slides.nth(1).getByRole('button', { name: 'Add to cart' });
  assert.equal(await second.getAttribute('data-choice-id'), 'buy:BOOT-DESERT');
  await visitor.screenshot({ path: join(outDir, 'carousel-visitor.png') });

  // The visitor taps the second product's button: that product, and only it, lands in the cart.
  await second.click();
  await visitor.locator('li.msg-me[data-message-id]', { hasText: 'Add to cart' }).waitFor({ timeout: 10_000 });
  const note = agent.locator('.messages li.msg-note', { hasText: 'tapped "Add to cart": 1 x BOOT-DESERT added' });
  await note.waitFor({ timeout: 15_000 });
  assert.match(await note.innerText(), /99\.00/);
  await agent.locator('.sell-cart-line[data-sku="BOOT-DESERT"]', { hasText: '1 × ' }).waitFor({ timeout: 15_000 });
  await agent.screenshot({ path: join(outDir, 'carousel-console.png') });

  const contact = (await server.api(`/api/v1/conversations/${conv}`)).contact.id;
  const profile = await server.api(`/api/v1/contacts/${contact}/profile`);
  assert.equal(profile.open_carts.length, 1);
  const cart = await server.api(`/api/v1/carts/${profile.open_carts[0].id}`);
  assert.deepEqual(cart.items.map((i) => [i.sku, i.quantity]), [['BOOT-DESERT', 1]]);
  assert.equal(await agent.locator('.sell-cart-line').count(), 1);
  await visitor.close();
  await agent.close();
});
