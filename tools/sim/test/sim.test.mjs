// Self-tests of the simulator (no bottega needed): the signatures it computes match the official
// vectors (/work/shared/reference/signature-vectors.md), its send APIs answer in the providers'
// shapes, and /__sim/deliver sends exactly what a provider would.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';

import { formEncode, hubSignature, metaJson, startSim, twilioSignature } from '../sim.mjs';
import * as P from '../payloads.mjs';

describe('signatures (official vectors)', () => {
  test('X-Hub-Signature-256: the published vector', () => {
    assert.equal(
      hubSignature("It's a Secret to Everybody", 'Hello, World!'),
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    );
  });

  test('X-Twilio-Signature: twilio-node validation.spec vector', () => {
    const params = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', Digits: '1234', From: '+14158675309', To: '+18005551212' };
    assert.equal(twilioSignature('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', params), 'RSOYDt4T1cUTdK1PDd93/VVr8B8=');
    assert.equal(twilioSignature('12345', 'https://mycompany.com:443/myapp.php?foo=1&bar=2', params), 'kvajT1Ptam85bY51eRf/AJRuM3w=');
  });

  test('Meta bodies escape non-ASCII as lowercase \\u escapes', () => {
    assert.equal(metaJson({ t: 'äöå 👋' }), '{"t":"\\u00e4\\u00f6\\u00e5 \\ud83d\\udc4b"}');
    assert.deepEqual(JSON.parse(metaJson({ t: 'äöå 👋' })), { t: 'äöå 👋' });
  });
});

