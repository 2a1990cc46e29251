// End-to-end tests of the Viber channel: the real bottega binary against the Viber part of the
// simulator (tools/sim/viber.mjs). The common flow (signed callback stored, deduplicated by
// message_token, tampered / missing X-Viber-Content-Signature refused, a reply reaching
// send_message in its exact shape), then statuses, button taps, customers' pictures (and media
// SSRF attempts), the send_message status codes and set_webhook's check callback. Product cards
// as rich media: product_cards.test.mjs.
//
//   node --test tools/sim/test/viber.test.mjs

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  api, attachmentSettles, commonFlow, conversationOf, conversations, createChannel, deliver, deliveryBecomes, env, eventually,
  fetchMedia, lastSeq, messages, rand, reply, simApi, simRequests, useServers,
} from './harness.mjs';

useServers();

const tokenOf = (req) => String(req.response.body).match(/"message_token":(\d+)/)?.[1];
let nextToken = 5000000000000000000n;
const newToken = () => String(nextToken++ + BigInt(Math.floor(Math.random() * 1e6)) * 1000n);

describe('viber', () => {
  const userId = `${rand(8)}+Ab/Cd==`;
  const spec = {
    type: 'viber',
    secretKeys: ['auth_token'],
    settings: () => ({ auth_token: `${rand(8)}-${rand(8)}`, sender_name: 'Bottega Shop', api_base_url: `${env.simBase}/viber/pa` }),
    secret: (s) => ({ auth_token: s.auth_token }),
    newId: newToken,
    inbound: (text, token) => ({ build: ['viberMessage', userId, text, { token, name: 'Vera Viber' }] }),
    contactName: 'Vera Viber',
    checkSend(req, text, st) {
      assert.equal(req.path, '/viber/pa/send_message');
      assert.equal(req.headers['x-viber-auth-token'], st.settings.auth_token);
      assert.match(req.headers['content-type'], /^application\/json/);
      assert.deepEqual(req.json, { receiver: userId, min_api_version: 1, sender: { name: 'Bottega Shop' }, type: 'text', text });
      assert.match(String(req.response.body), /^\{"status":0,"status_message":"ok",.*"message_token":\d{19}\}$/);
    },
    providerId: tokenOf,
  };
  const st = commonFlow(spec);
  const callback = (build, extra = {}) => deliver({ provider: 'viber', url: st.channel.webhook_url, auth_token: st.settings.auth_token, build, ...extra });

  test('the 64-bit message_token of the send is kept exactly and statuses only move forward', async () => {
    const { msg, providerId } = st.sent;
    assert.match(providerId, /^\d{19}$/);
    let d = await callback(['viberStatus', providerId, 'seen', userId]);
    assert.equal(d.status, 200, d.body);
    await deliveryBecomes(st.conv.id, msg.id, 'read');
    d = await callback(['viberStatus', providerId, 'delivered', userId]); // late: ignored
    assert.equal(d.status, 200, d.body);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await messages(st.conv.id)).find((m) => m.id === msg.id).delivery.state, 'read');
  });

  test('a failed callback marks the message failed with Viber\'s description', async () => {
    const m = await reply(st.conv.id, `second ${rand(2)}`);
    const sent = await deliveryBecomes(st.conv.id, m.id, 'sent');
    assert.ok(sent);
    const reqs = await simRequests('viber', 0);
    const token = tokenOf(reqs.findLast((r) => r.json?.text === m.text));
    const d = await callback(['viberStatus', token, 'failed', userId, 'user blocked the bot']);
    assert.equal(d.status, 200, d.body);
    const failed = await deliveryBecomes(st.conv.id, m.id, 'failed');
    assert.match(JSON.stringify(failed.delivery), /user blocked the bot/);
  });

  test('subscribed, conversation_started, unsubscribed and webhook callbacks are acknowledged and store nothing', async () => {
    const before = (await messages(st.conv.id)).length;
    for (const ev of ['subscribed', 'conversation_started', 'unsubscribed', 'webhook']) {
      const d = await callback(['viberEvent', ev, `${rand(6)}=`]);
      assert.equal(d.status, 200, `${ev}: ${d.body}`);
    }
    assert.equal((await messages(st.conv.id)).length, before);
    assert.equal((await conversations(st.channel.id)).length, 1);
  });

  test('conversation_started is answered with the channel\'s welcome message (none without welcome_text); nothing is stored', async () => {
    // This channel has no welcome_text: the usual acknowledgement.
    const plain = await callback(['viberEvent', 'conversation_started', `${rand(6)}=`]);
    assert.equal(plain.status, 200, plain.body);
    assert.deepEqual(JSON.parse(plain.body), { ok: true });
    const settings = { ...spec.settings(), sender_avatar: 'https://shop.example/avatar.png', welcome_text: 'Welcome to Bottega Shop! Ask us anything.' };
    const ch = await createChannel('viber', settings);
    assert.equal(ch.settings.welcome_text, settings.welcome_text);
    const on = (build) => deliver({ provider: 'viber', url: ch.webhook_url, auth_token: settings.auth_token, build });
    const started = await on(['viberEvent', 'conversation_started', `${rand(6)}=`]);
    assert.equal(started.status, 200, started.body);
    assert.deepEqual(JSON.parse(started.body), {
      sender: { name: 'Bottega Shop', avatar: 'https://shop.example/avatar.png' }, type: 'text', text: 'Welcome to Bottega Shop! Ask us anything.',
    });
    // Other callbacks on that channel are only acknowledged, and nothing is stored for any of them.
    const subscribed = await on(['viberEvent', 'subscribed', `${rand(6)}=`]);
    assert.deepEqual(JSON.parse(subscribed.body), { ok: true });
    assert.equal((await conversations(ch.id)).length, 0);
    // A tampered callback gets no welcome.
    const tampered = await deliver({ provider: 'viber', url: ch.webhook_url, auth_token: settings.auth_token, build: ['viberEvent', 'conversation_started', 'x='], tamper: true });
    assert.equal(tampered.status, 401, tampered.body);
    assert.doesNotMatch(tampered.body, /Welcome/);
    // Bad input: refused, nothing changes.
    const bad = await api('POST', '/api/v1/channels', { type: 'viber', name: 'too long', settings: { ...spec.settings(), welcome_text: 'x'.repeat(7001) } });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.json.error.field, 'settings.welcome_text');
  });

  test('choices go out as a keyboard; the tap comes back as an interactive reply with the choice id', async () => {
    const since = await lastSeq();
    const r = await api('POST', `/api/v1/conversations/${st.conv.id}/messages`, {
      text: 'Which size?', choices: [{ id: 'size_m', title: 'M' }, { id: 'size_l', title: 'L' }],
    });
    assert.equal(r.status, 201, r.text);
    const [req] = await simRequests('viber', since, 6000);
    assert.ok(req, 'no send_message');
    const buttons = req.json.keyboard.Buttons;
    assert.deepEqual(buttons.map((b) => [b.ActionType, b.ActionBody]), [['reply', 'M'], ['reply', 'L']]);
    assert.equal(req.response.status, 200);
    // The customer taps "L": Viber sends the button's text with our tracking_data.
    const d = await callback(['viberMessage', userId, 'L', { token: newToken(), name: 'Vera Viber', trackingData: req.json.tracking_data }]);
    assert.equal(d.status, 200, d.body);
    const tap = await eventually('the tap is stored', async () => (await messages(st.conv.id)).find((m) => m.direction === 'in' && m.kind === 'interactive_reply'));
    assert.equal(tap.text, 'L');
    assert.equal(tap.content.id, 'size_l');
  });

  test('a picture and a location are stored as media and location', async () => {
    const pic = await callback(['viberMessage', userId, '', { token: newToken(), name: 'Vera Viber', message: { type: 'picture', text: 'this one?', media: 'https://dl-media.viber.com/5/share/2/long/p.jpg', size: 2048, file_name: 'p.jpg' } }]);
    assert.equal(pic.status, 200, pic.body);
    const loc = await callback(['viberMessage', userId, '', { token: newToken(), name: 'Vera Viber', message: { type: 'location', location: { lat: 45.46, lon: 9.19 } } }]);
    assert.equal(loc.status, 200, loc.body);
    const list = await eventually('both stored', async () => {
      const l = await messages(st.conv.id);
      return l.some((m) => m.kind === 'media') && l.some((m) => m.kind === 'location') ? l : null;
    });
    const media = list.find((m) => m.kind === 'media');
    assert.equal(media.text, 'this one?');
    assert.equal(media.content.attachments[0].url, 'https://dl-media.viber.com/5/share/2/long/p.jpg');
    assert.equal(list.find((m) => m.kind === 'location').content.latitude, 45.46);
  });

  test('status 12 (too many requests) is retried later; status 6 (not subscribed) fails the message for good', async () => {
    let r = await simApi('POST', '/__sim/fail', { provider: 'viber', status: 429, times: 1 });
    assert.equal(r.status, 200, r.text);
    const since = await lastSeq();
    const slow = await reply(st.conv.id, `rate limited ${rand(2)}`);
    // First answer: {"status":12}; the job waits (Viber gives no delay: one minute at first).
    const [first] = await simRequests('viber', since, 6000);
    assert.ok(first);
    assert.match(String(first.response.body), /"status":12/);
    await new Promise((res) => setTimeout(res, 500));
    assert.equal((await messages(st.conv.id)).find((m) => m.id === slow.id).delivery.state, 'pending');

    r = await simApi('POST', '/__sim/fail', { provider: 'viber', status: 400, code: 6, times: 1 });
    assert.equal(r.status, 200, r.text);
    const other = await createConversationWith(`${rand(6)}=`, 'Una Subscribed');
    const gone = await reply(other.id, 'are you there?');
    const failed = await deliveryBecomes(other.id, gone.id, 'failed');
    assert.match(JSON.stringify(failed.delivery), /recipient_unavailable.*receiverNotSubscribed/);
  });

  // A customer's picture: Viber names a signed, expiring URL on its media host; the simulator
  // serves it under its /viber prefix (the channel's api_base_url origin).
  const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
  async function pictureFrom(name, media, text = '') {
    const d = await callback(['viberMessage', `${rand(8)}P=`, '', { token: newToken(), name, message: { type: 'picture', text, media, file_name: 'photo.png', size: 70 } }]);
    assert.equal(d.status, 200, d.body);
    const conv = await conversationOf(st.channel.id, name);
    return attachmentSettles(conv.id);
  }

  test("a customer's picture is downloaded from its signed media URL (no credentials), stored, and served to agents", async () => {
    const since = await lastSeq();
    const media = (await simApi('POST', '/__sim/media', { provider: 'viber', content_base64: png, mime_type: 'image/png' })).json;
    assert.match(media.url, /\/viber\/dl-media\/3\/media\/2\/short\/any\/sig\/image\/0x0\/[0-9a-f]{4}\/[0-9a-f]{64}\.png\?Expires=\d+&Signature=[^&]+&Key-Pair-Id=/);
    const a = await pictureFrom(`Pia ${rand(3)}`, media.url, 'this colour?');
    assert.ok(a.media_id, JSON.stringify(a));
    assert.equal(a.type, 'image');
    assert.equal(a.size, Buffer.from(png, 'base64').length);
    const got = await fetchMedia(a.media_id);
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), 'image/png');
    assert.deepEqual(got.bytes, Buffer.from(png, 'base64'));
    assert.equal((await fetchMedia(a.media_id, null)).status, 401, 'agents only');
    const gets = (await simRequests('viber', since)).filter((r) => r.method === 'GET');
    assert.equal(gets.length, 1, JSON.stringify(gets.map((r) => r.target)));
    assert.equal(gets[0].target, media.url.slice(env.simBase.length), 'the exact signed URL');
    assert.equal(gets[0].headers['x-viber-auth-token'], undefined, 'the bot token never goes to the media host');
    assert.equal(gets[0].headers.authorization, undefined);
  });

  test('media SSRF attempts: an expired URL is recorded as refused; other hosts, the metadata address and plain http are never fetched', async () => {
    const since = await lastSeq();
    const old = (await simApi('POST', '/__sim/media', { provider: 'viber', content_base64: png, mime_type: 'image/png', expires_in: -60 })).json;
    const expired = await pictureFrom(`Old ${rand(3)}`, old.url);
    assert.equal(expired.media_id, undefined);
    assert.match(expired.media_error, /^media_unavailable: viber media answered HTTP 403/);
    for (const url of [
      `${env.base}/api/v1/conversations`, // the server's own API: the simulator's host, another port
      'http://169.254.169.254/latest/meta-data/',
      'https://dl-media.viber.com.evil.example/3/p.jpg',
      'http://dl-media.viber.com/3/p.jpg', // Viber's host, but not over https
      `https://user:pw@dl-media.viber.com/3/p.jpg`,
    ]) {
      const a = await pictureFrom(`Ssrf ${rand(3)}`, url);
      assert.equal(a.media_id, undefined, url);
      assert.match(a.media_error, /^media_host_not_allowed/, url);
    }
    const gets = (await simRequests('viber', since)).filter((r) => r.method === 'GET');
    assert.equal(gets.length, 1, 'only the expired URL reached the (simulated) media host');
  });

  async function createConversationWith(uid, name) {
    const d = await callback(['viberMessage', uid, 'hello', { token: newToken(), name }]);
    assert.equal(d.status, 200, d.body);
    return eventually(`conversation with ${name}`, async () => (await conversations(st.channel.id)).find((c) => c.contact?.name === name));
  }

  test('set_webhook is confirmed by a signed "webhook" callback that Bottega accepts', async () => {
    // The sim plays Viber: before it accepts a webhook URL it posts {"event":"webhook"} to it.
    const r = await simApi('POST', '/viber/pa/set_webhook', undefined);
    assert.equal(r.status, 200);
    assert.equal(r.json.status, 2, 'no X-Viber-Auth-Token: invalidAuthToken');
    const res = await fetch(`${env.simBase}/viber/pa/set_webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-viber-auth-token': st.settings.auth_token },
      body: JSON.stringify({ url: st.channel.webhook_url, event_types: ['delivered', 'seen', 'failed', 'conversation_started'] }),
    });
    const body = await res.json();
    assert.equal(body.status, 0, JSON.stringify(body));
    // With another token the check callback's signature does not match: Bottega answers 401 and
    // Viber refuses the URL.
    const wrong = await fetch(`${env.simBase}/viber/pa/set_webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-viber-auth-token': 'not-the-token' },
      body: JSON.stringify({ url: st.channel.webhook_url }),
    });
    assert.equal((await wrong.json()).status, 1);
  });
});

describe('viber channel settings', () => {
  test('bad settings are refused naming the field, and the webhook URL is returned', async () => {
    let r = await api('POST', '/api/v1/channels', { type: 'viber', name: 'v', settings: { auth_token: 'x' } });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.field, 'settings.sender_name');
    r = await api('POST', '/api/v1/channels', { type: 'viber', name: 'v', settings: { auth_token: 'x', sender_name: 'A name that is far too long!!' } });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.field, 'settings.sender_name');
    const ch = await createChannel('viber', { auth_token: 'x', sender_name: 'Shop' });
    assert.equal(ch.webhook_url, `${env.base}/webhooks/${ch.id}`);
    const listed = await api('GET', '/api/v1/channels');
    assert.equal(listed.json.data.find((c) => c.id === ch.id).webhook_url, ch.webhook_url);
  });
});
