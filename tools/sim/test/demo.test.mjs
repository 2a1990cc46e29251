// `make demo` end to end: scripts/demo.mjs starts the provider simulator and the real `bottega
// demo --simulator-url` (as the Makefile does, here on free ports), and a customer on the
// simulator's phone page talks to the demo shop on WhatsApp, Telegram, Messenger and Instagram: the bot
// answers, a tap on its buttons is understood, an agent's reply through the API reaches the phone.
// Then Ctrl-C stops both processes, and a second start on the same data directory works.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

import { BOTTEGA_BIN, call, eventually, freePort, newDataDir, removeDataDir, startDemo, waitForPhone } from './demo_process.mjs';

describe('make demo with the provider simulator', () => {
  let dir;
  let demo;
  const bottega = (method, path, body) => call(method, demo.bottega + path, body, { Authorization: `Bearer ${demo.token}` });
  const phoneSend = (body) => call('POST', `${demo.sim}/__sim/phone/send`, body);

  before(async () => {
    dir = newDataDir();
    demo = await startDemo(dir);
  });

  after(async () => {
    if (demo) await demo.stop();
    removeDataDir(dir);
  });

  async function channelOf(type) {
    const r = await bottega('GET', '/api/v1/channels');
    assert.equal(r.status, 200);
    const ch = r.body.data.find((c) => c.type === type);
    assert.ok(ch, `the demo shop has a ${type} channel: ${JSON.stringify(r.body)}`);
    return ch;
  }

  /** The one conversation of `contactName` on the channel. */
  async function conversationOn(channelId, contactName) {
    const r = await bottega('GET', `/api/v1/conversations?channel_id=${channelId}`);
    assert.equal(r.status, 200);
    const mine = r.body.data.filter((c) => c.contact?.name === contactName);
    assert.equal(mine.length, 1, JSON.stringify(r.body));
    return mine[0];
  }

  test('the demo prints the phone next to the other URLs, and its provider channels send through the simulator', async () => {
    assert.match(demo.output(), /Customer phone:\s+http:\/\/127\.0\.0\.1:\d+\/phone/);
    for (const type of ['whatsapp', 'telegram', 'messenger', 'instagram', 'twilio', 'viber', 'wechat']) {
      const ch = await channelOf(type);
      assert.ok(ch.settings.api_base_url.startsWith(`${demo.sim}/${type}`), JSON.stringify(ch.settings));
    }
    const page = await fetch(demo.phone);
    assert.equal(page.status, 200);
    assert.ok(page.headers.get('content-security-policy'));
  });

  test('WhatsApp: the customer asks, the bot answers with buttons, a tap is understood, an agent reply arrives', async () => {
    const customer = '393330000001';
    const sent = await phoneSend({ channel: 'whatsapp', customer, name: 'Giulia Demo', text: 'How long does delivery take?' });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.equal(sent.body.delivery.status, 200, 'Bottega verified the signed webhook');

    const answer = await waitForPhone(demo.sim, 'whatsapp', customer, (m) => m.from === 'business' && /working day/.test(m.text));
    assert.deepEqual(answer.buttons.map((b) => b.id), ['yes', 'no']);

    const ch = await channelOf('whatsapp');
    const conv = await conversationOn(ch.id, 'Giulia Demo');
    const msgs = await bottega('GET', `/api/v1/conversations/${conv.id}/messages`);
    assert.equal(msgs.status, 200);
    assert.ok(msgs.body.data.some((m) => m.direction === 'in' && m.text === 'How long does delivery take?'), JSON.stringify(msgs.body));

    const tap = await phoneSend({ channel: 'whatsapp', customer, reply: { id: 'yes', title: 'Yes', kind: 'button', message: answer.seq } });
    assert.equal(tap.body.delivery.status, 200);
    await waitForPhone(demo.sim, 'whatsapp', customer, (m) => m.from === 'business' && m.seq > tap.body.message.seq && /glad/i.test(m.text));

    const text = 'Ciao Giulia, Alice here <b>not bold</b>';
    const reply = await bottega('POST', `/api/v1/conversations/${conv.id}/messages`, { text });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    const got = await waitForPhone(demo.sim, 'whatsapp', customer, (m) => m.from === 'business' && m.text === text);
    assert.ok(got.ref.startsWith('wamid.'));

    // The customer reads it: WhatsApp's read status reaches the message in Bottega.
    const read = await call('POST', `${demo.sim}/__sim/phone/read`, { channel: 'whatsapp', customer });
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.ok(read.body.receipts >= 1);
    assert.equal(read.body.delivery.status, 200);
    await eventually("the agent's message marked read", async () => {
      const all = await bottega('GET', `/api/v1/conversations/${conv.id}/messages`);
      return all.body.data.find((m) => m.id === reply.body.id)?.delivery?.state === 'read';
    });

    // A payment link (the demo's sandbox provider) arrives as a link the customer can open.
    const link = await bottega('POST', '/api/v1/payment_links', { conversation_id: conv.id, amount: 4200, currency: 'EUR' });
    assert.equal(link.status, 201, JSON.stringify(link.body));
    const pay = await waitForPhone(demo.sim, 'whatsapp', customer, (m) => m.from === 'business' && m.links?.length > 0);
    assert.ok(pay.links[0].url.startsWith(demo.bottega), JSON.stringify(pay));
    const checkout = await fetch(pay.links[0].url);
    assert.equal(checkout.status, 200, 'the checkout page opens');

    // A product card: its image and "Add to cart" button; a tap puts the item in the cart.
    const card = await bottega('POST', `/api/v1/conversations/${conv.id}/messages`, { kind: 'product', sku: 'SNK-CLS-42' });
    assert.equal(card.status, 201, JSON.stringify(card.body));
    const shown = await waitForPhone(demo.sim, 'whatsapp', customer, (m) => m.from === 'business' && m.buttons?.some((b) => b.id === 'buy:SNK-CLS-42'));
    assert.match(shown.text, /sneaker/i);
    assert.ok(shown.image?.startsWith('https://'), JSON.stringify(shown));
    const buy = await phoneSend({ channel: 'whatsapp', customer, reply: { id: 'buy:SNK-CLS-42', title: 'Add to cart', kind: 'button', message: shown.seq } });
    assert.equal(buy.body.delivery.status, 200);
    await eventually('the internal note about the cart', async () => {
      const all = await bottega('GET', `/api/v1/conversations/${conv.id}/messages`);
      return all.body.data.some((m) => m.kind === 'note' && /SNK-CLS-42/.test(m.text));
    });
  });

  test("a customer's photo on WhatsApp reaches the agents: Bottega fetches it through the simulated Graph API", async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    const customer = '393330000002';
    const sent = await phoneSend({ channel: 'whatsapp', customer, name: 'Marco Photo', text: 'the box arrived like this', image: { content_base64: png, mime_type: 'image/png' } });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.equal(sent.body.delivery.status, 200);
    const ch = await channelOf('whatsapp');
    const conv = await conversationOn(ch.id, 'Marco Photo');
    const attachment = await eventually('the photo stored (or refused)', async () => {
      const msgs = await bottega('GET', `/api/v1/conversations/${conv.id}/messages`);
      const a = msgs.body.data.find((x) => x.kind === 'media' && x.text === 'the box arrived like this')?.content?.attachments?.[0];
      return a?.media_id || a?.media_error ? a : null;
    });
    assert.ok(attachment.media_id, JSON.stringify(attachment));
    const file = await fetch(`${demo.bottega}/api/v1/media/${attachment.media_id}`, { headers: { Authorization: `Bearer ${demo.token}` } });
    assert.equal(file.status, 200);
    assert.deepEqual(Buffer.from(await file.arrayBuffer()), Buffer.from(png, 'base64'));
  });

  test("a customer's photo on Viber reaches the agents: Bottega downloads it from the signed dl-media URL the simulator serves", async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    const sent = await phoneSend({ channel: 'viber', customer: 'VbDemoPhoto000000000006==', name: 'Vito Photo', text: 'is this the blue one?', image: { content_base64: png, mime_type: 'image/png' } });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.equal(sent.body.delivery.status, 200);
    const ch = await channelOf('viber');
    const conv = await eventually('the Viber conversation', async () => {
      const r = await bottega('GET', `/api/v1/conversations?channel_id=${ch.id}`);
      return r.body.data.find((c) => c.contact?.name === 'Vito Photo');
    });
    const attachment = await eventually('the photo stored (or refused)', async () => {
      const msgs = await bottega('GET', `/api/v1/conversations/${conv.id}/messages`);
      const a = msgs.body.data.find((x) => x.kind === 'media' && x.text === 'is this the blue one?')?.content?.attachments?.[0];
      return a?.media_id || a?.media_error ? a : null;
    });
    assert.ok(attachment.media_id, JSON.stringify(attachment));
    assert.match(attachment.url, new RegExp(`^${demo.sim}/viber/dl-media/`));
    const file = await fetch(`${demo.bottega}/api/v1/media/${attachment.media_id}`, { headers: { Authorization: `Bearer ${demo.token}` } });
    assert.equal(file.status, 200);
    assert.deepEqual(Buffer.from(await file.arrayBuffer()), Buffer.from(png, 'base64'));
  });

  test('Telegram, Messenger and Instagram: the bot answers there too', async () => {
    for (const [type, customer] of [['telegram', '5550000001'], ['messenger', '2410000000000002'], ['instagram', '2410000000000003']]) {
      const sent = await phoneSend({ channel: type, customer, name: 'Luca Demo', text: 'Do you ship to Belgium?' });
      assert.equal(sent.body.delivery.status, 200, `${type}: ${JSON.stringify(sent.body)}`);
      const answer = await waitForPhone(demo.sim, type, customer, (m) => m.from === 'business' && /EU country/.test(m.text));
      assert.ok(answer.buttons?.length >= 2, `${type} answer has choices: ${JSON.stringify(answer)}`);
    }
  });

  test('Twilio SMS, Viber and WeChat: the customer writes from the phone, the bot answers there; Viber and WeChat choices are tapped', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    const sms = '+15550000004';
    const sent = await phoneSend({ channel: 'twilio', customer: sms, name: 'Ada Sms', text: 'Do you ship to Belgium?' });
    assert.equal(sent.body.delivery.status, 200, JSON.stringify(sent.body));
    const smsAnswer = await waitForPhone(demo.sim, 'twilio', sms, (m) => m.from === 'business' && /EU country/.test(m.text));
    assert.match(smsAnswer.text, /1\./, 'SMS has no buttons: numbered choices');

    for (const [type, customer, kind] of [['viber', 'VbDemoUser0000000004==', 'reply'], ['wechat', 'oDemoOpenId000000000000004', 'msgmenu']]) {
      const s = await phoneSend({ channel: type, customer, name: 'Ada Demo', text: 'Do you ship to Belgium?' });
      assert.equal(s.body.delivery.status, 200, `${type}: ${JSON.stringify(s.body)}`);
      const answer = await waitForPhone(demo.sim, type, customer, (m) => m.from === 'business' && /EU country/.test(m.text));
      assert.ok(answer.buttons?.length >= 2, `${type} answer has choices: ${JSON.stringify(answer)}`);
      assert.equal(answer.buttons[0].kind, kind);
      const tap = await phoneSend({ channel: type, customer, reply: { ...answer.buttons[0], message: answer.seq } });
      assert.equal(tap.body.delivery.status, 200, `${type} tap: ${JSON.stringify(tap.body)}`);
      const ch = await channelOf(type);
      const conv = await eventually(`the ${type} conversation`, async () => {
        const r = await bottega('GET', `/api/v1/conversations?channel_id=${ch.id}`);
        return r.body.data.find((c) => c.contact?.external_id === customer || c.contact?.name === customer || c.contact?.name === 'Ada Demo');
      });
      const tapped = await eventually(`the ${type} tap stored as a choice`, async () => {
        const msgs = await bottega('GET', `/api/v1/conversations/${conv.id}/messages`);
        return msgs.body.data.find((m) => m.kind === 'interactive_reply');
      });
      assert.equal(tapped.text, answer.buttons[0].title, JSON.stringify(tapped));
    }

    // A photo from WeChat reaches the console (downloaded through media/get).
    const photo = await phoneSend({ channel: 'wechat', customer: 'oDemoOpenId000000000000005', image: { content_base64: png, mime_type: 'image/png' } });
    assert.equal(photo.body.delivery.status, 200, JSON.stringify(photo.body));
    const ch = await channelOf('wechat');
    const stored = await eventually('the WeChat photo stored', async () => {
      const r = await bottega('GET', `/api/v1/conversations?channel_id=${ch.id}`);
      const conv = r.body.data.find((c) => c.contact?.name === 'oDemoOpenId000000000000005');
      if (!conv) return null;
      const msgs = await bottega('GET', `/api/v1/conversations/${conv.id}/messages`);
      const a = msgs.body.data.find((x) => x.kind === 'media')?.content?.attachments?.[0];
      return a?.media_id || a?.media_error ? a : null;
    });
    assert.ok(stored.media_id, JSON.stringify(stored));
  });

  test('Ctrl-C stops both processes; a second start on the same data keeps the shop and its conversations', async () => {
    const first = demo;
    const token = first.token;
    assert.equal(await first.stop(), 0, first.output());
    demo = null;
    await assert.rejects(fetch(`${first.bottega}/healthz`), 'bottega stopped');
    await assert.rejects(fetch(`${first.sim}/__sim`), 'the simulator stopped');

    // The simulator on another port this time: the channels must follow it.
    for (let attempt = 1; !demo; attempt++) {
      try {
        demo = await startDemo(dir, { simPort: await freePort(Number(new URL(first.sim).port)) });
      } catch (e) {
        // Someone else took the free port between the probe and the simulator's bind: another one.
        if (attempt >= 3 || !/EADDRINUSE/.test(e.message)) throw e;
      }
    }
    assert.equal(demo.token, token, 'the same shop');
    assert.notEqual(demo.sim, first.sim, 'the simulator is on a new port');
    const ch = await channelOf('whatsapp');
    assert.ok(ch.settings.api_base_url.startsWith(`${demo.sim}/whatsapp`), 'the channel follows the simulator');
    const channels = await bottega('GET', '/api/v1/channels');
    assert.equal(channels.body.data.filter((c) => c.type === 'whatsapp').length, 1, 'no second WhatsApp channel');
    const conv = await conversationOn(ch.id, 'Giulia Demo');

    // The same customer writes again: the same conversation, and the answers reach the new simulator.
    const customer = '393330000001';
    const sent = await phoneSend({ channel: 'whatsapp', customer, text: 'Which countries do you ship to?' });
    assert.equal(sent.body.delivery.status, 200);
    const reply = await bottega('POST', `/api/v1/conversations/${conv.id}/messages`, { text: 'Welcome back!' });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    await waitForPhone(demo.sim, 'whatsapp', customer, (m) => m.from === 'business' && m.text === 'Welcome back!');
  });

  test('a bad --simulator-url is refused before anything is written', async () => {
    const fresh = newDataDir();
    try {
      for (const bad of ['ftp://127.0.0.1:8090', 'not a url', 'http://127.0.0.1:8090/?x=1']) {
        const r = await new Promise((resolve) =>
          execFile(BOTTEGA_BIN, ['demo', '--port', '0', '--data-dir', fresh, '--simulator-url', bad], { timeout: 30_000 }, (err, stdout, stderr) =>
            resolve({ code: err?.code ?? 0, stderr })),
        );
        assert.notEqual(r.code, 0, bad);
        assert.match(r.stderr, /--simulator-url/, bad);
      }
      assert.equal(existsSync(path.join(fresh, 'bottega.db')), false, 'no demo data was created');
    } finally {
      removeDataDir(fresh);
    }
  });
});
