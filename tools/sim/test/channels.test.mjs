// End-to-end tests of the provider channels: the real bottega binary (BOTTEGA_BIN, default
// /work/main/build/bottega) against the provider simulator (tools/sim/sim.mjs).
//
//   node --test tools/sim/test/
//   BOTTEGA_BIN=/work/main/build-sim/bottega node --test tools/sim/test/
//
// For each of whatsapp, messenger, instagram, telegram and twilio: a channel pointed at the sim, a
// signed inbound text stored with its contact, deduplicated redelivery, tampered signatures
// refused, an agent reply that reaches the provider API in its exact shape and becomes "sent",
// and the channel's own extras (statuses, echoes, callback queries, batches, orders, retries).
// Set BOTTEGA_KEEP=1 to keep the temp dir (config, database, server log) after the run.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import * as P from '../payloads.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = process.env.BOTTEGA_BIN || '/work/main/build/bottega';
const SIM = path.join(here, '..', 'sim.mjs');
const run = promisify(execFile);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rand = (n = 6) => randomBytes(n).toString('hex');

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

const env = {}; // base, token, simBase, dir, serverLog

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

before(async () => {
  await Promise.all([startBottega(), startSimulator()]);
});

after(async () => {
  await Promise.all([stopChild(env.server), stopChild(env.sim)]);
  if (env.dir && !process.env.BOTTEGA_KEEP) rmSync(env.dir, { recursive: true, force: true });
  else if (env.dir) console.log(`# kept ${env.dir}`);
});

// ---------------------------------------------------------------------------------------------
// HTTP helpers

async function request(base, method, p, body, headers = {}) {
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

const api = (method, p, body) => request(env.base, method, p, body, { authorization: `Bearer ${env.token}` });
const simApi = (method, p, body) => request(env.simBase, method, p, body);

/** Tail of the server log, for assertion messages. */
function serverLogTail(lines = 15) {
  try {
    return readFileSync(env.serverLog, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

async function deliver(o) {
  const r = await simApi('POST', '/__sim/deliver', o);
  assert.equal(r.status, 200, `sim /__sim/deliver failed: ${r.text}`);
  return r.json; // {status, body, json?, sent}
}

/** Polls fn until it returns a truthy value; fails with `what` (and the last value) after ms. */
async function eventually(what, fn, ms = 8000, every = 100) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) assert.fail(`${what}: not true within ${ms} ms (last: ${JSON.stringify(last)})\n${serverLogTail()}`);
    await sleep(every);
  }
}

async function lastSeq() {
  const r = await simApi('GET', '/__sim/requests');
  return r.json.last_seq;
}

/** The provider requests the sim recorded after `since`, waiting up to `wait` ms for the first. */
async function simRequests(provider, since, wait = 0) {
  const r = await simApi('GET', `/__sim/requests?provider=${provider}&since=${since}&wait=${wait}`);
  assert.equal(r.status, 200, r.text);
  return r.json.requests;
}

/** bottega_jobs{status="..."} from /metrics (rows of the jobs table in that status). */
async function jobsGauge(status) {
  const r = await request(env.base, 'GET', '/metrics');
  const m = r.text.match(new RegExp(`^bottega_jobs\\{status="${status}"\\} (\\d+)`, 'm'));
  assert.ok(m, `bottega_jobs{status="${status}"} not in /metrics`);
  return Number(m[1]);
}

async function conversations(channelId) {
  const r = await api('GET', `/api/v1/conversations?channel_id=${channelId}&limit=200`);
  assert.equal(r.status, 200, r.text);
  return r.json.data;
}

// The conversation's messages without internal notes: these tests are about what the channel
// delivered and sent; notes are written asynchronously by other parts (a WhatsApp order becomes a
// cart and the agent gets a note about it), so counting them would make the tests timing-dependent.
async function messages(conversationId) {
  const r = await api('GET', `/api/v1/conversations/${conversationId}/messages?limit=200`);
  assert.equal(r.status, 200, r.text);
  return r.json.data.filter((m) => m.kind !== 'note');
}

async function message(conversationId, id) {
  return (await messages(conversationId)).find((m) => m.id === id);
}

/** Waits until message `id` has delivery.state `state`, and returns it. */
async function deliveryBecomes(conversationId, id, state, ms = 8000) {
  return eventually(`message ${id} delivery.state == ${state}`, async () => {
    const m = await message(conversationId, id);
    return m?.delivery?.state === state ? m : false;
  }, ms);
}

async function conversationOf(channelId, contactName) {
  return eventually(`a conversation with ${contactName} on ${channelId}`, async () => {
    const list = await conversations(channelId);
    return list.find((c) => c.contact?.name === contactName);
  }, 3000);
}

async function createChannel(type, settings, name = `${type} ${rand(3)}`) {
  const r = await api('POST', '/api/v1/channels', { type, name, settings });
  assert.equal(r.status, 201, `POST /api/v1/channels ${type}: ${r.text}`);
  return r.json;
}

async function reply(conversationId, text) {
  const r = await api('POST', `/api/v1/conversations/${conversationId}/messages`, { text });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.direction, 'out');
  return r.json;
}

