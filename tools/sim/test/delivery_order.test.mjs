// Viber and WeChat deliveries as the providers make them, through the real bottega binary: one
// event per POST (neither provider batches: a "batch" is several callbacks at once), arriving in
// any order and redelivered. Every message is stored exactly once whatever the order, a late
// older message does not move WeChat's 48-hour window back, and WeChat's per-minute quota (45011)
// holds a reply for later instead of failing it.
//
//   node --test tools/sim/test/delivery_order.test.mjs

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';

import * as P from '../payloads.mjs';
import { api, conversationOf, createChannel, deliver, env, eventually, lastSeq, messages, rand, simApi, simRequests, useServers } from './harness.mjs';

useServers();

/** Delivers every payload twice at once (each its own POST: duplicates race each other), then
 * all of them again; all answered 200. */
async function burstTwice(send, payloads) {
  for (let round = 0; round < 2; round++) {
    const answers = await Promise.all([...payloads, ...payloads].map((p) => send(p)));
    for (const a of answers) assert.equal(a.status, 200, a.body);
  }
}

/** The conversation's inbound texts once `count` are stored, and a little later (nothing more came). */
async function inboundTexts(convId, count) {
  await eventually(`${count} inbound messages`, async () => (await messages(convId)).filter((m) => m.direction === 'in').length >= count, 15_000);
  await new Promise((r) => setTimeout(r, 300));
  return (await messages(convId)).filter((m) => m.direction === 'in').map((m) => m.text).sort();
}

describe('viber deliveries', () => {
  test('several callbacks at once, newest first, each twice, then all redelivered: each message is stored once', async () => {
    const settings = { auth_token: `${rand(8)}-${rand(8)}`, sender_name: 'Bottega Shop', api_base_url: `${env.simBase}/viber/pa` };
    const ch = await createChannel('viber', settings);
    const user = `${rand(8)}Ord=`;
    const t0 = Date.now() - 10_000;
    // message_token is a 64-bit number: the simulator builds the callbacks (payloads.mjs viberMessage).
    const builds = [0, 1, 2, 3].map((i) => ['viberMessage', user, `part ${i}`, { token: `5${randomInt(1e8, 1e9)}${randomInt(1e7, 1e8)}${i}`, timestamp: t0 + i * 1000, name: 'Oda Order' }]).reverse();
    await burstTwice((build) => deliver({ provider: 'viber', url: ch.webhook_url, auth_token: settings.auth_token, build }), builds);
    const conv = await conversationOf(ch.id, 'Oda Order');
    assert.deepEqual(await inboundTexts(conv.id, 4), ['part 0', 'part 1', 'part 2', 'part 3']);
    assert.equal((await api('GET', `/api/v1/conversations?channel_id=${ch.id}`)).json.data.length, 1, 'one conversation');
  });
});

describe('wechat deliveries', () => {
  const setup = async () => {
    const settings = { app_id: `wx${rand(8)}`, app_secret: rand(16), token: `tok${rand(6)}`, api_base_url: `${env.simBase}/wechat` };
    const ch = await createChannel('wechat', settings);
    return { ch, settings, send: (payload) => deliver({ provider: 'wechat', url: ch.webhook_url, token: settings.token, payload }) };
  };

  test('several callbacks at once, newest first, each twice, then all redelivered: each stored once; the older ones do not move the 48-hour window back', async () => {
    const { ch, send } = await setup();
    const openid = `oOrd${rand(8)}`;
    const now = Math.floor(Date.now() / 1000);
    const times = [now - 3 * 3600, now - 2 * 3600, now - 3600, now - 60];
    const payloads = times.map((t, i) => P.wechatText(openid, `part ${i}`, { msgId: Number(`${randomInt(1e7, 9e7)}${randomInt(1e6, 9e6)}`), createTime: t }));
    // The newest first, alone, so the window is set by it before the older ones arrive.
    assert.equal((await send(payloads[3])).status, 200);
    const conv = await conversationOf(ch.id, openid);
    await burstTwice(send, payloads.slice(0, 3).reverse());
    assert.deepEqual(await inboundTexts(conv.id, 4), ['part 0', 'part 1', 'part 2', 'part 3']);
    const w = (await api('GET', `/api/v1/conversations/${conv.id}`)).json.window;
    assert.equal(w.policy, 'wechat');
    assert.equal(Date.parse(w.last_inbound_at), times[3] * 1000, 'the newest message sets the window');
    assert.equal(Date.parse(w.closes_at), (times[3] + 48 * 3600) * 1000);
  });

  test("WeChat's per-minute quota (45011) holds a reply for later; it is not failed", async () => {
    const { ch, send } = await setup();
    const openid = `oQuota${rand(8)}`;
    assert.equal((await send(P.wechatText(openid, 'anyone there?'))).status, 200);
    const conv = await conversationOf(ch.id, openid);
    // A first reply goes out (and fetches the access token), so the quota error meets the send.
    let r = await api('POST', `/api/v1/conversations/${conv.id}/messages`, { text: 'hello' });
    assert.equal(r.status, 201, r.text);
    await eventually('the first reply sent', async () => (await messages(conv.id)).find((x) => x.id === r.json.id)?.delivery?.state === 'sent', 15_000);
    const since = await lastSeq();
    r = await simApi('POST', '/__sim/fail', { provider: 'wechat', status: 429, code: 45011, times: 1 });
    assert.equal(r.status, 200, r.text);
    r = await api('POST', `/api/v1/conversations/${conv.id}/messages`, { text: 'yes, one moment' });
    assert.equal(r.status, 201, r.text);
    const sent = await eventually('the send tried once', async () => {
      const calls = (await simRequests('wechat', since)).filter((x) => x.path === '/wechat/cgi-bin/message/custom/send');
      return calls.length ? calls : null;
    }, 15_000);
    assert.equal(sent[0].response.body.errcode, 45011);
    await new Promise((res) => setTimeout(res, 500));
    const m = (await messages(conv.id)).find((x) => x.id === r.json.id);
    assert.equal(m.delivery.state, 'pending', JSON.stringify(m.delivery));
    assert.equal((await simRequests('wechat', since)).filter((x) => x.path === '/wechat/cgi-bin/message/custom/send').length, 1, 'retried a minute later, not at once');
  });
});
