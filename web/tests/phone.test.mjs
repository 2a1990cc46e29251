// `make demo`'s customer phone in a browser: scripts/demo.mjs runs the provider simulator beside the
// real `bottega demo` (as the Makefile does, on free ports). A customer types on the simulator's
// phone page (WhatsApp), the bot's answer shows with its buttons, a tap is answered, the agent sees
// the conversation live in the console and replies, the reply reaches the phone and shows as read
// in the console; a photo from the phone shows inline in the console. Message text is text on both
// sides, never HTML.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildWeb, launchBrowser, outDir, watchPage } from './helpers/env.mjs';
import { signIn } from './helpers/console.mjs';
import { newDataDir, removeDataDir, startDemo } from '../../tools/sim/test/demo_process.mjs';

const QUESTION = 'How long does delivery take?';
const HOSTILE = '<img src=x onerror="window.__xss=1"> <b>bold?</b>';
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

let dir;
let demo;
let browser;
const logs = [];

before(async () => {
  buildWeb();
  dir = newDataDir();
  demo = await startDemo(dir);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
  if (dir) removeDataDir(dir);
  writeFileSync(join(outDir, 'browser-phone.log'), logs.join('\n') + '\n');
});

/** The agent console (signed in as the demo's admin) and the phone, each in its own browser context. */
async function agentAndPhone(suffix) {
  const agentCtx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const phoneCtx = await browser.newContext({ viewport: { width: 480, height: 860 } });
  const agent = await agentCtx.newPage();
  const phone = await phoneCtx.newPage();
  watchPage(agent, `agent${suffix}`, logs);
  watchPage(phone, `phone${suffix}`, logs);
  const alice = demo.agents.find((a) => a.role === 'admin');
  await signIn(agent, { origin: demo.bottega, agent: alice });
  return { agentCtx, phoneCtx, agent, phone };
}

test('the customer phone: type on WhatsApp, the bot answers, tap a button, the agent replies from the console', { timeout: 180_000 }, async () => {
  const { agentCtx, phoneCtx, agent, phone } = await agentAndPhone('');

  await phone.goto(`${demo.phone}?channel=whatsapp`);
  await phone.locator('#channel option[value=whatsapp]').waitFor({ state: 'attached' });
  assert.equal(await phone.locator('#channel').inputValue(), 'whatsapp');
  await phone.locator('#customer-name').fill('Paola Phone');
  await phone.locator('#customer-name').press('Tab');
  await phone.locator('#customer-id').fill('393331230001');
  await phone.locator('#customer-id').press('Tab');

  const text = phone.getByLabel('Message', { exact: true });
  await text.fill(QUESTION);
  await text.press('Enter');
  await phone.locator('li.msg.customer[data-status=delivered]', { hasText: QUESTION }).waitFor({ timeout: 15_000 });

  // The bot's answer, with its "did this help?" buttons.
  const answer = phone.locator('li.msg.business', { hasText: 'working day' });
  await answer.waitFor({ timeout: 30_000 });
  assert.deepEqual(await answer.locator('button.choice').allInnerTexts(), ['Yes', 'No']);

  // The agent sees the WhatsApp conversation live.
  const item = agent.locator('#conversation-list button.conv', { hasText: 'Paola Phone' });
  await item.waitFor({ timeout: 15_000 });
  await item.click();
  await agent.locator('.messages li.msg-in', { hasText: QUESTION }).waitFor({ timeout: 15_000 });

  // A tap on "Yes" is the interactive reply the bot understands.
  await answer.locator('button.choice', { hasText: 'Yes' }).click();
  await phone.locator('li.msg.customer[data-status=delivered]', { hasText: 'Yes' }).waitFor({ timeout: 15_000 });
  await phone.locator('li.msg.business', { hasText: 'glad' }).waitFor({ timeout: 30_000 });

  // The agent replies from the console; the phone shows it as text.
  const composer = agent.locator('#composer-text');
  await composer.fill(HOSTILE);
  await composer.press('Enter');
  await agent.locator('.messages li.msg-out', { hasText: '<b>bold?</b>' }).waitFor({ timeout: 15_000 });
  await phone.locator('li.msg.business', { hasText: '<b>bold?</b>' }).waitFor({ timeout: 30_000 });
  // The open phone page sends WhatsApp's read receipt: the console shows the reply as read.
  await agent.locator('.messages li.msg-out', { hasText: '<b>bold?</b>' }).locator('.delivery-read').waitFor({ timeout: 30_000 });

  // And the customer's hostile text is text in the console.
  await text.fill(HOSTILE);
  await text.press('Enter');
  await agent.locator('.messages li.msg-in', { hasText: '<img src=x' }).waitFor({ timeout: 15_000 });
  await phone.locator('li.msg.customer[data-status=delivered]', { hasText: '<img src=x' }).waitFor({ timeout: 15_000 });
  assert.equal(await phone.locator('#messages img, #messages b').count(), 0, 'no HTML elements from message text (phone)');
  assert.equal(await agent.locator('.messages img, .messages b').count(), 0, 'no HTML elements from message text (console)');
  assert.equal(await phone.evaluate(() => window.__xss), undefined);
  assert.equal(await agent.evaluate(() => window.__xss), undefined);

  // A photo from the phone (the typed text is its caption): shown on the phone, fetched by Bottega
  // through the simulated Graph API, and inline in the console.
  await text.fill('the box arrived like this');
  await phone.locator('#photo-file').setInputFiles({ name: 'box.png', mimeType: 'image/png', buffer: Buffer.from(PNG, 'base64') });
  const mine = phone.locator('li.msg.customer[data-status=delivered]', { hasText: 'the box arrived like this' });
  await mine.waitFor({ timeout: 15_000 });
  await phone.waitForFunction((el) => el.complete && el.naturalWidth === 1, await mine.locator('img').elementHandle(), { timeout: 10_000 });
  assert.equal(await text.inputValue(), '', 'the caption went with the photo');
  const inConsole = agent.locator('.messages li.msg-in', { hasText: 'the box arrived like this' }).locator('img.attachment-img');
  await inConsole.waitFor({ timeout: 30_000 });

  await phone.screenshot({ path: join(outDir, 'phone.png') });

  // Another app: Telegram, its own conversation, the bot's answer with inline keyboard buttons.
  await phone.locator('#channel').selectOption('telegram');
  await phone.locator('.phone[data-app=telegram]').waitFor();
  assert.equal(await phone.locator('#messages li').count(), 0, 'a new conversation');
  await text.fill('Do you ship to Belgium?');
  await text.press('Enter');
  const tg = phone.locator('li.msg.business', { hasText: 'EU country' });
  await tg.waitFor({ timeout: 30_000 });
  assert.deepEqual(await tg.locator('button.choice').allInnerTexts(), ['Yes', 'No']);
  await phone.screenshot({ path: join(outDir, 'phone-telegram.png') });
  await agent.screenshot({ path: join(outDir, 'phone-console.png') });
  await agentCtx.close();
  await phoneCtx.close();
});

