// End-to-end: an agent's files (POST /api/v1/media, then a reply of kind "attachment") reach each
// provider simulator in the provider's own form, through the real binary: WhatsApp and Viber fetch
// the signed public URL, Telegram and Messenger get the bytes uploaded, Twilio fetches every
// MediaUrl. The simulator records the sha256 of what arrived, which must be the uploaded file's.
// A message whose second file is refused is failed, naming the part, and keeps the first's id.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomInt } from 'node:crypto';

import * as P from '../payloads.mjs';
import {
  api, createChannel, conversationOf, deliver, deliveryBecomes, env, eventually, lastSeq, rand, request, serverLogTail, simApi, simRequests, useServers,
} from './harness.mjs';

useServers();

const sha = (b) => createHash('sha256').update(b).digest('hex');
// A real 1x1 PNG and a small PDF: the upload checks that the bytes are of the claimed type.
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201ff5a2f0f0000000049454e44ae426082',
  'hex',
);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n');

async function upload(filename, type, bytes) {
  const r = await fetch(`${env.base}/api/v1/media?filename=${encodeURIComponent(filename)}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${env.token}`, 'content-type': type },
    body: bytes,
  });
  const json = await r.json();
  assert.equal(r.status, 201, JSON.stringify(json));
  assert.equal(json.sha256, sha(bytes));
  return json.id;
}

/** Sends text + files as one reply; returns the message and every provider request it caused. */
async function sendFiles(provider, convId, text, files, expected) {
  const ids = [];
  for (const [name, type, bytes] of files) ids.push(await upload(name, type, bytes));
  const since = await lastSeq();
  const r = await api('POST', `/api/v1/conversations/${convId}/messages`, {
    kind: 'attachment', text, content: { attachments: ids.map((media_id) => ({ media_id })) },
  });
  assert.equal(r.status, 201, r.text);
  const reqs = await eventually(`${expected} ${provider} request(s) for the files`, async () => {
    const list = await simRequests(provider, since);
    return list.length >= expected ? list : null;
  }, 15000);
  return { msg: r.json, reqs };
}

