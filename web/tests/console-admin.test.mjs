// Admin screens against the real server: the knowledge base editor (add, try, edit, delete), discount
// codes (percentage and fixed amount with limits; refusals name their field) and canned responses
// (variables inserted, an unknown variable refused, edit, delete). Text stays text.
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
  server = await startBottega('console-admin');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  writeFileSync(join(outDir, 'browser-console-admin.log'), logs.join('\n') + '\n');
});

async function adminPage(label, tab) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await ctx.newPage();
  watchPage(page, label, logs);
  page.on('dialog', (d) => void d.accept());
  await signIn(page, server);
  await page.goto(`${server.origin}/#/settings/${tab}`);
  return page;
}

test('knowledge base: add an entry, try a question, edit it, delete it', { timeout: 90_000 }, async () => {
  const page = await adminPage('kb', 'kb');
  await page.locator('#kb-form').waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('#kb-table tbody tr').count(), 0);

  // Required fields are checked before anything is sent.
  await page.getByRole('button', { name: 'Save entry' }).click();
  await page.locator('#kb-error', { hasText: 'Id: required.' }).waitFor();
  await page.getByLabel('Id', { exact: true }).fill('returns en');
  await page.getByLabel('Questions (one phrasing per line)').fill('Can I return shoes?\nHow do returns work?');
  await page.getByLabel('Answer', { exact: true }).fill('Yes, within 30 days. Returns are <b>free</b>.');
  await page.getByRole('button', { name: 'Save entry' }).click();
  await page.locator('#kb-error', { hasText: 'Letters, digits' }).waitFor();
  await page.getByLabel('Id', { exact: true }).fill('returns-en');
  await page.getByLabel(/^Tags/).fill('policy, returns');
  await page.getByRole('button', { name: 'Save entry' }).click();
  await page.locator('#kb-status', { hasText: 'Entry returns-en saved.' }).waitFor();
  const row = page.locator('#kb-table tr[data-entry-id="returns-en"]');
  await row.waitFor();
  assert.match(await row.innerText(), /returns-en\s+en\s+Can I return shoes\?\s+policy, returns/);
  let entries = (await server.api('/api/v1/kb/entries')).data;
  assert.deepEqual(entries.map((e) => [e.id, e.language, e.questions, e.tags]), [['returns-en', 'en', ['Can I return shoes?', 'How do returns work?'], ['policy', 'returns']]]);

  // What the bot would do with a customer's message.
  await page.getByLabel('A customer writes').fill('can I return my shoes?');
  await page.getByRole('button', { name: 'Ask the bot' }).click();
  const outcome = page.locator('#kb-try-result .kb-try-outcome');
  await outcome.waitFor();
  assert.equal(await outcome.getAttribute('data-outcome'), 'answered');
  assert.match(await outcome.innerText(), /The bot answers with returns-en \(confidence \d+ %, language en\)\./);
  assert.match(await page.locator('#kb-try-result .kb-try-reply').innerText(), /Returns are <b>free<\/b>\./);
  assert.equal(await page.locator('#kb-try-result b').count(), 0, 'the answer is text');

  // Edit: the form takes the entry; saving replaces it.
  await row.getByRole('button', { name: 'Edit returns-en' }).click();
  assert.equal(await page.getByLabel('Id', { exact: true }).inputValue(), 'returns-en');
  assert.equal(await page.getByLabel('Questions (one phrasing per line)').inputValue(), 'Can I return shoes?\nHow do returns work?');
  await page.getByLabel('Answer', { exact: true }).fill('Yes, within 60 days.');
  await page.getByRole('button', { name: 'Save entry' }).click();
  await page.locator('#kb-status', { hasText: 'Entry returns-en saved.' }).waitFor();
  for (let i = 0; i < 50; i++) {
    entries = (await server.api('/api/v1/kb/entries')).data;
    if (entries[0]?.answer === 'Yes, within 60 days.') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(entries.length, 1);
  assert.equal(entries[0].answer, 'Yes, within 60 days.');
  await page.screenshot({ path: join(outDir, 'console-admin-kb.png'), fullPage: true });

  // Delete (after the confirmation dialog, accepted here).
  await server.api('/api/v1/kb/import', {
    method: 'POST',
    body: JSON.stringify({ entries: [{ id: 'hours-en', language: 'en', questions: ['When are you open?'], answer: 'Mon-Fri 9-18.' }] }),
  });
  await page.reload();
  await page.locator('#kb-table tr[data-entry-id="hours-en"]').waitFor({ timeout: 10_000 });
  await page.locator('#kb-table tr[data-entry-id="returns-en"]').getByRole('button', { name: 'Delete returns-en' }).click();
  await page.locator('#kb-status', { hasText: 'Entry returns-en deleted.' }).waitFor();
  await page.locator('#kb-table tr[data-entry-id="returns-en"]').waitFor({ state: 'detached' });
  entries = (await server.api('/api/v1/kb/entries')).data;
  assert.deepEqual(entries.map((e) => e.id), ['hours-en'], 'only that entry is gone');
  await page.context().close();
});