describe('simulator', () => {
  let s;
  let captured = [];
  let sink;
  let sinkUrl;

  before(async () => {
    s = await startSim({ port: 0 });
    sink = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        captured.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      });
    });
    await new Promise((r) => sink.listen(0, '127.0.0.1', r));
    sinkUrl = `http://127.0.0.1:${sink.address().port}/webhooks/ch_test`;
  });

  after(async () => {
    await s.close();
    await new Promise((r) => sink.close(r));
  });

  const call = async (method, path, { body, headers = {} } = {}) => {
    const r = await fetch(s.url + path, { method, headers, body });
    const text = await r.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: r.status, json, text, headers: r.headers };
  };
  const jsonCall = (method, path, obj, headers = {}) =>
    call(method, path, { body: JSON.stringify(obj), headers: { 'content-type': 'application/json', ...headers } });

  test('WhatsApp send: Graph success shape, 401 code 190 for a wrong token, injected failures', async () => {
    await call('POST', '/__sim/reset');
    const body = { messaging_product: 'whatsapp', recipient_type: 'individual', to: '+16505551234', type: 'text', text: { preview_url: false, body: 'hi' } };
    let r = await jsonCall('POST', '/whatsapp/v21.0/123/messages', body, { authorization: 'Bearer any' });
    assert.equal(r.status, 200);
    assert.equal(r.json.messaging_product, 'whatsapp');
    assert.deepEqual(r.json.contacts, [{ input: '+16505551234', wa_id: '16505551234' }]);
    assert.match(r.json.messages[0].id, /^wamid\.[A-Za-z0-9]+$/);

    await jsonCall('POST', '/__sim/accounts', { provider: 'whatsapp', phone_number_id: '123', access_token: 'good' });
    r = await jsonCall('POST', '/whatsapp/v21.0/123/messages', body, { authorization: 'Bearer bad' });
    assert.equal(r.status, 401);
    assert.equal(r.json.error.code, 190);
    assert.equal(r.json.error.type, 'OAuthException');
    assert.ok(r.json.error.fbtrace_id);
    r = await jsonCall('POST', '/whatsapp/v21.0/123/messages', body, { authorization: 'Bearer good' });
    assert.equal(r.status, 200);

    await jsonCall('POST', '/__sim/fail', { provider: 'whatsapp', status: 429, times: 2 });
    for (let i = 0; i < 2; i++) {
      r = await jsonCall('POST', '/whatsapp/v21.0/123/messages', body, { authorization: 'Bearer good' });
      assert.equal(r.status, 429);
      assert.equal(r.json.error.code, 130429);
    }
    r = await jsonCall('POST', '/whatsapp/v21.0/123/messages', body, { authorization: 'Bearer good' });
    assert.equal(r.status, 200);

    r = await jsonCall('POST', '/whatsapp/v21.0/123/messages', { messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.X' }, { authorization: 'Bearer good' });
    assert.deepEqual(r.json, { success: true });

    const rec = await call('GET', '/__sim/requests?provider=whatsapp');
    assert.equal(rec.json.requests.length, 7);
    assert.deepEqual(rec.json.requests[0].json, body);
    assert.deepEqual(rec.json.requests[0].auth, { scheme: 'bearer', token: 'any' });
    assert.equal(rec.json.requests[3].injected_failure, true);
  });

  test('identity endpoints (connection tests): WhatsApp phone number, Messenger /me, Twilio account; wrong credentials refused', async () => {
    await call('POST', '/__sim/reset');
    await jsonCall('POST', '/__sim/accounts', { provider: 'whatsapp', phone_number_id: '123', access_token: 'good' });
    let r = await call('GET', '/whatsapp/v21.0/123?fields=display_phone_number,verified_name', { headers: { authorization: 'Bearer good' } });
    assert.equal(r.status, 200);
    assert.deepEqual([r.json.id, r.json.verified_name, r.json.display_phone_number], ['123', 'Bottega Sim Shop', '+1 555-010-0100']);
    r = await call('GET', '/whatsapp/v21.0/123?fields=display_phone_number', { headers: { authorization: 'Bearer bad' } });
    assert.equal(r.status, 401);
    assert.equal(r.json.error.code, 190);
    // Without ?fields the same path is still a media lookup.
    r = await call('GET', '/whatsapp/v21.0/123', { headers: { authorization: 'Bearer good' } });
    assert.equal(r.status, 400);
    r = await call('GET', '/messenger/v21.0/me?fields=id,name&access_token=any');
    assert.equal(r.status, 200);
    assert.equal(r.json.name, 'Bottega Sim Page');
    r = await call('GET', '/messenger/v21.0/me?fields=id,name');
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, 2500);
    await jsonCall('POST', '/__sim/accounts', { provider: 'twilio', account_sid: 'AC1', auth_token: 'tok' });
    const basic = (u, p) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    r = await call('GET', '/twilio/2010-04-01/Accounts/AC1.json', { headers: basic('AC1', 'tok') });
    assert.equal(r.status, 200);
    assert.deepEqual([r.json.sid, r.json.status], ['AC1', 'active']);
    r = await call('GET', '/twilio/2010-04-01/Accounts/AC1.json', { headers: basic('AC1', 'nope') });
    assert.equal(r.status, 401);
  });

  test('Messenger / Instagram send: recipient_id and message_id', async () => {
    const body = { recipient: { id: '24080000001' }, messaging_type: 'RESPONSE', message: { text: 'hi' } };
    let r = await jsonCall('POST', '/messenger/v21.0/me/messages?access_token=tok', body);
    assert.equal(r.status, 200);
    assert.equal(r.json.recipient_id, '24080000001');
    assert.match(r.json.message_id, /^m_/);
    r = await jsonCall('POST', '/instagram/v21.0/17841400000000001/messages', { recipient: { id: '1784' }, message: { text: 'hi' } }, { authorization: 'Bearer t' });
    assert.equal(r.status, 200);
    r = await jsonCall('POST', '/messenger/v21.0/me/messages', body);
    assert.equal(r.status, 400, 'no token');
    await jsonCall('POST', '/__sim/accounts', { provider: 'messenger', page_id: '105', page_access_token: 'right' });
    r = await jsonCall('POST', '/messenger/v21.0/me/messages?access_token=wrong', body);
    assert.equal(r.status, 401);
    assert.equal(r.json.error.code, 190);
  });

  test('Telegram sendMessage: ok/result, 401 for a wrong token, 429 with retry_after', async () => {
    let r = await jsonCall('POST', '/telegram/bot123456:ABC-def/sendMessage', { chat_id: 42, text: 'hi' });
    assert.equal(r.status, 200);
    assert.equal(r.json.ok, true);
    assert.equal(r.json.result.chat.id, 42);
    assert.equal(r.json.result.text, 'hi');
    assert.equal(typeof r.json.result.message_id, 'number');
    assert.equal(typeof r.json.result.date, 'number');
    const first = r.json.result.message_id;
    r = await call('POST', '/telegram/bot123456:ABC-def/sendMessage', { body: 'chat_id=42&text=again', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(r.json.result.message_id, first + 1);

    await jsonCall('POST', '/__sim/fail', { provider: 'telegram', status: 429, retry_after: 7 });
    r = await jsonCall('POST', '/telegram/bot123456:ABC-def/sendMessage', { chat_id: 42, text: 'hi' });
    assert.equal(r.status, 429);
    assert.deepEqual(r.json, { ok: false, error_code: 429, description: 'Too Many Requests: retry after 7', parameters: { retry_after: 7 } });

    await jsonCall('POST', '/__sim/accounts', { provider: 'telegram', bot_token: '123456:ABC-def' });
    r = await jsonCall('POST', '/telegram/bot999:XYZ/sendMessage', { chat_id: 42, text: 'hi' });
    assert.equal(r.status, 401);
    assert.deepEqual(r.json, { ok: false, error_code: 401, description: 'Unauthorized' });
  });

  test('Twilio Messages.json: 201 with an SM sid, 401 for wrong credentials, 400 without To', async () => {
    const auth = { authorization: `Basic ${Buffer.from('AC1:tok').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' };
    let r = await call('POST', '/twilio/2010-04-01/Accounts/AC1/Messages.json', { body: formEncode({ To: '+15558675310', From: '+15557122661', Body: 'hi' }), headers: auth });
    assert.equal(r.status, 201);
    assert.match(r.json.sid, /^SM[0-9a-f]{32}$/);
    assert.equal(r.json.status, 'queued');
    assert.equal(r.json.to, '+15558675310');
    assert.equal(r.json.num_segments, '1');
    r = await call('POST', '/twilio/2010-04-01/Accounts/AC2/Messages.json', { body: formEncode({ To: '+15558675310', From: '+1', Body: 'x' }), headers: auth });
    assert.equal(r.status, 401, 'the path account must be the Basic user');
    assert.equal(r.json.code, 20003);
    r = await call('POST', '/twilio/2010-04-01/Accounts/AC1/Messages.json', { body: formEncode({ From: '+15557122661', Body: 'hi' }), headers: auth });
    assert.equal(r.status, 400);
    assert.equal(r.json.code, 21604);
  });

  test('deliver (Meta): raw body escaped as Meta does it, signed with X-Hub-Signature-256', async () => {
    captured = [];
    const payload = P.whatsappText('16505551234', 'Grüße 👋', 'wamid.ABC');
    const r = await jsonCall('POST', '/__sim/deliver', { provider: 'whatsapp', url: sinkUrl, app_secret: 's3cret', payload });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.status, 200);
    assert.deepEqual(r.json.json, { ok: true });
    const [got] = captured;
    assert.equal(got.url, '/webhooks/ch_test');
    assert.equal(got.headers['content-type'], 'application/json');
    assert.ok(got.body.includes('Gr\\u00fc\\u00dfe \\ud83d\\udc4b'), got.body);
    assert.deepEqual(JSON.parse(got.body), payload);
    assert.equal(got.headers['x-hub-signature-256'], `sha256=${createHmac('sha256', 's3cret').update(got.body).digest('hex')}`);

    await jsonCall('POST', '/__sim/deliver', { provider: 'whatsapp', url: sinkUrl, app_secret: 's3cret', payload, tamper: true });
    assert.notEqual(captured[1].headers['x-hub-signature-256'], got.headers['x-hub-signature-256']);
    assert.equal(captured[1].body, got.body);
  });

  test('deliver (Telegram, Twilio): secret token header; form body with X-Twilio-Signature', async () => {
    captured = [];
    await jsonCall('POST', '/__sim/deliver', { provider: 'telegram', url: sinkUrl, secret_token: 'tg_secret', payload: P.telegramMessage(42, 'hi') });
    assert.equal(captured[0].headers['x-telegram-bot-api-secret-token'], 'tg_secret');
    const params = P.twilioInbound({ from: '+15558675310', body: 'Hello & welcome = yes' });
    await jsonCall('POST', '/__sim/deliver', { provider: 'twilio', url: sinkUrl, auth_token: 'tw_token', payload: params });
    const got = captured[1];
    assert.equal(got.headers['content-type'], 'application/x-www-form-urlencoded');
    const form = Object.fromEntries(new URLSearchParams(got.body));
    assert.deepEqual(form, params);
    const data = sinkUrl + Object.keys(form).sort().map((k) => k + form[k]).join('');
    assert.equal(got.headers['x-twilio-signature'], createHmac('sha1', 'tw_token').update(data).digest('base64'));
  });

  test('deliver builds the payload with a payloads.mjs builder when given "build"', async () => {
    captured = [];
    const r = await jsonCall('POST', '/__sim/deliver', { provider: 'whatsapp', url: sinkUrl, app_secret: 'k', build: ['whatsappText', '16505551234', 'Hi there', 'wamid.DEMO', { name: 'Demo User' }] });
    assert.equal(r.status, 200, r.text);
    const body = JSON.parse(captured[0].body);
    assert.equal(body.entry[0].changes[0].value.messages[0].text.body, 'Hi there');
    assert.equal(body.entry[0].changes[0].value.messages[0].id, 'wamid.DEMO');
    assert.equal(body.entry[0].changes[0].value.contacts[0].profile.name, 'Demo User');
    const bad = await jsonCall('POST', '/__sim/deliver', { provider: 'whatsapp', url: sinkUrl, app_secret: 'k', build: ['startSim'] });
    assert.equal(bad.status, 400);
  });

  test('deliver refuses non-loopback URLs; reset forgets everything', async () => {
    const r = await jsonCall('POST', '/__sim/deliver', { provider: 'telegram', url: 'http://example.com/hook', secret_token: 'x', payload: {} });
    assert.equal(r.status, 400);
    await call('POST', '/__sim/reset');
    const rec = await call('GET', '/__sim/requests');
    assert.deepEqual(rec.json.requests, []);
    const ok = await jsonCall('POST', '/whatsapp/v21.0/123/messages', { messaging_product: 'whatsapp', to: '1650555', type: 'text', text: { body: 'x' } }, { authorization: 'Bearer anything' });
    assert.equal(ok.status, 200, 'accounts are forgotten by reset');
  });
});