test('the customer phone on Twilio SMS, Viber and WeChat: each app writes as its customer, sees the bot, taps its choices', { timeout: 180_000 }, async () => {
  const { agentCtx, phoneCtx, agent, phone } = await agentAndPhone('-more');
  await phone.goto(`${demo.phone}?channel=twilio`);
  await phone.locator('.phone[data-app=twilio]').waitFor();
  const names = await phone.locator('#channel option').allInnerTexts();
  for (const n of ['Twilio SMS (simulator)', 'Viber (simulator)', 'WeChat (simulator)']) assert.ok(names.includes(n), names.join(', '));
  const text = phone.getByLabel('Message', { exact: true });
  const id = phone.locator('#customer-id');

  // Twilio SMS: the customer is a phone number; SMS has no buttons, the choices come numbered.
  assert.match(await id.inputValue(), /^\+1555\d{7}$/);
  await id.fill('12345');
  await id.press('Tab');
  await phone.locator('#status', { hasText: 'The number must be + and 8 to 15 digits.' }).waitFor();
  await id.fill('+15557770001');
  await id.press('Tab');
  await phone.locator('#customer-name').fill('Sam Sms');
  await phone.locator('#customer-name').press('Tab');
  await text.fill('Do you ship to Belgium?');
  await text.press('Enter');
  await phone.locator('li.msg.customer[data-status=delivered]', { hasText: 'Do you ship to Belgium?' }).waitFor({ timeout: 15_000 });
  const sms = phone.locator('li.msg.business', { hasText: 'EU country' });
  await sms.waitFor({ timeout: 30_000 });
  assert.match(await sms.innerText(), /1\. Yes/);
  assert.equal(await sms.locator('button.choice').count(), 0);
  // The agent sees it on the Twilio channel and answers; the SMS arrives.
  const item = agent.locator('#conversation-list button.conv', { hasText: 'Sam Sms' });
  await item.waitFor({ timeout: 15_000 });
  await item.click();
  await agent.locator('#composer-text').fill('Yes, in 3 days.');
  await agent.locator('#composer-text').press('Enter');
  await phone.locator('li.msg.business', { hasText: 'Yes, in 3 days.' }).waitFor({ timeout: 30_000 });

  // Viber: a user id, the reply keyboard's buttons; a tap is understood; a photo with its caption
  // reaches the console (Bottega downloads it from the signed dl-media URL the simulator serves).
  await phone.locator('#channel').selectOption('viber');
  await phone.locator('.phone[data-app=viber]').waitFor();
  assert.match(await id.inputValue(), /^[A-Za-z0-9]{22}==$/);
  assert.equal(await phone.locator('#customer-id-label').innerText(), 'Viber id');
  await phone.locator('#customer-name').fill('Vera Viber');
  await phone.locator('#customer-name').press('Tab');
  await text.fill('Do you ship to Belgium?');
  await text.press('Enter');
  const viber = phone.locator('li.msg.business', { hasText: 'EU country' });
  await viber.waitFor({ timeout: 30_000 });
  assert.deepEqual(await viber.locator('button.choice').allInnerTexts(), ['Yes', 'No']);
  await viber.locator('button.choice', { hasText: 'Yes' }).click();
  await phone.locator('li.msg.customer[data-status=delivered]', { hasText: 'Yes' }).waitFor({ timeout: 15_000 });
  await phone.locator('li.msg.business', { hasText: 'glad' }).waitFor({ timeout: 30_000 });
  assert.equal(await phone.locator('#photo').isVisible(), true);
  await text.fill('Is this colour in stock?');
  await phone.locator('#photo-file').setInputFiles({ name: 'colour.png', mimeType: 'image/png', buffer: Buffer.from(PNG, 'base64') });
  await phone.locator('li.msg.customer[data-status=delivered] img').waitFor({ timeout: 15_000 });
  const vconv = agent.locator('#conversation-list button.conv', { hasText: 'Vera Viber' });
  await vconv.waitFor({ timeout: 15_000 });
  await vconv.click();
  const vmsg = agent.locator('.messages li.msg-in', { hasText: 'Is this colour in stock?' });
  const vimg = vmsg.locator('img.attachment-img');
  await vimg.waitFor({ timeout: 30_000 });
  // The image the console shows is the phone's file, byte for byte.
  const shown = await vimg.evaluate(async (img) => {
    const r = await fetch(img.src, { credentials: 'same-origin' });
    return { status: r.status, b64: btoa(String.fromCharCode(...new Uint8Array(await r.arrayBuffer()))) };
  });
  assert.deepEqual(shown, { status: 200, b64: PNG });

  // WeChat: an OpenID, the msgmenu's options; a tap comes back as the option; a photo (no caption)
  // is downloaded through media/get and shows in the console.
  await phone.locator('#channel').selectOption('wechat');
  await phone.locator('.phone[data-app=wechat]').waitFor();
  const openid = await id.inputValue();
  assert.match(openid, /^o[A-Za-z0-9]{27}$/);
  await text.fill('Do you ship to Belgium?');
  await text.press('Enter');
  const wechat = phone.locator('li.msg.business', { hasText: 'EU country' });
  await wechat.waitFor({ timeout: 30_000 });
  assert.deepEqual(await wechat.locator('button.choice').allInnerTexts(), ['Yes', 'No']);
  await wechat.locator('button.choice', { hasText: 'No' }).click();
  await phone.locator('li.msg.customer[data-status=delivered]', { hasText: 'No' }).waitFor({ timeout: 15_000 });
  await phone.locator('#photo-file').setInputFiles({ name: 'box.png', mimeType: 'image/png', buffer: Buffer.from(PNG, 'base64') });
  const photo = phone.locator('li.msg.customer[data-status=delivered] img');
  await photo.waitFor({ timeout: 15_000 });
  const conv = agent.locator('#conversation-list button.conv', { hasText: openid });
  await conv.waitFor({ timeout: 15_000 });
  await conv.click();
  await agent.locator('.messages li.msg-in img.attachment-img').waitFor({ timeout: 30_000 });
  // The agent's reply with a link reaches WeChat as text with the link.
  await agent.locator('#composer-text').fill('Thanks, we will look at it.');
  await agent.locator('#composer-text').press('Enter');
  await phone.locator('li.msg.business', { hasText: 'Thanks, we will look at it.' }).waitFor({ timeout: 30_000 });
  await phone.screenshot({ path: join(outDir, 'phone-wechat.png') });
  await agentCtx.close();
  await phoneCtx.close();
});
