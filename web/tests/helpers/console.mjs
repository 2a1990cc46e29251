// Console steps the browser tests share.

/** Signs the agent in on a fresh page and waits for the live connection. */
export async function signIn(page, server, agent = server.agent) {
  await page.goto(server.origin + '/');
  await page.locator('#login-email').fill(agent.email);
  await page.locator('#login-password').fill(agent.password);
  await page.locator('form.login-card button[type=submit]').click();
  await page.locator('.live.live-live').waitFor({ timeout: 15_000 });
}
