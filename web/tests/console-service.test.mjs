// Inbox operations in the console, against the real server: the list ordered by priority score
// (a pre-sale question above an older delivery question), the SLA countdown turning into a breach
// badge live, and the score explained on the conversation.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildWeb, launchBrowser, outDir, watchPage } from './helpers/env.mjs';
import { startBottega } from './helpers/server.mjs';
import { signIn, visitorSays } from './helpers/console.mjs';

let server;
let browser;
const logs = [];

before(async () => {
  buildWeb();
  server = await startBottega('console-service');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  writeFileSync(join(outDir, 'browser-console-service.log'), logs.join('\n') + '\n');
});

test('priority order, SLA countdown and breach badge, score explained', { timeout: 90_000 }, async () => {
  await server.api('/api/v1/service/settings', {
    method: 'PATCH',
    body: JSON.stringify({
      sla: { business_hours: false, policies: { normal: { first_response_seconds: 6 }, high: { first_response_seconds: 86400 } } },
    }),
  });
  const post = await visitorSays(server, 'Ann', 'My parcel has not arrived');
  const pre = await visitorSays(server, 'Bob', 'Is the blue jacket available in M?');
  await server.api(`/api/v1/conversations/${post}`, { method: 'PATCH', body: JSON.stringify({ tags: ['order-status'] }) });
  await server.api(`/api/v1/conversations/${pre}`, { method: 'PATCH', body: JSON.stringify({ tags: ['presale'] }) });

  const page = await browser.newPage();
  watchPage(page, 'console-service', logs);
  await signIn(page, server);

  // The pre-sale question is first, though it came later, and says why.
  const rows = page.locator('#conversation-list [data-conversation-id]');
  await page.waitForFunction(
    (id) => document.querySelector('#conversation-list [data-conversation-id]')?.getAttribute('data-conversation-id') === id,
    pre,
    { timeout: 10_000 },
  );
  assert.equal(await rows.count(), 2);
  const preRow = page.locator(`[data-conversation-id="${pre}"]`);
  assert.equal(await preRow.locator('.chip-presale').count(), 1);
  // The delivery question has a 6-second first-response target: a countdown, then the breach badge.
  const postRow = page.locator(`[data-conversation-id="${post}"]`);
  await postRow.locator('.chip-sla').first().waitFor({ timeout: 10_000 });
  await postRow.locator('.chip-sla-breached').waitFor({ timeout: 20_000 });
  assert.match(await postRow.locator('.chip-sla-breached').textContent(), /SLA missed: first response/);
  // The pre-sale one (level high, 24 h target) is counting down.
  assert.equal(await preRow.locator('.chip-sla-breached').count(), 0);
  assert.match(await preRow.locator('.chip-sla').textContent(), /first response due in/);

  // An explicit priority moves the delivery question up, live.
  await server.api(`/api/v1/conversations/${post}`, { method: 'PATCH', body: JSON.stringify({ priority: 900 }) });
  await page.waitForFunction(
    (id) => document.querySelector('#conversation-list [data-conversation-id]')?.getAttribute('data-conversation-id') === id,
    post,
    { timeout: 10_000 },
  );
  // "Newest" orders by activity alone: the priority change just made is the newest activity.
  await page.locator('#sort-order').selectOption('recent');
  assert.equal(await rows.count(), 2);
  assert.equal(await rows.first().getAttribute('data-conversation-id'), post);
  await page.locator('#sort-order').selectOption('score');

  // The conversation shows its score and why.
  await preRow.click();
  const score = page.locator('.thread .chip-score');
  await score.waitFor({ timeout: 10_000 });
  const title = await score.getAttribute('title');
  assert.match(title, /pre-sale question/);
  assert.match(await score.textContent(), /Score \d+/);
  await page.screenshot({ path: join(outDir, 'console-service.png') });
  await page.close();
});

