// Product cards and cart summaries sent into conversations, end to end: the real bottega binary
// (BOTTEGA_BIN, default /work/main/build/bottega) against the provider simulator. For each channel
// the card must reach the provider API in that provider's own shape (providers.md):
//   WhatsApp   interactive message with the product image as header and reply/URL button, or the
//              catalog's single-product message when the channel has a catalog_id
//   Messenger  generic template (title, price line, image, postback + web_url buttons)
//   Telegram   sendPhoto with the text as caption and an inline keyboard
//   Twilio     SMS text with the link
//   Viber      one rich media item (image, title, reply + open-url buttons), alt_text for old clients
//   WeChat     msgmenu when there is a choice to tap, otherwise a news article (image and page)
//   web chat   the visitor's own message list carries the card's content
// Several products in one message: WhatsApp's catalog multi-product message (product_list) or the
// numbered text list, a Messenger carousel, Telegram's list with a row of buttons per product,
// the SMS list, the web chat's content.products.
// Prices in the customer's language and the catalog's currency; out of stock said plainly and
// without a buy button.
//
//   node --test tools/sim/test/product_cards.test.mjs

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';

import * as P from '../payloads.mjs';
import { api, env, eventually, lastSeq, rand, request, serverLogTail, simApi, sleep, useServers } from './harness.mjs';

async function channelWithConversation(type, settings, inbound, secret) {
  const r = await api('POST', '/api/v1/channels', { type, name: `${type} ${rand(2)}`, settings });
  assert.equal(r.status, 201, r.text);
  const channel = r.json;
  const off = await api('PUT', `/api/v1/channels/${channel.id}/bot`, { enabled: false });
  assert.equal(off.status, 200, off.text);
  const d = await simApi('POST', '/__sim/deliver', { provider: type, url: channel.webhook_url, payload: inbound, ...secret });
  assert.equal(d.status, 200, d.text);
  assert.equal(d.json.status, 200, JSON.stringify(d.json));
  const conv = await eventually(`a conversation on ${type}`, async () => {
    const list = await api('GET', `/api/v1/conversations?channel_id=${channel.id}`);
    return list.json.data[0];
  });
  return { channel, conv };
}

/** Sends a card and returns {msg, req}: the stored message and the one provider request it caused. */
async function sendCard(provider, convId, body) {
  const since = await lastSeq();
  const r = await api('POST', `/api/v1/conversations/${convId}/messages`, body);
  assert.equal(r.status, 201, r.text);
  const reqs = (await simApi('GET', `/__sim/requests?provider=${provider}&since=${since}&wait=6000`)).json.requests;
  assert.equal(reqs.length, 1, `expected one ${provider} request, got ${reqs.length}\n${serverLogTail()}`);
  const msg = r.json;
  await eventually(`message ${msg.id} sent`, async () => {
    const list = await api('GET', `/api/v1/conversations/${convId}/messages?limit=200`);
    const m = list.json.data.find((x) => x.id === msg.id);
    return m?.delivery?.state === 'sent' ? m : false;
  });
  return { msg, req: reqs[0] };
}

/** The internal note in the conversation that `pick` recognizes (written asynchronously by a listener). */
async function noteAbout(convId, pick) {
  return eventually('an internal note', async () => {
    const list = await api('GET', `/api/v1/conversations/${convId}/messages?limit=200`);
    return list.json.data.find((m) => m.kind === 'note' && pick(m));
  });
}

const IMAGE = 'https://img.example/trail-runner.jpg';
const URL = 'https://shop.example/products/trail-runner';
const SOCK_IMAGE = 'https://img.example/wool-sock.jpg';

