// A web chat visitor builds a cart from a product card: the card's "Add to cart" button sends the
// tap through the visitor API; one unit lands in the conversation's cart, the agent sees the note
// live in the console and the cart in the selling panel.
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
  server = await startBottega('widget-cart');
  browser = await launchBrowser();
  await server.api('/api/v1/products', {
    method: 'POST',
    body: JSON.stringify({
      handle: 'wool-scarf',
      title: { en: 'Wool scarf' },
      variants: [{ sku: 'SCARF-RED', title: 'Red', prices: { EUR: 3500 }, stock: 10 }],
    }),
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  writeFileSync(join(outDir, 'browser-widget-cart.log'), logs.join('\n') + '\n');
});

test('the visitor taps "Add to cart" on a product card; the cart and the note reach the agent', { timeout: 90_000 }, async () => {
  const visitor = await browser.newPage();
  watchPage(visitor, 'visitor', logs);
  await visitor.goto(`${server.origin}/chat/${server.channelId}`);
  const input = visitor.getByLabel('Your message');
  await input.fill('Do you have a red scarf?');
  await input.press('Enter');
  await visitor.locator('li.is-pending').waitFor({ state: 'detached' });
  const conv = (await server.api('/api/v1/conversations')).data[0].id;
  await server.api(`/api/v1/conversations/${conv}/messages`, { method: 'POST', body: JSON.stringify({ kind: 'product', sku: 'SCARF-RED', language: 'en' }) });

  const agent = await browser.newPage();
  watchPage(agent, 'agent', logs);
  await signIn(agent, server);
  await agent.locator(`[data-conversation-id="${conv}"]`).click({ timeout: 15_000 });
  await agent.locator('.messages .card-product').waitFor({ timeout: 10_000 });

  const card = visitor.locator('li.msg-shop', { has: visitor.locator('.card-product') });
  await card.waitFor({ timeout: 15_000 });
  const buy = card.getByRole('button', { name: 'Add to cart' });
  assert.equal(await buy.getAttribute('data-choice-id'), 'buy:SCARF-RED');
  await buy.click();
  await visitor.locator('li.msg-me[data-message-id]', { hasText: 'Add to cart' }).waitFor({ timeout: 10_000 });
  await visitor.screenshot({ path: join(outDir, 'widget-cart-visitor.png') });

  // The agent: the tap, then the internal note with the new total, live.
  await agent.locator('.messages li.msg-in', { hasText: 'Add to cart' }).waitFor({ timeout: 10_000 });
  const note = agent.locator('.messages li.msg-note', { hasText: 'tapped "Add to cart": 1 x SCARF-RED added' });
  await note.waitFor({ timeout: 10_000 });
  assert.match(await note.innerText(), /total 35\.00 EUR|total €35\.00|EUR 35\.00/);
  // The selling panel finds the visitor's cart.
  await agent.locator('#sell-drawer > summary').click();
  await agent.locator('.sell-cart-line[data-sku="SCARF-RED"]', { hasText: '1 × ' }).waitFor({ timeout: 10_000 });
  await agent.screenshot({ path: join(outDir, 'widget-cart-console.png') });

  // The server agrees; the visitor never sees the internal note.
  const profile = await server.api(`/api/v1/contacts/${(await server.api(`/api/v1/conversations/${conv}`)).contact.id}/profile`);
  assert.equal(profile.open_carts.length, 1);
  assert.equal(await visitor.locator('li', { hasText: 'tapped' }).count(), 0);
  await visitor.close();
  await agent.close();
});
