// "Test connection" on Settings > Channels, against the real server and the provider simulator:
// the provider names the account behind the stored credentials (WhatsApp's verified name and
// number), a stale token comes back with the provider's own error, and a web chat channel has
// nothing to test. Nothing is sent to a customer.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildWeb, launchBrowser, outDir, watchPage } from './helpers/env.mjs';
import { startBottega } from './helpers/server.mjs';
import { SIM_CONFIG, startSim } from './helpers/sim.mjs';
import { signIn } from './helpers/console.mjs';

let server;
let sim;
let browser;
const logs = [];

before(async () => {
  buildWeb();
  [server, sim] = await Promise.all([startBottega('console-channel-test', { config: SIM_CONFIG }), startSim()]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await Promise.all([server?.stop(), sim?.stop()]);
  writeFileSync(join(outDir, 'browser-console-channel-test.log'), logs.join('\n') + '\n');
});

test('Test connection: the account behind the credentials, or the provider’s error', { timeout: 90_000 }, async () => {
  const good = await sim.whatsappChannel(server, 'WhatsApp main');
  // The same number with a token the provider no longer accepts.
  const stale = await server.api('/api/v1/channels', {
    method: 'POST',
    body: JSON.stringify({ type: 'whatsapp', name: 'WhatsApp stale', settings: { ...good.settings, access_token: 'EAAGexpired' } }),
  });

  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  watchPage(page, 'channel-test', logs);
  await signIn(page, server);
  await page.goto(`${server.origin}/#/settings/channels`);
  const goodRow = page.locator(`#channels-table tr[data-channel-id="${good.ch.id}"]`);
  await goodRow.waitFor({ timeout: 10_000 });
  await goodRow.getByRole('button', { name: 'Test the connection of WhatsApp main' }).click();
  await goodRow.locator('.channel-test-result[data-ok="true"]', { hasText: 'Connected: Bottega Sim Shop · +1 555-010-0100' }).waitFor({ timeout: 15_000 });

  const staleRow = page.locator(`#channels-table tr[data-channel-id="${stale.id}"]`);
  await staleRow.getByRole('button', { name: 'Test the connection of WhatsApp stale' }).click();
  const bad = staleRow.locator('.channel-test-result[data-ok="false"]');
  await bad.waitFor({ timeout: 15_000 });
  assert.match(await bad.innerText(), /^Failed: provider_unauthorized: .*Error validating access token/);

  // The web chat channel has no provider account; nothing reached a customer.
  const web = page.locator(`#channels-table tr[data-channel-id="${server.channelId}"]`);
  assert.equal(await web.locator('.channel-test').innerText(), 'nothing to test');
  const calls = await sim.requests('whatsapp');
  assert.equal(calls.filter((r) => r.path.endsWith('/messages')).length, 0, 'no message was sent');
  assert.equal(calls.filter((r) => r.method === 'GET' && r.path.endsWith(`/${good.settings.phone_number_id}`)).length, 2);
  await page.screenshot({ path: join(outDir, 'console-channel-test.png') });
  await page.close();
});