useServers(async () => {
  const r = await api('POST', '/api/v1/products', {
    handle: 'trail-runner',
    title: { en: 'Trail runner', it: 'Scarpa da trail', de: 'Trailschuh' },
    description: { en: 'Grippy sole <b>&</b> light upper', it: 'Suola aderente e tomaia leggera' },
    images: [{ url: IMAGE, alt: 'runner' }],
    variants: [
      { sku: 'TR-42', title: 'EU 42', prices: { EUR: 12900 }, stock: 7 },
      { sku: 'TR-43', title: 'EU 43', prices: { EUR: 12900 }, stock: 0 },
    ],
  });
  assert.equal(r.status, 201, r.text);
  const sock = await api('POST', '/api/v1/products', {
    handle: 'wool-sock',
    title: { en: 'Wool sock', it: 'Calza di lana', de: 'Wollsocke' },
    images: [{ url: SOCK_IMAGE, alt: 'sock' }],
    variants: [{ sku: 'WS-1', prices: { EUR: 900 }, stock: 2 }],
  });
  assert.equal(sock.status, 201, sock.text);
});

/** Two products in one message: the trail runner (with its page) and the wool sock. */
const TWO = [{ sku: 'TR-42', url: URL }, { sku: 'WS-1' }];

describe('whatsapp', () => {
  const waId = `1650555${randomInt(1000, 9999)}`;
  const settings = () => ({
    phone_number_id: P.WA_DEFAULTS.phoneNumberId,
    access_token: `EAAG${rand(8)}`,
    app_secret: rand(16),
    verify_token: `vt-${rand(4)}`,
    api_base_url: `${env.simBase}/whatsapp/v21.0`,
  });

  test('a card becomes an interactive message: image header, localized text, URL button', async () => {
    const s = settings();
    const { conv } = await channelWithConversation('whatsapp', s, P.whatsappText(waId, 'Ciao, avete scarpe da trail?', P.newWamid(), { name: 'Giulia' }), { app_secret: s.app_secret });
    const { msg, req } = await sendCard('whatsapp', conv.id, { kind: 'product', sku: 'TR-42', language: 'it', url: URL });
    assert.equal(msg.kind, 'product');
    assert.equal(msg.content.product.price.formatted, '129,00 €');
    assert.equal(req.path, `/whatsapp/v21.0/${s.phone_number_id}/messages`);
    assert.deepEqual(req.json, {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: waId,
      type: 'interactive',
      interactive: {
        type: 'cta_url',
        header: { type: 'image', image: { link: IMAGE } },
        body: { text: 'Scarpa da trail - EU 42\n129,00 € · Disponibile\nSuola aderente e tomaia leggera' },
        action: { name: 'cta_url', parameters: { display_text: 'Vedi prodotto', url: URL } },
      },
    });

    // Without a page: an "add to cart" reply button under the image.
    const second = await sendCard('whatsapp', conv.id, { kind: 'product', sku: 'TR-42', language: 'it' });
    assert.deepEqual(second.req.json.interactive.action, { buttons: [{ type: 'reply', reply: { id: 'buy:TR-42', title: 'Aggiungi al carrello' } }] });
    assert.equal(second.req.json.interactive.type, 'button');

    // Out of stock: said plainly, no button; just the image with its caption.
    const gone = await sendCard('whatsapp', conv.id, { kind: 'product', sku: 'TR-43', language: 'it' });
    assert.equal(gone.req.json.type, 'image');
    assert.deepEqual(gone.req.json.image, { link: IMAGE, caption: 'Scarpa da trail - EU 43\n129,00 € · Esaurito\nSuola aderente e tomaia leggera' });
    assert.equal(gone.msg.content.product.available, false);
  });

  test('with a WhatsApp catalog the card is the catalog single-product message', async () => {
    const s = { ...settings(), catalog_id: '1234567890' };
    const { conv } = await channelWithConversation('whatsapp', s, P.whatsappText(`1650556${randomInt(1000, 9999)}`, 'hi', P.newWamid(), { name: 'Sam' }), { app_secret: s.app_secret });
    const { req } = await sendCard('whatsapp', conv.id, { kind: 'product', sku: 'TR-42', language: 'en' });
    assert.deepEqual(req.json.interactive, {
      type: 'product',
      body: { text: '€129.00 · In stock' },
      action: { catalog_id: '1234567890', product_retailer_id: 'TR-42' },
    });
  });

  test('several products: the catalog multi-product message, or the numbered list without a catalog', async () => {
    const s = { ...settings(), catalog_id: '1234567890' };
    const { conv } = await channelWithConversation('whatsapp', s, P.whatsappText(`1650559${randomInt(1000, 9999)}`, 'ciao', P.newWamid(), { name: 'Lia' }), { app_secret: s.app_secret });
    const { msg, req } = await sendCard('whatsapp', conv.id, { kind: 'product', products: TWO, language: 'it', text: 'Due idee per te' });
    assert.equal(msg.kind, 'product');
    assert.deepEqual(msg.content.products.map((p) => [p.sku, p.price.formatted, p.choice?.id]), [['TR-42', '129,00 €', 'buy:TR-42'], ['WS-1', '9,00 €', 'buy:WS-1']]);
    assert.deepEqual(req.json.interactive, {
      type: 'product_list',
      header: { type: 'text', text: 'I nostri consigli per te' },
      body: { text: 'Due idee per te' },
      action: { catalog_id: '1234567890', sections: [{ title: 'I nostri consigli per te', product_items: [{ product_retailer_id: 'TR-42' }, { product_retailer_id: 'WS-1' }] }] },
    });

    // Without a catalog WhatsApp has no product carousel: the numbered list with the pages.
    const plain = settings();
    const other = await channelWithConversation('whatsapp', plain, P.whatsappText(`1650554${randomInt(1000, 9999)}`, 'hi', P.newWamid(), { name: 'Max' }), { app_secret: plain.app_secret });
    const list = await sendCard('whatsapp', other.conv.id, { kind: 'product', products: TWO, language: 'en' });
    assert.equal(list.req.json.type, 'text');
    assert.equal(list.req.json.text.body,
      `Our picks for you\n\n1. Trail runner - EU 42\n€129.00 · In stock\nGrippy sole <b>&</b> light upper\n${URL}\n\n2. Wool sock\n€9.00 · Only 2 left`);
  });

  test('a catalog order sent from WhatsApp becomes a cart the agent can summarize and send a link for', async () => {
    const s = { ...settings(), catalog_id: '194836987003835' };
    const from = `1650558${randomInt(1000, 9999)}`;
    const { conv } = await channelWithConversation('whatsapp', s, P.whatsappText(from, 'hi', P.newWamid(), { name: 'Olga' }), { app_secret: s.app_secret });
    const order = P.whatsappOrder(from, [
      { product_retailer_id: 'TR-42', quantity: 2, item_price: 129, currency: 'EUR' },
      { product_retailer_id: 'GHOST-1', quantity: 1, item_price: 5, currency: 'EUR' },
    ], P.newWamid(), { name: 'Olga', text: 'for my trip' });
    const d = await simApi('POST', '/__sim/deliver', { provider: 'whatsapp', url: `${env.base}/webhooks/${conv.channel_id}`, payload: order, app_secret: s.app_secret });
    assert.equal(d.json.status, 200, JSON.stringify(d.json));
    const note = await noteAbout(conv.id, (n) => n.content.order_message_id);
    assert.match(note.text, /2 x TR-42/);
    assert.match(note.text, /Not added: GHOST-1 \(unknown_sku\)/);
    const cart = await api('GET', `/api/v1/carts/${note.content.cart_id}`);
    assert.equal(cart.status, 200, cart.text);
    assert.equal(cart.json.source, 'whatsapp');
    assert.deepEqual(cart.json.items.map((i) => [i.sku, i.quantity, i.unit_price]), [['TR-42', 2, 12900]]);

    // The agent sends the summary, then a payment link for that cart: a CTA URL button on WhatsApp.
    const sum = await sendCard('whatsapp', conv.id, { kind: 'cart', cart_id: cart.json.id, language: 'en' });
    assert.equal(sum.req.json.type, 'text');
    assert.match(sum.req.json.text.body, /^Your cart:\n2 × Trail runner - EU 42 — €258\.00\n/);
    const prov = await api('POST', '/api/v1/payment_providers', { type: 'sandbox', name: `sbx ${rand(2)}`, settings: {} });
    assert.equal(prov.status, 201, prov.text);
    const since = await lastSeq();
    const link = await api('POST', '/api/v1/payment_links', { conversation_id: conv.id, cart_id: cart.json.id, provider_id: prov.json.id });
    assert.equal(link.status, 201, link.text);
    assert.equal(link.json.amount, 25800);
    const reqs = (await simApi('GET', `/__sim/requests?provider=whatsapp&since=${since}&wait=6000`)).json.requests;
    assert.equal(reqs.length, 1);
    assert.equal(reqs[0].json.interactive.type, 'cta_url');
    assert.equal(reqs[0].json.interactive.action.parameters.url, link.json.url);
    assert.match(reqs[0].json.interactive.body.text, new RegExp(link.json.verification_code));
  });

  test('bad input is refused with the field and nothing is sent', async () => {
    const s = settings();
    const { conv } = await channelWithConversation('whatsapp', s, P.whatsappText(`1650557${randomInt(1000, 9999)}`, 'hi', P.newWamid(), { name: 'Kim' }), { app_secret: s.app_secret });
    const since = await lastSeq();
    const cases = [
      [{ kind: 'product' }, 400, 'sku'],
      [{ kind: 'product', sku: 'NOPE' }, 400, 'sku'],
      [{ kind: 'product', sku: 'TR-42', url: 'javascript:alert(1)' }, 400, 'url'],
      [{ kind: 'product', sku: 'TR-42', currency: 'JPY' }, 422, 'currency'],
      [{ kind: 'product', sku: 'TR-42', colour: 'red' }, 400, 'colour'],
      [{ kind: 'cart', cart_id: 'crt_nope' }, 400, 'cart_id'],
      [{ kind: 'product', products: [{ sku: 'TR-42' }] }, 400, 'products'],
      [{ kind: 'product', products: [{ sku: 'TR-42' }, { sku: 'NOPE' }] }, 400, 'products[1].sku'],
      [{ kind: 'product', products: [{ sku: 'TR-42' }, { sku: 'TR-42' }] }, 400, 'products[1].sku'],
      [{ kind: 'product', products: [{ sku: 'TR-42' }, { sku: 'WS-1', colour: 'red' }] }, 400, 'products[1].colour'],
      [{ kind: 'product', sku: 'TR-42', products: TWO }, 400, 'sku'],
    ];
    for (const [body, status, field] of cases) {
      const r = await api('POST', `/api/v1/conversations/${conv.id}/messages`, body);
      assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
      assert.equal(r.json.error.field, field, r.text);
    }
    await sleep(300);
    const reqs = (await simApi('GET', `/__sim/requests?provider=whatsapp&since=${since}`)).json.requests;
    assert.equal(reqs.length, 0);
    const list = await api('GET', `/api/v1/conversations/${conv.id}/messages`);
    assert.equal(list.json.data.filter((m) => m.direction === 'out').length, 0);
  });
});

