// End-to-end tests of the WeChat Official Account channel: the real bottega binary against the
// WeChat part of the simulator (tools/sim/wechat.mjs). The common flow (signed XML callback
// stored, deduplicated by MsgId, bad / missing signature refused, a reply reaching
// message/custom/send), then the server-URL check, "success" at once, the access_token fetched
// once and refreshed when WeChat refuses it, events (deduplicated by FromUserName + CreateTime),
// msgmenu taps, the 48-hour window, the 5-message quota and unsafe XML.
//
//   node --test tools/sim/test/wechat.test.mjs

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomInt } from 'node:crypto';

import * as P from '../payloads.mjs';
import {
  api, attachmentSettles, commonFlow, conversationOf, conversations, createChannel, deliver, deliveryBecomes, env, eventually, fetchMedia, lastSeq, messages, rand,
  reply, simApi, simRequests, useServers,
} from './harness.mjs';

useServers();

const isSend = (r) => r.path === '/wechat/cgi-bin/message/custom/send';
const newMsgId = () => String(randomInt(1e7, 9e7)) + String(randomInt(1e6, 9e6)); // 15 digits: exact as a JavaScript number

describe('wechat', () => {
  const openid = `oUser${rand(10)}`;
  const spec = {
    type: 'wechat',
    secretKeys: ['app_secret', 'token'],
    settings: () => ({ app_id: `wx${rand(8)}`, app_secret: rand(16), token: `tok${rand(6)}`, api_base_url: `${env.simBase}/wechat` }),
    secret: (s) => ({ token: s.token }),
    newId: newMsgId,
    inbound: (text, id) => P.wechatText(openid, text, { msgId: Number(id) }),
    contactName: openid, // WeChat callbacks carry no name: the contact is named by its OpenID
    bodyNotSigned: true,
    isSend,
    checkSend(req, text, st) {
      assert.equal(req.path, '/wechat/cgi-bin/message/custom/send');
      assert.match(req.query.access_token, /^\d\d_/);
      assert.deepEqual(req.json, { touser: openid, msgtype: 'text', text: { content: text } });
      assert.deepEqual(req.response.body, { errcode: 0, errmsg: 'ok' });
    },
    providerId: () => '',
  };
  const st = commonFlow(spec);
  const callback = (payload, extra = {}) => deliver({ provider: 'wechat', url: st.channel.webhook_url, token: st.settings.token, payload, ...extra });

  test('the POST is answered "success" at once, and the token was fetched once with the channel\'s AppID and AppSecret', async () => {
    const d = await callback(P.wechatText(openid, `again ${rand(2)}`));
    assert.equal(d.status, 200, d.body);
    assert.equal(d.body, 'success');
    const tokenCalls = (await simRequests('wechat', 0)).filter((r) => r.path === '/wechat/cgi-bin/token');
    assert.equal(tokenCalls.length, 1, 'one token for the whole channel');
    assert.deepEqual(tokenCalls[0].query, { grant_type: 'client_credential', appid: st.settings.app_id, secret: st.settings.app_secret });
    // A second reply reuses the cached token.
    const m = await reply(st.conv.id, 'second reply');
    await deliveryBecomes(st.conv.id, m.id, 'sent');
    assert.equal((await simApi('GET', '/__sim/wechat/records')).json.tokens_issued, 1);
  });

  test('the server-URL verification GET echoes echostr only with a good signature', async () => {
    const ok = await deliver({ provider: 'wechat', url: st.channel.webhook_url, token: st.settings.token, method: 'GET', echostr: '5837397749168749281' });
    assert.equal(ok.status, 200, ok.body);
    assert.equal(ok.body, '5837397749168749281');
    const bad = await deliver({ provider: 'wechat', url: st.channel.webhook_url, token: st.settings.token, method: 'GET', echostr: '1', tamper: 'signature' });
    assert.equal(bad.status, 403, bad.body);
    const stale = await callback(P.wechatText(openid, 'old'), { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    assert.equal(stale.status, 401, stale.body);
    assert.equal(stale.json?.error?.code, 'stale_timestamp');
  });

  test('a token WeChat no longer accepts is dropped and a new one fetched; the message still goes out', async () => {
    assert.equal((await simApi('POST', '/__sim/wechat/expire')).status, 200);
    const m = await reply(st.conv.id, `after expiry ${rand(2)}`);
    await deliveryBecomes(st.conv.id, m.id, 'sent', 10000);
    assert.equal((await simApi('GET', '/__sim/wechat/records')).json.tokens_issued, 2);
    const sends = (await simRequests('wechat', 0)).filter((r) => isSend(r) && r.json?.text?.content === m.text);
    assert.deepEqual(sends.map((r) => r.response.body.errcode), [42001, 0]);
  });

  test('events are kept, deduplicated by FromUserName + CreateTime, and do not open the 48-hour window', async () => {
    const fan = `oFan${rand(8)}`;
    const ev = P.wechatEvent(fan, 'subscribe', 'qrscene_spring');
    for (let i = 0; i < 2; i++) {
      const d = await callback(ev);
      assert.equal(d.status, 200, d.body);
      assert.equal(d.body, 'success');
    }
    const conv = await eventually('the follower\'s conversation', async () => (await conversations(st.channel.id)).find((c) => c.contact?.name === fan));
    const list = await messages(conv.id);
    assert.equal(list.length, 1, JSON.stringify(list.map((m) => m.text)));
    assert.equal(list[0].text, 'WeChat event: subscribe (followed the account)');
    assert.equal(list[0].content.event_key, 'qrscene_spring');
    const r = await api('POST', `/api/v1/conversations/${conv.id}/messages`, { text: 'Welcome!' });
    assert.equal(r.status, 409, r.text);
    assert.equal(r.json.error.code, 'window_closed');
  });

  test('a customer message older than 48 hours closes the window: the reply is refused before it is queued', async () => {
    const late = `oLate${rand(8)}`;
    const d = await callback(P.wechatText(late, 'hello from the past', { createTime: Math.floor(Date.now() / 1000) - 49 * 3600 }));
    assert.equal(d.status, 200, d.body);
    const conv = await eventually('the late conversation', async () => (await conversations(st.channel.id)).find((c) => c.contact?.name === late));
    const since = await lastSeq();
    const r = await api('POST', `/api/v1/conversations/${conv.id}/messages`, { text: 'sorry for the wait' });
    assert.equal(r.status, 409, r.text);
    assert.match(r.json.error.message, /48 hours/);
    const got = await api('GET', `/api/v1/conversations/${conv.id}`);
    assert.equal(got.json.window.policy, 'wechat');
    assert.equal(got.json.window.open, false);
    await new Promise((res) => setTimeout(res, 300));
    assert.equal((await simRequests('wechat', since)).filter(isSend).length, 0);
  });

  test('choices go out as a msgmenu; the tap comes back with bizmsgmenuid as an interactive reply', async () => {
    const since = await lastSeq();
    const r = await api('POST', `/api/v1/conversations/${st.conv.id}/messages`, { text: 'Which size?', choices: [{ id: 'size_m', title: 'M' }, { id: 'size_l', title: 'L' }] });
    assert.equal(r.status, 201, r.text);
    const req = await eventually('the msgmenu send', async () => (await simRequests('wechat', since, 3000)).find(isSend));
    assert.equal(req.json.msgtype, 'msgmenu');
    assert.deepEqual(req.json.msgmenu.list, [{ id: 'size_m', content: 'M' }, { id: 'size_l', content: 'L' }]);
    const d = await callback(P.wechatText(openid, 'L', { menuId: 'size_l' }));
    assert.equal(d.status, 200, d.body);
    const tap = await eventually('the tap', async () => (await messages(st.conv.id)).find((m) => m.kind === 'interactive_reply'));
    assert.equal(tap.content.id, 'size_l');
  });

  test('WeChat\'s 5-message quota after a customer message: Bottega fails the sixth reply with reply_limit and never sends it; the next customer message allows 5 more', async () => {
    const chatty = `oQuota${rand(8)}`;
    const d = await callback(P.wechatText(chatty, 'one question'));
    assert.equal(d.status, 200, d.body);
    const conv = await eventually('the quota conversation', async () => (await conversations(st.channel.id)).find((c) => c.contact?.name === chatty));
    const sent = [];
    for (let i = 1; i <= 6; i++) sent.push(await reply(conv.id, `answer ${i}`));
    for (const m of sent.slice(0, 5)) await deliveryBecomes(conv.id, m.id, 'sent', 30000);
    const failed = await deliveryBecomes(conv.id, sent[5].id, 'failed', 30000);
    assert.match(JSON.stringify(failed.delivery), /reply_limit/);
    const toChatty = () => simApi('GET', '/__sim/wechat/records').then((r) => r.json.sent.filter((m) => m.touser === chatty).length);
    assert.equal(await toChatty(), 5, 'the sixth never reached WeChat');
    // The customer writes again: a new count.
    const again = await callback(P.wechatText(chatty, 'one more question'));
    assert.equal(again.status, 200, again.body);
    await eventually('the second question', async () => (await messages(conv.id)).filter((m) => m.direction === 'in').length === 2);
    const next = await reply(conv.id, 'answer 7');
    await deliveryBecomes(conv.id, next.id, 'sent', 30000);
    assert.equal(await toChatty(), 6);
  });

  // Media: the MediaId is fetched through cgi-bin/media/get with the channel's access token.
  const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
  async function mediaFrom(payload) {
    const d = await callback(payload);
    assert.equal(d.status, 200, d.body);
    assert.equal(d.body, 'success');
    const conv = await conversationOf(st.channel.id, payload.FromUserName);
    return { conv, a: await attachmentSettles(conv.id) };
  }

  test('a photo from WeChat is downloaded through media/get with the access token, stored, and served to agents', async () => {
    const since = await lastSeq();
    const media = (await simApi('POST', '/__sim/media', { provider: 'wechat', content_base64: png, mime_type: 'image/png' })).json;
    const { a } = await mediaFrom(P.wechatImage(`oPhoto${rand(8)}`, { mediaId: media.id }));
    assert.ok(a.media_id, `stored: ${JSON.stringify(a)}`);
    assert.equal(a.type, 'image');
    assert.equal(a.size, Buffer.from(png, 'base64').length);
    const got = await fetchMedia(a.media_id);
    assert.equal(got.status, 200);
    assert.deepEqual(got.bytes, Buffer.from(png, 'base64'));
    assert.equal(got.headers.get('content-type'), 'image/png');
    assert.equal((await fetchMedia(a.media_id, null)).status, 401, 'agents only');
    const calls = (await simRequests('wechat', since)).filter((r) => r.path === '/wechat/cgi-bin/media/get');
    assert.equal(calls.length, 1, JSON.stringify(calls));
    assert.equal(calls[0].query.media_id, media.id);
    assert.match(calls[0].query.access_token, /^\d\d_/, 'the channel\'s cached token');
  });

  test('a video: media/get answers {"video_url"}, which is followed; an unknown MediaId is recorded as WeChat\'s 40007', async () => {
    const mp4 = Buffer.from(`\0\0\0\x18ftypmp42 video ${rand(4)}`).toString('base64');
    const media = (await simApi('POST', '/__sim/media', { provider: 'wechat', content_base64: mp4, mime_type: 'video/mp4' })).json;
    const video = { ...P.wechatImage(`oVideo${rand(8)}`, { mediaId: media.id }), MsgType: 'video', ThumbMediaId: 'thumb1' };
    delete video.PicUrl;
    const { a } = await mediaFrom(video);
    assert.ok(a.media_id, JSON.stringify(a));
    assert.equal(a.type, 'video');
    assert.deepEqual((await fetchMedia(a.media_id)).bytes, Buffer.from(mp4, 'base64'));
    const gone = await mediaFrom(P.wechatImage(`oGone${rand(8)}`, { mediaId: `missing${rand(8)}` }));
    assert.equal(gone.a.media_id, undefined);
    assert.match(gone.a.media_error, /^media_unavailable: WeChat errcode 40007/);
  });

  test('files an agent sends go to WeChat as "filename: public_url" lines after the caption, and the link serves the file', async () => {
    const pdf = Buffer.from(`%PDF-1.4\n% invoice ${rand(4)}\n`);
    const up = await fetch(`${env.base}/api/v1/media?filename=invoice.pdf`, { method: 'POST', body: pdf,
      headers: { authorization: `Bearer ${env.token}`, 'content-type': 'application/pdf' } });
    assert.equal(up.status, 201, await up.clone().text());
    const media = await up.json();
    const customer = `oFiles${rand(8)}`;
    assert.equal((await callback(P.wechatText(customer, 'send me the invoice'))).status, 200);
    const conv = await conversationOf(st.channel.id, customer);
    const since = await lastSeq();
    const r = await api('POST', `/api/v1/conversations/${conv.id}/messages`, { kind: 'attachment', text: 'Here it is', content: { attachments: [{ media_id: media.id }] } });
    assert.equal(r.status, 201, r.text);
    const req = await eventually('the send', async () => (await simRequests('wechat', since, 3000)).find(isSend));
    assert.equal(req.json.msgtype, 'text');
    const m = req.json.text.content.match(/^Here it is\n\ninvoice\.pdf: (http\S+)$/);
    assert.ok(m, req.json.text.content);
    const file = await fetch(m[1]);
    assert.equal(file.status, 200);
    assert.deepEqual(Buffer.from(await file.arrayBuffer()), pdf, 'the signed link serves the file');
    await deliveryBecomes(conv.id, r.json.id, 'sent');
  });

  // A real 1x1 PNG (the upload route checks the bytes are of the claimed type).
  const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201ff5a2f0f0000000049454e44ae426082', 'hex');
  const sha = (b) => createHash('sha256').update(b).digest('hex');
  const isUpload = (r) => r.path === '/wechat/cgi-bin/media/upload';
  const sendPng = async (customer, text) => {
    const up = await fetch(`${env.base}/api/v1/media?filename=shoe.png`, { method: 'POST', body: PNG,
      headers: { authorization: `Bearer ${env.token}`, 'content-type': 'image/png' } });
    assert.equal(up.status, 201, await up.clone().text());
    const media = await up.json();
    assert.equal((await callback(P.wechatText(customer, 'a photo please'))).status, 200);
    const conv = await conversationOf(st.channel.id, customer);
    const since = await lastSeq();
    const r = await api('POST', `/api/v1/conversations/${conv.id}/messages`, { kind: 'attachment', text, content: { attachments: [{ media_id: media.id }] } });
    assert.equal(r.status, 201, r.text);
    await deliveryBecomes(conv.id, r.json.id, 'sent');
    return { conv, msg: r.json, reqs: await simRequests('wechat', since, 3000) };
  };

  test('an image an agent sends is uploaded (media/upload) and sent as an image message naming its media_id: the same bytes arrive', async () => {
    const customer = `oImage${rand(8)}`;
    const { reqs } = await sendPng(customer, 'Here is the photo');
    const parts = reqs.filter((r) => isSend(r) || isUpload(r));
    assert.deepEqual(parts.map((r) => [r.path.split('/').at(-1), r.json?.msgtype ?? r.query.type]), [['send', 'text'], ['upload', 'image'], ['send', 'image']]);
    const [text, upload, image] = parts;
    assert.deepEqual(text.json, { touser: customer, msgtype: 'text', text: { content: 'Here is the photo' } }); // image messages have no caption
    assert.equal(upload.response.status, 200);
    assert.deepEqual(upload.uploads, { media: { filename: 'shoe.png', mime_type: 'image/png', size: PNG.length, sha256: sha(PNG) } });
    assert.deepEqual(image.json, { touser: customer, msgtype: 'image', image: { media_id: upload.response.body.media_id } });
    assert.deepEqual(image.response.body, { errcode: 0, errmsg: 'ok' });
    assert.deepEqual(image.media, [{ type: 'image', filename: 'shoe.png', mime_type: 'image/png', size: PNG.length, sha256: sha(PNG), source: 'upload' }]);
  });

  test('an image upload refused for its access_token fetches a new token and uploads again, once', async () => {
    const customer = `oImgTok${rand(8)}`;
    assert.equal((await simApi('POST', '/__sim/wechat/expire', {})).status, 200);
    const { reqs } = await sendPng(customer, '');
    const seen = reqs.map((r) => [r.path.split('/').at(-1), r.response.body?.errcode ?? 0]);
    assert.deepEqual(seen, [['upload', 42001], ['token', 0], ['upload', 0], ['send', 0]]); // 42001: access_token expired
    assert.equal(reqs[3].json.image.media_id, reqs[2].response.body.media_id);
    assert.equal(reqs[3].media[0].sha256, sha(PNG));
  });

  test('XML with a DOCTYPE (entity expansion) is refused with 400 and stores nothing', async () => {
    const before = (await conversations(st.channel.id)).length;
    const raw = '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>' +
      `<xml><ToUserName>gh</ToUserName><FromUserName>oEvil${rand(4)}</FromUserName><CreateTime>1700000000</CreateTime><MsgType>text</MsgType><Content>&b;</Content><MsgId>77</MsgId></xml>`;
    const d = await deliver({ provider: 'wechat', url: st.channel.webhook_url, token: st.settings.token, raw });
    assert.equal(d.status, 400, d.body);
    assert.equal(d.json?.error?.code, 'invalid_xml');
    assert.equal((await conversations(st.channel.id)).length, before);
  });
});

describe('wechat channel settings', () => {
  test('safe (AES) mode is refused with a clear error; the webhook URL is returned', async () => {
    const r = await api('POST', '/api/v1/channels', { type: 'wechat', name: 'w', settings: { app_id: 'wx1', app_secret: 's', token: 'abc', encoding_aes_key: 'k'.repeat(43) } });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.code, 'encrypted_mode_unsupported');
    assert.equal(r.json.error.field, 'settings.encoding_aes_key');
    const ch = await createChannel('wechat', { app_id: 'wx1', app_secret: 's', token: 'abc' });
    assert.equal(ch.webhook_url, `${env.base}/webhooks/${ch.id}`);
    assert.equal(ch.settings.token, '********');
  });
});

// Template messages: the way to reach a follower after the 48-hour window, like WhatsApp templates.
describe('wechat template messages', () => {
  const shipped = { name: 'order_shipped', template_id: `Tpl${rand(12)}`, keys: ['first', 'keyword1', 'remark'], url: 'https://shop.example/orders' };
  let ch;
  let settings;
  test('outside the 48 hours only a configured template goes out: template/send with the keys, then TEMPLATESENDJOBFINISH marks it', async () => {
    settings = { app_id: `wx${rand(8)}`, app_secret: rand(16), token: `tok${rand(6)}`, api_base_url: `${env.simBase}/wechat`,
      templates: [shipped, { name: 'broken', template_id: 'invalid_tpl', keys: ['first'] }] };
    ch = await createChannel('wechat', settings);
    const late = `oLate${rand(8)}`;
    const d = await deliver({ provider: 'wechat', url: ch.webhook_url, token: settings.token,
      payload: P.wechatText(late, 'where is my order?', { createTime: Math.floor(Date.now() / 1000) - 50 * 3600 }) });
    assert.equal(d.status, 200, d.body);
    const conv = await conversationOf(ch.id, late);
    const got = await api('GET', `/api/v1/conversations/${conv.id}`);
    assert.equal(got.json.window.open, false);
    assert.deepEqual(got.json.window.templates.map((t) => [t.name, t.language, t.parameters, t.keys]),
      [['order_shipped', 'zh_CN', 3, ['first', 'keyword1', 'remark']], ['broken', 'zh_CN', 1, ['first']]]);
    const text = await api('POST', `/api/v1/conversations/${conv.id}/messages`, { text: 'any news?' });
    assert.equal(text.status, 409, text.text);
    assert.equal(text.json.error.code, 'window_closed');
    assert.deepEqual(text.json.error.templates.map((t) => t.name), ['order_shipped', 'broken']);
    const wrong = await api('POST', `/api/v1/conversations/${conv.id}/messages`,
      { kind: 'template', template: { name: 'order_shipped', language: 'zh_CN', parameters: ['only one'] } });
    assert.equal(wrong.status, 400, wrong.text);
    assert.equal(wrong.json.error.field, 'template.parameters');

    const since = await lastSeq();
    const r = await api('POST', `/api/v1/conversations/${conv.id}/messages`,
      { kind: 'template', template: { name: 'order_shipped', language: 'zh_CN', parameters: ['您的订单已发货', 'B-1042', '谢谢'] } });
    assert.equal(r.status, 201, r.text);
    const req = await eventually('the template send', async () =>
      (await simRequests('wechat', since, 3000)).find((x) => x.path === '/wechat/cgi-bin/message/template/send'));
    assert.match(req.query.access_token, /^\d\d_/);
    assert.deepEqual(req.json, { touser: late, template_id: shipped.template_id, url: shipped.url,
      data: { first: { value: '您的订单已发货' }, keyword1: { value: 'B-1042' }, remark: { value: '谢谢' } } });
    const sent = await deliveryBecomes(conv.id, r.json.id, 'sent');
    const msgid = req.response.body.msgid;
    assert.ok(msgid > 0, JSON.stringify(req.response.body));
    // WeChat reports the delivery with a callback naming the msgid.
    const fin = await deliver({ provider: 'wechat', url: ch.webhook_url, token: settings.token, payload: P.wechatTemplateFinish(late, msgid, 'success') });
    assert.equal(fin.status, 200, fin.body);
    assert.equal(fin.body, 'success');
    await deliveryBecomes(conv.id, sent.id, 'delivered');
    assert.equal((await messages(conv.id)).length, 2, 'the report is a status, not a message');
  });

  test('a follower who blocks the account: the template fails with WeChat\'s reason; a template WeChat refuses fails at once', async () => {
    const fan = `oFan${rand(8)}`;
    await deliver({ provider: 'wechat', url: ch.webhook_url, token: settings.token,
      payload: P.wechatText(fan, 'hello', { createTime: Math.floor(Date.now() / 1000) - 60 * 3600 }) });
    const conv = await conversationOf(ch.id, fan);
    const since = await lastSeq();
    const r = await api('POST', `/api/v1/conversations/${conv.id}/messages`,
      { kind: 'template', template: { name: 'order_shipped', language: 'zh_CN', parameters: ['a', 'b', 'c'] } });
    assert.equal(r.status, 201, r.text);
    await deliveryBecomes(conv.id, r.json.id, 'sent');
    const req = (await simRequests('wechat', since)).find((x) => x.path === '/wechat/cgi-bin/message/template/send');
    await deliver({ provider: 'wechat', url: ch.webhook_url, token: settings.token, payload: P.wechatTemplateFinish(fan, req.response.body.msgid, 'failed:user block') });
    const failed = await deliveryBecomes(conv.id, r.json.id, 'failed');
    assert.match(JSON.stringify(failed.delivery), /user block/);
    const bad = await api('POST', `/api/v1/conversations/${conv.id}/messages`,
      { kind: 'template', template: { name: 'broken', language: 'zh_CN', parameters: ['x'] } });
    assert.equal(bad.status, 201, bad.text);
    const refused = await deliveryBecomes(conv.id, bad.json.id, 'failed');
    assert.match(JSON.stringify(refused.delivery), /template_rejected/);
  });
});