test('discount codes: percentage and fixed amount with limits; refusals name their field', { timeout: 90_000 }, async () => {
  const page = await adminPage('discounts', 'discounts');
  await page.locator('#discount-form').waitFor({ timeout: 10_000 });

  await page.getByLabel('Code', { exact: true }).fill('SPRING15');
  await page.getByLabel('Percent off').fill('150');
  await page.getByRole('button', { name: 'Create code' }).click();
  await page.locator('#discount-error', { hasText: 'at most 100' }).waitFor();
  await page.getByLabel('Percent off').fill('15');
  await page.getByLabel('Uses in all (optional)').fill('100');
  await page.getByLabel('Uses per customer (optional)').fill('1');
  await page.getByRole('button', { name: 'Create code' }).click();
  await page.locator('#discount-result', { hasText: 'Code SPRING15 created.' }).waitFor();
  const spring = page.locator('#discounts-table tr[data-code="SPRING15"]');
  await spring.waitFor();
  assert.match(await spring.innerText(), /SPRING15\s+15 % off\s+100 in all, 1 per customer\s+always\s+0 \/ 100/);

  await page.getByLabel('Code', { exact: true }).fill('TENOFF');
  await page.getByLabel('Kind').selectOption('fixed_amount');
  assert.equal(await page.getByLabel('Percent off').isHidden(), true);
  await page.getByLabel('Amount off').fill('10');
  await page.getByLabel('Minimum subtotal (optional)').fill('50');
  await page.getByLabel('Starts (optional)').fill('2026-12-10T10:00');
  await page.getByLabel('Ends (optional)').fill('2026-12-01T10:00');
  await page.getByRole('button', { name: 'Create code' }).click();
  // The server's refusal names the field; the form focuses it.
  await page.locator('#discount-error', { hasText: '(ends_at)' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'discount-ends');
  await page.getByLabel('Ends (optional)').fill('2027-01-31T23:00');
  await page.getByRole('button', { name: 'Create code' }).click();
  await page.locator('#discount-result', { hasText: 'Code TENOFF created.' }).waitFor();
  const ten = page.locator('#discounts-table tr[data-code="TENOFF"]');
  await ten.waitFor();
  assert.match(await ten.innerText(), /€10\.00 off\s+from €50\.00/);
  assert.match(await ten.innerText(), /from .*until /);

  // A code that exists already.
  await page.getByLabel('Code', { exact: true }).fill('spring15');
  await page.getByLabel('Kind').selectOption('free_shipping');
  await page.getByRole('button', { name: 'Create code' }).click();
  await page.locator('#discount-error', { hasText: 'code_taken' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'discount-code');

  const list = (await server.api('/api/v1/discounts')).data;
  const byCode = Object.fromEntries(list.map((d) => [d.code, d]));
  assert.equal(list.length, 2);
  assert.equal(byCode.SPRING15.kind, 'percentage');
  assert.equal(byCode.SPRING15.value, 1500);
  assert.equal(byCode.SPRING15.usage_limit, 100);
  assert.equal(byCode.SPRING15.per_customer_limit, 1);
  assert.equal(byCode.TENOFF.kind, 'fixed_amount');
  assert.equal(byCode.TENOFF.value, 1000);
  assert.equal(byCode.TENOFF.currency, 'EUR');
  assert.equal(byCode.TENOFF.minimum_subtotal, 5000);
  assert.ok(Date.parse(byCode.TENOFF.ends_at) > Date.parse(byCode.TENOFF.starts_at));
  await page.screenshot({ path: join(outDir, 'console-admin-discounts.png'), fullPage: true });
  await page.context().close();
});

test('canned responses: add with a variable, an unknown variable refused, edit, delete', { timeout: 90_000 }, async () => {
  const page = await adminPage('canned', 'canned');
  await page.locator('#canned-form').waitFor({ timeout: 10_000 });

  await page.getByLabel('Shortcut').fill('thanks');
  await page.getByLabel('Title').fill('Thanks');
  await page.getByLabel('Text').fill('Thanks {{order.id}}!');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.locator('#canned-error', { hasText: '(body)' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'canned-body');

  await page.getByLabel('Text').fill('Thanks ');
  await page.getByLabel('Text').press('End');
  await page.getByRole('button', { name: 'Insert {{contact.first_name}}' }).click();
  await page.getByLabel('Text').press('End');
  await page.getByLabel('Text').pressSequentially(', <b>see you</b> soon!');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.locator('#canned-status', { hasText: '/thanks saved.' }).waitFor();
  const row = page.locator('#canned-table tr[data-shortcut="thanks"]');
  await row.waitFor();
  assert.equal(await row.locator('.canned-body-cell').innerText(), 'Thanks {{contact.first_name}}, <b>see you</b> soon!');
  assert.equal(await row.locator('b').count(), 0);

  // Taken shortcut.
  await page.getByLabel('Shortcut').fill('thanks');
  await page.getByLabel('Title').fill('Other');
  await page.getByLabel('Text').fill('Other text');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.locator('#canned-error', { hasText: /taken/ }).waitFor();

  // Edit.
  await row.getByRole('button', { name: 'Edit /thanks' }).click();
  assert.equal(await page.getByLabel('Title').inputValue(), 'Thanks');
  await page.getByLabel('Title').fill('Thank you note');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.locator('#canned-status', { hasText: '/thanks saved.' }).waitFor();
  await row.locator('td', { hasText: 'Thank you note' }).waitFor();
  let list = (await server.api('/api/v1/canned_responses')).data;
  assert.equal(list.length, 1);
  assert.equal(list[0].title, 'Thank you note');
  assert.equal(list[0].body, 'Thanks {{contact.first_name}}, <b>see you</b> soon!');
  await page.screenshot({ path: join(outDir, 'console-admin-canned.png'), fullPage: true });

  // Delete.
  await row.getByRole('button', { name: 'Delete /thanks' }).click();
  await row.waitFor({ state: 'detached' });
  list = (await server.api('/api/v1/canned_responses')).data;
  assert.equal(list.length, 0);
  await page.context().close();
});
