// Shared by the end-to-end tests of tools/sim/test/: the real bottega binary (BOTTEGA_BIN, default
// /work/main/build/bottega) and the provider simulator (sim.mjs) started once per test file by
// useServers(), HTTP helpers for Bottega's API and the sim's control API, and commonFlow(): the
// checks every provider channel must pass.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
export const BIN = process.env.BOTTEGA_BIN || '/work/main/build/bottega';
const SIM = path.join(here, '..', 'sim.mjs');
export const run = promisify(execFile);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const rand = (n = 6) => randomBytes(n).toString('hex');

// ---------------------------------------------------------------------------------------------
// processes

const children = new Set();
function killChildren() {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
process.on('exit', killChildren);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    killChildren();
    if (env.dir && !process.env.BOTTEGA_KEEP) rmSync(env.dir, { recursive: true, force: true });
    process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function stopChild(child, ms = 3000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), ms);
  await gone;
  clearTimeout(t);
  children.delete(child);
}

export const env = {}; // base, token, simBase, dir, serverLog

async function startBottega() {
  const dir = mkdtempSync(path.join(tmpdir(), 'bottega-sim-e2e-'));
  const port = await freePort();
  const config = path.join(dir, 'bottega.toml');
  writeFileSync(
    config,
    `[server]\nlisten = "127.0.0.1:${port}"\npublic_url = "http://127.0.0.1:${port}"\n` +
      `[store]\nurl = "sqlite://${dir}/b.db"\n[outbound]\nallow_private_networks = true\n`,
  );
  await run(BIN, ['migrate', '--config', config]);
  const { stdout } = await run(BIN, ['admin', 'create-tenant', '--config', config, '--name', 'Sim Shop']);
  const tenant = JSON.parse(stdout);
  assert.ok(tenant.api_token, `create-tenant printed ${stdout}`);

  const serverLog = path.join(dir, 'server.log');
  const logStream = createWriteStream(serverLog);
  const child = spawn(BIN, ['serve', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.stdout.pipe(logStream);
  child.stderr.pipe(logStream);
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`bottega serve exited with ${child.exitCode}; log: ${serverLog}`);
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`bottega did not answer /healthz within 20 s; log: ${serverLog}`);
    await sleep(100);
  }
  Object.assign(env, { dir, base, token: tenant.api_token, tenantId: tenant.tenant_id, server: child, serverLog });
}

async function startSimulator() {
  const child = spawn(process.execPath, [SIM, '--port', '0', '--quiet'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  const port = await new Promise((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`sim did not start: ${out}`)), 10_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/sim listening on (\d+)/);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`sim exited with ${code}: ${out}`)));
  });
  Object.assign(env, { sim: child, simBase: `http://127.0.0.1:${port}` });
}

/**
 * Registers the hooks that start Bottega and the sim before the file's tests and stop them after;
 * `then` (optional, async) runs once both are up, inside the same hook (e.g. to seed a catalog).
 */
export function useServers(then) {
  before(async () => {
    await Promise.all([startBottega(), startSimulator()]);
    if (then) await then();
  });
  after(stopServers);
}

async function stopServers() {
  await Promise.all([stopChild(env.server), stopChild(env.sim)]);
  if (env.dir && !process.env.BOTTEGA_KEEP) rmSync(env.dir, { recursive: true, force: true });
  else if (env.dir) console.log(`# kept ${env.dir}`);
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers

export async function request(base, method, p, body, headers = {}) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers['content-type'] ??= 'application/json';
  }
  const r = await fetch(base + p, init);
  const text = await r.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, text, json, headers: r.headers };
}

export const api = (method, p, body) => request(env.base, method, p, body, { authorization: `Bearer ${env.token}` });
export const simApi = (method, p, body) => request(env.simBase, method, p, body);

/** Tail of the server log, for assertion messages. */
export function serverLogTail(lines = 15) {
  try {
    return readFileSync(env.serverLog, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export async function deliver(o) {
  const r = await simApi('POST', '/__sim/deliver', o);
  assert.equal(r.status, 200, `sim /__sim/deliver failed: ${r.text}`);
  return r.json; // {status, body, json?, sent}
}

/** Polls fn until it returns a truthy value; fails with `what` (and the last value) after ms. */
export async function eventually(what, fn, ms = 8000, every = 100) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) assert.fail(`${what}: not true within ${ms} ms (last: ${JSON.stringify(last)})\n${serverLogTail()}`);
    await sleep(every);
  }
}

export async function lastSeq() {
  const r = await simApi('GET', '/__sim/requests');
  return r.json.last_seq;
}