test('going online takes a waiting conversation; "/" in the composer inserts a canned response filled in', { timeout: 90_000 }, async () => {
  await server.api('/api/v1/service/settings', { method: 'PATCH', body: JSON.stringify({ assignment: { mode: 'round_robin' } }) });
  await server.api('/api/v1/canned_responses', {
    method: 'POST',
    body: JSON.stringify({ shortcut: 'hello', title: 'Greeting', body: 'Hi {{contact.first_name}}, {{shop.name}} here. <b>not bold</b>' }),
  });
  await server.api('/api/v1/canned_responses', {
    method: 'POST',
    body: JSON.stringify({ shortcut: 'bye', title: 'Closing', body: 'Thanks for writing!' }),
  });
  const conv = await visitorSays(server, 'Carla Rossi', 'Do you have gift cards?');

  const page = await browser.newPage();
  watchPage(page, 'console-service-2', logs);
  await signIn(page, server);

  const toggle = page.locator('#availability-toggle');
  await page.waitForFunction(() => document.querySelector('#availability-toggle')?.getAttribute('data-status') === 'away');
  await toggle.click();
  await page.waitForFunction(() => document.querySelector('#availability-toggle')?.getAttribute('aria-pressed') === 'true');
  // Online: the waiting conversation is assigned to this agent, live.
  const row = page.locator(`[data-conversation-id="${conv}"]`);
  await row.locator('.chip-mine').waitFor({ timeout: 10_000 });
  const list = await server.api('/api/v1/agents/availability');
  assert.equal(list.data.length, 1);
  assert.equal(list.data[0].status, 'online');
  assert.ok(list.data[0].load >= 1); // with the earlier test's waiting conversations

  await row.click();
  const composer = page.locator('#composer-text');
  await composer.waitFor();
  await composer.fill('');
  await composer.pressSequentially('/he');
  const options = page.locator('#canned-list [role=option]');
  await options.first().waitFor({ timeout: 15_000 });
  assert.equal(await options.count(), 1);
  assert.match(await options.first().textContent(), /\/hello/);
  await composer.press('Enter');
  await page.waitForFunction(() => document.querySelector('#composer-text')?.value.startsWith('Hi Carla'));
  assert.equal(await composer.inputValue(), 'Hi Carla, Demo shop here. <b>not bold</b>');
  assert.equal(await page.locator('#canned-list').isHidden(), true);
  // Nothing was sent by the Enter that picked the response.
  const msgs = await server.api(`/api/v1/conversations/${conv}/messages`);
  assert.equal(msgs.data.filter((m) => m.direction === 'out').length, 0);
  await page.screenshot({ path: join(outDir, 'console-service-canned.png') });

  await toggle.click();
  await page.waitForFunction(() => document.querySelector('#availability-toggle')?.getAttribute('data-status') === 'away');
  await page.close();
});

test('an admin sets business hours, SLA targets and assignment on the Hours & SLAs screen', { timeout: 60_000 }, async () => {
  const page = await browser.newPage();
  watchPage(page, 'console-service-3', logs);
  await signIn(page, server);
  await page.goto(server.origin + '/#/settings/service');
  await page.locator('#service-form').waitFor({ timeout: 10_000 });

  // A wrong interval is caught before anything is sent; an unknown zone by the server, with its field.
  await page.locator('#svc-day-mon').fill('9-18');
  await page.locator('#svc-save').click();
  assert.match(await page.locator('#service-error').textContent(), /Monday: write intervals like 09:00-18:00/);
  await page.locator('#svc-day-mon').fill('09:00-13:00, 14:00-18:00');
  await page.locator('#svc-zone').fill('Mars/Olympus');
  await page.locator('#svc-save').click();
  await page.waitForFunction(() => /business_hours\.time_zone/.test(document.querySelector('#service-error')?.textContent ?? ''));

  await page.locator('#svc-zone').fill('Europe/Rome');
  await page.locator('#svc-day-sat').fill('10:00-14:00');
  await page.locator('#svc-sla-normal-first_response').fill('30');
  await page.locator('#svc-sla-urgent-resolution').fill('240');
  await page.locator('#svc-sla-high-first_response').fill(''); // cleared: no target
  await page.locator('#svc-assign-mode').selectOption('least_loaded');
  await page.locator('#svc-capacity').fill('4');
  await page.locator('#svc-after-hours').check();
  await page.locator('#svc-save').click();
  await page.waitForFunction(() => (document.querySelector('#service-saved')?.textContent ?? '') !== '');

  const s = await server.api('/api/v1/service/settings');
  assert.equal(s.business_hours.time_zone, 'Europe/Rome');
  assert.deepEqual(s.business_hours.days.mon, [['09:00', '13:00'], ['14:00', '18:00']]);
  assert.deepEqual(s.business_hours.days.sat, [['10:00', '14:00']]);
  assert.equal(s.business_hours.days.sun, null);
  assert.equal(s.sla.policies.normal.first_response_seconds, 1800);
  assert.equal(s.sla.policies.urgent.resolution_seconds, 14400);
  assert.equal(s.sla.policies.high.first_response_seconds, null);
  assert.equal(s.assignment.mode, 'least_loaded');
  assert.equal(s.assignment.default_capacity, 4);
  assert.equal(s.after_hours.enabled, true);
  // Shown again as saved after a reload.
  await page.reload();
  await page.locator('#service-form').waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('#svc-sla-normal-first_response').inputValue(), '30');
  assert.equal(await page.locator('#svc-day-mon').inputValue(), '09:00-13:00, 14:00-18:00');
  await page.screenshot({ path: join(outDir, 'console-service-settings.png') });
  await page.close();
});