/** Sends an agent reply and returns {msg, req}: the message and the one provider request it caused. */
async function replyAndCapture(provider, conversationId, text) {
  const since = await lastSeq();
  const msg = await reply(conversationId, text);
  const reqs = await simRequests(provider, since, 6000);
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
 * }
 * Returns a state object filled as the tests run (channel, conversation, sent message).
 */
function commonFlow(spec) {
  const st = {};
  const deliverTo = (payload, extra = {}) =>
    deliver({ provider: spec.type, url: st.channel.webhook_url, payload, ...spec.secret(st.settings), ...extra });

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
    if (spec.type !== 'telegram') {
      // The body changed after signing (Telegram's secret token does not cover the body).
      const altered = await deliverTo(payload, { tamper: 'body' });
      assert.equal(altered.status, 401, `altered body: ${altered.status} ${altered.body}`);
    }
    assert.equal((await messages(st.conv.id)).length, before);
    assert.equal((await conversations(st.channel.id)).length, 1);
  });

  test('an agent reply reaches the provider API in its exact shape and becomes "sent"', async () => {
    const text = `Thanks! Your order ships today – grazie 🙏 100% "sure" & more + <b>=</b> ${rand(2)}`;
    const { msg, req } = await replyAndCapture(spec.type, st.conv.id, text);
    assert.equal(msg.delivery.state, 'pending');
    assert.equal(req.method, 'POST');
    spec.checkSend(req, text, st);
    assert.ok(req.response.status >= 200 && req.response.status < 300, JSON.stringify(req.response));
    await deliveryBecomes(st.conv.id, msg.id, 'sent');
    st.sent = { msg, req, providerId: spec.providerId(req) };
  });

  return st;
}

// ---------------------------------------------------------------------------------------------
// Webhooks that reach no channel

test('a webhook for an unknown channel is 404 and a web chat channel has no provider webhook', async () => {
  const d = await deliver({ provider: 'whatsapp', url: `${env.base}/webhooks/ch_01NOSUCHCHANNEL0000000000`, app_secret: 'x', payload: P.whatsappText('16505551234', 'hi') });
  assert.equal(d.status, 404, d.body);
  const web = await createChannel('webchat', {});
  const w = await deliver({ provider: 'whatsapp', url: web.webhook_url, app_secret: 'x', payload: P.whatsappText('16505551234', 'hi') });
  assert.equal(w.status, 404, w.body);
});

// ---------------------------------------------------------------------------------------------
// WhatsApp Cloud API

