// An email in the console, against the real server and a real SMTP client (Debian's swaks): the
// inbox row shows the subject; the message shows the subject and its text; the sender's HTML is
// shown only on demand, sanitized by the server, inside an iframe with an empty sandbox and its own
// Content-Security-Policy, never in the console's own document.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildWeb, launchBrowser, outDir, watchPage } from './helpers/env.mjs';
import { freePort, startBottega } from './helpers/server.mjs';
import { signIn } from './helpers/console.mjs';

let server;
let browser;
let smtpPort;
const logs = [];

const MAIL = [
  'From: Ana Maria <ana@customer.test>',
  'To: support@shop.test',
  'Subject: Order 1042 arrived damaged',
  'Message-ID: <damaged-1042@customer.test>',
  'Date: Sun, 22 Nov 2026 10:00:00 +0000',
  'MIME-Version: 1.0',
  'Content-Type: multipart/alternative; boundary="b1"',
  '',
  '--b1',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'The box was crushed and one shoe is scuffed.',
  '--b1',
  'Content-Type: text/html; charset=utf-8',
  '',
  '<html><body><p>The box was <b>crushed</b> and one shoe is scuffed.</p>' +
    '<script>parent.document.title = "pwned"</script>' +
    '<img src="https://tracker.example/pixel.gif" onerror="parent.document.title = \'pwned\'">' +
    '<a href="javascript:alert(1)">details</a></body></html>',
  '--b1--',
  '',
].join('\r\n');

before(async () => {
  buildWeb();
  smtpPort = await freePort();
  server = await startBottega('console-email', {
    config: ['[email]', `listen = "127.0.0.1:${smtpPort}"`, 'protocol = "smtp"', 'hostname = "mx.shop.test"'],
  });
  const ch = await server.api('/api/v1/channels', {
    method: 'POST',
    body: JSON.stringify({ type: 'email', name: 'Support mailbox', settings: { address: 'support@shop.test' } }),
  });
  assert.ok(ch.id, JSON.stringify(ch));
  const file = join(outDir, 'console-email.eml');
  writeFileSync(file, MAIL);
  execFileSync('swaks', ['--server', `127.0.0.1:${smtpPort}`, '--helo', 'client.test', '--from', 'ana@customer.test',
    '--to', 'support@shop.test', '--data', `@${file}`], { stdio: 'pipe' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  writeFileSync(join(outDir, 'browser-console-email.log'), logs.join('\n') + '\n');
});

test('an email shows its subject, and its HTML only sanitized in a sandboxed frame', { timeout: 90_000 }, async () => {
  const page = await browser.newPage();
  watchPage(page, 'console-email', logs);
  await signIn(page, server);
  const row = page.locator('#conversation-list button.conv', { hasText: 'Order 1042 arrived damaged' });
  await row.waitFor({ timeout: 15_000 });
  assert.equal((await row.locator('.conv-subject').innerText()).trim(), 'Order 1042 arrived damaged ·');
  // A first-time sender: the row says so (from the priority score's "returning" factor).
  await row.locator('.chip-newness.is-new', { hasText: 'New customer' }).waitFor({ timeout: 10_000 });
  await row.click();
  const msg = page.locator('.messages li.msg-in', { hasText: 'The box was crushed' });
  await msg.waitFor({ timeout: 10_000 });
  assert.match(await msg.locator('.email-subject').innerText(), /Subject: Order 1042 arrived damaged/);
  // Nothing of the HTML is in the console's own document until asked for, and then only in the frame.
  assert.equal(await msg.locator('iframe').count(), 0);
  assert.equal(await page.locator('.messages b, .messages script, .messages img[src^="https://tracker"]').count(), 0);
  await msg.getByRole('button', { name: 'Show the formatted email' }).click();
  const frame = msg.locator('iframe.email-frame');
  await frame.waitFor();
  assert.equal(await frame.getAttribute('sandbox'), '', 'an empty sandbox: no scripts, no same origin');
  const srcdoc = await frame.evaluate((f) => f.srcdoc);
  assert.match(srcdoc, /Content-Security-Policy" content="default-src 'none'/);
  assert.match(srcdoc, /<b>crushed<\/b>/);
  assert.doesNotMatch(srcdoc, /<script|onerror|javascript:|tracker\.example/i, 'the server sanitized it');
  const inner = page.frameLocator('.messages iframe.email-frame');
  await inner.locator('b', { hasText: 'crushed' }).waitFor({ timeout: 10_000 });
  assert.notEqual(await page.title(), 'pwned');
  await page.screenshot({ path: join(outDir, 'console-email.png') });
  await msg.getByRole('button', { name: 'Hide the formatted email' }).click();
  assert.equal(await msg.locator('iframe').count(), 0);
  await page.close();
});