describe('messenger', () => {
  test('a card becomes a generic template with image, price line and buttons', async () => {
    const psid = `2408${randomInt(1e9, 9e9)}`;
    const pageId = P.META_PAGE_DEFAULTS.pageId;
    const s = { page_id: pageId, page_access_token: `EAAB${rand(8)}`, app_secret: rand(16), verify_token: 'vt', api_base_url: `${env.simBase}/messenger/v21.0` };
    const { conv } = await channelWithConversation('messenger', s, P.messengerText(psid, pageId, 'Hallo, habt ihr Trailschuhe?'), { app_secret: s.app_secret });
    const { req } = await sendCard('messenger', conv.id, { kind: 'product', sku: 'TR-42', language: 'de', url: URL });
    assert.equal(req.json.messaging_type, 'RESPONSE');
    assert.deepEqual(req.json.recipient, { id: psid });
    assert.deepEqual(req.json.message, {
      attachment: {
        type: 'template',
        payload: {
          template_type: 'generic',
          elements: [{
            title: 'Trailschuh - EU 42',
            subtitle: '129,00 € · Auf Lager\nGrippy sole <b>&</b> light upper',
            image_url: IMAGE,
            default_action: { type: 'web_url', url: URL },
            buttons: [
              { type: 'web_url', url: URL, title: 'Produkt ansehen' },
              { type: 'postback', title: 'In den Warenkorb', payload: 'buy:TR-42' },
            ],
          }],
        },
      },
    });
  });
});