describe('outbound files through the real binary', () => {
  test('WhatsApp: one message per file by link (the signed URL), the text as the first caption', async () => {
    const waId = `1650555${randomInt(1000, 9999)}`;
    const settings = { phone_number_id: P.WA_DEFAULTS.phoneNumberId, access_token: `EAAG${rand(8)}`, app_secret: rand(8), verify_token: 'vt', api_base_url: `${env.simBase}/whatsapp/v21.0` };
    const ch = await createChannel('whatsapp', settings);
    const d = await deliver({ provider: 'whatsapp', url: ch.webhook_url, app_secret: settings.app_secret, payload: P.whatsappText(waId, 'Send me the invoice', undefined, { name: 'Wanda Files' }) });
    assert.equal(d.status, 200, d.body);
    const conv = await conversationOf(ch.id, 'Wanda Files');
    const { msg, reqs } = await sendFiles('whatsapp', conv.id, 'Here you are', [['shoe.png', 'image/png', PNG], ['invoice.pdf', 'application/pdf', PDF]], 2);
    assert.equal(reqs.length, 2, JSON.stringify(reqs.map((x) => x.json)));
    assert.equal(reqs[0].json.type, 'image');
    assert.equal(reqs[0].json.image.caption, 'Here you are');
    assert.match(reqs[0].json.image.link, /\/media\/[^/]+\/shoe\.png\?exp=\d+&sig=/);
    assert.equal(reqs[0].response.status, 200, JSON.stringify(reqs[0].response));
    assert.deepEqual(reqs[0].media.map((m) => [m.type, m.mime_type, m.sha256]), [['image', 'image/png', sha(PNG)]]);
    assert.equal(reqs[1].json.type, 'document');
    assert.equal(reqs[1].json.document.filename, 'invoice.pdf');
    assert.equal(reqs[1].response.status, 200, JSON.stringify(reqs[1].response));
    assert.equal(reqs[1].media[0].sha256, sha(PDF));
    await deliveryBecomes(conv.id, msg.id, 'sent', 15000);
    // The first part's wamid stands for the message: its status moves the message.
    const st = await deliver({ provider: 'whatsapp', url: ch.webhook_url, app_secret: settings.app_secret, payload: P.whatsappStatus(reqs[0].response.body.messages[0].id, 'delivered', undefined, { recipientId: waId }) });
    assert.equal(st.status, 200, st.body);
    await deliveryBecomes(conv.id, msg.id, 'delivered', 15000);

    // A tampered link is refused by the file route, so WhatsApp cannot fetch it.
    const link = reqs[0].json.image.link;
    const tampered = link.replace(/sig=(.)/, (_, c) => `sig=${c === '0' ? '1' : '0'}`);
    assert.notEqual(tampered, link);
    const bad = await request(env.simBase, 'POST', `/whatsapp/v21.0/${settings.phone_number_id}/messages`, {
      messaging_product: 'whatsapp', to: waId, type: 'image', image: { link: tampered },
    }, { authorization: `Bearer ${settings.access_token}` });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.json.error.code, 131053);

    // The second file refused: the message fails naming the part, once (no resend of the first).
    const f = await simApi('POST', '/__sim/fail', { provider: 'whatsapp', status: 400, code: 131053, message: '(#131053) Media upload error', after: 1 });
    assert.equal(f.status, 200, f.text);
    const again = await sendFiles('whatsapp', conv.id, 'Again', [['shoe.png', 'image/png', PNG], ['invoice.pdf', 'application/pdf', PDF]], 2);
    const failed = await deliveryBecomes(conv.id, again.msg.id, 'failed', 15000);
    assert.match(JSON.stringify(failed.delivery), /part 2 of 2 not sent/);
    assert.equal((await simRequests('whatsapp', again.reqs[0].seq - 1)).length, 2, serverLogTail());
  });

  test('Telegram: the files uploaded as one album with the caption', async () => {
    const settings = { bot_token: `${randomInt(1e9, 7e9)}:AA${rand(8)}`, secret_token: `st_${rand(4)}`, api_base_url: `${env.simBase}/telegram` };
    const ch = await createChannel('telegram', settings);
    const chatId = randomInt(1e6, 1e8);
    const d = await deliver({ provider: 'telegram', url: ch.webhook_url, secret_token: settings.secret_token, payload: P.telegramMessage(chatId, 'photos?', { messageId: 5, firstName: 'Tina', lastName: 'Files' }) });
    assert.equal(d.status, 200, d.body);
    const conv = await conversationOf(ch.id, 'Tina Files');
    const { msg, reqs } = await sendFiles('telegram', conv.id, 'Both files', [['shoe.png', 'image/png', PNG], ['invoice.pdf', 'application/pdf', PDF]], 1);
    assert.equal(reqs.length, 1);
    assert.match(reqs[0].path, /\/sendMediaGroup$/);
    assert.equal(reqs[0].response.status, 200, JSON.stringify(reqs[0].response));
    assert.deepEqual(reqs[0].media.map((m) => [m.type, m.filename, m.sha256]), [['document', 'shoe.png', sha(PNG)], ['document', 'invoice.pdf', sha(PDF)]]);
    assert.equal(reqs[0].media[0].caption, 'Both files');
    await deliveryBecomes(conv.id, msg.id, 'sent', 15000);
  });

  test('Messenger: the text, then the file uploaded as filedata', async () => {
    const psid = `${randomInt(1e9, 9e9)}`;
    const pageId = `${randomInt(1e9, 9e9)}`;
    const settings = { page_id: pageId, page_access_token: `EAAB${rand(8)}`, app_secret: rand(8), verify_token: 'vt', api_base_url: `${env.simBase}/messenger/v21.0` };
    const ch = await createChannel('messenger', settings);
    const d = await deliver({ provider: 'messenger', url: ch.webhook_url, app_secret: settings.app_secret, payload: P.messengerText(psid, pageId, 'invoice please') });
    assert.equal(d.status, 200, d.body);
    const conv = await eventually('the messenger conversation', async () => {
      const r = await api('GET', `/api/v1/conversations?channel_id=${ch.id}`);
      return r.json?.data?.[0];
    });
    const { msg, reqs } = await sendFiles('messenger', conv.id, 'Your invoice', [['invoice.pdf', 'application/pdf', PDF]], 2);
    assert.equal(reqs[0].json.message.text, 'Your invoice');
    assert.equal(reqs[1].response.status, 200, JSON.stringify(reqs[1].response));
    assert.deepEqual(reqs[1].media, [{ type: 'file', filename: 'invoice.pdf', mime_type: 'application/pdf', size: PDF.length, sha256: sha(PDF), source: 'upload' }]);
    await deliveryBecomes(conv.id, msg.id, 'sent', 15000);
  });

  test('Twilio MMS and Viber fetch the signed links', async () => {
    const ours = '+15557122661';
    const customer = `+1555${randomInt(1000000, 9999999)}`;
    const tw = { account_sid: `AC${rand(16)}`, auth_token: rand(8), from: ours, api_base_url: `${env.simBase}/twilio` };
    const ch = await createChannel('twilio', tw);
    const d = await deliver({ provider: 'twilio', url: ch.webhook_url, auth_token: tw.auth_token, payload: P.twilioInbound({ from: customer, to: ours, body: 'pic?', accountSid: tw.account_sid }) });
    assert.equal(d.status, 200, d.body);
    const conv = await conversationOf(ch.id, customer);
    const t = await sendFiles('twilio', conv.id, 'Here', [['shoe.png', 'image/png', PNG]], 1);
    assert.equal(t.reqs[0].response.status, 201, JSON.stringify(t.reqs[0].response));
    assert.equal(t.reqs[0].form.Body, 'Here');
    assert.equal(t.reqs[0].media[0].sha256, sha(PNG));
    await deliveryBecomes(conv.id, t.msg.id, 'sent', 15000);

    const vb = { auth_token: `${rand(8)}-${rand(8)}`, sender_name: 'Bottega Shop', api_base_url: `${env.simBase}/viber/pa` };
    const vch = await createChannel('viber', vb);
    const userId = `${rand(8)}==`;
    const vd = await deliver({ provider: 'viber', url: vch.webhook_url, auth_token: vb.auth_token, build: ['viberMessage', userId, 'hi', { name: 'Vic Files' }] });
    assert.equal(vd.status, 200, vd.body);
    const vconv = await conversationOf(vch.id, 'Vic Files');
    const v = await sendFiles('viber', vconv.id, 'New in', [['shoe.png', 'image/png', PNG]], 1);
    assert.equal(v.reqs[0].json.type, 'picture');
    assert.equal(v.reqs[0].json.text, 'New in');
    const vbody = typeof v.reqs[0].response.body === 'string' ? JSON.parse(v.reqs[0].response.body) : v.reqs[0].response.body;
    assert.equal(vbody.status, 0, JSON.stringify(v.reqs[0].response));
    assert.equal(v.reqs[0].media[0].sha256, sha(PNG));
    await deliveryBecomes(vconv.id, v.msg.id, 'sent', 15000);
  });
});
