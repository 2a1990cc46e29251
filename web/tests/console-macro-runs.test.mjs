// Settings > Macros > Macro runs, against the real server: the audit of who ran which macro on
// which conversation, when, and what it did (GET /api/v1/macro_runs), linked from the macros
// screen; newest first, by agent name or API token, filtered by macro; a run's conversation
// opens in the inbox.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildWeb, launchBrowser, outDir, watchPage } from './helpers/env.mjs';
import { startBottega } from './helpers/server.mjs';
import { signIn, visitorSays, waitForCount } from './helpers/console.mjs';

let server;
let browser;
const logs = [];

before(async () => {
  buildWeb();
  server = await startBottega('console-macro-runs');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  writeFileSync(join(outDir, 'browser-console-macro-runs.log'), logs.join('\n') + '\n');
});

test('macro runs: who ran which macro where, newest first, filtered by macro, opening the conversation', { timeout: 150_000 }, async () => {
  const tagger = await server.api('/api/v1/macros', { method: 'POST', body: JSON.stringify({ name: 'Tag VIP', actions: { add_tags: ['vip'], priority: 800 } }) });
  const closer = await server.api('/api/v1/macros', { method: 'POST', body: JSON.stringify({ name: 'Close politely', actions: { reply: { text: 'Thanks, closing this now.' }, status: 'resolved' } }) });
  const anna = await visitorSays(server, 'Anna Bianchi', 'Hello, I am a regular');
  const piet = await visitorSays(server, 'Piet de Vries', 'Thanks for the help');
  // One run through the API (an API token), then one by the signed-in admin in the composer.
  const byToken = await server.api(`/api/v1/conversations/${anna}/macros/${tagger.id}/run`, { method: 'POST', headers: { 'Idempotency-Key': 'run-1' } });
  assert.ok(byToken.run_id, JSON.stringify(byToken));

  const ctx = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await ctx.newPage();
  watchPage(page, 'macro-runs', logs);
  await signIn(page, server);
  await page.locator(`[data-conversation-id="${piet}"]`).click();
  await page.locator('#thread-title', { hasText: 'Piet' }).waitFor();
  await page.getByRole('button', { name: 'Macros', exact: true }).click();
  await page.locator('#macro-list .macro-item', { hasText: 'Close politely' }).click();
  await page.getByRole('button', { name: 'Run macro' }).click();
  await page.locator('#macro-status', { hasText: 'Macro Close politely done.' }).waitFor();

  // Linked from Settings > Macros.
  await page.goto(`${server.origin}/#/settings/macros`);
  await page.locator('#macro-runs-link').click();
  await page.locator('#macro-runs-heading', { hasText: 'Macro runs' }).waitFor();
  assert.equal(new URL(page.url()).hash, '#/settings/macro-runs');
  await waitForCount(page, '#macro-runs-table tbody tr', 2);
  const me = (await server.api('/api/v1/agents')).data.find((a) => a.email === server.agent.email);
  const rows = page.locator('#macro-runs-table tbody tr');
  const newest = await rows.nth(0).locator('td').allInnerTexts();
  assert.equal(newest[1], 'Close politely');
  assert.equal(newest[2], piet);
  assert.equal(newest[3], me.name, 'run by the signed-in admin, by name');
  assert.match(newest[4], /Reply:\s*.?Thanks, closing this now\./);
  assert.match(newest[4], /Resolve the conversation/);
  const older = await rows.nth(1).locator('td').allInnerTexts();
  assert.equal(older[1], 'Tag VIP');
  assert.equal(older[2], anna);
  assert.match(older[3], /^API token /);
  assert.match(older[4], /Add tags vip/);
  assert.match(older[4], /Set priority 800/);
  // The time is shown as a <time> with the run's instant.
  const runs = (await server.api('/api/v1/macro_runs')).data;
  assert.equal(await rows.nth(0).locator('time').getAttribute('datetime'), runs[0].ran_at);

  // Only one macro's runs.
  await page.getByLabel('Macro', { exact: true }).selectOption({ label: 'Tag VIP' });
  await waitForCount(page, '#macro-runs-table tbody tr', 1);
  assert.equal(await rows.nth(0).locator('td').nth(1).innerText(), 'Tag VIP');
  await page.getByLabel('Macro', { exact: true }).selectOption({ label: 'Close politely' });
  await page.locator('#macro-runs-table tbody tr td', { hasText: 'Close politely' }).waitFor();
  await waitForCount(page, '#macro-runs-table tbody tr', 1);

  // The conversation opens in the inbox, at the run's note.
  await page.locator('#macro-runs-table a.macro-run-open', { hasText: piet }).click();
  await page.locator('#thread-title', { hasText: 'Piet' }).waitFor({ timeout: 10_000 });
  assert.equal(new URL(page.url()).hash, '#/inbox');
  await page.locator('.msg-note', { hasText: 'Macro "Close politely" run by' }).waitFor();
  await page.screenshot({ path: join(outDir, 'console-macro-runs.png'), fullPage: true });

  // An agent (not an admin) reads the list too.
  await server.api('/api/v1/agents', { method: 'POST', body: JSON.stringify({ email: 'ugo@demo.test', name: 'Ugo', role: 'agent', password: 'ugo-password-123' }) });
  const agentCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const agentPage = await agentCtx.newPage();
  watchPage(agentPage, 'macro-runs-agent', logs);
  await signIn(agentPage, server, { email: 'ugo@demo.test', password: 'ugo-password-123' });
  await agentPage.goto(`${server.origin}/#/settings/macro-runs`);
  await waitForCount(agentPage, '#macro-runs-table tbody tr', 2);
  assert.equal(await agentPage.locator('#macro-runs-error').innerText(), '');
});