test('an admin sets SLA targets per channel and a default on the Hours & SLAs screen', { timeout: 60_000 }, async () => {
  const before = await server.api('/api/v1/service/settings');
  await server.api('/api/v1/service/settings', {
    method: 'PATCH',
    body: JSON.stringify({ sla: { ...before.sla, channels: { email: { normal: { first_response_seconds: 86400 } } } } }),
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 2400 } });
  watchPage(page, 'console-service-4', logs);
  await signIn(page, server);
  await page.goto(server.origin + '/#/settings/service');
  await page.locator('#service-form').waitFor({ timeout: 10_000 });

  // The email policy set through the API is shown; email is no longer offered to add.
  assert.equal(await page.locator('#svc-sla-email-normal-first_response').inputValue(), '1440');
  assert.equal(await page.locator('#svc-sla-add-channel option[value="email"]').count(), 0);
  // Add WhatsApp targets; a bad value is caught with the field focused.
  await page.locator('#svc-sla-add-channel').selectOption('whatsapp');
  await page.locator('#svc-sla-add').click();
  await page.locator('#sla-table-whatsapp').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'svc-sla-whatsapp-urgent-first_response');
  await page.locator('#svc-sla-whatsapp-urgent-first_response').fill('5');
  await page.locator('#svc-sla-whatsapp-high-first_response').fill('-3');
  await page.locator('#svc-sla-default-resolution').fill('2880');
  await page.locator('#svc-save').click();
  // The browser refuses the form (the input's min); nothing is sent.
  assert.equal(await page.locator('#svc-sla-whatsapp-high-first_response').evaluate((e) => e.validity.valid), false);
  assert.equal(await page.locator('#service-saved').textContent(), '');
  assert.equal((await server.api('/api/v1/service/settings')).sla.channels?.whatsapp, undefined);
  await page.locator('#svc-sla-whatsapp-high-first_response').fill('');
  // Email's targets are removed.
  await page.getByRole('button', { name: 'Remove Email targets' }).click();
  assert.equal(await page.locator('#sla-table-email').count(), 0);
  await page.locator('#svc-save').click();
  await page.waitForFunction(() => (document.querySelector('#service-saved')?.textContent ?? '') !== '');

  const s = await server.api('/api/v1/service/settings');
  assert.deepEqual(Object.keys(s.sla.channels ?? {}), ['whatsapp']);
  assert.deepEqual(Object.keys(s.sla.channels.whatsapp), ['urgent']);
  assert.equal(s.sla.channels.whatsapp.urgent.first_response_seconds, 300);
  assert.equal(s.sla.policies.default.resolution_seconds, 172800);
  assert.equal(s.sla.policies.normal.first_response_seconds, before.sla.policies.normal.first_response_seconds, 'the levels are kept');
  // Shown again as saved after a reload.
  await page.reload();
  await page.locator('#service-form').waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('#svc-sla-whatsapp-urgent-first_response').inputValue(), '5');
  assert.equal(await page.locator('#svc-sla-default-resolution').inputValue(), '2880');
  assert.equal(await page.locator('#sla-table-email').count(), 0);
  await page.locator('#service-form').screenshot({ path: join(outDir, 'console-service-channels.png') });
  await page.close();
});

