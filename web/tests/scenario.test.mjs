// The whole story of issue 7 in one test, headless, against the real binary: a visitor asks in the
// widget on a shop's page -> the bot answers from the knowledge base -> the visitor asks for a
// person -> the agent sees the conversation appear live in the console -> sends a product card ->
// builds a cart -> sends a payment link -> the visitor pays through the sandbox checkout -> both
// see "Paid" live -> the agent refunds part of it (with a confirmation) -> the visitor sees it.
// A screenshot of each step goes to <build>/screenshots/scenario/NN-step.png.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildWeb, launchBrowser, outDir, watchPage } from './helpers/env.mjs';
import { bottegaBin, startBottega } from './helpers/server.mjs';
import { serveHostPage } from './helpers/host.mjs';

const shotsDir = join(dirname(bottegaBin), 'screenshots', 'scenario');
let server;
let browser;
let host;
let hostOrigin;
const logs = [];

before(async () => {
  buildWeb();
  rmSync(shotsDir, { recursive: true, force: true });
  mkdirSync(shotsDir, { recursive: true });
  server = await startBottega('scenario');
  browser = await launchBrowser();
  await server.api('/api/v1/kb/import', {
    method: 'POST',
    body: JSON.stringify({
      entries: [
        {
          id: 'ship-italy',
          language: 'en',
          questions: ['Do you ship to Italy?', 'Can you deliver to Italy?'],
          answer: 'Yes: we ship to Italy in 2-3 working days, free above €50.',
          tags: ['shipping'],
        },
      ],
    }),
  });
  await server.api('/api/v1/products', {
    method: 'POST',
    body: JSON.stringify({
      handle: 'chelsea-boots',
      title: { en: 'Chelsea boots' },
      description: { en: 'Waxed leather, made in Italy' },
      variants: [{ sku: 'BOOT-40', title: '40', prices: { EUR: 12000 }, stock: 5 }],
    }),
  });
  await server.api('/api/v1/discounts', {
    method: 'POST',
    body: JSON.stringify({ code: 'WELCOME10', kind: 'percentage', percent: '10' }),
  });
  await server.api('/api/v1/payment_providers', {
    method: 'POST',
    body: JSON.stringify({ type: 'sandbox', name: 'Sandbox', settings: { async_delay_ms: 200 } }),
  });
  host = await serveHostPage(
    () => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Boots & Co</title></head>
<body><h1>Boots &amp; Co</h1><p>Handmade boots.</p>
<script src="${server.origin}/widget.js" data-channel="${server.channelId}" async></script></body></html>`,
  );
  hostOrigin = host.origin;
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await host?.close();
  writeFileSync(join(outDir, 'browser-scenario.log'), logs.join('\n') + '\n');
});

test('visitor -> bot -> person -> card, cart, payment link -> paid -> partial refund, live on both sides', { timeout: 240_000 }, async () => {
  const agentCtx = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  const visitorCtx = await browser.newContext({ viewport: { width: 1000, height: 820 } });
  const agent = await agentCtx.newPage();
  const visitor = await visitorCtx.newPage();
  watchPage(agent, 'agent', logs);
  watchPage(visitor, 'visitor', logs);
  // On a failure, what each page showed goes to tests/out/ too.
  const onFailure = async () => {
    for (const [name, page] of [['agent', agent], ['visitor', visitor]])
      await page.screenshot({ path: join(outDir, `scenario-failure-${name}.png`) }).catch(() => undefined);
  };
  try {
    await story();
  } catch (e) {
    await onFailure();
    throw e;
  }
  await agentCtx.close();
  await visitorCtx.close();

  async function story() {
  let step = 0;
  const shot = async (page, name) => {
    step += 1;
    await page.screenshot({ path: join(shotsDir, `${String(step).padStart(2, '0')}-${name}.png`) });
  };

  // The agent is at work before the visitor arrives: the inbox is empty and live.
  await agent.goto(server.origin + '/');
  await agent.getByLabel('Email').fill(server.agent.email);
  await agent.getByLabel('Password').fill(server.agent.password);
  await agent.getByRole('button', { name: 'Sign in' }).click();
  await agent.locator('.live.live-live').waitFor({ timeout: 15_000 });
  assert.equal(await agent.locator('#conversation-list [data-conversation-id]').count(), 0);
  await shot(agent, 'console-empty');

  // 1. The visitor opens the widget on the shop's page and asks.
  await visitor.goto(`${hostOrigin}/`);
  const launcher = visitor.locator('[data-bottega-widget] button.launcher');
  await launcher.click();
  const panel = visitor.locator('[data-bottega-widget] section.panel');
  await panel.waitFor({ state: 'visible' });
  const input = panel.getByLabel('Your message');
  await input.fill('Do you ship to Italy?');
  await input.press('Enter');
  await panel.locator('li.msg-me[data-message-id]', { hasText: 'Do you ship to Italy?' }).waitFor();
  await shot(visitor, 'visitor-asks');

  // 2. The bot answers from the knowledge base and asks whether that helped (buttons).
  const answer = panel.locator('li.msg-shop', { hasText: 'we ship to Italy in 2-3 working days' });
  await answer.waitFor({ timeout: 15_000 });
  assert.equal(await answer.locator('button.choice').count(), 2, 'the yes/no choices are buttons');
  await shot(visitor, 'bot-answers');

  // 3. The visitor asks for a person; the bot hands over.
  await input.fill('I want to talk to a person please');
  await input.press('Enter');
  await panel.locator('li.msg-me[data-message-id]', { hasText: 'talk to a person' }).waitFor();
  const handover = panel.locator('li.msg-shop').nth(1);
  await handover.waitFor({ timeout: 15_000 });
  const handoverText = await handover.innerText();
  await shot(visitor, 'asks-for-person');

  // 4. The conversation appeared live in the console (no reload), marked as handed over.
  const row = agent.locator('#conversation-list [data-conversation-id]');
  await row.first().waitFor({ timeout: 15_000 });
  await row.first().locator('.chip-tag', { hasText: 'bot-handover' }).waitFor({ timeout: 15_000 });
  assert.equal(await row.count(), 1);
  assert.match(await row.first().innerText(), /handing you over to a person/);
  await row.first().click();
  await agent.locator('.messages li.msg-note').first().waitFor({ timeout: 10_000 });
  await agent.locator('.messages li', { hasText: 'we ship to Italy' }).waitFor();
  await agent.locator('.messages li', { hasText: handoverText.split('\n').find((l) => l.trim().length > 10)?.trim() ?? '' }).first().waitFor();
  await shot(agent, 'console-live-handover');

  // 5. The agent sends a product card; the visitor sees it.
  await agent.locator('#sell-drawer > summary').click();
  await agent.getByLabel('Search products').fill('chelsea');
  await agent.locator('#sell-drawer').getByRole('button', { name: 'Search', exact: true }).click();
  await agent.locator('button[data-sku="BOOT-40"]').click();
  await agent.locator('.sell-status', { hasText: 'Product card sent.' }).waitFor();
  const card = panel.locator('li.msg-shop .card-product');
  await card.waitFor({ timeout: 15_000 });
  assert.match(await card.locator('.card-title').innerText(), /^Chelsea boots/);
  await shot(visitor, 'visitor-product-card');

  // 6. The agent builds a cart (two pairs, a discount code) and sends its summary.
  await agent.locator('button[data-add-sku="BOOT-40"]').click();
  await agent.locator('.sell-cart-line[data-sku="BOOT-40"]').waitFor();
  await agent.locator('button[data-add-sku="BOOT-40"]').click();
  await agent.locator('.sell-cart-line[data-sku="BOOT-40"]', { hasText: '2 × ' }).waitFor();
  await agent.getByLabel('Discount code').fill('welcome10');
  await agent.getByRole('button', { name: 'Apply' }).click();
  await agent.locator('.sell-status', { hasText: 'Code WELCOME10 applied.' }).waitFor();
  assert.equal(await agent.locator('dd.sell-total').innerText(), '€216.00');
  await agent.locator('#sell-send-cart').click();
  await panel.locator('li.msg-shop .card-cart').waitFor({ timeout: 15_000 });
  await shot(agent, 'console-cart');

  // 7. The agent sends a payment link; the visitor sees the payment card with its code.
  await agent.locator('#sell-send-link').click();
  await agent.locator('.sell-status', { hasText: 'Payment link sent' }).waitFor();
  const code = (await agent.locator('.sell-status').innerText()).match(/code ([A-Z0-9-]+)/)[1];
  const pay = panel.locator('li.msg-shop .card-payment');
  await pay.waitFor({ timeout: 15_000 });
  assert.equal(await pay.locator('.card-code-value').innerText(), code);
  assert.equal(await pay.locator('.card-amount').innerText(), '€216.00');
  await shot(visitor, 'visitor-payment-link');

  // 8. The visitor pays through the sandbox checkout.
  const checkout = await visitorCtx.newPage();
  watchPage(checkout, 'checkout', logs);
  await checkout.goto(await pay.locator('a.card-button').getAttribute('href'));
  await checkout.locator('body', { hasText: code }).waitFor();
  await shot(checkout, 'checkout');
  await checkout.getByRole('button', { name: /Pay/ }).first().click();
  await checkout.getByRole('button', { name: /Card 4242/ }).first().click();

  // 9. Both see "Paid", live.
  await pay.locator('.card-paid').waitFor({ timeout: 20_000 });
  const paidCard = panel.locator('li.msg-shop .card-status.status-paid');
  await paidCard.waitFor({ timeout: 10_000 });
  assert.match(await paidCard.innerText(), /Paid[\s\S]*€216\.00 received[\s\S]*Order #\d+/);
  await shot(visitor, 'visitor-paid');
  const agentPay = agent.locator('.messages .card-payment');
  await agentPay.locator('.card-paid').waitFor({ timeout: 15_000 });
  const refundPanel = agent.locator('.messages .refund-panel');
  await refundPanel.locator('.payment-state', { hasText: 'Paid' }).waitFor({ timeout: 10_000 });
  await shot(agent, 'console-paid');

  // 10. The agent refunds €20 of it: amount and reason, then an explicit confirmation.
  await refundPanel.getByRole('button', { name: 'Refund…' }).click();
  const amount = refundPanel.getByLabel('Refund amount');
  assert.equal(await amount.inputValue(), '216.00', 'prefilled with what can be refunded');
  await amount.fill('300');
  await refundPanel.getByLabel('Reason').fill('One pair arrived scuffed');
  await refundPanel.getByRole('button', { name: 'Review refund' }).click();
  await refundPanel.locator('.refund-status.is-error', { hasText: 'at most €216.00' }).waitFor();
  await amount.fill('20');
  await refundPanel.getByRole('button', { name: 'Review refund' }).click();
  const confirm = refundPanel.locator('.refund-confirm');
  await confirm.waitFor();
  assert.match(await confirm.innerText(), /Give €20\.00 back to the customer\?/);
  await shot(agent, 'console-refund-confirm');
  await confirm.getByRole('button', { name: 'Confirm refund' }).click();
  await refundPanel.locator('.payment-state', { hasText: 'Partly refunded' }).waitFor({ timeout: 20_000 });
  assert.match(await refundPanel.locator('.refunded-of').innerText(), /€20\.00 of €216\.00 refunded/);
  await refundPanel.locator('.refund-succeeded', { hasText: 'One pair arrived scuffed' }).waitFor();
  await agent.locator('.messages .card-status.status-refunded', { hasText: '€20.00 is on its way back' }).waitFor({ timeout: 10_000 });
  await shot(agent, 'console-refunded');

  // 11. The visitor sees the refund, live.
  const refundCard = panel.locator('li.msg-shop .card-status.status-refunded');
  await refundCard.waitFor({ timeout: 15_000 });
  assert.match(await refundCard.innerText(), /Refund[\s\S]*€20\.00 is on its way back to you\./);
  await shot(visitor, 'visitor-refunded');

  // The server agrees with what the screens say.
  const payments = await server.api('/api/v1/payments');
  assert.equal(payments.data.length, 1);
  assert.equal(payments.data[0].status, 'partially_refunded');
  assert.equal(payments.data[0].refunded, 2000);
  }
});
