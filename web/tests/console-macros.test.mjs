// Macros in the console, against the real server: Settings > Macros (a bad tag and an unknown
// variable refused with the error under their field, create, edit, delete after confirmation) and
// the composer's "Macros" menu: the confirmation lists what it will do (the reply filled in by the
// server), then the conversation shows the reply, the payment card, the tags and the assignee live.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildWeb, launchBrowser, outDir, watchPage } from './helpers/env.mjs';
import { startBottega } from './helpers/server.mjs';
import { serverSays as pollServer, signIn, visitorSays, waitForCount } from './helpers/console.mjs';

let server;
const serverSays = (path, check, what) => pollServer(server, path, check, what);
let browser;
const logs = [];

before(async () => {
  buildWeb();
  server = await startBottega('console-macros');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  writeFileSync(join(outDir, 'browser-console-macros.log'), logs.join('\n') + '\n');
});


test('macros screen and running one from the composer', { timeout: 150_000 }, async () => {
  const bea = await server.api('/api/v1/agents', {
    method: 'POST',
    body: JSON.stringify({ email: 'bea@demo.test', name: 'Bea', role: 'agent', password: 'bea-password-123' }),
  });
  await server.api('/api/v1/teams', { method: 'POST', body: JSON.stringify({ name: 'Returns', agent_ids: [bea.id] }) });
  await server.api('/api/v1/payment_providers', { method: 'POST', body: JSON.stringify({ type: 'sandbox', name: 'Sandbox' }) });
  const carla = await visitorSays(server, 'Carla Verdi', 'The boots were cheaper yesterday');
  await server.api(`/api/v1/conversations/${carla}`, { method: 'PATCH', body: JSON.stringify({ tags: ['presale'] }) });

  const ctx = await browser.newContext({ viewport: { width: 1280, height: 1100 } });
  const page = await ctx.newPage();
  watchPage(page, 'macros', logs);
  page.on('dialog', (d) => void d.accept());
  await signIn(page, server);

  // ---- Settings > Macros
  await page.goto(`${server.origin}/#/settings/macros`);
  await page.locator('#macro-form').waitFor({ timeout: 10_000 });
  await page.getByText('No macros yet.').waitFor();
  await page.getByRole('button', { name: 'Save macro' }).click();
  await page.locator('#macro-name-error', { hasText: 'Name: required.' }).waitFor();

  await page.getByLabel('Name', { exact: true }).fill('Refund offer');
  await page.getByLabel('Reply', { exact: true }).fill('Hi {{customer.first_name}}, here is the difference. {{customer.nickname}}');
  await page.getByLabel('Add tags').fill('refund, Bad Tag');
  await page.getByRole('button', { name: 'Save macro' }).click();
  // The server refuses the first problem it finds; each shows under its own field.
  await page.locator('#macro-reply-error', { hasText: 'unknown_variable' }).waitFor();
  assert.equal(await page.locator('#macro-reply').getAttribute('aria-invalid'), 'true');
  await page.getByLabel('Reply', { exact: true }).fill('Hi {{customer.first_name}}, here is the difference.');
  await page.getByRole('button', { name: 'Save macro' }).click();
  await page.locator('#macro-add-tags-error', { hasText: 'invalid_tag' }).waitFor();
  await page.locator('#macro-reply-error:empty').waitFor({ state: 'attached' });
  await page.getByLabel('Add tags').fill('refund');
  await page.getByLabel('Remove tags').fill('presale');
  await page.getByLabel('Status').selectOption({ label: 'Resolve' });
  await page.getByLabel('Assign to team').selectOption({ label: 'Returns' });
  await page.getByLabel('Assign to agent').selectOption({ label: 'Bea' });
  await page.getByLabel('Payment link', { exact: true }).selectOption({ label: 'An amount' });
  await page.getByLabel('Amount', { exact: true }).fill('12.x');
  await page.getByRole('button', { name: 'Save macro' }).click();
  await page.locator('#macro-amount-error', { hasText: 'Amount: a number' }).waitFor();
  await page.getByLabel('Amount', { exact: true }).fill('12.50');
  await page.getByRole('button', { name: 'Save macro' }).click();
  await page.locator('#macros-status', { hasText: 'Macro Refund offer saved.' }).waitFor();
  let macros = (await server.api('/api/v1/macros')).data;
  assert.equal(macros.length, 1);
  assert.deepEqual(macros[0].actions.payment_link, { amount: 1250, currency: 'EUR' });
  assert.deepEqual(macros[0].actions.assign.agent_id, bea.id);
  const row = page.locator(`#macros-table tr[data-macro-id="${macros[0].id}"]`);
  await row.waitFor();
  assert.match(await row.locator('.macro-summary').innerText(), /\+refund −presale.*Resolve.*team Returns, Bea.*12\.50/);

  // A second one, edited, then deleted.
  await page.getByLabel('Name', { exact: true }).fill('Tag only');
  await page.getByLabel('Add tags').fill('seen');
  await page.getByRole('button', { name: 'Save macro' }).click();
  await page.locator('#macros-status', { hasText: 'Macro Tag only saved.' }).waitFor();
  await waitForCount(page, '#macros-table tbody tr', 2);
  await page.getByRole('button', { name: 'Edit Tag only' }).click();
  assert.equal(await page.getByLabel('Add tags').inputValue(), 'seen');
  await page.getByLabel('Priority (0-1000)').fill('700');
  await page.getByRole('button', { name: 'Save macro' }).click();
  await page.locator('#macros-status', { hasText: 'Macro Tag only saved.' }).waitFor();
  const tagOnly = (await server.api('/api/v1/macros')).data.find((m) => m.name === 'Tag only');
  assert.deepEqual(tagOnly.actions, { add_tags: ['seen'], priority: 700 });
  await page.getByRole('button', { name: 'Delete Tag only' }).click();
  await page.locator('#macros-status', { hasText: 'Macro Tag only deleted.' }).waitFor();
  await waitForCount(page, '#macros-table tbody tr', 1);
  macros = (await server.api('/api/v1/macros')).data;
  assert.deepEqual(macros.map((m) => m.name), ['Refund offer']);

  // ---- Running it from the composer
  await page.goto(`${server.origin}/#/inbox`);
  await page.locator(`[data-conversation-id="${carla}"]`).click();
  await page.locator('#thread-title', { hasText: 'Carla' }).waitFor();
  await page.getByRole('button', { name: 'Macros', exact: true }).click();
  await page.locator('#macro-list .macro-item', { hasText: 'Refund offer' }).click();
  const confirm = page.locator('#macro-confirm');
  await confirm.waitFor();
  await confirm.getByText('Run “Refund offer”?').waitFor();
  const steps = await confirm.locator('.macro-step').allInnerTexts();
  assert.equal(steps.length, 5, steps.join(' | '));
  assert.match(steps[0], /Reply:\s*.?Hi Carla, here is the difference\./);
  assert.match(steps[1], /payment link for €12\.50/);
  assert.match(steps[2], /Add tags refund; remove presale/);
  assert.match(steps[3], /Resolve the conversation/);
  assert.match(steps[4], /Assign to team Returns, Bea/);
  // Nothing happened yet.
  assert.equal((await server.api(`/api/v1/conversations/${carla}`)).status, 'open');

  await page.getByRole('button', { name: 'Run macro' }).click();
  await page.locator('#macro-status', { hasText: 'Macro Refund offer done.' }).waitFor();
  // Live in the thread: the reply, the payment card, the run note; tags and assignee in the header.
  await page.locator('.msg', { hasText: 'Hi Carla, here is the difference.' }).waitFor({ timeout: 15_000 });
  await page.locator('.msg .card-payment .card-amount', { hasText: '12.50' }).waitFor({ timeout: 15_000 });
  await page.locator('.msg-note', { hasText: 'Macro "Refund offer" run by' }).waitFor({ timeout: 15_000 });
  await page.locator('.thread-tags .chip-tag', { hasText: 'refund' }).waitFor();
  await page.locator('.thread-tags .chip-tag', { hasText: 'presale' }).waitFor({ state: 'detached' });
  await page.locator('.thread-meta .chip-assignee', { hasText: 'Bea' }).waitFor();
  const conv = await serverSays(`/api/v1/conversations/${carla}`, (c) => c.status === 'resolved', 'resolved');
  assert.deepEqual(conv.tags, ['refund']);
  assert.equal(conv.assignee_id, bea.id);
  const runs = (await server.api(`/api/v1/macro_runs?conversation_id=${carla}`)).data;
  assert.equal(runs.length, 1);

  // A macro whose step cannot be done (no open cart) says why in the confirmation and does nothing.
  await server.api('/api/v1/macros', {
    method: 'POST',
    body: JSON.stringify({ name: 'Checkout', actions: { reply: { text: 'Your cart:' }, payment_link: { cart: true } } }),
  });
  const before = (await server.api(`/api/v1/conversations/${carla}/messages`)).data.length;
  await page.getByRole('button', { name: 'Macros', exact: true }).click();
  await page.locator('#macro-list .macro-item', { hasText: 'Checkout' }).click();
  await page.locator('#macro-error', { hasText: 'no_open_cart' }).waitFor();
  assert.equal((await server.api(`/api/v1/conversations/${carla}/messages`)).data.length, before);
  await page.screenshot({ path: join(outDir, 'console-macros.png'), fullPage: true });
});