test('snooze until a time from the thread: the header says until when, and it comes back by itself, live', { timeout: 90_000 }, async () => {
  const conv = await visitorSays(server, 'Nora Blum', 'I will check the size at home and come back');
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  watchPage(page, 'console-service-snooze', logs);
  await signIn(page, server);
  await page.locator(`[data-conversation-id="${conv}"]`).click({ timeout: 15_000 });
  const head = page.locator('.thread-head');
  await head.locator('.chip.status-open').waitFor({ timeout: 10_000 });

  // A chosen time in the past is refused in the menu; nothing is sent.
  await page.locator('#snooze-button').click();
  assert.equal(await page.locator('#snooze-button').getAttribute('aria-expanded'), 'true');
  await page.getByRole('menuitem', { name: 'Until…' }).click();
  await page.locator('#snooze-until').fill('2020-01-01T09:00');
  await page.locator('#snooze-apply').click();
  await page.locator('#snooze-menu .form-error', { hasText: 'Choose a time in the future.' }).waitFor();
  assert.equal((await server.api(`/api/v1/conversations/${conv}`)).status, 'open');
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('#snooze-menu').isHidden(), true);

  // Until tomorrow at 09:00 (the agent's clock): the header says so; the server keeps the time.
  await page.locator('#snooze-button').click();
  await page.getByRole('menuitem', { name: 'Until tomorrow, 09:00' }).click();
  const chip = head.locator('.chip-snoozed');
  await chip.waitFor({ timeout: 10_000 });
  assert.match(await chip.innerText(), /^Snoozed until .*09:00/);
  const expected = await page.evaluate(() => {
    const d = new Date();
    return new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1, 9, 0, 0, 0).getTime();
  });
  const snoozed = await server.api(`/api/v1/conversations/${conv}`);
  assert.equal(snoozed.status, 'snoozed');
  assert.equal(Date.parse(snoozed.snoozed_until), expected);
  assert.equal(await page.locator('#snooze-button').isHidden(), true);
  await page.screenshot({ path: join(outDir, 'console-service-snooze.png') });

  // Snoozed again (through the API) until two seconds from now: it comes back open by itself and
  // the console shows it live.
  const soon = Date.now() + 2000;
  await server.api(`/api/v1/conversations/${conv}/snooze`, { method: 'POST', body: JSON.stringify({ until: soon }) });
  await head.locator('.chip.status-open').waitFor({ timeout: 20_000 });
  assert.equal(await head.locator('.chip-snoozed').count(), 0);
  assert.ok(Date.now() >= soon);
  assert.equal(await page.locator('#snooze-button').isHidden(), false);
  await page.close();
});

test('the satisfaction score and its comment show on the resolved conversation', { timeout: 60_000 }, async () => {
  await server.api('/api/v1/service/settings', { method: 'PATCH', body: JSON.stringify({ csat: { enabled: true }, after_hours: null }) });
  const res = await fetch(`${server.origin}/api/v1/webchat/${server.channelId}/visitors`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'Dora' }),
  });
  const { visitor_token: token } = await res.json();
  const say = async (text) => {
    const r = await fetch(`${server.origin}/api/v1/webchat/${server.channelId}/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Visitor-Token': token },
      body: JSON.stringify({ text }),
    });
    return JSON.parse(await r.text()).conversation_id;
  };
  const conv = await say('Can I return shoes?');
  await server.api(`/api/v1/conversations/${conv}/messages`, { method: 'POST', body: JSON.stringify({ text: 'Yes, within 30 days.' }) });
  await server.api(`/api/v1/conversations/${conv}`, { method: 'PATCH', body: JSON.stringify({ status: 'resolved' }) });
  for (let i = 0; i < 50; i++) {
    const c = await server.api(`/api/v1/conversations/${conv}`);
    if (c.csat) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(await say('5'), conv);

  const page = await browser.newPage({ viewport: { width: 1280, height: 2400 } });
  watchPage(page, 'console-service-4', logs);
  await signIn(page, server);
  await page.locator(`[data-conversation-id="${conv}"]`).click();
  await page.locator('.thread .chip-csat[data-csat="5"]').waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('.thread .chip-csat').textContent(), 'Satisfaction 5/5');
  // The comment the shop asks for after the score: in the thread (as text) and on the chip.
  await page.locator('.msg', { hasText: 'Anything you’d like to add?'.replace('’', "'") }).waitFor({ timeout: 10_000 });
  assert.equal(await say('Fast <i>and</i> kind'), conv);
  await page.locator('.msg', { hasText: 'Fast <i>and</i> kind' }).waitFor({ timeout: 10_000 });
  await page.waitForFunction(() => document.querySelector('.thread .chip-csat')?.getAttribute('title') === 'Fast <i>and</i> kind', null, { timeout: 10_000 });
  await page.close();
});