describe('messenger carousel', () => {
  test('several products become a generic template carousel, one element per product with its own buttons', async () => {
    const psid = `2409${randomInt(1e9, 9e9)}`;
    const pageId = P.META_PAGE_DEFAULTS.pageId;
    const s = { page_id: pageId, page_access_token: `EAAB${rand(8)}`, app_secret: rand(16), verify_token: 'vt', api_base_url: `${env.simBase}/messenger/v21.0` };
    const { conv } = await channelWithConversation('messenger', s, P.messengerText(psid, pageId, 'Hello'), { app_secret: s.app_secret });
    const { req } = await sendCard('messenger', conv.id, { kind: 'product', products: TWO, language: 'en' });
    assert.deepEqual(req.json.message, {
      attachment: {
        type: 'template',
        payload: {
          template_type: 'generic',
          elements: [
            {
              title: 'Trail runner - EU 42',
              subtitle: '€129.00 · In stock\nGrippy sole <b>&</b> light upper',
              image_url: IMAGE,
              default_action: { type: 'web_url', url: URL },
              buttons: [
                { type: 'web_url', url: URL, title: 'View product' },
                { type: 'postback', title: 'Add to cart', payload: 'buy:TR-42' },
              ],
            },
            {
              title: 'Wool sock',
              subtitle: '€9.00 · Only 2 left',
              image_url: SOCK_IMAGE,
              buttons: [{ type: 'postback', title: 'Add to cart', payload: 'buy:WS-1' }],
            },
          ],
        },
      },
    });
  });
});

