// End to end: a visitor on the hosted chat page and an agent in the console, against the real server.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildWeb, launchBrowser, outDir, watchPage } from './helpers/env.mjs';
import { startBottega } from './helpers/server.mjs';

const QUESTION = 'Do you ship to Belgium?';
const REPLY = 'Yes! We ship to Belgium in 2 to 3 working days.';
const NOTE = 'Internal: check the DPD rates for Belgium.';
const HOSTILE = '<img src=x onerror="window.__xss=1"> <b>bold?</b>';

let server;
let browser;
const logs = [];

before(async () => {
  buildWeb();
  server = await startBottega('console-chat');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  writeFileSync(join(outDir, 'browser-console-chat.log'), logs.join('\n') + '\n');
});

async function loginAgent(page) {
  await page.goto(server.origin + '/');
  // Keyboard order of the login form: email, password, sign in.
  await page.getByLabel('Email').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'login-email', 'email field focused first');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'login-password');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Sign in');
  await page.getByLabel('Email').fill(server.agent.email);
  await page.getByLabel('Password').fill(server.agent.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Conversations' }).waitFor();
  await page.locator('.live.live-live').waitFor({ timeout: 15_000 });
}

test('console login rejects a wrong password', { timeout: 60_000 }, async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  watchPage(page, 'bad-login', logs);
  await page.goto(server.origin + '/');
  await page.getByLabel('Email').fill(server.agent.email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'do not match' }).waitFor();
  await ctx.close();
});

