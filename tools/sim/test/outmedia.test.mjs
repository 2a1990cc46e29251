// Self-tests of the simulator's outbound files (no bottega needed): each provider API takes the
// files the way the provider does (multipart uploads, links it fetches), checks them like the
// provider (types, sizes, captions, required fields), refuses a link it cannot fetch (expired or
// tampered signed URL) in the provider's error envelope, and records type, filename and sha256.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';

import { startSim } from '../sim.mjs';

const sha = (b) => createHash('sha256').update(b).digest('hex');
const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from('png body \r\n--x\0 bytes')]);
const PDF = Buffer.from('%PDF-1.4\n% invoice\n');

describe('simulator: outbound files', () => {
  let s;
  let files; // a stand-in for Bottega's signed media route
  let base;
  const served = new Map(); // path -> {type, bytes, name}

  before(async () => {
    s = await startSim({ port: 0 });
    files = http.createServer((req, res) => {
      const u = new URL(req.url, 'http://x');
      const f = served.get(u.pathname);
      if (!f || u.searchParams.get('sig') !== 'good') {
        res.writeHead(403, { 'content-type': 'application/json' });
        return res.end('{"error":"bad or expired signature"}');
      }
      res.writeHead(200, { 'content-type': f.type, 'content-disposition': `inline; filename="${f.name}"`, 'x-content-type-options': 'nosniff' });
      res.end(f.bytes);
    });
    await new Promise((r) => files.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${files.address().port}`;
    served.set('/media/m1/shoe.png', { type: 'image/png', bytes: PNG, name: 'shoe.png' });
    served.set('/media/m2/invoice.pdf', { type: 'application/pdf', bytes: PDF, name: 'invoice.pdf' });
    served.set('/media/m3/big.png', { type: 'image/png', bytes: Buffer.alloc(1024 * 1024 + 1, 1), name: 'big.png' });
  });

  after(async () => {
    await s.close();
    await new Promise((r) => files.close(r));
  });

  const url = (p, sig = 'good') => `${base}${p}?exp=9999999999&sig=${sig}`;
  const post = async (path, body, headers = {}) => {
    const r = await fetch(s.url + path, { method: 'POST', headers, body });
    const text = await r.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: r.status, json };
  };
  const last = async (provider) => {
    const r = await (await fetch(`${s.url}/__sim/requests?provider=${provider}`)).json();
    return r.requests.at(-1);
  };
  const wa = (body) => post('/whatsapp/v21.0/106540352242922/messages', JSON.stringify({ messaging_product: 'whatsapp', recipient_type: 'individual', to: '16505551234', ...body }), { 'content-type': 'application/json', authorization: 'Bearer t' });

  test('WhatsApp fetches the link and records the file; a tampered link is a media upload error', async () => {
    let r = await wa({ type: 'image', image: { link: url('/media/m1/shoe.png'), caption: 'Hi' } });
    assert.equal(r.status, 200);
    assert.match(r.json.messages[0].id, /^wamid\./);
    const e = await last('whatsapp');
    assert.deepEqual(e.media, [{ type: 'image', filename: null, mime_type: 'image/png', size: PNG.length, sha256: sha(PNG), source: 'link', url: url('/media/m1/shoe.png'), caption: 'Hi' }]);
    r = await wa({ type: 'document', document: { link: url('/media/m2/invoice.pdf'), filename: 'invoice.pdf' } });
    assert.equal(r.status, 200);
    assert.equal((await last('whatsapp')).media[0].filename, 'invoice.pdf');
    r = await wa({ type: 'image', image: { link: url('/media/m1/shoe.png', 'tampered') } });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, 131053);
    assert.match(r.json.error.message, /HTTP 403/);
    // The type must match the file; audio takes no caption; captions hold 1024 characters.
    assert.equal((await wa({ type: 'video', video: { link: url('/media/m1/shoe.png') } })).json.error.code, 131053);
    assert.equal((await wa({ type: 'audio', audio: { link: url('/media/m1/shoe.png'), caption: 'x' } })).json.error.code, 100);
    assert.equal((await wa({ type: 'image', image: { link: url('/media/m1/shoe.png'), caption: 'x'.repeat(1025) } })).json.error.code, 100);
    assert.equal((await wa({ type: 'image', image: {} })).json.error.code, 100);
    // A link off this machine (a product image on the shop's site) is taken unfetched.
    r = await wa({ type: 'image', image: { link: 'https://shop.example/p.jpg' } });
    assert.equal(r.status, 200);
    assert.deepEqual((await last('whatsapp')).media, [{ type: 'image', filename: null, source: 'link', url: 'https://shop.example/p.jpg', caption: null, fetched: false }]);
  });

  test('a failure "after" n calls lets those n succeed first (the second file of a message)', async () => {
    const f = await post('/__sim/fail', JSON.stringify({ provider: 'whatsapp', status: 400, code: 131053, after: 1 }), { 'content-type': 'application/json' });
    assert.equal(f.status, 200);
    const send = () => wa({ type: 'text', text: { body: 'x' } });
    assert.equal((await send()).status, 200);
    const r = await send();
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, 131053);
    assert.equal((await send()).status, 200);
    assert.equal((await post('/__sim/fail', JSON.stringify({ provider: 'whatsapp', status: 400, after: -1 }), { 'content-type': 'application/json' })).status, 400);
  });

  test('Messenger takes a multipart upload (filedata) and records the exact bytes', async () => {
    const form = new FormData();
    form.set('recipient', JSON.stringify({ id: 'PSID1' }));
    form.set('messaging_type', 'RESPONSE');
    form.set('message', JSON.stringify({ attachment: { type: 'image', payload: { is_reusable: false } } }));
    form.set('filedata', new Blob([PNG], { type: 'image/png' }), 'shoe.png');
    let r = await post('/messenger/v21.0/me/messages?access_token=t', form);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.match(r.json.message_id, /^m_/);
    const e = await last('messenger');
    assert.deepEqual(e.media, [{ type: 'image', filename: 'shoe.png', mime_type: 'image/png', size: PNG.length, sha256: sha(PNG), source: 'upload' }]);
    assert.deepEqual(e.uploads.filedata, { filename: 'shoe.png', mime_type: 'image/png', size: PNG.length, sha256: sha(PNG) });
    // An image attachment must be an image; no file and no url is an upload failure.
    form.set('message', JSON.stringify({ attachment: { type: 'video', payload: {} } }));
    r = await post('/messenger/v21.0/me/messages?access_token=t', form);
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, 100);
    r = await post('/messenger/v21.0/me/messages?access_token=t', JSON.stringify({ recipient: { id: 'PSID1' }, message: { attachment: { type: 'file', payload: {} } } }), { 'content-type': 'application/json' });
    assert.equal(r.status, 400);
    // By URL: fetched like the upload.
    r = await post('/instagram/v21.0/me/messages?access_token=t', JSON.stringify({ recipient: { id: 'IG1' }, message: { attachment: { type: 'file', payload: { url: url('/media/m2/invoice.pdf') } } } }), { 'content-type': 'application/json' });
    assert.equal(r.status, 200);
    assert.equal((await last('instagram')).media[0].sha256, sha(PDF));
    // Instagram files are PDFs only.
    r = await post('/instagram/v21.0/me/messages?access_token=t', JSON.stringify({ recipient: { id: 'IG1' }, message: { attachment: { type: 'file', payload: { url: url('/media/m1/shoe.png') } } } }), { 'content-type': 'application/json' });
    assert.equal(r.status, 400);
  });

  test('Telegram: sendDocument and sendMediaGroup uploads, album rules, caption limit', async () => {
    const form = new FormData();
    form.set('chat_id', '42');
    form.set('caption', 'Invoice');
    form.set('document', new Blob([PDF], { type: 'application/pdf' }), 'invoice.pdf');
    let r = await post('/telegram/bot123:ABC/sendDocument', form);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.result.document.file_name, 'invoice.pdf');
    assert.equal(r.json.result.caption, 'Invoice');
    assert.deepEqual((await last('telegram')).media, [{ type: 'document', filename: 'invoice.pdf', mime_type: 'application/pdf', size: PDF.length, sha256: sha(PDF), source: 'upload', caption: 'Invoice' }]);

    const album = new FormData();
    album.set('chat_id', '42');
    album.set('media', JSON.stringify([{ type: 'photo', media: 'attach://file0', caption: 'Both' }, { type: 'document', media: 'attach://file1' }]));
    album.set('file0', new Blob([PNG], { type: 'image/png' }), 'shoe.png');
    album.set('file1', new Blob([PDF], { type: 'application/pdf' }), 'invoice.pdf');
    r = await post('/telegram/bot123:ABC/sendMediaGroup', album);
    assert.equal(r.status, 400); // a photo and a document cannot share an album
    assert.match(r.json.description, /same type/);
    album.set('media', JSON.stringify([{ type: 'document', media: 'attach://file0', caption: 'Both' }, { type: 'document', media: 'attach://file1' }]));
    r = await post('/telegram/bot123:ABC/sendMediaGroup', album);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.result.length, 2);
    assert.equal(r.json.result[0].media_group_id, r.json.result[1].media_group_id);
    assert.deepEqual((await last('telegram')).media.map((m) => [m.filename, m.sha256]), [['shoe.png', sha(PNG)], ['invoice.pdf', sha(PDF)]]);
    album.set('media', JSON.stringify([{ type: 'document', media: 'attach://file0' }, { type: 'document', media: 'attach://nope' }]));
    assert.equal((await post('/telegram/bot123:ABC/sendMediaGroup', album)).status, 400);
    form.set('caption', 'x'.repeat(1025));
    assert.match((await post('/telegram/bot123:ABC/sendDocument', form)).json.description, /caption is too long/);
  });

  test('Twilio fetches every MediaUrl: sizes, one per WhatsApp message (others ignored), at most 10, a bad link is 11200', async () => {
    const auth = { authorization: `Basic ${Buffer.from('AC1:tok').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' };
    const send = (params) => post('/twilio/2010-04-01/Accounts/AC1/Messages.json', new URLSearchParams(params).toString(), auth);
    let r = await send([['To', '+15558675310'], ['From', '+15557122661'], ['Body', 'Pics'], ['MediaUrl', url('/media/m1/shoe.png')], ['MediaUrl', url('/media/m2/invoice.pdf')]]);
    assert.equal(r.status, 201, JSON.stringify(r.json));
    assert.equal(r.json.num_media, '2');
    assert.deepEqual((await last('twilio')).media.map((m) => m.sha256), [sha(PNG), sha(PDF)]);
    // WhatsApp: one media per message; Twilio ignores the others (it does not refuse the message).
    r = await send([['To', 'whatsapp:+15558675310'], ['From', 'whatsapp:+15557122661'], ['MediaUrl', url('/media/m1/shoe.png')], ['MediaUrl', url('/media/m2/invoice.pdf')]]);
    assert.equal(r.status, 201, JSON.stringify(r.json));
    assert.equal(r.json.num_media, '1');
    const wa = await last('twilio');
    assert.deepEqual(wa.media.map((m) => m.sha256), [sha(PNG)]);
    assert.deepEqual(wa.ignored_media, [url('/media/m2/invoice.pdf')]);
    r = await send([['To', '+15558675310'], ['From', '+15557122661'], ...Array.from({ length: 11 }, () => ['MediaUrl', url('/media/m1/shoe.png')])]);
    assert.equal(r.status, 400);
    assert.equal(r.json.code, 21623);
    // A file served as application/octet-stream is not one Twilio takes.
    served.set('/media/m4/blob.pdf', { type: 'application/octet-stream', bytes: PDF, name: 'blob.pdf' });
    r = await send([['To', '+15558675310'], ['From', '+15557122661'], ['MediaUrl', url('/media/m4/blob.pdf')]]);
    assert.equal(r.status, 400);
    assert.equal(r.json.code, 12300);
    r = await send([['To', '+15558675310'], ['From', '+15557122661'], ['MediaUrl', url('/media/m1/shoe.png', 'expired')]]);
    assert.equal(r.status, 400);
    assert.equal(r.json.code, 11200);
  });

  test('Viber fetches media: picture <= 1 MB with a description, file with size and file_name', async () => {
    const viber = (b) => post('/viber/pa/send_message', JSON.stringify({ receiver: 'u1', sender: { name: 'Shop' }, ...b }), { 'content-type': 'application/json', 'x-viber-auth-token': 'tok' });
    let r = await viber({ type: 'picture', text: 'New', media: url('/media/m1/shoe.png') });
    assert.equal(r.json.status, 0, JSON.stringify(r.json));
    assert.deepEqual((await last('viber')).media, [{ type: 'picture', filename: 'shoe.png', mime_type: 'image/png', size: PNG.length, sha256: sha(PNG), source: 'link', url: url('/media/m1/shoe.png'), caption: 'New' }]);
    assert.equal((await viber({ type: 'picture', text: 'New', media: url('/media/m3/big.png') })).json.status, 3);
    assert.equal((await viber({ type: 'picture', media: url('/media/m1/shoe.png') })).json.status, 3); // text required
    // The extension must be the URL's last path segment: .jpeg/.jpg/.png/.gif for a picture, .mp4 for a video.
    served.set('/media/m5/shoe', { type: 'image/png', bytes: PNG, name: 'shoe' });
    assert.equal((await viber({ type: 'picture', text: '', media: url('/media/m5/shoe') })).json.status, 3);
    assert.equal((await viber({ type: 'video', media: url('/media/m1/shoe.png'), size: PNG.length })).json.status, 3);
    r = await viber({ type: 'file', media: url('/media/m2/invoice.pdf'), size: PDF.length, file_name: 'invoice.pdf' });
    assert.equal(r.json.status, 0);
    assert.equal((await last('viber')).media[0].filename, 'invoice.pdf');
    assert.equal((await viber({ type: 'file', media: url('/media/m2/invoice.pdf'), size: PDF.length })).json.status, 4);
    assert.equal((await viber({ type: 'file', media: url('/media/m2/invoice.pdf'), size: PDF.length, file_name: 'setup.exe' })).json.status, 3);
    assert.equal((await viber({ type: 'file', media: url('/media/m2/invoice.pdf', 'bad'), size: PDF.length, file_name: 'invoice.pdf' })).json.status, 3);
  });

  test('WeChat: media/upload takes an image in field "media", and an image message must name a media_id of the same account', async () => {
    const token = async (appid) => (await (await fetch(`${s.url}/wechat/cgi-bin/token?grant_type=client_credential&appid=${appid}&secret=x`)).json()).access_token;
    const t1 = await token('wxA1');
    const t2 = await token('wxB2');
    const upload = (t, type, name, mime, bytes) => {
      const form = new FormData();
      if (bytes) form.append('media', new Blob([bytes], { type: mime }), name);
      return post(`/wechat/cgi-bin/media/upload?access_token=${t}&type=${type}`, form);
    };
    let r = await upload(t1, 'image', 'shoe.png', 'image/png', PNG);
    assert.equal(r.status, 200);
    assert.equal(r.json.type, 'image');
    assert.match(r.json.media_id, /^[A-Za-z0-9_-]{20,}$/);
    assert.equal(typeof r.json.created_at, 'number');
    const mediaId = r.json.media_id;
    assert.deepEqual((await last('wechat')).media, [{ type: 'image', filename: 'shoe.png', mime_type: 'image/png', size: PNG.length, sha256: sha(PNG), source: 'upload' }]);
    // Not an image, too large, no file, an unknown type, a bad token.
    assert.equal((await upload(t1, 'image', 'invoice.pdf', 'application/pdf', PDF)).json.errcode, 40005);
    const big = Buffer.concat([PNG, Buffer.alloc(2 * 1024 * 1024)]);
    assert.equal((await upload(t1, 'image', 'big.png', 'image/png', big)).json.errcode, 40009);
    assert.equal((await upload(t1, 'image', 'x', 'image/png', null)).json.errcode, 41005);
    assert.equal((await upload(t1, 'file', 'shoe.png', 'image/png', PNG)).json.errcode, 40004);
    assert.equal((await upload('nope', 'image', 'shoe.png', 'image/png', PNG)).json.errcode, 40001);
    // The image message: only a media_id this account uploaded (within the customer's 48 hours).
    await fetch(`${s.url}/__sim/wechat/interaction`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ openid: 'oCustomer01' }) });
    const image = (t, id) => post(`/wechat/cgi-bin/message/custom/send?access_token=${t}`, JSON.stringify({ touser: 'oCustomer01', msgtype: 'image', image: { media_id: id } }), { 'content-type': 'application/json' });
    assert.equal((await image(t2, mediaId)).json.errcode, 40007, "another account's media_id");
    assert.equal((await image(t1, 'unknown')).json.errcode, 40007);
    r = await image(t1, mediaId);
    assert.deepEqual(r.json, { errcode: 0, errmsg: 'ok' });
    const sent = (await (await fetch(`${s.url}/__sim/wechat/records`)).json()).sent.at(-1);
    assert.deepEqual(sent.media, { type: 'image', filename: 'shoe.png', mime_type: 'image/png', size: PNG.length, sha256: sha(PNG), source: 'upload' });
  });
});