describe('telegram', () => {
  test('a card becomes sendPhoto with the caption and an inline keyboard, in the language the client reported', async () => {
    const chatId = randomInt(100_000_000, 2_000_000_000);
    const s = { bot_token: `${randomInt(1e9, 7e9)}:AA${rand(8)}`, secret_token: `st_${rand(4)}`, api_base_url: `${env.simBase}/telegram` };
    const { conv } = await channelWithConversation('telegram', s, P.telegramMessage(chatId, 'hoi', { languageCode: 'nl' }), { secret_token: s.secret_token });
    const { req } = await sendCard('telegram', conv.id, { kind: 'product', sku: 'TR-42', url: URL });
    assert.equal(req.path, `/telegram/bot${s.bot_token}/sendPhoto`);
    assert.deepEqual(req.json, {
      chat_id: chatId,
      photo: IMAGE,
      caption: 'Trail runner - EU 42\n€ 129,00 · Op voorraad\nGrippy sole <b>&</b> light upper',
      reply_markup: { inline_keyboard: [[{ text: 'In winkelwagen', callback_data: 'buy:TR-42' }], [{ text: 'Bekijk product', url: URL }]] },
    });
    assert.equal(req.response.body.ok, true);

    // The customer taps "In winkelwagen": one unit lands in the conversation's cart, the agents get a note.
    const tap = P.telegramCallback(chatId, 'buy:TR-42', { messageId: req.response.body.result.message_id, label: 'In winkelwagen' });
    const d = await simApi('POST', '/__sim/deliver', { provider: 'telegram', url: `${env.base}/webhooks/${conv.channel_id}`, payload: tap, secret_token: s.secret_token });
    assert.equal(d.json.status, 200, JSON.stringify(d.json));
    const note = await noteAbout(conv.id, (n) => n.content.tap_message_id);
    assert.equal(note.content.added, true, note.text);
    const cart = await api('GET', `/api/v1/carts/${note.content.cart_id}`);
    assert.equal(cart.status, 200, cart.text);
    assert.deepEqual(cart.json.items.map((i) => [i.sku, i.quantity]), [['TR-42', 1]]);
  });
});