/** The provider requests the sim recorded after `since`, waiting up to `wait` ms for the first. */
export async function simRequests(provider, since, wait = 0) {
  const r = await simApi('GET', `/__sim/requests?provider=${provider}&since=${since}&wait=${wait}`);
  assert.equal(r.status, 200, r.text);
  return r.json.requests;
}

/** bottega_jobs{status="..."} from /metrics (rows of the jobs table in that status). */
export async function jobsGauge(status) {
  const r = await request(env.base, 'GET', '/metrics');
  const m = r.text.match(new RegExp(`^bottega_jobs\\{status="${status}"\\} (\\d+)`, 'm'));
  assert.ok(m, `bottega_jobs{status="${status}"} not in /metrics`);
  return Number(m[1]);
}

export async function conversations(channelId) {
  const r = await api('GET', `/api/v1/conversations?channel_id=${channelId}&limit=200`);
  assert.equal(r.status, 200, r.text);
  return r.json.data;
}

// The conversation's messages without internal notes: these tests are about what the channel
// delivered and sent; notes are written asynchronously by other parts (a WhatsApp order becomes a
// cart and the agent gets a note about it), so counting them would make the tests timing-dependent.
export async function messages(conversationId) {
  const r = await api('GET', `/api/v1/conversations/${conversationId}/messages?limit=200`);
  assert.equal(r.status, 200, r.text);
  return r.json.data.filter((m) => m.kind !== 'note');
}

export async function message(conversationId, id) {
  return (await messages(conversationId)).find((m) => m.id === id);
}

/** Waits until message `id` has delivery.state `state`, and returns it. */
export async function deliveryBecomes(conversationId, id, state, ms = 8000) {
  return eventually(`message ${id} delivery.state == ${state}`, async () => {
    const m = await message(conversationId, id);
    return m?.delivery?.state === state ? m : false;
  }, ms);
}

/** The first attachment of the conversation's message (the first of `kind`, or the first `which`
 * accepts) once it is stored (media_id) or refused (media_error). */
export async function attachmentSettles(convId, which = 'media') {
  const pick = typeof which === 'function' ? which : (m) => m.kind === which;
  return eventually('the attachment is stored or refused', async () => {
    const m = (await messages(convId)).find(pick);
    const a = m?.content?.attachments?.[0];
    return a && (a.media_id || a.media_error) ? a : false;
  }, 15_000, 200);
}

