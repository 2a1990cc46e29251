// Teams and transfer in the console, against the real server: Settings > Teams (create with members,
// a taken name refused, edit, delete after confirmation), "Transfer…" on a conversation (to a team
// and one of its members, with an internal note that appears in the thread; out of the team), the
// inbox's team filter (a conversation another agent transfers into the team appears in it live).
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
  server = await startBottega('console-teams');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  writeFileSync(join(outDir, 'browser-console-teams.log'), logs.join('\n') + '\n');
});


test('teams screen, transfer with a note, team filter', { timeout: 120_000 }, async () => {
  const bea = await server.api('/api/v1/agents', {
    method: 'POST',
    body: JSON.stringify({ email: 'bea@demo.test', name: 'Bea', role: 'agent', password: 'bea-password-123' }),
  });
  const cal = await server.api('/api/v1/agents', {
    method: 'POST',
    body: JSON.stringify({ email: 'cal@demo.test', name: 'Cal', role: 'agent', password: 'cal-password-123' }),
  });
  const carla = await visitorSays(server, 'Carla', 'I want to return my shoes');
  const dan = await visitorSays(server, 'Dan', 'Where is my parcel?');

  const ctx = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await ctx.newPage();
  watchPage(page, 'teams', logs);
  page.on('dialog', (d) => void d.accept());
  await signIn(page, server);

  // ---- Settings > Teams
  await page.goto(`${server.origin}/#/settings/teams`);
  await page.locator('#team-form').waitFor({ timeout: 10_000 });
  await page.getByText('No teams yet.').waitFor();
  await page.getByRole('button', { name: 'Save team' }).click();
  await page.locator('#teams-error', { hasText: 'Name: required.' }).waitFor();

  await page.getByLabel('Name', { exact: true }).fill('Returns');
  await page.getByLabel('Bea', { exact: true }).check();
  await page.getByRole('button', { name: 'Save team' }).click();
  await page.locator('#teams-status', { hasText: 'Team Returns saved.' }).waitFor();
  let teams = (await server.api('/api/v1/teams')).data;
  assert.deepEqual(teams.map((x) => [x.name, x.agent_ids]), [['Returns', [bea.id]]]);
  const returns = teams[0];
  const returnsRow = page.locator(`#teams-table tr[data-team-id="${returns.id}"]`);
  await returnsRow.waitFor();
  assert.match(await returnsRow.innerText(), /Returns\s+Bea/);

  // A second team; the same name again is refused and says why.
  await page.getByLabel('Name', { exact: true }).fill('Sales');
  await page.getByRole('button', { name: 'Save team' }).click();
  await page.locator('#teams-status', { hasText: 'Team Sales saved.' }).waitFor();
  await page.getByLabel('Name', { exact: true }).fill('Returns');
  await page.getByRole('button', { name: 'Save team' }).click();
  await page.locator('#teams-error', { hasText: 'name_taken' }).waitFor();
  await waitForCount(page, '#teams-table tbody tr', 2);

  // Edit: rename Sales, give it Cal.
  const sales = (await server.api('/api/v1/teams')).data.find((x) => x.name === 'Sales');
  await page.getByRole('button', { name: 'Edit Sales' }).click();
  assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'Sales');
  await page.getByLabel('Name', { exact: true }).fill('Presale');
  await page.getByLabel('Cal', { exact: true }).check();
  await page.getByRole('button', { name: 'Save team' }).click();
  await page.locator('#teams-status', { hasText: 'Team Presale saved.' }).waitFor();
  await page.locator(`#teams-table tr[data-team-id="${sales.id}"]`, { hasText: 'Presale' }).waitFor();
  const presale = await server.api(`/api/v1/teams/${sales.id}`);
  assert.deepEqual([presale.name, presale.agent_ids], ['Presale', [cal.id]]);

  // Delete (the confirmation is accepted).
  await page.getByRole('button', { name: 'Delete Presale' }).click();
  await page.locator('#teams-status', { hasText: 'Team Presale deleted.' }).waitFor();
  await waitForCount(page, '#teams-table tbody tr', 1);
  teams = (await server.api('/api/v1/teams')).data;
  assert.deepEqual(teams.map((x) => x.name), ['Returns']);

  // ---- Transfer from the conversation
  await page.goto(`${server.origin}/#/inbox`);
  await page.locator(`[data-conversation-id="${carla}"]`).click();
  await page.locator('#thread-title', { hasText: 'Carla' }).waitFor();
  await page.getByRole('button', { name: 'Transfer…' }).click();
  const form = page.locator('#transfer-form');
  await form.waitFor();
  await form.getByRole('button', { name: 'Transfer', exact: true }).click();
  await page.locator('#transfer-error', { hasText: 'Choose a team or an agent.' }).waitFor();
  await page.locator('#transfer-team option', { hasText: 'Returns' }).waitFor({ state: 'attached' });
  await page.getByLabel('To team').selectOption({ label: 'Returns' });
  // Only the team's members are offered.
  const agentOptions = await page.locator('#transfer-agent option').allInnerTexts();
  assert.deepEqual(agentOptions, ['Whoever is free (or the queue)', 'Bea']);
  await page.getByLabel('To agent').selectOption({ label: 'Bea' });
  await page.getByLabel('Internal note (why)').fill('customer wants a <b>refund</b>');
  await form.getByRole('button', { name: 'Transfer', exact: true }).click();
  await form.waitFor({ state: 'hidden' });
  await page.locator('.thread-meta .chip-team', { hasText: 'Team Returns' }).waitFor();
  await page.locator('.thread-meta .chip-assignee', { hasText: 'Bea' }).waitFor();
  // The server's note, live in the thread, as text.
  const note = page.locator('.msg-note', { hasText: 'Transferred to team Returns, Bea: customer wants a <b>refund</b>' });
  await note.waitFor({ timeout: 15_000 });
  assert.equal(await note.locator('b').count(), 0);
  const conv = await server.api(`/api/v1/conversations/${carla}`);
  assert.equal(conv.team?.id, returns.id);
  assert.equal(conv.assignee_id, bea.id);
  await page.locator(`[data-conversation-id="${carla}"] .chip-team`, { hasText: 'Team Returns' }).waitFor();

  // ---- The team filter: only the team's conversations; one transferred by someone else joins live.
  await page.getByLabel('Team', { exact: true }).selectOption({ label: 'Returns' });
  await waitForCount(page, '#conversation-list [data-conversation-id]', 1);
  await page.locator(`#conversation-list [data-conversation-id="${carla}"]`).waitFor();
  await server.api(`/api/v1/conversations/${dan}/transfer`, {
    method: 'POST',
    body: JSON.stringify({ team_id: returns.id, note: 'parcel lost' }),
  });
  await page.locator(`#conversation-list [data-conversation-id="${dan}"]`).waitFor({ timeout: 15_000 });
  await waitForCount(page, '#conversation-list [data-conversation-id]', 2);

  // ---- Out of the team: the chip goes, and the filtered list lets it go.
  await page.getByRole('button', { name: 'Transfer…' }).click();
  await page.locator('#transfer-team option', { hasText: 'Out of its team' }).waitFor({ state: 'attached' });
  await page.getByLabel('To team').selectOption({ label: 'Out of its team' });
  await form.getByRole('button', { name: 'Transfer', exact: true }).click();
  await form.waitFor({ state: 'hidden' });
  await page.locator('.thread-meta .chip-team').waitFor({ state: 'detached' });
  await waitForCount(page, '#conversation-list [data-conversation-id]', 1);
  await serverSays(`/api/v1/conversations/${carla}`, (c) => c.team === null, 'Carla out of the team');
  await page.getByLabel('Team', { exact: true }).selectOption({ label: 'All teams' });
  await waitForCount(page, '#conversation-list [data-conversation-id]', 2);
  await page.screenshot({ path: join(outDir, 'console-teams.png') });
  await ctx.close();
});