describe('telegram list', () => {
  test('several products become the numbered list with a row of buttons per product; a tap adds that product', async () => {
    const chatId = randomInt(100_000_000, 2_000_000_000);
    const s = { bot_token: `${randomInt(1e9, 7e9)}:AA${rand(8)}`, secret_token: `st_${rand(4)}`, api_base_url: `${env.simBase}/telegram` };
    const { conv } = await channelWithConversation('telegram', s, P.telegramMessage(chatId, 'hallo', { languageCode: 'de' }), { secret_token: s.secret_token });
    const { req } = await sendCard('telegram', conv.id, { kind: 'product', products: TWO });
    assert.equal(req.path, `/telegram/bot${s.bot_token}/sendMessage`);
    assert.deepEqual(req.json, {
      chat_id: chatId,
      text: `Unsere Auswahl für dich\n\n1. Trailschuh - EU 42\n129,00 € · Auf Lager\nGrippy sole <b>&</b> light upper\n${URL}\n\n2. Wollsocke\n9,00 € · Nur noch 2 verfügbar`,
      reply_markup: {
        inline_keyboard: [
          [{ text: '1. In den Warenkorb', callback_data: 'buy:TR-42' }, { text: '1. Produkt ansehen', url: URL }],
          [{ text: '2. In den Warenkorb', callback_data: 'buy:WS-1' }],
        ],
      },
    });
    const tap = P.telegramCallback(chatId, 'buy:WS-1', { messageId: req.response.body.result.message_id, label: '2. In den Warenkorb' });
    const d = await simApi('POST', '/__sim/deliver', { provider: 'telegram', url: `${env.base}/webhooks/${conv.channel_id}`, payload: tap, secret_token: s.secret_token });
    assert.equal(d.json.status, 200, JSON.stringify(d.json));
    const note = await noteAbout(conv.id, (n) => n.content.tap_message_id);
    assert.equal(note.content.added, true, note.text);
    const cart = await api('GET', `/api/v1/carts/${note.content.cart_id}`);
    assert.deepEqual(cart.json.items.map((i) => [i.sku, i.quantity]), [['WS-1', 1]]);
  });
});

describe('twilio', () => {
  test('a card becomes an SMS with the text and the link, no buttons', async () => {
    const customer = `+1555${randomInt(1_000_000, 9_999_999)}`;
    const s = { account_sid: `AC${rand(16)}`, auth_token: rand(16), from: '+15557122661', api_base_url: `${env.simBase}/twilio` };
    const inbound = P.twilioInbound({ from: customer, to: s.from, body: 'price?', accountSid: s.account_sid });
    const { conv } = await channelWithConversation('twilio', s, inbound, { auth_token: s.auth_token });
    const { req, msg } = await sendCard('twilio', conv.id, { kind: 'product', sku: 'TR-42', language: 'en', url: URL });
    assert.equal(req.form.To, customer);
    assert.equal(req.form.Body, `Trail runner - EU 42\n€129.00 · In stock\nGrippy sole <b>&</b> light upper\n\nView product: ${URL}`);
    assert.equal(req.form.MediaUrl, undefined);
    assert.equal(msg.content.choices, undefined);  // nothing to tap on SMS

    // Several products: the numbered list with the pages, no buttons.
    const list = await sendCard('twilio', conv.id, { kind: 'product', products: TWO, language: 'en', text: 'Two ideas:' });
    assert.equal(list.req.form.Body,
      `Two ideas:\n\n1. Trail runner - EU 42\n€129.00 · In stock\nGrippy sole <b>&</b> light upper\n${URL}\n\n2. Wool sock\n€9.00 · Only 2 left`);
    assert.ok(list.msg.content.products.every((p) => p.choice === undefined));
  });
});

