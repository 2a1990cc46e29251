// Console steps the browser tests share.

/** Signs the agent in on a fresh page and waits for the live connection. */
export async function signIn(page, server, agent = server.agent) {
  await page.goto(server.origin + '/');
  await page.locator('#login-email').fill(agent.email);
  await page.locator('#login-password').fill(agent.password);
  await page.locator('form.login-card button[type=submit]').click();
  await page.locator('.live.live-live').waitFor({ timeout: 15_000 });
}

/** A new web chat visitor `name` writes `text`; returns the conversation id. */
export async function visitorSays(server, name, text) {
  const res = await fetch(`${server.origin}/api/v1/webchat/${server.channelId}/visitors`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (res.status !== 201) throw new Error(`visitor: ${res.status} ${await res.text()}`);
  const { visitor_token: token } = await res.json();
  const sent = await fetch(`${server.origin}/api/v1/webchat/${server.channelId}/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Visitor-Token': token },
    body: JSON.stringify({ text }),
  });
  const body = await sent.text();
  if (sent.status !== 201) throw new Error(`visitor message: ${sent.status} ${body}`);
  return JSON.parse(body).conversation_id;
}

/** Waits until `selector` matches exactly `n` elements (polling in the page; no fixed sleeps). */
export async function waitForCount(page, selector, n, timeout = 15_000) {
  await page.waitForFunction(([s, want]) => document.querySelectorAll(s).length === want, [selector, n], { timeout });
}

/** Polls `server.api(path)` until `check(value)` holds (the console's request and the events are independent). */
export async function serverSays(server, path, check, what, tries = 150) {
  let last;
  for (let i = 0; i < tries; i++) {
    last = await server.api(path);
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: the server still answers ${JSON.stringify(last)}`);
}
