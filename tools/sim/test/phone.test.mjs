// The simulator's customer phone (phone.mjs) on its own: its page and headers, its API's checks,
// the signed webhooks it delivers for typed text and tapped buttons (checked against a local
// receiver that verifies them independently), and how it shows what a business sends through the
// provider APIs (text, buttons, lists, links, images), long-polled.

import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';

import { startSim } from '../sim.mjs';
import { call } from './demo_process.mjs';

const WA = { phone_number_id: '106540352242922', app_secret: 'wa-secret-0123', access_token: 'EAAGtoken' };
const TG = { bot_token: '7000000001:AAbbCC', secret_token: 'tg-secret_42' };
const FB = { page_id: '105044608990345', app_secret: 'fb-secret-4567', page_access_token: 'EAAPtoken' };
const IG = { page_id: '17841400000000001', app_secret: 'ig-secret-8901', page_access_token: 'EAAPigtoken' };
const TW = { account_sid: 'AC0123456789abcdef0123456789abcdef', auth_token: 'tw-token-0123', from: '+15005550006' };
const VB = { auth_token: '4453b6ac12345678-e02c5f12174805f9', sender_name: 'Shop' };
const WX = { app_id: 'wx0123456789abcdef', app_secret: 'wx-secret', token: 'wxtoken42' };