describe('whatsapp', () => {
  const waId = `1650555${randomInt(1000, 9999)}`;
  const spec = {
    type: 'whatsapp',
    secretKeys: ['access_token', 'app_secret', 'verify_token'],
    settings: () => ({
      phone_number_id: P.WA_DEFAULTS.phoneNumberId,
      access_token: `EAAG${rand(16)}`,
      app_secret: rand(16),
      verify_token: `vt-${rand(4)}`,
      api_base_url: `${env.simBase}/whatsapp/v21.0`,
    }),
    secret: (s) => ({ app_secret: s.app_secret }),
    newId: P.newWamid,
    inbound: (text, id) => P.whatsappText(waId, text, id, { name: 'Sheena Nelson' }),
    contactName: 'Sheena Nelson',
    checkSend(req, text, st) {
      assert.equal(req.path, `/whatsapp/v21.0/${st.settings.phone_number_id}/messages`);
      assert.deepEqual(req.auth, { scheme: 'bearer', token: st.settings.access_token });
      assert.match(req.headers['content-type'], /^application\/json/);
      assert.deepEqual(req.json, {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: waId,
        type: 'text',
        text: { preview_url: false, body: text },
      });
      assert.equal(req.response.body.contacts[0].wa_id, waId);
    },
    providerId: (req) => req.response.body.messages[0].id,
  };
  const st = commonFlow(spec);
  const status = (wamid, s, error) => deliver({ provider: 'whatsapp', url: st.channel.webhook_url, app_secret: st.settings.app_secret, payload: P.whatsappStatus(wamid, s, error, { recipientId: waId }) });

  test('statuses move delivery forward only: delivered, read, then an older delivered is ignored', async () => {
    const { msg, providerId } = st.sent;
    assert.match(providerId, /^wamid\./);
    let d = await status(providerId, 'delivered');
    assert.equal(d.status, 200, d.body);
    await deliveryBecomes(st.conv.id, msg.id, 'delivered');
    d = await status(providerId, 'read');
    assert.equal(d.status, 200, d.body);
    await deliveryBecomes(st.conv.id, msg.id, 'read');
    for (const older of ['delivered', 'sent']) {
      d = await status(providerId, older);
      assert.equal(d.status, 200, d.body);
      const m = await message(st.conv.id, msg.id);
      assert.equal(m.delivery.state, 'read', `a late "${older}" must not move read back`);
    }
  });

  test('a failed status (131047) marks the message failed with its error, and keeps it', async () => {
    const { msg, req } = await replyAndCapture('whatsapp', st.conv.id, 'A reply that will fail later');
    await deliveryBecomes(st.conv.id, msg.id, 'sent');
    const wamid = spec.providerId(req);
    const d = await status(wamid, 'failed', 131047);
    assert.equal(d.status, 200, d.body);
    const m = await deliveryBecomes(st.conv.id, msg.id, 'failed');
    assert.match(m.delivery.error ?? '', /131047/);
    assert.match(m.delivery.error ?? '', /Re-engagement/);
    const late = await status(wamid, 'sent');
    assert.equal(late.status, 200);
    const again = await message(st.conv.id, msg.id);
    assert.equal(again.delivery.state, 'failed');
    assert.equal(again.delivery.error, m.delivery.error);
  });

  test('a delivered status that overtakes the send response is not lost', async () => {
    // Graph sometimes delivers the first status webhook before the HTTP answer to the send reaches
    // the caller. The sim answers this send 1.5 s late, and the test delivers "delivered" for the
    // new wamid meanwhile: the 200 acknowledges it, so Meta will never send it again.
    const d0 = await simApi('POST', '/__sim/delay', { provider: 'whatsapp', ms: 1500, times: 1 });
    assert.equal(d0.status, 200, d0.text);
    const { msg, req } = await replyAndCapture('whatsapp', st.conv.id, 'A status will overtake this send');
    assert.equal(req.delayed_ms, 1500);
    const d = await status(spec.providerId(req), 'delivered');
    assert.equal(d.status, 200, d.body);
    await sleep(2000); // the send's answer has arrived and been recorded
    const m = await message(st.conv.id, msg.id);
    assert.equal(
      m.delivery.state,
      'delivered',
      'the "delivered" webhook (acknowledged with 200 while the send was in flight) was dropped: the message stays "sent"',
    );
  });

  test('GET handshake: the right verify_token echoes hub.challenge, a wrong one is 403', async () => {
    const url = new URL(st.channel.webhook_url);
    const ok = await request(url.origin, 'GET', `${url.pathname}?hub.mode=subscribe&hub.verify_token=${encodeURIComponent(st.settings.verify_token)}&hub.challenge=123`);
    assert.equal(ok.status, 200);
    assert.equal(ok.text, '123');
    const wrong = await request(url.origin, 'GET', `${url.pathname}?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=123`);
    assert.equal(wrong.status, 403);
    assert.ok(!wrong.text.includes('123'), wrong.text);
  });

  test('a batched payload (2 entries, several messages) stores every message', async () => {
    const suffix = randomInt(100, 999);
    const payload = P.whatsappBatch({ fromA: `1650500${suffix}1`, fromB: `1650500${suffix}2`, fromC: `1650500${suffix}3` });
    const expected = P.messagesOf(payload);
    assert.equal(expected.length, 4);
    const d = await deliver({ provider: 'whatsapp', url: st.channel.webhook_url, app_secret: st.settings.app_secret, payload });
    assert.equal(d.status, 200, d.body);
    const byName = new Map();
    for (const m of expected) byName.set(m.name, [...(byName.get(m.name) ?? []), m]);
    for (const [name, items] of byName) {
      const conv = await conversationOf(st.channel.id, name);
      const stored = await messages(conv.id);
      assert.deepEqual(
        stored.map((m) => m.kind),
        items.map((m) => m.type),
        `${name}: ${JSON.stringify(stored.map((m) => m.text))}`,
      );
      items.forEach((m, i) => {
        if (m.type === 'text') assert.equal(stored[i].text, m.text.body);
      });
    }
    // Redelivering the whole batch stores nothing new.
    const again = await deliver({ provider: 'whatsapp', url: st.channel.webhook_url, app_secret: st.settings.app_secret, payload });
    assert.equal(again.status, 200);
    let total = 0;
    for (const c of await conversations(st.channel.id)) if (c.id !== st.conv.id) total += (await messages(c.id)).length;
    assert.equal(total, 4);
  });

  test('an order message is stored with kind "order" and its product items', async () => {
    const from = `1650577${randomInt(1000, 9999)}`;
    const items = [
      { product_retailer_id: 'SKU-MUG-RED', quantity: 2, item_price: 7.99, currency: 'EUR' },
      { product_retailer_id: 'SKU-TEE-BLUE-M', quantity: 1, item_price: 19.9, currency: 'EUR' },
    ];
    const payload = P.whatsappOrder(from, items, P.newWamid(), { name: 'Olga Order', text: 'Deliver after 6pm' });
    const d = await deliver({ provider: 'whatsapp', url: st.channel.webhook_url, app_secret: st.settings.app_secret, payload });
    assert.equal(d.status, 200, d.body);
    const conv = await conversationOf(st.channel.id, 'Olga Order');
    const [m] = await messages(conv.id);
    assert.equal(m.kind, 'order');
    assert.match(m.text, /^Order: 3 items/);
    assert.equal(m.content.catalog_id, '194836987003835');
    assert.equal(m.content.text, 'Deliver after 6pm');
    assert.deepEqual(
      m.content.product_items.map((i) => [i.product_retailer_id, i.quantity, i.item_price_minor, i.currency]),
      [
        ['SKU-MUG-RED', 2, 799, 'EUR'],
        ['SKU-TEE-BLUE-M', 1, 1990, 'EUR'],
      ],
    );
  });

  test('outbound retry: a 500 from the provider is retried after a backoff and then succeeds', async () => {
    const f = await simApi('POST', '/__sim/fail', { provider: 'whatsapp', status: 500, times: 1 });
    assert.equal(f.status, 200, f.text);
    const since = await lastSeq();
    const msg = await reply(st.conv.id, 'This one needs a second try');
    const reqs = await eventually('two WhatsApp send attempts', async () => {
      const r = await simRequests('whatsapp', since);
      return r.length >= 2 ? r : false;
    }, 12_000, 200);
    assert.equal(reqs[0].response.status, 500);
    assert.equal(reqs[0].response.body.error.code, 1);
    assert.equal(reqs[1].response.status, 200);
    assert.equal(reqs[1].body, reqs[0].body, 'the retry must send the same request');
    const gap = Date.parse(reqs[1].at) - Date.parse(reqs[0].at);
    assert.ok(gap >= 1000, `retried after ${gap} ms: expected a backoff`);
    await deliveryBecomes(st.conv.id, msg.id, 'sent');
  });

  test('a wrong access token (401, Graph code 190) fails the message permanently', async () => {
    const phone = `10654035224${randomInt(1000, 9999)}`;
    const r = await simApi('POST', '/__sim/accounts', { provider: 'whatsapp', phone_number_id: phone, access_token: 'the-right-token' });
    assert.equal(r.status, 200, r.text);
    const settings = { ...spec.settings(), phone_number_id: phone, access_token: 'a-wrong-token' };
    const ch = await createChannel('whatsapp', settings);
    const from = `1650588${randomInt(1000, 9999)}`;
    const d = await deliver({ provider: 'whatsapp', url: ch.webhook_url, app_secret: settings.app_secret, payload: P.whatsappText(from, 'hi', P.newWamid(), { name: 'Wrong Token', phoneNumberId: phone }) });
    assert.equal(d.status, 200, d.body);
    const conv = await conversationOf(ch.id, 'Wrong Token');
    const { msg, req } = await replyAndCapture('whatsapp', conv.id, 'will not go out');
    assert.equal(req.response.status, 401);
    assert.equal(req.response.body.error.code, 190);
    const m = await deliveryBecomes(conv.id, msg.id, 'failed');
    assert.match(m.delivery.error ?? '', /190/);
    assert.match(m.delivery.error ?? '', /unauthori[sz]ed/i);
  });
});

