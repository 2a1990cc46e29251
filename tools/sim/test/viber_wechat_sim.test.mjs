// Self-tests of the Viber and WeChat parts of the simulator (no bottega needed): the signatures
// match the same vectors as Bottega's unit tests, 64-bit message tokens survive, the APIs answer
// in the providers' shapes, and WeChat's tokens and quotas behave as documented.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';

import { startSim } from '../sim.mjs';
import { viberJson, viberMessage, viberSignature } from '../viber.mjs';
import { wechatSignature, wechatText, wechatXml } from '../wechat.mjs';

describe('viber and wechat signatures', () => {
  test('X-Viber-Content-Signature is hex HMAC-SHA256 of the body (src/channels/viber/viber_test.cpp vector)', () => {
    const body = '{"event":"delivered","timestamp":1457764197627,"message_token":491266184665523145,"user_id":"01234567890A="}';
    assert.equal(viberSignature('445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9', body),
      'adffb0c187cdc79245fae3b532617183c68d34c951c2577b11eb360d27dfc891');
  });

  test("X-Viber-Content-Signature: the vector of Viber's own bot libraries (viber-bot-node, -python, -java)", () => {
    const body = '{"event":"webhook","timestamp":4977069964384421269,"message_token":1478683725125}';
    assert.equal(viberSignature('44dafb7e0f40021e-61a47a1e6778d187-f2c5a676a07050b3', body),
      'd21b343448c8aee33b8e93768ef6ceb64a6ba6163099973a2b8bd028fea510ef');
  });

  test('WeChat signature: SHA-1 of token, timestamp, nonce sorted (src/channels/wechat/wechat_test.cpp vector)', () => {
    assert.equal(wechatSignature('bottegatoken', '1714037059', '486452656'), '4d56eeff6abd0c32c22fc0b9cd6f70b9697f195c');
    assert.equal(wechatSignature('test', '1410685589', 'test'), 'f21891de399b4e33a1a93c9a7b8a8fffb5a443ff', "wechatpy's check_signature vector");
  });

  test('64-bit message tokens are written exactly; WeChat XML uses CDATA for text', () => {
    const m = viberMessage('u1', 'hi', { token: '5741311803571721087' });
    assert.match(viberJson(m), /"message_token":5741311803571721087,/);
    const x = wechatXml(wechatText('oU', 'a]]>b', { msgId: 42, createTime: 1700000000 }));
    assert.match(x, /<Content><!\[CDATA\[a\]\]\]\]><!\[CDATA\[>b\]\]><\/Content>/);
    assert.match(x, /<MsgId>42<\/MsgId>/);
  });
});

describe('viber and wechat APIs', () => {
  let s;
  let sink;
  let sinkUrl;
  const got = [];

  before(async () => {
    s = await startSim({ port: 0 });
    sink = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        got.push({ url: req.url, method: req.method, headers: req.headers, body });
        res.end(new URL(req.url, 'http://x').searchParams.get('echostr') ?? 'success');
      });
    });
    await new Promise((r) => sink.listen(0, '127.0.0.1', r));
    sinkUrl = `http://127.0.0.1:${sink.address().port}/hook`;
  });
  after(async () => {
    await s.close();
    sink.close();
  });

  const post = (path, body, headers = {}) =>
    fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  test('send_message: status 0 with an exact 19-digit token; a bad sender name is badData; no token is invalidAuthToken', async () => {
    let r = await post('/viber/pa/send_message', { receiver: 'u1', type: 'text', text: 'hi', sender: { name: 'Shop' } }, { 'x-viber-auth-token': 't' });
    const text = await r.text();
    assert.equal(r.status, 200);
    assert.match(text, /^\{"status":0,"status_message":"ok","chat_hostname":"SN-CHAT-05_","billing_status":1,"message_token":\d{19}\}$/);
    r = await post('/viber/pa/send_message', { receiver: 'u1', type: 'text', text: 'hi', sender: { name: 'x'.repeat(29) } }, { 'x-viber-auth-token': 't' });
    assert.equal((await r.json()).status, 3);
    r = await post('/viber/pa/send_message', { receiver: 'u1', type: 'text', text: 'hi', sender: { name: 'S' } });
    assert.equal((await r.json()).status, 2);
  });

  test('deliver signs Viber callbacks over the exact bytes', async () => {
    const r = await post('/__sim/deliver', { provider: 'viber', url: sinkUrl, auth_token: 'tok', build: ['viberMessage', 'u1', 'hello', { token: '5000000000000000001' }] });
    assert.equal(r.status, 200);
    const last = got.at(-1);
    assert.equal(last.headers['x-viber-content-signature'], viberSignature('tok', last.body));
    assert.match(last.body, /"message_token":5000000000000000001/);
  });

  test('WeChat: token, custom/send inside the quota, 45015 without a customer message, 40001 after expiry', async () => {
    const tok = await (await fetch(`${s.url}/wechat/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=s`)).json();
    assert.equal(tok.expires_in, 7200);
    const send = (to) => post(`/wechat/cgi-bin/message/custom/send?access_token=${encodeURIComponent(tok.access_token)}`, { touser: to, msgtype: 'text', text: { content: 'hi' } });
    assert.equal((await (await send('oNobody1')).json()).errcode, 45015);
    const d = await post('/__sim/deliver', { provider: 'wechat', url: sinkUrl, token: 'bottegatoken', payload: wechatText('oCustomer1', 'hello') });
    assert.equal(d.status, 200);
    const q = new URL(got.at(-1).url, 'http://x').searchParams;
    assert.equal(q.get('signature'), wechatSignature('bottegatoken', q.get('timestamp'), q.get('nonce')));
    assert.equal(q.get('openid'), 'oCustomer1');
    for (let i = 0; i < 5; i++) assert.equal((await (await send('oCustomer1')).json()).errcode, 0);
    assert.equal((await (await send('oCustomer1')).json()).errcode, 45047, 'five messages per customer message');
    await post('/__sim/wechat/expire', {});
    assert.equal((await (await send('oCustomer1')).json()).errcode, 42001);
    const g = await post('/__sim/deliver', { provider: 'wechat', url: sinkUrl, token: 'bottegatoken', method: 'GET', echostr: '12345' });
    assert.equal((await g.json()).body, '12345');
  });
});