describe('web chat', () => {
  test('the visitor receives the card and the cart summary as content', async () => {
    const ch = await api('POST', '/api/v1/channels', { type: 'webchat', name: 'Site', settings: {} });
    assert.equal(ch.status, 201, ch.text);
    const v = await request(env.base, 'POST', `/api/v1/webchat/${ch.json.id}/visitors`, { name: 'Vera' });
    assert.equal(v.status, 201, v.text);
    const vt = { 'x-visitor-token': v.json.visitor_token };
    const m = await request(env.base, 'POST', `/api/v1/webchat/${ch.json.id}/messages`, { text: 'Do you have trail shoes?' }, vt);
    assert.equal(m.status, 201, m.text);
    const convId = m.json.conversation_id;
    const card = await api('POST', `/api/v1/conversations/${convId}/messages`, { kind: 'product', sku: 'TR-42', language: 'en', text: 'This one is light:' });
    assert.equal(card.status, 201, card.text);
    // A cart with a discount, summarized into the thread.
    const d = await api('POST', '/api/v1/discounts', { code: `TEN${rand(2)}`, kind: 'percentage', percent: '10' });
    assert.equal(d.status, 201, d.text);
    const cart = await api('POST', '/api/v1/carts', { conversation_id: convId, items: [{ sku: 'TR-42', quantity: 2 }] });
    assert.equal(cart.status, 201, cart.text);
    const ap = await api('POST', `/api/v1/carts/${cart.json.id}/discount`, { code: d.json.code });
    assert.equal(ap.status, 200, ap.text);
    const sum = await api('POST', `/api/v1/conversations/${convId}/messages`, { kind: 'cart', cart_id: cart.json.id, language: 'en' });
    assert.equal(sum.status, 201, sum.text);
    assert.equal(sum.json.kind, 'cart');
    assert.equal(sum.json.content.cart.total, 23220);
    assert.match(sum.json.text, /Total: €232\.20/);

    const seen = await request(env.base, 'GET', `/api/v1/webchat/${ch.json.id}/messages`, undefined, vt);
    assert.equal(seen.status, 200, seen.text);
    const p = seen.json.data.find((x) => x.kind === 'product');
    assert.ok(p, seen.text);
    assert.equal(p.content.product.title, 'Trail runner - EU 42');
    assert.equal(p.content.product.price.formatted, '€129.00');
    assert.equal(p.content.product.available, true);
    assert.equal(p.content.product.intro, 'This one is light:');
    assert.deepEqual(p.content.choices, [{ id: 'buy:TR-42', title: 'Add to cart' }]);
    const c = seen.json.data.find((x) => x.kind === 'cart');
    assert.ok(c, seen.text);
    assert.equal(c.content.cart.formatted.total, '€232.20');

    // Several products: the visitor's messages carry them, each with its own buttons.
    const many = await api('POST', `/api/v1/conversations/${convId}/messages`, { kind: 'product', products: TWO, language: 'en' });
    assert.equal(many.status, 201, many.text);
    const again = await request(env.base, 'GET', `/api/v1/webchat/${ch.json.id}/messages`, undefined, vt);
    const l = again.json.data.find((x) => x.id === many.json.id);
    assert.ok(l, again.text);
    assert.equal(l.content.heading, 'Our picks for you');
    assert.deepEqual(l.content.products.map((p) => [p.title, p.price.formatted, p.link?.url ?? null, p.choice?.id]),
      [['Trail runner - EU 42', '€129.00', URL, 'buy:TR-42'], ['Wool sock', '€9.00', null, 'buy:WS-1']]);
  });
});