// ---------------------------------------------------------------------------------------------
// Messenger

describe('messenger', () => {
  const psid = `2408${randomInt(1e9, 9e9)}`;
  const pageId = P.META_PAGE_DEFAULTS.pageId;
  const spec = {
    type: 'messenger',
    secretKeys: ['page_access_token', 'app_secret', 'verify_token'],
    settings: () => ({
      page_id: pageId,
      page_access_token: `EAAB${rand(16)}`,
      app_secret: rand(16),
      verify_token: `vt-${rand(4)}`,
      api_base_url: `${env.simBase}/messenger/v21.0`,
    }),
    secret: (s) => ({ app_secret: s.app_secret }),
    newId: P.newMid,
    inbound: (text, id) => P.messengerText(psid, pageId, text, id),
    contactName: psid, // the webhook carries no name: the contact is named by its PSID
    checkSend(req, text, st) {
      assert.equal(req.path, '/messenger/v21.0/me/messages');
      assert.equal(req.query.access_token, st.settings.page_access_token);
      assert.deepEqual(req.json, { recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text } });
      assert.equal(req.response.body.recipient_id, psid);
    },
    providerId: (req) => req.response.body.message_id,
  };
  const st = commonFlow(spec);

  test('an echo of our own page message is not stored as a customer message', async () => {
    const before = await messages(st.conv.id);
    const echoText = 'Sent from the Page inbox';
    const d = await deliver({ provider: 'messenger', url: st.channel.webhook_url, app_secret: st.settings.app_secret, payload: P.messengerEcho(pageId, psid, echoText, P.newMid()) });
    assert.equal(d.status, 200, d.body);
    const after = await messages(st.conv.id);
    assert.equal(after.length, before.length, JSON.stringify(after.map((m) => [m.direction, m.text])));
    assert.ok(!after.some((m) => m.text === echoText && m.direction === 'in'));
    assert.equal((await conversations(st.channel.id)).length, 1, 'an echo must not open a conversation with the page');
  });

  test('outside the 24 h window (Graph code 10 / 2018278) the message fails with its error', async () => {
    const f = await simApi('POST', '/__sim/fail', { provider: 'messenger', status: 400, code: 10, subcode: 2018278, message: '(#10) This message is sent outside of allowed window.' });
    assert.equal(f.status, 200, f.text);
    const { msg, req } = await replyAndCapture('messenger', st.conv.id, 'Too late for a free-form reply');
    assert.equal(req.response.status, 400);
    const m = await deliveryBecomes(st.conv.id, msg.id, 'failed');
    assert.match(m.delivery.error ?? '', /outside_window/);
    assert.match(m.delivery.error ?? '', /allowed window/);
  });

  test('delivery (mids) and read (watermark) events advance the sent message', async () => {
    const { msg, providerId } = st.sent;
    let d = await deliver({ provider: 'messenger', url: st.channel.webhook_url, app_secret: st.settings.app_secret, payload: P.messengerDelivery(psid, pageId, [providerId], Date.now()) });
    assert.equal(d.status, 200, d.body);
    await deliveryBecomes(st.conv.id, msg.id, 'delivered');
    d = await deliver({ provider: 'messenger', url: st.channel.webhook_url, app_secret: st.settings.app_secret, payload: P.messengerRead(psid, pageId, Date.now() + 1000) });
    assert.equal(d.status, 200, d.body);
    await deliveryBecomes(st.conv.id, msg.id, 'read');
  });
});

