// The Reports screen against the real server: two conversations, a payment link paid on the
// sandbox and partly refunded; an admin opens Reports and sees the figures, the charts (Chart.js)
// and working CSV links; the screen speaks Italian for an Italian browser.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildWeb, launchBrowser, outDir, watchPage } from './helpers/env.mjs';
import { startBottega } from './helpers/server.mjs';

let server;
let browser;
const logs = [];

async function visitorSays(text) {
  const v = await fetch(`${server.origin}/api/v1/webchat/${server.channelId}/visitors`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'Carla' }),
  }).then((r) => r.json());
  const m = await fetch(`${server.origin}/api/v1/webchat/${server.channelId}/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Visitor-Token': v.visitor_token },
    body: JSON.stringify({ text }),
  }).then((r) => r.json());
  return m.conversation_id;
}

async function form(path, body) {
  return fetch(server.origin + path, {
    method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body,
  });
}

before(async () => {
  buildWeb();
  server = await startBottega('console-reports');
  browser = await launchBrowser();
  const conv = await visitorSays('Can I buy the red boots?');
  await visitorSays('Where is my parcel?');
  await server.api('/api/v1/payment_providers', {
    method: 'POST',
    body: JSON.stringify({ type: 'sandbox', name: 'Test', settings: { webhook_secret: 'sandbox_whsec_web_0123456789' } }),
  });
  const link = await server.api('/api/v1/payment_links', {
    method: 'POST', body: JSON.stringify({ conversation_id: conv, amount: 4200, currency: 'EUR' }),
  });
  const path = new URL(link.url).pathname;
  await fetch(server.origin + path);
  const start = await form(path, 'lang=en');
  assert.equal(start.status, 303);
  const session = new URL(start.headers.get('location')).pathname;
  assert.equal((await form(session, 'method=card_success')).status, 303);
  for (let i = 0; i < 100; i++) {
    if ((await server.api(`/api/v1/payment_links/${link.id}`)).status === 'paid') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await server.api(`/api/v1/payments/${link.id}/refunds`, {
    method: 'POST', headers: { 'Idempotency-Key': 'web-refund-1' }, body: JSON.stringify({ amount: 1200, reason: 'scuffed' }),
  });
  for (let i = 0; i < 100; i++) {
    if ((await server.api(`/api/v1/payment_links/${link.id}`)).status === 'partially_refunded') break;
    await new Promise((r) => setTimeout(r, 100));
  }
});

after(async () => {
  await browser?.close();
  await server?.stop();
  writeFileSync(join(outDir, 'browser-console-reports.log'), logs.join('\n') + '\n');
});

async function login(page) {
  await page.goto(server.origin + '/');
  await page.locator('#login-email').fill(server.agent.email);
  await page.locator('#login-password').fill(server.agent.password);
  await page.locator('form.login-card button[type=submit]').click();
  await page.locator('.live.live-live').waitFor({ timeout: 15_000 });
}

test('an admin sees figures, charts and CSV exports on the Reports screen', { timeout: 90_000 }, async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 1000 }, locale: 'en-US', timezoneId: 'UTC' });
  const page = await ctx.newPage();
  watchPage(page, 'reports', logs);
  await login(page);
  await page.locator('#nav-reports').click();
  await page.locator('#report-kpis').waitFor({ timeout: 15_000 });
  assert.equal(await page.locator('#inbox-view').isHidden(), true);
  // The aggregator works after the commit: reload the figures until they include everything.
  for (let i = 0; i < 50; i++) {
    if ((await page.locator('#kpi-revenue .kpi-value').textContent()) === 'EUR 30.00') break;
    await page.waitForTimeout(200);
    await page.locator('#report-apply').click();
    await page.locator('#report-kpis').waitFor();
  }
  assert.equal(await page.locator('#kpi-conversations .kpi-value').textContent(), '2');
  assert.equal(await page.locator('#kpi-revenue .kpi-value').textContent(), 'EUR 30.00');
  assert.equal(await page.locator('#kpi-aov .kpi-value').textContent(), 'EUR 42.00');
  // No cart reminders in this data: nothing recovered, out of none reminded.
  assert.equal(await page.locator('#kpi-carts .kpi-value').textContent(), '0');
  assert.equal(await page.locator('#kpi-carts .kpi-note').textContent(), '0 / 0');
  // Charts drew on their canvases.
  for (const id of ['chart-conversations', 'chart-revenue', 'chart-funnel']) {
    const drawn = await page.locator(`#${id}`).evaluate((c) => {
      const ctx2d = c.getContext('2d');
      const { data } = ctx2d.getImageData(0, 0, c.width, c.height);
      for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return c.width > 0;
      return false;
    });
    assert.equal(drawn, true, id);
  }
  // The breakdown by sender: the link was sent with the API token.
  assert.match(await page.locator('#report-by-sender tbody').textContent(), /API.*EUR.*1.*EUR 42\.00.*EUR 12\.00.*EUR 30\.00/);
  assert.match(await page.locator('#report-by-channel tbody').textContent(), /Demo shop\s*2/);
  // The payment link (sent with the API token) was conversation 1's first response.
  assert.match(await page.locator('#report-by-responder tbody').textContent(), /^API1/);
  // CSV links for every report; they download with the session cookie.
  assert.equal(await page.locator('.csv-link').count(), 9);
  const href = await page.locator('.csv-link[data-report="revenue"]').getAttribute('href');
  assert.match(href, /^\/api\/v1\/reports\/revenue\.csv\?from=\d{4}-\d\d-\d\d&to=\d{4}-\d\d-\d\d&tz=UTC$/);
  const csv = await page.evaluate(async (h) => {
    const r = await fetch(h, { credentials: 'same-origin' });
    return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
  }, href);
  assert.equal(csv.status, 200);
  assert.match(csv.type, /^text\/csv/);
  assert.match(csv.body, /^period,breakdown,key,label,currency,payments,gross,refunds,refund_count,net,/);
  // ... net, average_order_value, attribution, then order_value, credit_spent, credit_refunded, order_value_net
  assert.match(csv.body, /total,total,,All,EUR,1,4200,1200,1,3000,4200,linked,4200,0,0,3000\r\n/);
  // A reversed range is refused before asking the server.
  await page.locator('#report-from').fill('2026-12-31');
  await page.locator('#report-to').fill('2026-01-01');
  await page.locator('#report-apply').click();
  assert.match(await page.locator('#report-status').textContent(), /start date/);
  await ctx.close();
});

test('the Reports screen in Italian', { timeout: 60_000 }, async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'it-IT' });
  const page = await ctx.newPage();
  watchPage(page, 'reports-it', logs);
  await login(page);
  await page.locator('#nav-reports').click();
  await page.locator('#report-kpis').waitFor({ timeout: 15_000 });
  assert.equal(await page.locator('#reports-heading').textContent(), 'Report');
  assert.equal(await page.locator('#kpi-conversations .kpi-label').textContent(), 'Conversazioni');
  assert.equal(await page.locator('#kpi-carts .kpi-label').textContent(), 'Carrelli recuperati dopo un promemoria');
  await ctx.close();
});