/** GET /api/v1/media/{id} as an agent (token null: unauthenticated): {status, headers, bytes}. */
export async function fetchMedia(id, token = env.token) {
  const r = await fetch(`${env.base}/api/v1/media/${id}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: r.status, headers: r.headers, bytes: Buffer.from(await r.arrayBuffer()) };
}

export async function conversationOf(channelId, contactName) {
  return eventually(`a conversation with ${contactName} on ${channelId}`, async () => {
    const list = await conversations(channelId);
    return list.find((c) => c.contact?.name === contactName);
  }, 3000);
}

export async function createChannel(type, settings, name = `${type} ${rand(3)}`) {
  const r = await api('POST', '/api/v1/channels', { type, name, settings });
  assert.equal(r.status, 201, `POST /api/v1/channels ${type}: ${r.text}`);
  return r.json;
}

export async function reply(conversationId, text) {
  const r = await api('POST', `/api/v1/conversations/${conversationId}/messages`, { text });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.direction, 'out');
  return r.json;
}

/** Sends an agent reply and returns {msg, req}: the message and the one provider request it caused. */
export async function replyAndCapture(provider, conversationId, text, isSend = () => true) {
  const since = await lastSeq();
  const msg = await reply(conversationId, text);
  // isSend: which recorded requests are sends (WeChat also fetches an access token first).
  await simRequests(provider, since, 6000);
  const reqs = await eventually(`a ${provider} send request after the reply`, async () => {
    const r = (await simRequests(provider, since)).filter(isSend);
    return r.length ? r : null;
  }, 6000);
  assert.equal(reqs.length, 1, `expected one ${provider} send request after the reply, got ${reqs.length}\n${serverLogTail()}`);
  return { msg, req: reqs[0] };
}

// ---------------------------------------------------------------------------------------------
// The flow every provider channel must pass.

/**
 * spec: {
 *   type, secretKeys (settings that must come back masked), settings() -> channel settings,
 *   secret(settings) -> the deliver option that signs (app_secret / secret_token / auth_token),
 *   newId() -> a fresh provider message id, inbound(text, id) -> webhook payload, contactName,
 *   checkSend(req, text, st) -> asserts the recorded provider request, providerId(req)
 *   isSend(req)? -> which recorded requests are sends (default: all), bodyNotSigned? (WeChat
 *   plaintext mode: a changed body is not detectable)
 * }
 * Returns a state object filled as the tests run (channel, conversation, sent message).
 */
export function commonFlow(spec) {
  const st = {};
  // spec.inbound may return {build: [builder, ...args]}: built inside the sim (Viber's 64-bit
  // message tokens do not survive a JavaScript number).
  const deliverTo = (payload, extra = {}) =>
    deliver({ provider: spec.type, url: st.channel.webhook_url, ...(payload?.build ? payload : { payload }), ...spec.secret(st.settings), ...extra });

  test('channel is created with a webhook_url and masked secrets', async () => {
    st.settings = spec.settings();
    st.channel = await createChannel(spec.type, st.settings);
    assert.match(st.channel.id, /^ch_/);
    assert.equal(st.channel.webhook_url, `${env.base}/webhooks/${st.channel.id}`);
    assert.equal(st.channel.settings.api_base_url, st.settings.api_base_url);
    for (const k of spec.secretKeys) assert.equal(st.channel.settings[k], '********', `settings.${k} must not be returned`);
  });

  test('a signed inbound text is stored: conversation, contact and message', async () => {
    st.firstText = `Hello from ${spec.type} ${rand(2)} – ça va? 👋 50% off + "free" shipping & more = <yes>`;
    st.firstId = spec.newId();
    st.firstPayload = spec.inbound(st.firstText, st.firstId);
    const d = await deliverTo(st.firstPayload);
    assert.equal(d.status, 200, `webhook answered ${d.status} ${d.body}`);
    const conv = await conversationOf(st.channel.id, spec.contactName);
    assert.equal(conv.channel_id, st.channel.id);
    assert.equal(conv.channel_type, spec.type);
    assert.equal(conv.contact.name, spec.contactName);
    st.conv = conv;
    const list = await messages(conv.id);
    assert.equal(list.length, 1, JSON.stringify(list));
    const m = list[0];
    assert.equal(m.direction, 'in');
    assert.equal(m.author.kind, 'contact');
    assert.equal(m.author.id, conv.contact.id);
    assert.equal(m.kind, 'text');
    assert.equal(m.text, st.firstText);
  });

  test('the same delivery again is acknowledged and deduplicated', async () => {
    const d = await deliverTo(st.firstPayload);
    assert.equal(d.status, 200, d.body);
    const list = await messages(st.conv.id);
    assert.equal(list.length, 1, `a redelivery must not store a second message: ${JSON.stringify(list.map((m) => m.text))}`);
    assert.equal((await conversations(st.channel.id)).length, 1);
    // Providers retry in parallel too: five concurrent copies of a new message store it once.
    const burst = spec.inbound(`burst ${rand(2)}`, spec.newId());
    const answers = await Promise.all(Array.from({ length: 5 }, () => deliverTo(burst)));
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200, 200], answers.map((a) => a.body).join(' | '));
    const after = await messages(st.conv.id);
    assert.equal(after.length, 2, `concurrent copies: ${JSON.stringify(after.map((m) => m.text))}`);
  });

  test('a tampered or missing signature is refused with 401 and nothing is stored', async () => {
    const before = (await messages(st.conv.id)).length;
    const payload = spec.inbound('tampered', spec.newId());
    const bad = await deliverTo(payload, { tamper: 'signature' });
    assert.equal(bad.status, 401, `tampered signature: ${bad.status} ${bad.body}`);
    assert.equal(bad.json?.error?.code, 'bad_signature', bad.body);
    const missing = await deliverTo(payload, { omit_signature: true });
    assert.equal(missing.status, 401, `no signature: ${missing.status} ${missing.body}`);
    assert.equal(missing.json?.error?.code, 'missing_signature', missing.body);
    if (spec.type !== 'telegram' && !spec.bodyNotSigned) {
      // The body changed after signing (Telegram's secret token and WeChat's plaintext-mode
      // signature do not cover the body).
      const altered = await deliverTo(payload, { tamper: 'body' });
      assert.equal(altered.status, 401, `altered body: ${altered.status} ${altered.body}`);
    }
    assert.equal((await messages(st.conv.id)).length, before);
    assert.equal((await conversations(st.channel.id)).length, 1);
  });

  test('an agent reply reaches the provider API in its exact shape and becomes "sent"', async () => {
    const text = `Thanks! Your order ships today – grazie 🙏 100% "sure" & more + <b>=</b> ${rand(2)}`;
    const { msg, req } = await replyAndCapture(spec.type, st.conv.id, text, spec.isSend);
    assert.equal(msg.delivery.state, 'pending');
    assert.equal(req.method, 'POST');
    spec.checkSend(req, text, st);
    assert.ok(req.response.status >= 200 && req.response.status < 300, JSON.stringify(req.response));
    await deliveryBecomes(st.conv.id, msg.id, 'sent');
    st.sent = { msg, req, providerId: spec.providerId(req) };
  });

  return st;
}