// ---------------------------------------------------------------------------------------------
// Instagram

describe('instagram', () => {
  const igsid = `17841${randomInt(1e9, 9e9)}`;
  const igId = P.META_PAGE_DEFAULTS.igId;
  const spec = {
    type: 'instagram',
    secretKeys: ['page_access_token', 'app_secret', 'verify_token'],
    settings: () => ({
      page_id: '105044608990345',
      page_access_token: `EAAI${rand(16)}`,
      app_secret: rand(16),
      verify_token: `vt-${rand(4)}`,
      api_base_url: `${env.simBase}/instagram/v21.0`,
    }),
    secret: (s) => ({ app_secret: s.app_secret }),
    newId: P.newMid,
    inbound: (text, id) => P.instagramText(igsid, igId, text, id),
    contactName: igsid,
    checkSend(req, text, st) {
      assert.equal(req.path, '/instagram/v21.0/me/messages');
      assert.equal(req.query.access_token, st.settings.page_access_token);
      assert.deepEqual(req.json, { recipient: { id: igsid }, message: { text } });
      assert.equal(req.response.body.recipient_id, igsid);
    },
    providerId: (req) => req.response.body.message_id,
  };
  const st = commonFlow(spec);

  test('an Instagram echo is not stored as a customer message', async () => {
    const before = (await messages(st.conv.id)).length;
    const d = await deliver({ provider: 'instagram', url: st.channel.webhook_url, app_secret: st.settings.app_secret, payload: P.instagramEcho(igId, igsid, 'echo', P.newMid()) });
    assert.equal(d.status, 200, d.body);
    assert.equal((await messages(st.conv.id)).length, before);
  });
});

// ---------------------------------------------------------------------------------------------
// Telegram

describe('telegram', () => {
  const chatId = randomInt(100_000_000, 2_000_000_000);
  const spec = {
    type: 'telegram',
    secretKeys: ['bot_token', 'secret_token'],
    settings: () => ({
      bot_token: `${randomInt(1e9, 7e9)}:AA${rand(16)}`,
      secret_token: `st_${rand(8)}`,
      api_base_url: `${env.simBase}/telegram`,
    }),
    secret: (s) => ({ secret_token: s.secret_token }),
    newId: () => randomInt(1, 1_000_000),
    inbound: (text, id) => P.telegramMessage(chatId, text, { messageId: id, firstName: 'Mario', lastName: 'Rossi' }),
    contactName: 'Mario Rossi',
    checkSend(req, text, st) {
      assert.equal(req.path, `/telegram/bot${st.settings.bot_token}/sendMessage`);
      assert.match(req.headers['content-type'], /^application\/json/);
      assert.deepEqual(req.json, { chat_id: chatId, text });
      assert.equal(req.response.body.ok, true);
    },
    providerId: (req) => `${req.response.body.result.chat.id}:${req.response.body.result.message_id}`,
  };
  const st = commonFlow(spec);

  test('a callback_query (inline button tap) is stored as an interactive reply, once', async () => {
    const sentMessageId = st.sent.req.response.body.result.message_id;
    const payload = P.telegramCallback(chatId, 'size_m', {
      messageId: sentMessageId,
      messageText: st.sent.req.json.text,
      buttons: [
        { text: 'Small', callback_data: 'size_s' },
        { text: 'Medium', callback_data: 'size_m' },
      ],
    });
    const before = (await messages(st.conv.id)).length;
    for (let i = 0; i < 2; i++) {
      const d = await deliver({ provider: 'telegram', url: st.channel.webhook_url, secret_token: st.settings.secret_token, payload });
      assert.equal(d.status, 200, d.body);
    }
    const list = await messages(st.conv.id);
    assert.equal(list.length, before + 1, JSON.stringify(list.map((m) => m.text)));
    const m = list.at(-1);
    assert.equal(m.direction, 'in');
    assert.equal(m.kind, 'interactive_reply');
    assert.equal(m.text, 'Medium');
    assert.equal(m.content.type, 'callback_query');
    assert.equal(m.content.id, 'size_m');
    assert.equal(m.content.title, 'Medium');
    assert.equal(m.content.callback_query_id, payload.callback_query.id);
  });

  test('the callback query is answered (answerCallbackQuery), so the client stops its spinner', async () => {
    // providers.md 3: "Always call answerCallbackQuery ... or the client shows a spinner";
    // docs/channels.md: content.callback_query_id is there to "answer it".
    const since = await lastSeq();
    const payload = P.telegramCallback(chatId, 'color_blue', { messageId: st.sent.req.response.body.result.message_id, label: 'Blue' });
    const d = await deliver({ provider: 'telegram', url: st.channel.webhook_url, secret_token: st.settings.secret_token, payload });
    assert.equal(d.status, 200, d.body);
    // Telegram also accepts the answer as the webhook's response body ({"method":"answerCallbackQuery",...}).
    const inline = d.json?.method === 'answerCallbackQuery' && d.json?.callback_query_id === payload.callback_query.id;
    if (inline) return;
    const reqs = await simRequests('telegram', since, 3000);
    const answer = reqs.find((r) => r.path.endsWith('/answerCallbackQuery'));
    assert.ok(answer, `no answerCallbackQuery within 3 s (webhook answered ${d.status} ${d.body}; Telegram requests: ${JSON.stringify(reqs.map((r) => r.path))})`);
    assert.equal(answer.path, `/telegram/bot${st.settings.bot_token}/answerCallbackQuery`);
    assert.equal(String((answer.json ?? answer.form ?? answer.query).callback_query_id), payload.callback_query.id);
  });

  test('outbound retry: a 429 with retry_after is retried and then succeeds', async () => {
    const f = await simApi('POST', '/__sim/fail', { provider: 'telegram', status: 429, times: 1, retry_after: 1 });
    assert.equal(f.status, 200, f.text);
    const since = await lastSeq();
    const msg = await reply(st.conv.id, 'Rate limited once');
    const reqs = await eventually('two Telegram send attempts', async () => {
      const r = await simRequests('telegram', since);
      return r.length >= 2 ? r : false;
    }, 12_000, 200);
    assert.equal(reqs[0].response.status, 429);
    assert.equal(reqs[0].response.body.parameters.retry_after, 1);
    assert.equal(reqs[1].response.status, 200);
    await deliveryBecomes(st.conv.id, msg.id, 'sent');
  });
});