describe('viber', () => {
  test('a card becomes one rich media item (image, title, buy and page buttons); out of stock: no buttons; several: a numbered list', async () => {
    const user = `${rand(8)}Card=`;
    const s = { auth_token: `${rand(8)}-${rand(8)}`, sender_name: 'Bottega Shop', api_base_url: `${env.simBase}/viber/pa` };
    // A JSON-number message_token below 2^53 (Viber's are 64-bit; that case is viber.test.mjs's).
    const inbound = { event: 'message', timestamp: Date.now(), message_token: randomInt(1e12, 9e12), sender: { id: user, name: 'Vic Card' }, message: { type: 'text', text: 'price?' } };
    const { conv } = await channelWithConversation('viber', s, inbound, { auth_token: s.auth_token });
    const { req, msg } = await sendCard('viber', conv.id, { kind: 'product', sku: 'TR-42', language: 'en', url: URL });
    const b = req.json;
    assert.equal(b.receiver, user);
    assert.equal(b.type, 'rich_media');
    assert.equal(b.min_api_version, 2);
    const items = b.rich_media.Buttons;
    assert.deepEqual(items.map((x) => [x.Rows, x.ActionType]), [[3, 'open-url'], [2, 'none'], [1, 'reply'], [1, 'open-url']]);
    assert.equal(items[0].Image, IMAGE);
    assert.equal(items[0].ActionBody, URL);
    assert.equal(items[1].Text, '<b>Trail runner - EU 42</b><br>€129.00 · In stock');
    assert.equal(items[2].ActionBody, 'Add to cart');
    assert.equal(items[3].ActionBody, URL);
    assert.equal(b.rich_media.ButtonsGroupRows, 7);
    assert.match(b.alt_text, /^Trail runner - EU 42\n€129\.00 · In stock/, 'older clients get the text');
    assert.deepEqual(JSON.parse(b.tracking_data).choices, [['buy:TR-42', 'Add to cart']], 'the tap maps back to the choice id');
    assert.deepEqual(msg.content.choices, [{ id: 'buy:TR-42', title: 'Add to cart' }]);

    const gone = await sendCard('viber', conv.id, { kind: 'product', sku: 'TR-43', language: 'en' });
    assert.equal(gone.req.json.type, 'rich_media');
    assert.deepEqual(gone.req.json.rich_media.Buttons.map((x) => x.ActionType), ['none', 'none'], 'out of stock: nothing to tap');
    assert.match(gone.req.json.rich_media.Buttons[1].Text, /Out of stock/);

    // Several products: no rich media carousel is built; the numbered list as text.
    const list = await sendCard('viber', conv.id, { kind: 'product', products: TWO, language: 'en', text: 'Two ideas:' });
    assert.equal(list.req.json.type, 'text');
    assert.equal(list.req.json.text,
      `Two ideas:\n\n1. Trail runner - EU 42\n€129.00 · In stock\nGrippy sole <b>&</b> light upper\n${URL}\n\n2. Wool sock\n€9.00 · Only 2 left`);
  });
});

describe('wechat', () => {
  test('a card with a buy choice becomes a msgmenu (the page as text); one without choices but with a page, a news article', async () => {
    const openid = `oCard${rand(8)}`;
    const s = { app_id: `wx${rand(8)}`, app_secret: rand(16), token: `tok${rand(6)}`, api_base_url: `${env.simBase}/wechat` };
    const { conv } = await channelWithConversation('wechat', s, P.wechatText(openid, 'price?'), { token: s.token });
    const send = async (body) => {
      const since = await lastSeq();
      const r = await api('POST', `/api/v1/conversations/${conv.id}/messages`, body);
      assert.equal(r.status, 201, r.text);
      return eventually('the custom/send call', async () => {
        const l = (await simApi('GET', `/__sim/requests?provider=wechat&since=${since}&wait=3000`)).json.requests
          .filter((x) => x.path === '/wechat/cgi-bin/message/custom/send');
        return l[0]?.json ?? null;
      });
    };
    const menu = await send({ kind: 'product', sku: 'TR-42', language: 'en', url: URL });
    assert.equal(menu.touser, openid);
    assert.equal(menu.msgtype, 'msgmenu');
    assert.deepEqual(menu.msgmenu.list, [{ id: 'buy:TR-42', content: 'Add to cart' }]);
    assert.equal(menu.msgmenu.head_content, `Trail runner - EU 42\n€129.00 · In stock\nGrippy sole <b>&</b> light upper\n\nView product: ${URL}`);
    const news = await send({ kind: 'product', sku: 'TR-43', language: 'en', url: URL });
    assert.equal(news.msgtype, 'news');
    const a = news.news.articles[0];
    assert.deepEqual([a.title, a.url, a.picurl], ['Trail runner - EU 43', URL, IMAGE]);
    assert.match(a.description, /Out of stock/);
  });
});