test('visitor asks, agent sees it live and replies, visitor sees the reply live, history survives a reload', { timeout: 120_000 }, async () => {
  const agentCtx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const visitorCtx = await browser.newContext({ viewport: { width: 480, height: 760 } });
  const agent = await agentCtx.newPage();
  const visitor = await visitorCtx.newPage();
  watchPage(agent, 'agent', logs);
  watchPage(visitor, 'visitor', logs);

  // The agent is already looking at the inbox before the visitor writes.
  await loginAgent(agent);
  await agent.evaluate(() => {
    window.__noReload = true;
  });

  // Visitor: hosted chat page at /chat/{channel_id}.
  await visitor.goto(`${server.origin}/chat/${server.channelId}`);
  await visitor.locator('h2.title', { hasText: 'Demo shop' }).waitFor();
  const input = visitor.getByLabel('Your message');
  await input.fill(QUESTION);
  await input.press('Enter');
  const visitorQuestion = visitor.locator('li.msg-me[data-message-id]', { hasText: QUESTION });
  await visitorQuestion.waitFor();
  await visitor.locator('li.is-pending').waitFor({ state: 'detached' });
  const token = await visitor.evaluate((ch) => localStorage.getItem(`bottega.visitor.${ch}`), server.channelId);
  assert.ok(token, 'visitor token kept in localStorage');

  // Agent: the conversation appears live, without a reload.
  const item = agent.locator('#conversation-list button.conv', { hasText: QUESTION });
  await item.waitFor({ timeout: 15_000 });
  assert.equal(await agent.evaluate(() => window.__noReload), true, 'console was not reloaded');
  await item.click();
  await agent.locator('.messages li.msg-in', { hasText: QUESTION }).waitFor();
  await agent.locator('#thread-title').waitFor();

  // Reply.
  const composer = agent.locator('#composer-text');
  await composer.fill(REPLY);
  await composer.press('Enter');
  await agent.locator('.messages li.msg-out', { hasText: REPLY }).waitFor();
  assert.equal(await composer.inputValue(), '', 'composer cleared after sending');

  // Visitor sees the reply live.
  await visitor.locator('li.msg-shop[data-message-id]', { hasText: REPLY }).waitFor({ timeout: 15_000 });

  // An internal note: distinct in the console, never shown to the visitor.
  await agent.getByLabel('Internal note (not sent to the customer)').check();
  await composer.fill(NOTE);
  await agent.getByRole('button', { name: 'Add note' }).click();
  await agent.locator('.messages li.msg-note', { hasText: NOTE }).waitFor();
  await agent.getByLabel('Internal note (not sent to the customer)').uncheck();

  // Message text is never interpreted as HTML, on either side.
  await input.fill(HOSTILE);
  await input.press('Enter');
  await agent.locator('.messages li.msg-in', { hasText: '<img src=x' }).waitFor({ timeout: 15_000 });
  await visitor.locator('li.msg-me[data-message-id]', { hasText: '<b>bold?</b>' }).waitFor();
  assert.equal(await agent.locator('.messages img, .messages b').count(), 0, 'no HTML elements from message text (console)');
  assert.equal(await visitor.locator('.log img, .log b').count(), 0, 'no HTML elements from message text (chat)');
  assert.equal(await agent.evaluate(() => window.__xss), undefined);
  assert.equal(await visitor.evaluate(() => window.__xss), undefined);

  // Resolve, then reopen.
  await agent.getByRole('button', { name: 'Resolve' }).click();
  await agent.locator('.thread-meta .status-resolved').waitFor();
  await agent.getByRole('button', { name: 'Reopen' }).click();
  await agent.locator('.thread-meta .status-open').waitFor();

  await agent.screenshot({ path: join(outDir, 'console.png') });

  // Reload the visitor page: the same conversation comes back, without the note.
  await visitor.reload();
  await visitor.locator('li.msg-me[data-message-id]', { hasText: QUESTION }).waitFor();
  await visitor.locator('li.msg-shop[data-message-id]', { hasText: REPLY }).waitFor();
  assert.equal(await visitor.locator('.log', { hasText: NOTE }).count(), 0, 'note not shown to the visitor');
  assert.equal(
    await visitor.evaluate((ch) => localStorage.getItem(`bottega.visitor.${ch}`), server.channelId),
    token,
    'same visitor after reload',
  );
  await visitor.screenshot({ path: join(outDir, 'chat.png') });

  // A rate-limited send (429 with Retry-After) shows a clear message and keeps the text.
  await visitor.route('**/api/v1/webchat/*/messages', (route) =>
    route.request().method() === 'POST'
      ? route.fulfill({
          status: 429,
          headers: { 'Retry-After': '7', 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' },
          body: JSON.stringify({ error: { code: 'rate_limited', message: 'slow down' } }),
        })
      : route.continue(),
  );
  const visitorInput = visitor.getByLabel('Your message');
  await visitorInput.fill('One more question');
  await visitorInput.press('Enter');
  await visitor.getByRole('alert').filter({ hasText: 'wait 7 s' }).waitFor();
  assert.equal(await visitorInput.inputValue(), 'One more question', 'unsent text is kept');
  assert.equal(await visitor.locator('li.msg-me', { hasText: 'One more question' }).count(), 0);
  await visitor.unroute('**/api/v1/webchat/*/messages');

  // After a console reload the session is resumed (GET /auth/session), no login form.
  await agent.reload();
  await agent.getByRole('heading', { name: 'Conversations' }).waitFor();
  await agent.locator('#conversation-list button.conv', { hasText: '<img src=x' }).waitFor();

  await agentCtx.close();
  await visitorCtx.close();
});

// Replaces window.WebSocket so a test can drop the connection and hold reconnects back.
function socketControl() {
  const Native = window.WebSocket;
  window.__ws = { urls: [], sockets: [], blocked: false };
  window.WebSocket = class extends Native {
    constructor(url, protocols) {
      const u = String(url);
      window.__ws.urls.push(u);
      // While blocked, connect to a path that does not exist: the attempt fails and backs off.
      super(window.__ws.blocked ? u.replace('/realtime', '/realtime-blocked') : u, protocols);
      window.__ws.sockets.push(this);
    }
  };
}

async function dropAndHold(page) {
  await page.evaluate(() => {
    window.__ws.blocked = true;
    for (const s of window.__ws.sockets) s.close();
  });
}

test('after a dropped connection, console and chat page reconnect with their cursor and miss nothing', { timeout: 120_000 }, async () => {
  const agentCtx = await browser.newContext();
  const visitorCtx = await browser.newContext();
  await agentCtx.addInitScript(socketControl);
  await visitorCtx.addInitScript(socketControl);
  const agent = await agentCtx.newPage();
  const visitor = await visitorCtx.newPage();
  watchPage(agent, 'agent-reconnect', logs);
  watchPage(visitor, 'visitor-reconnect', logs);

  await loginAgent(agent);
  await visitor.goto(`${server.origin}/chat/${server.channelId}`);
  const input = visitor.getByLabel('Your message');
  await input.fill('Is the blue teapot in stock?');
  await input.press('Enter');
  await visitor.locator('li.msg-me[data-message-id]', { hasText: 'blue teapot' }).waitFor();
  await agent.locator('#conversation-list button.conv', { hasText: 'blue teapot' }).click();
  await agent.locator('.messages li.msg-in', { hasText: 'blue teapot' }).waitFor();

  // The agent goes offline; the visitor writes meanwhile.
  await dropAndHold(agent);
  await agent.locator('.live.live-offline').waitFor();
  await input.fill('Written while the agent was offline');
  await input.press('Enter');
  await visitor.locator('li.msg-me[data-message-id]', { hasText: 'while the agent was offline' }).waitFor();
  await new Promise((r) => setTimeout(r, 800));
  assert.equal(await agent.locator('.messages', { hasText: 'while the agent was offline' }).count(), 0);
  await agent.evaluate(() => {
    window.__ws.blocked = false;
  });
  await agent.locator('.messages li.msg-in', { hasText: 'while the agent was offline' }).waitFor({ timeout: 40_000 });
  await agent.locator('.live.live-live').waitFor();
  const agentUrls = await agent.evaluate(() => window.__ws.urls);
  assert.match(agentUrls.at(-1), /[?&]cursor=\d+/, `console reconnected with a cursor: ${agentUrls.at(-1)}`);

  // The visitor goes offline; the agent replies meanwhile.
  await dropAndHold(visitor);
  const composer = agent.locator('#composer-text');
  await composer.fill('Yes, the blue teapot ships today.');
  await composer.press('Enter');
  await agent.locator('.messages li.msg-out', { hasText: 'ships today' }).waitFor();
  await new Promise((r) => setTimeout(r, 800));
  await visitor.evaluate(() => {
    window.__ws.blocked = false;
  });
  await visitor.locator('li.msg-shop[data-message-id]', { hasText: 'ships today' }).waitFor({ timeout: 40_000 });
  const visitorUrls = await visitor.evaluate(() => window.__ws.urls);
  assert.match(visitorUrls.at(-1), /visitor_token=/);

  await agentCtx.close();
  await visitorCtx.close();
});