// ---------------------------------------------------------------------------------------------
// Twilio (SMS)

describe('twilio', () => {
  const customer = `+1555${randomInt(1_000_000, 9_999_999)}`;
  const ourNumber = '+15557122661';
  const spec = {
    type: 'twilio',
    secretKeys: ['auth_token'],
    settings: () => ({
      account_sid: `AC${rand(16)}`,
      auth_token: rand(16),
      from: ourNumber,
      api_base_url: `${env.simBase}/twilio`,
    }),
    secret: (s) => ({ auth_token: s.auth_token }),
    newId: P.newMessageSid,
    inbound: (text, id) => P.twilioInbound({ from: customer, to: ourNumber, body: text, messageSid: id, accountSid: st.settings.account_sid }),
    contactName: customer, // SMS carries no profile name
    checkSend(req, text, s) {
      assert.equal(req.path, `/twilio/2010-04-01/Accounts/${s.settings.account_sid}/Messages.json`);
      assert.deepEqual(req.auth, { scheme: 'basic', username: s.settings.account_sid, password: s.settings.auth_token });
      assert.match(req.headers['content-type'], /^application\/x-www-form-urlencoded/);
      assert.equal(req.form.To, customer);
      assert.equal(req.form.From, ourNumber);
      assert.equal(req.form.Body, text);
      assert.deepEqual(Object.keys(req.form).filter((k) => !['To', 'From', 'Body', 'StatusCallback'].includes(k)), []);
      assert.equal(req.response.status, 201);
    },
    providerId: (req) => req.response.body.sid,
  };
  const st = commonFlow(spec);
  const status = (sid, s, errorCode) =>
    deliver({ provider: 'twilio', url: st.channel.webhook_url, auth_token: st.settings.auth_token, payload: P.twilioStatus(sid, s, { from: ourNumber, to: customer, accountSid: st.settings.account_sid, errorCode }) });

  test('the webhook answers TwiML', async () => {
    const d = await deliver({ provider: 'twilio', url: st.channel.webhook_url, auth_token: st.settings.auth_token, payload: st.firstPayload });
    assert.equal(d.status, 200);
    assert.match(d.headers['content-type'], /xml/);
    assert.match(d.body, /<Response\s*\/?>/);
  });

  test('status callbacks move delivery forward only: delivered, read, then a late sent is ignored', async () => {
    const { msg, providerId } = st.sent;
    assert.match(providerId, /^SM[0-9a-f]{32}$/);
    let d = await status(providerId, 'delivered');
    assert.equal(d.status, 200, d.body);
    await deliveryBecomes(st.conv.id, msg.id, 'delivered');
    d = await status(providerId, 'read');
    assert.equal(d.status, 200, d.body);
    await deliveryBecomes(st.conv.id, msg.id, 'read');
    for (const older of ['delivered', 'sent']) {
      d = await status(providerId, older);
      assert.equal(d.status, 200, d.body);
      assert.equal((await message(st.conv.id, msg.id)).delivery.state, 'read', `a late "${older}" must not move read back`);
    }
  });

  test('an undelivered callback (30003) marks the message failed with its error', async () => {
    const { msg, req } = await replyAndCapture('twilio', st.conv.id, 'To a phone that is off');
    await deliveryBecomes(st.conv.id, msg.id, 'sent');
    const sid = req.response.body.sid;
    const d = await status(sid, 'undelivered', 30003);
    assert.equal(d.status, 200, d.body);
    const m = await deliveryBecomes(st.conv.id, msg.id, 'failed');
    assert.match(m.delivery.error ?? '', /30003/);
    await status(sid, 'sent');
    const again = await message(st.conv.id, msg.id);
    assert.equal(again.delivery.state, 'failed');
    assert.equal(again.delivery.error, m.delivery.error);
  });

  test('a permanent 400 from the API fails the message with its error, without retries', async () => {
    const f = await simApi('POST', '/__sim/fail', { provider: 'twilio', status: 400, code: 21211, message: `The 'To' number ${customer} is not a valid phone number.` });
    assert.equal(f.status, 200, f.text);
    const since = await lastSeq();
    const deadBefore = await jobsGauge('dead');
    const msg = await reply(st.conv.id, 'Rejected by Twilio');
    const m = await deliveryBecomes(st.conv.id, msg.id, 'failed');
    assert.match(m.delivery.error ?? '', /21211/);
    // The job is given up at once (dead), not queued for a retry.
    await eventually('the send job is dead', async () => (await jobsGauge('dead')) === deadBefore + 1, 3000);
    assert.equal(await jobsGauge('queued'), 0, 'no job may be waiting for a retry');
    const reqs = await simRequests('twilio', since);
    assert.equal(reqs.length, 1, `a 400 must not be retried: ${reqs.length} requests`);
  });

  test('the send asks Twilio for status callbacks at the channel webhook (StatusCallback)', async () => {
    // Twilio sends message status callbacks only to the StatusCallback given with the message (or
    // a Messaging Service's); with a plain From number and no StatusCallback, the delivered/read
    // callbacks tested above never come (providers.md 4.2, 4.4).
    const { req } = st.sent;
    assert.ok(req.form.StatusCallback, `no StatusCallback in the Twilio send body: ${req.body}`);
    const cb = new URL(req.form.StatusCallback);
    const hook = new URL(st.channel.webhook_url);
    assert.equal(cb.origin + cb.pathname, hook.origin + hook.pathname);
  });

  test('Twilio WhatsApp sender: ProfileName names the contact, the reply goes to whatsapp:+E164', async () => {
    const settings = { ...spec.settings(), from: 'whatsapp:+14155238886' };
    const ch = await createChannel('twilio', settings);
    const waCustomer = `whatsapp:+1555${randomInt(1_000_000, 9_999_999)}`;
    const payload = P.twilioInbound({ from: waCustomer, to: settings.from, body: 'Hola desde WhatsApp', accountSid: settings.account_sid, profileName: 'Lucía Gómez' });
    const d = await deliver({ provider: 'twilio', url: ch.webhook_url, auth_token: settings.auth_token, payload });
    assert.equal(d.status, 200, d.body);
    const conv = await conversationOf(ch.id, 'Lucía Gómez');
    const [m] = await messages(conv.id);
    assert.equal(m.text, 'Hola desde WhatsApp');
    const { msg, req } = await replyAndCapture('twilio', conv.id, '¡Hola Lucía!');
    assert.equal(req.form.To, waCustomer);
    assert.equal(req.form.From, 'whatsapp:+14155238886');
    assert.equal(req.form.Body, '¡Hola Lucía!');
    await deliveryBecomes(conv.id, msg.id, 'sent');
  });
});