describe('customer phone', () => {
  let s;
  let receiver;
  let hooks = []; // what "Bottega" received
  let answer = 200;
  const hookUrl = (ch) => `http://127.0.0.1:${receiver.address().port}/webhooks/${ch}`;
  const api = (method, path, body) => call(method, s.url + path, body);

  before(async () => {
    s = await startSim({ port: 0 });
    receiver = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        hooks.push({ url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(answer, { 'content-type': 'application/json' });
        res.end(answer === 200 ? '{"ok":true}' : '{"error":{"code":"bad_signature"}}');
      });
    });
    await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
    const setup = await api('POST', '/__sim/phone/setup', {
      channels: [
        { type: 'whatsapp', name: 'WhatsApp (test)', webhook_url: hookUrl('ch_wa'), settings: WA },
        { type: 'telegram', name: 'Telegram (test)', webhook_url: hookUrl('ch_tg'), settings: TG },
        { type: 'messenger', name: 'Messenger (test)', webhook_url: hookUrl('ch_fb'), settings: FB },
        { type: 'instagram', name: 'Instagram (test)', webhook_url: hookUrl('ch_ig'), settings: IG },
        { type: 'twilio', name: 'Twilio (test)', webhook_url: hookUrl('ch_tw'), settings: TW },
        { type: 'viber', name: 'Viber (test)', webhook_url: hookUrl('ch_vb'), settings: VB },
        { type: 'wechat', name: 'WeChat (test)', webhook_url: hookUrl('ch_wx'), settings: WX },
      ],
    });
    assert.equal(setup.status, 200, JSON.stringify(setup.body));
  });

  after(async () => {
    await s.close();
    await new Promise((r) => receiver.close(r));
  });

  beforeEach(() => {
    hooks = [];
    answer = 200;
  });

  // What Bottega would send: a call to the simulator's provider API; returns its answer.
  const business = (path, body, headers) => call('POST', s.url + path, body, headers);
  const waSend = (body) => business(`/whatsapp/v21.0/${WA.phone_number_id}/messages`, { messaging_product: 'whatsapp', recipient_type: 'individual', ...body }, { Authorization: `Bearer ${WA.access_token}` });
  const messages = async (channel, customer, since = 0, wait = 0) => {
    const r = await api('GET', `/__sim/phone/messages?${new URLSearchParams({ channel, customer, since: String(since), wait: String(wait) })}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };
  const hmac = (secret, body) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

  test('the page: HTML with a CSP that allows only its own script, and nosniff', async () => {
    const r = await fetch(`${s.url}/phone`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^text\/html/);
    const csp = r.headers.get('content-security-policy');
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    const html = await r.text();
    assert.match(html, /<script src="\/phone\/phone.js" defer><\/script>/);
    assert.doesNotMatch(html, /<script>[^<]/, 'no inline script');
    const js = await fetch(`${s.url}/phone/phone.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type'), /^text\/javascript/);
    const source = await js.text();
    assert.doesNotMatch(source, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, 'message text is never inserted as HTML');
    assert.equal((await fetch(`${s.url}/phone/nope.js`)).status, 404);
  });

  test('the channels are listed without their secrets', async () => {
    const r = await api('GET', '/__sim/phone/channels');
    assert.deepEqual(r.body.channels.map((c) => c.type), ['whatsapp', 'telegram', 'messenger', 'instagram', 'twilio', 'viber', 'wechat']);
    assert.doesNotMatch(JSON.stringify(r.body), /secret|token/);
  });

  test('bad requests are refused with a reason and send nothing', async () => {
    const cases = [
      [{ channel: 'whatsapp', customer: '3933', text: 'hi' }, 400, /customer/],
      [{ channel: 'whatsapp', customer: '0393331234567', text: 'hi' }, 400, /customer/],
      [{ channel: 'line', customer: '393331234567', text: 'hi' }, 404, /no line channel/],
      [{ channel: 'whatsapp', customer: '393331234567' }, 400, /either text or reply/],
      [{ channel: 'whatsapp', customer: '393331234567', text: '   ' }, 400, /empty/],
      [{ channel: 'whatsapp', customer: '393331234567', text: 'x'.repeat(4097) }, 400, /4096/],
      [{ channel: 'whatsapp', customer: '393331234567', reply: { id: 'yes' } }, 400, /id and title/],
      [{ channel: 'whatsapp', customer: '393331234567', reply: { id: 'yes', title: 'Yes', message: 99999 } }, 400, /reply.message/],
    ];
    for (const [body, status, msg] of cases) {
      const r = await api('POST', '/__sim/phone/send', body);
      assert.equal(r.status, status, JSON.stringify(body));
      assert.match(r.body.error, msg);
    }
    const bad = await api('POST', '/__sim/phone/setup', { channels: [{ type: 'whatsapp', webhook_url: 'http://127.0.0.1:1/x', settings: { phone_number_id: '1' } }] });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /app_secret/);
    const noToken = await api('POST', '/__sim/phone/setup', { channels: [{ type: 'wechat', webhook_url: 'http://127.0.0.1:1/x', settings: { app_id: 'wx1' } }] });
    assert.equal(noToken.status, 400);
    assert.match(noToken.body.error, /channels\[0\]\.settings\.token is required/);
    assert.equal((await api('GET', '/__sim/phone/channels')).body.channels.length, 7, 'a refused setup changes nothing');
    assert.equal(hooks.length, 0);
  });

  test('only its own pages may act as the customer: JSON bodies, loopback Host', async () => {
    const form = await fetch(`${s.url}/__sim/phone/send`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: JSON.stringify({ channel: 'whatsapp', customer: '393331110010', text: 'cross-site' }),
    });
    assert.equal(form.status, 415);
    const withHost = (method, path, host, body) =>
      new Promise((resolve, reject) => {
        const req = http.request(`${s.url}${path}`, { method, headers: { Host: host, 'Content-Type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode));
        });
        req.on('error', reject);
        req.end(body ? JSON.stringify(body) : undefined);
      });
    assert.equal(await withHost('POST', '/__sim/phone/send', 'attacker.example:8090', { channel: 'whatsapp', customer: '393331110010', text: 'rebound' }), 403);
    assert.equal(await withHost('GET', '/__sim/phone/channels', 'attacker.example'), 403);
    assert.equal(hooks.length, 0, 'nothing was sent');
    assert.equal(await withHost('GET', '/__sim/phone/channels', 'localhost:8090'), 200, 'localhost is a loopback host');
    assert.equal(await withHost('GET', '/__sim/phone/channels', '[::1]:8090'), 200);
  });

  test('WhatsApp: typed text becomes a signed webhook; the business answer with buttons shows; a tap is a button_reply', async () => {
    const customer = '393331110001';
    const sent = await api('POST', '/__sim/phone/send', { channel: 'whatsapp', customer, name: 'Ann Rossi', text: 'Ciao <b>è</b>' });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.equal(sent.body.delivery.status, 200);
    assert.equal(sent.body.message.status, 'delivered');
    assert.equal(hooks.length, 1);
    const h = hooks[0];
    assert.equal(h.url, '/webhooks/ch_wa');
    assert.equal(h.headers['x-hub-signature-256'], hmac(WA.app_secret, h.body));
    assert.match(h.body, /\\u00e8/, 'non-ASCII escaped as Meta sends it');
    const value = JSON.parse(h.body).entry[0].changes[0].value;
    assert.equal(value.metadata.phone_number_id, WA.phone_number_id);
    assert.equal(value.contacts[0].profile.name, 'Ann Rossi');
    assert.equal(value.messages[0].from, customer);
    assert.equal(value.messages[0].text.body, 'Ciao <b>è</b>');

    // A long poll waiting for the answer, then the business answers (as Bottega would).
    const since = sent.body.message.updated;
    const polled = messages('whatsapp', customer, since, 20_000);
    const out = await waSend({ to: customer, type: 'interactive', interactive: {
      type: 'button', body: { text: 'Did this answer your question?' },
      action: { buttons: [{ type: 'reply', reply: { id: 'yes', title: 'Yes' } }, { type: 'reply', reply: { id: 'no', title: 'No' } }] },
    } });
    assert.equal(out.status, 200);
    const got = await polled;
    assert.equal(got.messages.length, 1);
    const m = got.messages[0];
    assert.equal(m.from, 'business');
    assert.equal(m.text, 'Did this answer your question?');
    assert.deepEqual(m.buttons, [{ id: 'yes', title: 'Yes', kind: 'button' }, { id: 'no', title: 'No', kind: 'button' }]);
    assert.equal(m.ref, out.body.messages[0].id);

    const tap = await api('POST', '/__sim/phone/send', { channel: 'whatsapp', customer, reply: { id: 'no', title: 'No', kind: 'button', message: m.seq } });
    assert.equal(tap.status, 200, JSON.stringify(tap.body));
    const th = hooks[1];
    assert.equal(th.headers['x-hub-signature-256'], hmac(WA.app_secret, th.body));
    const tm = JSON.parse(th.body).entry[0].changes[0].value.messages[0];
    assert.equal(tm.type, 'interactive');
    assert.deepEqual(tm.interactive, { type: 'button_reply', button_reply: { id: 'no', title: 'No' } });
    assert.equal(tm.context.id, m.ref, 'the reply refers to the tapped message');

    // The whole conversation, in order, both sides; another customer's messages are not in it.
    await waSend({ to: '393339999999', type: 'text', text: { body: 'for someone else' } });
    const all = await messages('whatsapp', customer);
    assert.deepEqual(all.messages.map((x) => [x.from, x.text]), [
      ['customer', 'Ciao <b>è</b>'],
      ['business', 'Did this answer your question?'],
      ['customer', 'No'],
    ]);
  });

  test('WhatsApp: lists, CTA links, images and templates are shown; only http(s) links and images', async () => {
    const customer = '393331110002';
    await waSend({ to: customer, type: 'interactive', interactive: { type: 'list', body: { text: 'Which size?' }, action: { button: 'Sizes', sections: [{ rows: [{ id: 's41', title: '41', description: 'last pair' }, { id: 's42', title: '42' }] }] } } });
    await waSend({ to: customer, type: 'interactive', interactive: { type: 'cta_url', header: { type: 'image', image: { link: 'https://shop.example/a.jpg' } }, body: { text: 'Pay here' }, action: { name: 'cta_url', parameters: { display_text: 'Pay €42', url: 'http://127.0.0.1:8080/pay/pl_1' } } } });
    await waSend({ to: customer, type: 'interactive', interactive: { type: 'cta_url', body: { text: 'Evil' }, action: { name: 'cta_url', parameters: { display_text: 'x', url: 'javascript:alert(1)' } } } });
    await waSend({ to: customer, type: 'image', image: { link: 'data:text/html,hi', caption: 'pic' } });
    await waSend({ to: customer, type: 'template', template: { name: 'order_update', language: { code: 'en' }, components: [{ type: 'body', parameters: [{ type: 'text', text: '#1001' }] }] } });
    const { messages: got } = await messages('whatsapp', customer);
    assert.equal(got.length, 5);
    assert.equal(got[0].list, 'Sizes');
    assert.deepEqual(got[0].buttons, [{ id: 's41', title: '41', description: 'last pair', kind: 'list' }, { id: 's42', title: '42', kind: 'list' }]);
    assert.deepEqual(got[1].links, [{ title: 'Pay €42', url: 'http://127.0.0.1:8080/pay/pl_1' }]);
    assert.equal(got[1].image, 'https://shop.example/a.jpg');
    assert.equal(got[2].links, undefined);
    assert.equal(got[3].image, undefined);
    assert.equal(got[3].text, 'pic');
    assert.equal(got[4].text, 'Template "order_update": #1001');

    const tap = await api('POST', '/__sim/phone/send', { channel: 'whatsapp', customer, reply: { id: 's41', title: '41', description: 'last pair', kind: 'list', message: got[0].seq } });
    assert.equal(tap.status, 200);
    const tm = JSON.parse(hooks.at(-1).body).entry[0].changes[0].value.messages[0];
    assert.deepEqual(tm.interactive, { type: 'list_reply', list_reply: { id: 's41', title: '41', description: 'last pair' } });
  });

  test('a webhook Bottega refuses shows as not delivered', async () => {
    answer = 401;
    const r = await api('POST', '/__sim/phone/send', { channel: 'whatsapp', customer: '393331110003', text: 'hello?' });
    assert.equal(r.status, 200);
    assert.equal(r.body.delivery.status, 401);
    assert.equal(r.body.message.status, 'failed');
    assert.match(r.body.message.error, /HTTP 401/);
    const { messages: got } = await messages('whatsapp', '393331110003');
    assert.equal(got[0].status, 'failed');
  });

  test('Telegram: the secret token header, inline keyboards, and a tap as callback_query', async () => {
    const chat = '5550001234';
    const r = await api('POST', '/__sim/phone/send', { channel: 'telegram', customer: chat, name: 'Mario Bianchi', text: 'hi' });
    assert.equal(r.body.delivery.status, 200);
    assert.equal(hooks[0].headers['x-telegram-bot-api-secret-token'], TG.secret_token);
    const upd = JSON.parse(hooks[0].body);
    assert.equal(upd.message.chat.id, Number(chat));
    assert.equal(upd.message.from.first_name, 'Mario');
    assert.equal(upd.message.text, 'hi');

    const out = await business(`/telegram/bot${TG.bot_token}/sendMessage`, {
      chat_id: Number(chat), text: 'Helpful?',
      reply_markup: { inline_keyboard: [[{ text: 'Yes', callback_data: 'yes' }], [{ text: 'Shop', url: 'https://shop.example/' }]] },
    });
    assert.equal(out.status, 200);
    const m = (await messages('telegram', chat)).messages.find((x) => x.from === 'business');
    assert.deepEqual(m.buttons, [{ id: 'yes', title: 'Yes', kind: 'callback' }]);
    assert.deepEqual(m.links, [{ title: 'Shop', url: 'https://shop.example/' }]);
    const tap = await api('POST', '/__sim/phone/send', { channel: 'telegram', customer: chat, reply: { id: 'yes', title: 'Yes', kind: 'callback', message: m.seq } });
    assert.equal(tap.body.delivery.status, 200);
    const cq = JSON.parse(hooks[1].body).callback_query;
    assert.equal(cq.data, 'yes');
    assert.equal(cq.message.message_id, out.body.result.message_id, 'the callback names the tapped message');
    assert.equal(cq.message.chat.id, Number(chat));
  });

  test('Messenger: quick replies and template postbacks', async () => {
    const psid = '2410000000000001';
    const r = await api('POST', '/__sim/phone/send', { channel: 'messenger', customer: psid, text: 'hi' });
    assert.equal(r.body.delivery.status, 200);
    assert.equal(hooks[0].headers['x-hub-signature-256'], hmac(FB.app_secret, hooks[0].body));
    const ev = JSON.parse(hooks[0].body).entry[0].messaging[0];
    assert.equal(ev.sender.id, psid);
    assert.equal(ev.recipient.id, FB.page_id);

    await business(`/messenger/v21.0/me/messages?access_token=${FB.page_access_token}`, { recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text: 'Helpful?', quick_replies: [{ content_type: 'text', title: 'Yes', payload: 'yes' }] } });
    await business(`/messenger/v21.0/me/messages?access_token=${FB.page_access_token}`, { recipient: { id: psid }, messaging_type: 'RESPONSE', message: { attachment: { type: 'template', payload: { template_type: 'generic', elements: [{ title: 'Sneaker', subtitle: '€129', image_url: 'https://shop.example/s.jpg', buttons: [{ type: 'postback', title: 'Add to cart', payload: 'buy:SNK' }, { type: 'web_url', title: 'View', url: 'https://shop.example/s' }] }] } } } });
    const got = (await messages('messenger', psid)).messages.filter((x) => x.from === 'business');
    assert.deepEqual(got[0].buttons, [{ id: 'yes', title: 'Yes', kind: 'quick_reply' }]);
    assert.equal(got[1].header, 'Sneaker');
    assert.deepEqual(got[1].buttons, [{ id: 'buy:SNK', title: 'Add to cart', kind: 'postback' }]);
    assert.deepEqual(got[1].links, [{ title: 'View', url: 'https://shop.example/s' }]);

    await api('POST', '/__sim/phone/send', { channel: 'messenger', customer: psid, reply: { id: 'yes', title: 'Yes', kind: 'quick_reply', message: got[0].seq } });
    assert.deepEqual(JSON.parse(hooks[1].body).entry[0].messaging[0].message.quick_reply, { payload: 'yes' });
    await api('POST', '/__sim/phone/send', { channel: 'messenger', customer: psid, reply: { id: 'buy:SNK', title: 'Add to cart', kind: 'postback', message: got[1].seq } });
    const pb = JSON.parse(hooks[2].body).entry[0].messaging[0].postback;
    assert.equal(pb.payload, 'buy:SNK');
    assert.equal(pb.title, 'Add to cart');
  });

  test('Instagram: Messenger shapes under object "instagram", signed with its own app secret', async () => {
    const igsid = '2410000000000031';
    const r = await api('POST', '/__sim/phone/send', { channel: 'instagram', customer: igsid, text: 'ciao' });
    assert.equal(r.body.delivery.status, 200);
    assert.equal(hooks[0].url, '/webhooks/ch_ig');
    assert.equal(hooks[0].headers['x-hub-signature-256'], hmac(IG.app_secret, hooks[0].body));
    const body = JSON.parse(hooks[0].body);
    assert.equal(body.object, 'instagram');
    assert.equal(body.entry[0].id, IG.page_id);
    assert.deepEqual([body.entry[0].messaging[0].sender.id, body.entry[0].messaging[0].message.text], [igsid, 'ciao']);

    await business(`/instagram/v21.0/me/messages?access_token=${IG.page_access_token}`, { recipient: { id: igsid }, message: { text: 'Helpful?', quick_replies: [{ content_type: 'text', title: 'Yes', payload: 'yes' }] } });
    const m = (await messages('instagram', igsid)).messages.find((x) => x.from === 'business');
    assert.deepEqual(m.buttons, [{ id: 'yes', title: 'Yes', kind: 'quick_reply' }]);
    await api('POST', '/__sim/phone/send', { channel: 'instagram', customer: igsid, reply: { id: 'yes', title: 'Yes', kind: 'quick_reply', message: m.seq } });
    const tap = JSON.parse(hooks[1].body);
    assert.equal(tap.object, 'instagram');
    assert.deepEqual(tap.entry[0].messaging[0].message.quick_reply, { payload: 'yes' });
    const read = await api('POST', '/__sim/phone/read', { channel: 'instagram', customer: igsid });
    assert.equal(read.body.receipts, 1);
    assert.equal(JSON.parse(hooks[2].body).object, 'instagram');
    const cap = await api('POST', '/__sim/phone/send', { channel: 'instagram', customer: igsid, text: 'x', image: { content_base64: 'AAAA', mime_type: 'image/png' } });
    assert.equal(cap.status, 400);
    assert.match(cap.body.error, /Instagram sends a photo without a caption/);
  });

  test('read receipts: WhatsApp read statuses once per message, Messenger message_reads, none on Telegram', async () => {
    const customer = '393331110004';
    const a = await waSend({ to: customer, type: 'text', text: { body: 'one' } });
    const b = await waSend({ to: customer, type: 'text', text: { body: 'two' } });
    const r = await api('POST', '/__sim/phone/read', { channel: 'whatsapp', customer });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.receipts, 2);
    assert.equal(hooks.length, 1);
    assert.equal(hooks[0].headers['x-hub-signature-256'], hmac(WA.app_secret, hooks[0].body));
    const value = JSON.parse(hooks[0].body).entry[0].changes[0].value;
    assert.equal(value.metadata.phone_number_id, WA.phone_number_id);
    assert.deepEqual(value.statuses.map((x) => [x.id, x.status, x.recipient_id]), [
      [a.body.messages[0].id, 'read', customer],
      [b.body.messages[0].id, 'read', customer],
    ]);
    assert.equal((await api('POST', '/__sim/phone/read', { channel: 'whatsapp', customer })).body.receipts, 0, 'once per message');
    const c = await waSend({ to: customer, type: 'text', text: { body: 'three' } });
    await api('POST', '/__sim/phone/read', { channel: 'whatsapp', customer });
    assert.deepEqual(JSON.parse(hooks[1].body).entry[0].changes[0].value.statuses.map((x) => x.id), [c.body.messages[0].id]);
    assert.equal(hooks.length, 2);

    // A refused receipt is sent again next time.
    const d = await waSend({ to: customer, type: 'text', text: { body: 'four' } });
    answer = 500;
    assert.equal((await api('POST', '/__sim/phone/read', { channel: 'whatsapp', customer })).body.delivery.status, 500);
    answer = 200;
    const again = await api('POST', '/__sim/phone/read', { channel: 'whatsapp', customer });
    assert.equal(again.body.receipts, 1);
    assert.deepEqual(JSON.parse(hooks.at(-1).body).entry[0].changes[0].value.statuses.map((x) => x.id), [d.body.messages[0].id]);

    const psid = '2410000000000009';
    await business(`/messenger/v21.0/me/messages?access_token=${FB.page_access_token}`, { recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text: 'hi' } });
    const before = hooks.length;
    assert.equal((await api('POST', '/__sim/phone/read', { channel: 'messenger', customer: psid })).body.receipts, 1);
    const ev = JSON.parse(hooks[before].body).entry[0].messaging[0];
    assert.equal(ev.sender.id, psid);
    assert.ok(ev.read.watermark > 0);

    const chat = '5550009999';
    await business(`/telegram/bot${TG.bot_token}/sendMessage`, { chat_id: Number(chat), text: 'hi' });
    const n = hooks.length;
    assert.equal((await api('POST', '/__sim/phone/read', { channel: 'telegram', customer: chat })).body.receipts, 0);
    assert.equal(hooks.length, n, 'Telegram has no read receipts');
  });

  test('photos: into the provider media store, announced as each provider does, shown on the phone', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    const bytes = Buffer.from(png, 'base64');
    const sha256 = (await import('node:crypto')).createHash('sha256').update(bytes).digest('hex');

    // WhatsApp: an image message with the media id, its sha256 and the caption; Bottega fetches
    // the URL from the Graph media object with the channel's token, then the bytes.
    const customer = '393331110020';
    const r = await api('POST', '/__sim/phone/send', { channel: 'whatsapp', customer, text: 'is this scratch normal?', image: { content_base64: png, mime_type: 'image/png' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.message.kind, 'image');
    assert.equal(r.body.message.text, 'is this scratch normal?');
    const wm = JSON.parse(hooks[0].body).entry[0].changes[0].value.messages[0];
    assert.equal(hooks[0].headers['x-hub-signature-256'], hmac(WA.app_secret, hooks[0].body));
    assert.equal(wm.type, 'image');
    assert.equal(wm.image.mime_type, 'image/png');
    assert.equal(wm.image.sha256, sha256);
    assert.equal(wm.image.caption, 'is this scratch normal?');
    const obj = await call('GET', `${s.url}/whatsapp/v21.0/${wm.image.id}`, undefined, { Authorization: `Bearer ${WA.access_token}` });
    assert.equal(obj.status, 200, JSON.stringify(obj.body));
    const file = await fetch(obj.body.url, { headers: { Authorization: `Bearer ${WA.access_token}` } });
    assert.deepEqual(Buffer.from(await file.arrayBuffer()), bytes);
    // The phone shows it from its own origin.
    assert.equal(r.body.message.image, `/phone/media/whatsapp/${wm.image.id}`);
    const shown = await fetch(s.url + r.body.message.image);
    assert.equal(shown.status, 200);
    assert.equal(shown.headers.get('content-type'), 'image/png');
    assert.equal(shown.headers.get('x-content-type-options'), 'nosniff');
    assert.deepEqual(Buffer.from(await shown.arrayBuffer()), bytes);

    // Telegram: a photo with its file_id, readable through getFile; Messenger: an image attachment URL.
    const t = await api('POST', '/__sim/phone/send', { channel: 'telegram', customer: '5550001111', image: { content_base64: png, mime_type: 'image/png' } });
    assert.equal(t.status, 200, JSON.stringify(t.body));
    const upd = JSON.parse(hooks[1].body).message;
    assert.equal(upd.text, undefined);
    const gf = await call('GET', `${s.url}/telegram/bot${TG.bot_token}/getFile?file_id=${encodeURIComponent(upd.photo[0].file_id)}`);
    assert.equal(gf.status, 200, JSON.stringify(gf.body));
    const tf = await fetch(`${s.url}/telegram/file/bot${TG.bot_token}/${gf.body.result.file_path}`);
    assert.deepEqual(Buffer.from(await tf.arrayBuffer()), bytes);
    const f = await api('POST', '/__sim/phone/send', { channel: 'messenger', customer: '2410000000000020', image: { content_base64: png, mime_type: 'image/png' } });
    assert.equal(f.status, 200, JSON.stringify(f.body));
    const att = JSON.parse(hooks[2].body).entry[0].messaging[0].message.attachments[0];
    assert.equal(att.type, 'image');
    assert.deepEqual(Buffer.from(await (await fetch(att.payload.url)).arrayBuffer()), bytes);

    // Refused: other types, not base64, too large, a caption on Messenger, a photo with a tap.
    const n = hooks.length;
    for (const [body, msg] of [
      [{ channel: 'whatsapp', customer, image: { content_base64: png, mime_type: 'image/svg+xml' } }, /mime_type/],
      [{ channel: 'whatsapp', customer, image: { content_base64: 'not base64!', mime_type: 'image/png' } }, /base64/],
      [{ channel: 'whatsapp', customer, image: { content_base64: 'A'.repeat(7_100_000), mime_type: 'image/png' } }, /5 MB/],
      [{ channel: 'messenger', customer: '2410000000000020', text: 'hi', image: { content_base64: png, mime_type: 'image/png' } }, /without a caption/],
      [{ channel: 'whatsapp', customer, reply: { id: 'yes', title: 'Yes' }, image: { content_base64: png, mime_type: 'image/png' } }, /tap/],
    ]) {
      const bad = await api('POST', '/__sim/phone/send', body);
      assert.equal(bad.status, 400, JSON.stringify(bad.body).slice(0, 200));
      assert.match(bad.body.error, msg);
    }
    assert.equal(hooks.length, n, 'nothing was sent');
    assert.equal((await fetch(`${s.url}/phone/media/whatsapp/nope`)).status, 404);
  });

  test('Twilio SMS: a signed form webhook from the customer number; the business SMS and MMS show', async () => {
    const from = '+15557770001';
    const r = await api('POST', '/__sim/phone/send', { channel: 'twilio', customer: from, name: 'Sam', text: 'hi there' });
    assert.equal(r.body.delivery.status, 200, JSON.stringify(r.body));
    const params = Object.fromEntries(new URLSearchParams(hooks[0].body));
    assert.equal(params.From, from);
    assert.equal(params.To, TW.from);
    assert.equal(params.Body, 'hi there');
    assert.equal(params.AccountSid, TW.account_sid);
    const url = hookUrl('ch_tw');
    const signed = url + Object.keys(params).sort().map((k) => k + params[k]).join('');
    assert.equal(hooks[0].headers['x-twilio-signature'], createHmac('sha1', TW.auth_token).update(signed).digest('base64'));
    const bad = await api('POST', '/__sim/phone/send', { channel: 'twilio', customer: '15557770001', text: 'x' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /E\.164/);

    const auth = { Authorization: `Basic ${Buffer.from(`${TW.account_sid}:${TW.auth_token}`).toString('base64')}` };
    const form = (o) => new URLSearchParams(o).toString();
    const path = `/twilio/2010-04-01/Accounts/${TW.account_sid}/Messages.json`;
    for (const body of [form({ To: from, From: TW.from, Body: 'Reply 1 for yes' }), form({ To: from, From: TW.from, Body: 'Your box', MediaUrl: 'https://shop.example/box.jpg' })]) {
      const out = await fetch(s.url + path, { method: 'POST', body, headers: { ...auth, 'Content-Type': 'application/x-www-form-urlencoded' } });
      assert.equal(out.status, 201, await out.text());
    }
    const got = (await messages('twilio', from)).messages.filter((x) => x.from === 'business');
    assert.deepEqual(got.map((m) => [m.text, m.image]), [['Reply 1 for yes', undefined], ['Your box', 'https://shop.example/box.jpg']]);
    assert.match(got[0].ref, /^SM/);
  });

  test('Viber: a signed message callback; the keyboard shows as buttons; a tap is its ActionBody with the tracking_data', async () => {
    const user = 'VbUser0000000000001==';
    const r = await api('POST', '/__sim/phone/send', { channel: 'viber', customer: user, name: 'Vera', text: 'hello' });
    assert.equal(r.body.delivery.status, 200);
    assert.equal(hooks[0].headers['x-viber-content-signature'], createHmac('sha256', VB.auth_token).update(hooks[0].body).digest('hex'));
    const ev = JSON.parse(hooks[0].body);
    assert.equal(ev.event, 'message');
    assert.equal(ev.sender.id, user);
    assert.equal(ev.sender.name, 'Vera');
    assert.equal(ev.message.text, 'hello');
    const tracking = JSON.stringify({ choices: [['size_m', 'M'], ['size_l', 'L']] });
    const out = await business('/viber/pa/send_message', {
      receiver: user, min_api_version: 1, sender: { name: 'Shop' }, type: 'text', text: 'Which size?', tracking_data: tracking,
      keyboard: { Type: 'keyboard', Buttons: [{ ActionType: 'reply', ActionBody: 'M', Text: 'M' }, { ActionType: 'reply', ActionBody: 'L', Text: 'L' }, { ActionType: 'open-url', ActionBody: 'https://shop.example/sizes', Text: 'Size guide' }] },
    }, { 'X-Viber-Auth-Token': VB.auth_token });
    assert.equal(out.status, 200);
    const m = (await messages('viber', user)).messages.find((x) => x.from === 'business');
    assert.equal(m.text, 'Which size?');
    assert.deepEqual(m.buttons, [{ id: 'M', title: 'M', kind: 'reply' }, { id: 'L', title: 'L', kind: 'reply' }]);
    assert.deepEqual(m.links, [{ title: 'Size guide', url: 'https://shop.example/sizes' }]);
    const tap = await api('POST', '/__sim/phone/send', { channel: 'viber', customer: user, reply: { id: 'L', title: 'L', kind: 'reply', message: m.seq } });
    assert.equal(tap.body.delivery.status, 200);
    const t = JSON.parse(hooks[1].body).message;
    assert.equal(t.text, 'L');
    assert.equal(t.tracking_data, tracking, 'the tapped message\'s tracking_data comes back');
  });

  test('Viber: a photo is a picture message whose media is a signed, expiring dl-media URL the simulator serves', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    const bytes = Buffer.from(png, 'base64');
    const user = 'VbUser0000000000002==';
    const r = await api('POST', '/__sim/phone/send', { channel: 'viber', customer: user, name: 'Vera', text: 'this colour?', image: { content_base64: png, mime_type: 'image/png' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.delivery.status, 200);
    assert.equal(r.body.message.kind, 'image');
    assert.equal(hooks[0].headers['x-viber-content-signature'], createHmac('sha256', VB.auth_token).update(hooks[0].body).digest('hex'));
    const ev = JSON.parse(hooks[0].body);
    assert.equal(ev.event, 'message');
    assert.match(hooks[0].body, /"message_token":\d{19},/, 'a 64-bit number, as Viber writes it');
    assert.equal(ev.sender.id, user);
    assert.equal(ev.message.type, 'picture');
    assert.equal(ev.message.text, 'this colour?');
    assert.equal(ev.message.size, bytes.length);
    assert.match(ev.message.file_name, /^photo_[0-9a-f]{8}\.png$/);
    // The path and query of Viber's media host, on the simulator's /viber prefix (the channel's
    // api_base_url origin).
    const u = new URL(ev.message.media);
    assert.equal(u.origin, s.url);
    assert.match(u.pathname, /^\/viber\/dl-media\/3\/media\/2\/short\/any\/sig\/image\/0x0\/[0-9a-f]{4}\/[0-9a-f]{64}\.png$/);
    assert.deepEqual([...u.searchParams.keys()], ['Expires', 'Signature', 'Key-Pair-Id']);
    const expires = Number(u.searchParams.get('Expires'));
    assert.ok(expires > Date.now() / 1000 + 3000 && expires <= Date.now() / 1000 + 3600, String(expires));
    const file = await fetch(u); // no credentials: Viber's media URLs carry their own signature
    assert.equal(file.status, 200);
    assert.equal(file.headers.get('content-type'), 'image/png');
    assert.deepEqual(Buffer.from(await file.arrayBuffer()), bytes);
    // A changed signature, path or expiry is refused as the media host does (403).
    const sig = u.searchParams.get('Signature');
    for (const [what, change] of [
      ['signature', (x) => x.searchParams.set('Signature', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1))],
      ['expiry', (x) => x.searchParams.set('Expires', String(expires + 60))],
      ['no signature', (x) => x.searchParams.delete('Signature')],
      ['path', (x) => { x.pathname = x.pathname.replace(/\/image\//, '/video/'); }],
    ]) {
      const x = new URL(u);
      change(x);
      const bad = await fetch(x);
      assert.equal(bad.status, 403, what);
      assert.match(await bad.text(), /<Error><Code>(AccessDenied|MissingKey)<\/Code>/, what);
    }
    // An expired URL (POST /__sim/media with expires_in < 0) is refused too.
    const old = await api('POST', '/__sim/media', { provider: 'viber', content_base64: png, mime_type: 'image/png', expires_in: -1 });
    assert.equal(old.status, 200, JSON.stringify(old.body));
    assert.equal((await fetch(old.body.url)).status, 403);
    // The phone shows the photo from its own origin.
    assert.match(r.body.message.image, /^\/phone\/media\/viber\/[0-9a-f]{64}$/);
    assert.deepEqual(Buffer.from(await (await fetch(s.url + r.body.message.image)).arrayBuffer()), bytes);
    // Without text: an empty description.
    const bare = await api('POST', '/__sim/phone/send', { channel: 'viber', customer: user, image: { content_base64: png, mime_type: 'image/png' } });
    assert.equal(bare.status, 200, JSON.stringify(bare.body));
    assert.equal(JSON.parse(hooks[1].body).message.text, '');
  });

  test('WeChat: a signed XML callback from the OpenID; msgmenu options, links, news and template messages show; a tap has bizmsgmenuid; a photo has a MediaId', async () => {
    const openid = 'oPhoneUser000000000000001';
    const r = await api('POST', '/__sim/phone/send', { channel: 'wechat', customer: openid, text: '你好' });
    assert.equal(r.body.delivery.status, 200);
    const q = new URL(hooks[0].url, 'http://x').searchParams;
    const sig = createHash('sha1').update([WX.token, q.get('timestamp'), q.get('nonce')].sort().join('')).digest('hex');
    assert.equal(q.get('signature'), sig);
    assert.equal(q.get('openid'), openid);
    assert.match(hooks[0].body, new RegExp(`<FromUserName><!\\[CDATA\\[${openid}\\]\\]></FromUserName>`));
    assert.match(hooks[0].body, /<Content><!\[CDATA\[你好\]\]><\/Content>/);
    const bad = await api('POST', '/__sim/phone/send', { channel: 'wechat', customer: 'o!', text: 'x' });
    assert.equal(bad.status, 400);

    const token = (await call('GET', `${s.url}/wechat/cgi-bin/token?grant_type=client_credential&appid=${WX.app_id}&secret=${WX.app_secret}`)).body.access_token;
    const send = (body) => business(`/wechat/cgi-bin/message/custom/send?access_token=${encodeURIComponent(token)}`, { touser: openid, ...body });
    assert.equal((await send({ msgtype: 'msgmenu', msgmenu: { head_content: 'Which size?', list: [{ id: 'size_m', content: 'M' }, { id: 'size_l', content: 'L' }], tail_content: '' } })).body.errcode, 0);
    assert.equal((await send({ msgtype: 'text', text: { content: 'Pay here:\n\n<a href="https://pay.example/l/1">Pay now</a>' } })).body.errcode, 0);
    assert.equal((await send({ msgtype: 'news', news: { articles: [{ title: 'Sneaker', description: '€129', url: 'https://shop.example/s', picurl: 'https://shop.example/s.jpg' }] } })).body.errcode, 0);
    const tpl = await business(`/wechat/cgi-bin/message/template/send?access_token=${encodeURIComponent(token)}`, { touser: openid, template_id: 'Tpl1', data: { first: { value: 'Shipped' }, keyword1: { value: 'B-1' } } });
    assert.equal(tpl.body.errcode, 0);
    const got = (await messages('wechat', openid)).messages.filter((x) => x.from === 'business');
    assert.equal(got.length, 4, JSON.stringify(got));
    assert.equal(got[0].text, 'Which size?');
    assert.deepEqual(got[0].buttons, [{ id: 'size_m', title: 'M', kind: 'msgmenu' }, { id: 'size_l', title: 'L', kind: 'msgmenu' }]);
    assert.equal(got[1].text, 'Pay here:');
    assert.deepEqual(got[1].links, [{ title: 'Pay now', url: 'https://pay.example/l/1' }]);
    assert.equal(got[2].header, 'Sneaker');
    assert.equal(got[2].image, 'https://shop.example/s.jpg');
    assert.equal(got[3].kind, 'template');
    assert.match(got[3].text, /first: Shipped\nkeyword1: B-1/);
    assert.equal(got[3].ref, tpl.body.msgid);

    const tap = await api('POST', '/__sim/phone/send', { channel: 'wechat', customer: openid, reply: { id: 'size_l', title: 'L', kind: 'msgmenu', message: got[0].seq } });
    assert.equal(tap.body.delivery.status, 200);
    assert.match(hooks[1].body, /<Content><!\[CDATA\[L\]\]><\/Content>/);
    assert.match(hooks[1].body, /<bizmsgmenuid><!\[CDATA\[size_l\]\]><\/bizmsgmenuid>/);

    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    const withCaption = await api('POST', '/__sim/phone/send', { channel: 'wechat', customer: openid, text: 'look', image: { content_base64: png, mime_type: 'image/png' } });
    assert.equal(withCaption.status, 400, 'WeChat photos have no caption');
    const photo = await api('POST', '/__sim/phone/send', { channel: 'wechat', customer: openid, image: { content_base64: png, mime_type: 'image/png' } });
    assert.equal(photo.body.delivery.status, 200);
    const mediaId = hooks[2].body.match(/<MediaId><!\[CDATA\[([^\]]+)\]\]><\/MediaId>/)?.[1];
    assert.ok(mediaId, hooks[2].body);
    assert.match(hooks[2].body, /<MsgType><!\[CDATA\[image\]\]><\/MsgType>/);
    const file = await fetch(`${s.url}/wechat/cgi-bin/media/get?access_token=${encodeURIComponent(token)}&media_id=${mediaId}`);
    assert.equal(file.status, 200);
    assert.equal(file.headers.get('content-type'), 'image/png');
    assert.deepEqual(Buffer.from(await file.arrayBuffer()), Buffer.from(png, 'base64'));
  });

  test('a long poll with nothing new answers empty after its wait', async () => {
    const t0 = Date.now();
    const r = await messages('whatsapp', '393331110009', 0, 300);
    assert.deepEqual(r.messages, []);
    assert.ok(Date.now() - t0 >= 250, 'it waited');
  });
});