// ---------------------------------------------------------------------------------------------
// Messaging windows: WhatsApp 24 h then approved templates only; Messenger 24 h then 7 days for a
// person's reply with the HUMAN_AGENT tag. Time is the providers' own: the webhook timestamps.

describe('messaging windows', () => {
  const hours = (h) => h * 3600 * 1000;

  test('whatsapp: free-form refused 24 h after the customer wrote, templates go out, the window shows', async () => {
    const settings = {
      phone_number_id: `1065403${randomInt(10000, 99999)}`,
      access_token: `EAAG${rand(16)}`,
      app_secret: rand(16),
      verify_token: `vt-${rand(4)}`,
      api_base_url: `${env.simBase}/whatsapp/v21.0`,
      templates: [
        { name: 'order_update', language: 'en_US', parameters: 2 },
        { name: 'hello_again', language: 'it' },
      ],
    };
    // Once any test registered a WhatsApp account, the sim refuses unknown credentials: register ours.
    const acc = await simApi('POST', '/__sim/accounts', { provider: 'whatsapp', phone_number_id: settings.phone_number_id, access_token: settings.access_token });
    assert.equal(acc.status, 200, acc.text);
    const ch = await createChannel('whatsapp', settings);
    const from = `1650577${randomInt(1000, 9999)}`;
    // The customer wrote 25 hours ago (the timestamp WhatsApp signs with the webhook).
    const old = Math.floor((Date.now() - hours(25)) / 1000);
    const d = await deliver({ provider: 'whatsapp', url: ch.webhook_url, app_secret: settings.app_secret,
      payload: P.whatsappText(from, 'still there?', P.newWamid(), { name: 'Late Customer', phoneNumberId: settings.phone_number_id, timestamp: old }) });
    assert.equal(d.status, 200, d.body);
    const conv = await conversationOf(ch.id, 'Late Customer');

    const view = await api('GET', `/api/v1/conversations/${conv.id}`);
    assert.equal(view.status, 200, view.text);
    assert.equal(view.json.window.policy, 'whatsapp');
    assert.equal(view.json.window.open, false);
    assert.equal(Date.parse(view.json.window.last_inbound_at), old * 1000);
    assert.deepEqual(view.json.window.templates.map((t) => t.name), ['order_update', 'hello_again']);

    const since = await lastSeq();
    const before = (await messages(conv.id)).length;
    const refused = await api('POST', `/api/v1/conversations/${conv.id}/messages`, { text: 'Hello?' });
    assert.equal(refused.status, 409, refused.text);
    assert.equal(refused.json.error.code, 'window_closed');
    assert.match(refused.json.error.message, /order_update \(en_US\)/);
    assert.deepEqual(refused.json.error.templates.map((t) => t.name), ['order_update', 'hello_again']);
    assert.equal((await messages(conv.id)).length, before, 'a refused message is not stored');
    // A template with the wrong parameter count, or one not configured: 400 naming the field.
    const bad = await api('POST', `/api/v1/conversations/${conv.id}/messages`,
      { kind: 'template', template: { name: 'order_update', language: 'en_US', parameters: ['only one'] } });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.json.error.field, 'template.parameters');
    const unknown = await api('POST', `/api/v1/conversations/${conv.id}/messages`,
      { kind: 'template', template: { name: 'promo', language: 'en_US' } });
    assert.equal(unknown.status, 400, unknown.text);
    assert.equal(unknown.json.error.field, 'template.name');

    const sent = await api('POST', `/api/v1/conversations/${conv.id}/messages`,
      { kind: 'template', template: { name: 'order_update', language: 'en_US', parameters: ['Asha', 'A-1042'] } });
    assert.equal(sent.status, 201, sent.text);
    assert.equal(sent.json.kind, 'template');
    assert.equal(sent.json.text, '[template order_update] Asha, A-1042');
    const reqs = await simRequests('whatsapp', since, 6000);
    assert.equal(reqs.length, 1, `only the template reaches WhatsApp, got ${reqs.length}`);
    assert.deepEqual(reqs[0].json, {
      messaging_product: 'whatsapp', recipient_type: 'individual', to: from, type: 'template',
      template: { name: 'order_update', language: { code: 'en_US' },
        components: [{ type: 'body', parameters: [{ type: 'text', text: 'Asha' }, { type: 'text', text: 'A-1042' }] }] },
    });
    await deliveryBecomes(conv.id, sent.json.id, 'sent', 20000);

    // The customer answers now: the window opens and free-form text goes out again.
    const d2 = await deliver({ provider: 'whatsapp', url: ch.webhook_url, app_secret: settings.app_secret,
      payload: P.whatsappText(from, 'yes!', P.newWamid(), { name: 'Late Customer', phoneNumberId: settings.phone_number_id }) });
    assert.equal(d2.status, 200, d2.body);
    const open = await api('GET', `/api/v1/conversations/${conv.id}`);
    assert.equal(open.json.window.open, true);
    const ok = await api('POST', `/api/v1/conversations/${conv.id}/messages`, { text: 'Your order ships today.' });
    assert.equal(ok.status, 201, ok.text);
    await deliveryBecomes(conv.id, ok.json.id, 'sent', 20000);
  });

  test('messenger: after 24 h only a person may answer, tagged HUMAN_AGENT; after 7 days nobody', async () => {
    const pageId = `10${randomInt(1e9, 9e9)}`;
    const settings = {
      page_id: pageId,
      page_access_token: `EAAB${rand(16)}`,
      app_secret: rand(16),
      verify_token: `vt-${rand(4)}`,
      api_base_url: `${env.simBase}/messenger/v21.0`,
    };
    const acc = await simApi('POST', '/__sim/accounts', { provider: 'messenger', page_id: pageId, page_access_token: settings.page_access_token });
    assert.equal(acc.status, 200, acc.text);
    const ch = await createChannel('messenger', settings);
    const psid = `2408${randomInt(1e9, 9e9)}`;
    const d = await deliver({ provider: 'messenger', url: ch.webhook_url, app_secret: settings.app_secret,
      payload: P.messengerText(psid, pageId, 'hello?', P.newMid(), { timestamp: Date.now() - hours(48) }) });
    assert.equal(d.status, 200, d.body);
    const conv = await conversationOf(ch.id, psid);
    const view = await api('GET', `/api/v1/conversations/${conv.id}`);
    assert.equal(view.json.window.policy, 'meta');
    assert.equal(view.json.window.open, false);
    assert.equal(view.json.window.human_agent_open, true);

    // An API token is not a person unless it says so.
    const refused = await api('POST', `/api/v1/conversations/${conv.id}/messages`, { text: 'automated nudge' });
    assert.equal(refused.status, 409, refused.text);
    assert.equal(refused.json.error.code, 'window_closed');
    assert.match(refused.json.error.message, /HUMAN_AGENT/);

    const since = await lastSeq();
    const ok = await api('POST', `/api/v1/conversations/${conv.id}/messages`, { text: 'Sorry for the wait, Bob here.', human_agent: true });
    assert.equal(ok.status, 201, ok.text);
    const reqs = await simRequests('messenger', since, 6000);
    assert.equal(reqs.length, 1);
    assert.equal(reqs[0].json.messaging_type, 'MESSAGE_TAG');
    assert.equal(reqs[0].json.tag, 'HUMAN_AGENT');
    await deliveryBecomes(conv.id, ok.json.id, 'sent', 20000);

    // Another customer who wrote 8 days ago: nothing may be sent.
    const psid2 = `2409${randomInt(1e9, 9e9)}`;
    await deliver({ provider: 'messenger', url: ch.webhook_url, app_secret: settings.app_secret,
      payload: P.messengerText(psid2, pageId, 'anyone?', P.newMid(), { timestamp: Date.now() - hours(8 * 24) }) });
    const conv2 = await conversationOf(ch.id, psid2);
    const late = await api('POST', `/api/v1/conversations/${conv2.id}/messages`, { text: 'hi', human_agent: true });
    assert.equal(late.status, 409, late.text);
    assert.match(late.json.error.message, /7 days/);
  });
});
