// The "customer phone" of the simulator: a page (GET /phone) where a person plays the customer on
// WhatsApp, Telegram, Messenger, Instagram, Twilio SMS, Viber or WeChat without an account. What the customer types becomes the
// provider's signed webhook to Bottega; what Bottega sends through the simulator's provider APIs
// (recorded like every other call) is shown as the business's messages, with its buttons, lists
// and links, and a tap on a button sends the provider's interactive-reply webhook.
//
// Control API (JSON):
//   POST /__sim/phone/setup    {"channels":[{"type","name"?,"webhook_url","settings":{...}}]}
//        the channels the phone can write to (one per provider; the settings are the channel's in
//        Bottega: WhatsApp phone_number_id + app_secret, Telegram secret_token (+ bot_token),
//        Messenger/Instagram page_id + app_secret, Twilio account_sid + auth_token + from, Viber
//        auth_token, WeChat token). Replaces the previous setup.
//   GET  /__sim/phone/channels   {"channels":[{"type","name"}]} (no secrets)
//   POST /__sim/phone/send     {"channel","customer","name"?,"text"} or {"channel","customer","name"?,
//        "reply":{"id","title","kind"?,"description"?,"message"?}} or {...,"image":{"content_base64",
//        "mime_type"},"text"? (caption)}: the customer writes, taps or sends a photo
//        (kind button|list for WhatsApp, callback for Telegram, quick_reply|postback for Messenger,
//        reply for Viber's keyboard, msgmenu for WeChat; message = the seq of the business message
//        tapped). The customer is a number (digits; Twilio: +E.164), a Viber user id or a WeChat
//        OpenID. Photos go into the provider's media store (simulated), the webhook names them as
//        the provider does (Viber: a picture message whose `media` is a signed dl-media URL).
//        Returns {"message","delivery"}.
//   GET  /__sim/phone/messages?channel=&customer=&since=&wait=   the conversation, both sides, in
//        order: {"messages":[...],"last_seq"}; wait (ms, at most 30000) long-polls for something new.
//   POST /__sim/phone/read     {"channel","customer"}: read receipts for what the business sent
//        (WhatsApp `read` statuses, Messenger message_reads); the page calls it while it is visible.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as P from './payloads.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const TYPES = ['whatsapp', 'telegram', 'messenger', 'instagram', 'twilio', 'viber', 'wechat'];
// What each channel needs of the Bottega channel's settings to sign the phone's webhooks.
const NEEDS = {
  whatsapp: ['phone_number_id', 'app_secret'], telegram: ['secret_token'], messenger: ['page_id', 'app_secret'],
  instagram: ['page_id', 'app_secret'], twilio: ['account_sid', 'auth_token', 'from'], viber: ['auth_token'], wechat: ['token'],
};
// The customer's id on each channel, and how to say it.
const CUSTOMER_IDS = {
  twilio: [/^\+[1-9]\d{7,14}$/, 'customer must be a phone number in E.164 form (+ and 8 to 15 digits)'],
  viber: [/^[A-Za-z0-9+/=]{8,64}$/, 'customer must be a Viber user id (8 to 64 of A-Z, a-z, 0-9, +, /, =)'],
  wechat: [/^[A-Za-z0-9_-]{6,64}$/, 'customer must be a WeChat OpenID (6 to 64 of A-Z, a-z, 0-9, _, -)'],
};
const DIGITS_ID = [/^[1-9]\d{4,15}$/, 'customer must be 5 to 16 digits (a phone number, chat id or PSID)'];
// Channels whose customers send read receipts the phone simulates.
const RECEIPTS = new Set(['whatsapp', 'messenger', 'instagram']);
const ASSETS = {
  '/phone': ['index.html', 'text/html; charset=utf-8'],
  '/phone/': ['index.html', 'text/html; charset=utf-8'],
  '/phone/phone.js': ['phone.js', 'text/javascript; charset=utf-8'],
  '/phone/phone.css': ['phone.css', 'text/css; charset=utf-8'],
};
// Message text is only ever inserted as text (phone.js); the CSP is a second line.
export const PHONE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' http: https: data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const MAX_TEXT = 4096;
const MAX_PHOTO = 5 << 20; // bytes
const PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif'];

function fail(status, message) {
  return Object.assign(new Error(message), { status });
}

function str(v) {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

/** A customer's photo as the API takes it: {content_base64, mime_type}, at most 5 MB. */
function checkPhoto(c, image, withCaption) {
  if (!image || typeof image !== 'object') throw fail(400, 'image must be {content_base64, mime_type}');
  if (!PHOTO_TYPES.includes(image.mime_type)) throw fail(400, `image.mime_type must be one of ${PHOTO_TYPES.join(', ')}`);
  if (typeof image.content_base64 !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(image.content_base64))
    throw fail(400, 'image.content_base64 must be base64');
  if (Buffer.byteLength(image.content_base64, 'base64') > MAX_PHOTO) throw fail(400, `the photo must be at most ${MAX_PHOTO >> 20} MB`);
  if (withCaption && (c.type === 'messenger' || c.type === 'instagram' || c.type === 'wechat'))
    throw fail(400, `${{ messenger: 'Messenger', instagram: 'Instagram', wechat: 'WeChat' }[c.type]} sends a photo without a caption: send the text on its own`);
  return { content_base64: image.content_base64, mime_type: image.mime_type };
}

export class Phone {
  /** `sim`: the Simulator (its recorded requests, deliver(), seq and waiters). */
  constructor(sim) {
    this.sim = sim;
    this.channels = new Map(); // type -> {type, name, webhook_url, settings}
    this.messages = []; // the customers' messages
    this.seen = new Set(); // "type:ref" of the business messages a read receipt was sent for
  }

  /** Forgets the customers' messages (the channels stay: POST /__sim/reset in a running demo). */
  reset() {
    this.messages = [];
    this.seen = new Set();
  }

  asset(pathname) {
    const a = ASSETS[pathname];
    if (!a) return null;
    return {
      status: 200,
      body: readFileSync(path.join(here, 'phone', a[0])),
      headers: {
        'content-type': a[1],
        'content-security-policy': PHONE_CSP,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
      },
    };
  }

  setup(input) {
    if (!Array.isArray(input.channels)) throw fail(400, 'channels must be an array');
    const next = new Map();
    input.channels.forEach((c, i) => {
      const at = `channels[${i}]`;
      if (!c || typeof c !== 'object') throw fail(400, `${at} must be an object`);
      if (!TYPES.includes(c.type)) throw fail(400, `${at}.type must be one of ${TYPES.join(', ')}`);
      if (next.has(c.type)) throw fail(400, `${at}: one ${c.type} channel only`);
      let url;
      try {
        url = new URL(c.webhook_url);
      } catch {
        throw fail(400, `${at}.webhook_url must be an absolute URL`);
      }
      if (!/^https?:$/.test(url.protocol)) throw fail(400, `${at}.webhook_url must be http(s)`);
      const s = c.settings;
      if (!s || typeof s !== 'object') throw fail(400, `${at}.settings must be an object`);
      for (const k of NEEDS[c.type]) if (typeof s[k] !== 'string' || !s[k]) throw fail(400, `${at}.settings.${k} is required`);
      next.set(c.type, { type: c.type, name: str(c.name) || c.type, webhook_url: c.webhook_url, settings: { ...s } });
    });
    this.channels = next;
    this.sim.wake();
    return { channels: this.publicChannels() };
  }

  publicChannels() {
    return [...this.channels.values()].map((c) => ({ type: c.type, name: c.name }));
  }

  channel(type) {
    const c = this.channels.get(type);
    if (!c) throw fail(404, `no ${str(type) || '(missing)'} channel on the phone: POST /__sim/phone/setup first`);
    return c;
  }

  static customerId(type, customer) {
    const id = str(customer);
    // WhatsApp: a wa_id (digits); Telegram: a private chat's id; Messenger: a page-scoped id;
    // Twilio: the customer's number; Viber: a user id; WeChat: an OpenID.
    const [re, message] = CUSTOMER_IDS[type] ?? DIGITS_ID;
    if (!re.test(id)) throw fail(400, message);
    return id;
  }

  /** A media file the provider keeps, for the phone page to show (GET /phone/media/{type}/{id}). */
  media(type, id) {
    const f = TYPES.includes(type) ? this.sim.media.get(`${type}:${id}`) : undefined;
    if (!f || !PHOTO_TYPES.includes(f.mime_type)) return null;
    return {
      status: 200,
      body: f.bytes,
      headers: { 'content-type': f.mime_type, 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'none'; sandbox", 'cache-control': 'no-store' },
    };
  }

  /**
   * The customer writes (text), taps (reply) or sends a photo (image = {content_base64,
   * mime_type}, with text as its caption on WhatsApp and Telegram); returns {message, delivery}.
   * `origin`: the simulator's URL as the page reached it (Messenger's attachment URL).
   */
  async send(input, origin) {
    const c = this.channel(input.channel);
    const customer = Phone.customerId(c.type, input.customer);
    const name = str(input.name).trim().slice(0, 60) || 'Demo Customer';
    const hasText = input.text !== undefined;
    const image = input.image === undefined ? undefined : checkPhoto(c, input.image, hasText);
    if (image && input.reply !== undefined) throw fail(400, 'a tap carries no photo');
    if (!image && hasText === (input.reply !== undefined)) throw fail(400, 'give either text or reply');
    let text;
    let reply;
    if (image && !hasText) text = '';
    else if (hasText) {
      text = str(input.text);
      if (!text.trim()) throw fail(400, 'text must not be empty');
      if ([...text].length > MAX_TEXT) throw fail(400, `text must be at most ${MAX_TEXT} characters`);
    } else {
      const r = input.reply;
      if (!r || typeof r !== 'object' || !str(r.id) || !str(r.title)) throw fail(400, 'reply needs id and title');
      reply = { id: str(r.id), title: str(r.title), kind: str(r.kind), description: str(r.description) };
      if (reply.id.length > 1000 || reply.title.length > 200) throw fail(400, 'reply id or title too long');
      const tapped = r.message === undefined ? null : this.businessMessage(c.type, customer, Number(r.message));
      if (r.message !== undefined && !tapped) throw fail(400, 'reply.message is not a business message of this conversation');
      reply.tapped = tapped;
      text = reply.title;
    }
    // Into the provider's media store (where Bottega fetches it) once the request is known good.
    const photo = image && this.sim.addMedia(c.type, { ...image, account_sid: c.settings.account_sid }, origin);
    const payload = photo ? this.photoPayload(c, customer, name, text, photo) : this.payload(c, customer, name, text, reply);
    const message = {
      seq: this.sim.nextSeq(),
      channel: c.type,
      customer,
      from: 'customer',
      kind: reply ? 'reply' : photo ? 'image' : 'text',
      text,
      at: new Date().toISOString(),
      status: 'sending',
    };
    if (reply) message.reply = { id: reply.id, kind: reply.kind || undefined };
    if (photo) message.image = `/phone/media/${c.type}/${photo.id}`;
    this.messages.push(message);
    if (this.messages.length > 10_000) this.messages.shift();
    this.sim.wake();
    const secret = secretOf(c);
    let delivery;
    try {
      const d = await this.sim.deliver({ provider: c.type, url: c.webhook_url, payload, ...secret });
      delivery = { status: d.status, body: d.body };
    } catch (e) {
      delivery = { status: 0, body: String(e?.message ?? e) };
    }
    message.status = delivery.status >= 200 && delivery.status < 300 ? 'delivered' : 'failed';
    if (message.status === 'failed') message.error = delivery.status ? `Bottega answered HTTP ${delivery.status}` : delivery.body;
    message.updated = this.sim.nextSeq();
    this.sim.wake();
    return { message, delivery };
  }

  photoPayload(c, customer, name, caption, media) {
    const s = c.settings;
    if (c.type === 'twilio') {
      const mime = this.sim.media.get(`twilio:${media.id}`).mime_type;
      return P.twilioInbound({ from: customer, to: s.from, body: caption, accountSid: s.account_sid, profileName: name, media: [{ contentType: mime, url: media.url }] });
    }
    if (c.type === 'viber') {
      // A picture message: `media` is the signed URL on Viber's media host (the simulator's
      // /viber/dl-media/...), `text` the customer's description (may be empty).
      const f = this.sim.media.get(`viber:${media.id}`);
      const ext = f.mime_type.split('/')[1].replace('jpeg', 'jpg');
      return P.viberMessage(customer, '', { name, message: { type: 'picture', text: caption, media: media.url, file_name: `photo_${media.id.slice(0, 8)}.${ext}`, size: media.size } });
    }
    if (c.type === 'wechat') {
      // WeChat's image message has no caption: the phone refuses one (checkPhoto).
      return P.wechatImage(customer, { mediaId: media.id, picUrl: `http://mmbiz.qpic.cn/mmbiz_jpg/sim/${media.id.slice(0, 8)}/0` });
    }
    if (c.type === 'whatsapp') {
      const image = { mime_type: this.sim.media.get(`whatsapp:${media.id}`).mime_type, sha256: media.sha256, id: media.id };
      if (caption) image.caption = caption;
      const msg = { from: customer, id: P.newWamid(), timestamp: String(Math.floor(Date.now() / 1000)), type: 'image', image };
      const value = P.whatsappValue({ messages: [msg], contacts: [{ wa_id: customer, name }], phoneNumberId: s.phone_number_id });
      return P.whatsappEnvelope([{ changes: [{ value }] }]);
    }
    if (c.type === 'telegram') {
      const [firstName, ...rest] = name.split(/\s+/);
      const update = P.telegramMessage(customer, 'photo', { firstName, lastName: rest.length ? rest.join(' ') : null, username: null, languageCode: 'en' });
      delete update.message.text;
      update.message.photo = [{ file_id: media.id, file_unique_id: media.id.slice(-12), width: 800, height: 800, file_size: media.size }];
      if (caption) update.message.caption = caption;
      return update;
    }
    const payload = meta(c.type, P.messengerText(customer, s.page_id, ''));
    const m = payload.entry[0].messaging[0].message;
    delete m.text;
    m.attachments = [{ type: 'image', payload: { url: media.url } }];
    return payload;
  }

  payload(c, customer, name, text, reply) {
    const s = c.settings;
    if (c.type === 'twilio') return P.twilioInbound({ from: customer, to: s.from, body: text, accountSid: s.account_sid, profileName: name });
    // Viber: a keyboard tap is a text message with the button's ActionBody and the tapped message's tracking_data.
    if (c.type === 'viber') {
      const opts = { name };
      if (reply?.tapped?.tracking !== undefined) opts.trackingData = reply.tapped.tracking;
      return P.viberMessage(customer, reply ? reply.id : text, opts);
    }
    // WeChat: a msgmenu tap is a text message with the option's content and bizmsgmenuid.
    if (c.type === 'wechat') return P.wechatText(customer, text, reply ? { menuId: reply.id } : {});
    if (c.type === 'whatsapp') {
      const opts = { name, phoneNumberId: s.phone_number_id };
      if (!reply) return P.whatsappText(customer, text, undefined, opts);
      if (reply.tapped?.ref) opts.context = reply.tapped.ref;
      return P.whatsappInteractive(customer, { type: reply.kind === 'list' ? 'list_reply' : 'button_reply', id: reply.id, title: reply.title, description: reply.description }, undefined, opts);
    }
    if (c.type === 'telegram') {
      const [firstName, ...rest] = name.split(/\s+/);
      const opts = { firstName, lastName: rest.length ? rest.join(' ') : null, username: null, languageCode: 'en' };
      if (!reply) return P.telegramMessage(customer, text, opts);
      const t = reply.tapped;
      const buttons = (t?.buttons ?? []).filter((b) => b.kind === 'callback').map((b) => ({ text: b.title, callback_data: b.id }));
      return P.telegramCallback(customer, reply.id, {
        ...opts,
        label: reply.title,
        messageId: t?.ref === undefined ? undefined : Number(t.ref),
        messageText: t?.text || reply.title,
        buttons: buttons.length ? buttons : undefined,
        botId: Number(str(s.bot_token).split(':')[0]) || undefined,
      });
    }
    if (!reply) return meta(c.type, P.messengerText(customer, s.page_id, text));
    if (reply.kind === 'quick_reply') return meta(c.type, P.messengerText(customer, s.page_id, reply.title, undefined, { quickReplyPayload: reply.id }));
    return meta(c.type, P.messengerPostback(customer, s.page_id, reply.title, reply.id));
  }

  /**
   * The customer has the conversation open: read receipts for what the business sent and no
   * receipt was sent for yet (one WhatsApp webhook with a `read` status each, a Messenger
   * message_reads; the Telegram Bot API has none). Returns {receipts, delivery?}.
   */
  async read(input) {
    const c = this.channel(input.channel);
    const customer = Phone.customerId(c.type, input.customer);
    if (!RECEIPTS.has(c.type)) return { receipts: 0 }; // Telegram has none; Twilio, Viber and WeChat are not simulated
    const unread = this.business(c.type, customer).filter((m) => m.ref !== undefined && !this.seen.has(`${c.type}:${m.ref}`));
    if (!unread.length) return { receipts: 0 };
    const keys = unread.map((m) => `${c.type}:${m.ref}`);
    for (const k of keys) this.seen.add(k);
    const s = c.settings;
    let payload;
    if (c.type === 'whatsapp') {
      const statuses = unread.map((m) => P.whatsappStatus(m.ref, 'read', undefined, { recipientId: customer }).entry[0].changes[0].value.statuses[0]);
      payload = P.whatsappEnvelope([{ changes: [{ value: P.whatsappValue({ statuses, phoneNumberId: s.phone_number_id }) }] }]);
    } else {
      payload = meta(c.type, P.messengerRead(customer, s.page_id, Date.now()));
    }
    let delivery;
    try {
      const d = await this.sim.deliver({ provider: c.type, url: c.webhook_url, payload, app_secret: s.app_secret });
      delivery = { status: d.status, body: d.body };
    } catch (e) {
      delivery = { status: 0, body: String(e?.message ?? e) };
    }
    if (!(delivery.status >= 200 && delivery.status < 300)) for (const k of keys) this.seen.delete(k); // try again next time
    return { receipts: unread.length, delivery };
  }

  // ----- what the business sent: the successful send calls the simulator recorded

  businessMessage(type, customer, seq) {
    return this.business(type, customer).find((m) => m.seq === seq) ?? null;
  }

  business(type, customer) {
    const c = this.channels.get(type);
    if (!c) return [];
    const out = [];
    for (const r of this.sim.requests) {
      if (r.provider !== type || r.method !== 'POST' || !(r.response?.status >= 200 && r.response.status < 300)) continue;
      const m = SHOWN[type](r, c, customer);
      if (m) out.push({ seq: r.seq, channel: type, customer, from: 'business', at: r.at, ...m });
    }
    return out;
  }

  conversation(type, customer, since) {
    const mine = this.messages.filter((m) => m.channel === type && m.customer === customer && (m.seq > since || m.updated > since));
    const theirs = this.business(type, customer).filter((m) => m.seq > since);
    return [...mine, ...theirs].sort((a, b) => a.seq - b.seq);
  }

  /** GET /__sim/phone/messages: {messages, last_seq}, long-polling up to `wait` ms for news. */
  async list(query) {
    const c = this.channel(query.get('channel'));
    const customer = Phone.customerId(c.type, query.get('customer'));
    const since = Number(query.get('since') ?? 0);
    if (!Number.isFinite(since) || since < 0) throw fail(400, 'since must be a sequence number');
    const wait = Math.min(Math.max(Number(query.get('wait') ?? 0) || 0, 0), 30_000);
    const found = () => this.conversation(c.type, customer, since);
    const messages = wait > 0 ? await this.sim.waitUntil(() => {
      const m = found();
      return m.length ? m : null;
    }, wait) ?? [] : found();
    return { messages, last_seq: this.sim.seq };
  }

  async handle(route, input, url, origin) {
    switch (route) {
      case 'POST /__sim/phone/setup':
        return this.setup(input);
      case 'GET /__sim/phone/channels':
        return { channels: this.publicChannels() };
      case 'POST /__sim/phone/send':
        return this.send(input, origin);
      case 'POST /__sim/phone/read':
        return this.read(input);
      case 'GET /__sim/phone/messages':
        return this.list(url.searchParams);
      default:
        return undefined;
    }
  }
}

/** The secret /__sim/deliver signs channel c's webhooks with. */
function secretOf(c) {
  const s = c.settings;
  if (c.type === 'telegram') return { secret_token: s.secret_token };
  if (c.type === 'twilio' || c.type === 'viber') return { auth_token: s.auth_token };
  if (c.type === 'wechat') return { token: s.token };
  return { app_secret: s.app_secret };
}

// Messenger's webhook shapes serve Instagram too (its own object name; the account is the IG id).
function meta(type, payload) {
  if (type === 'instagram') payload.object = 'instagram';
  return payload;
}

// ----- the providers' outbound shapes, as a phone shows them

const httpUrl = (u) => (typeof u === 'string' && /^https?:\/\//i.test(u) ? u : undefined);

function whatsappShown(r, c, customer) {
  const p = r.json;
  if (!p || typeof p !== 'object' || p.status === 'read') return null;
  if (!/\/messages\/?$/.test(r.path)) return null;
  const account = r.path.match(/\/([^/]+)\/messages\/?$/)?.[1];
  if (account !== c.settings.phone_number_id) return null;
  if (str(p.to).replace(/^\+/, '') !== customer) return null;
  const shown = { ref: r.response.body?.messages?.[0]?.id, text: '' };
  const type = p.type ?? 'text';
  if (type === 'text') shown.text = str(p.text?.body);
  else if (type === 'image') {
    shown.image = httpUrl(p.image?.link);
    shown.text = str(p.image?.caption);
  } else if (type === 'template') {
    const params = (p.template?.components ?? []).flatMap((x) => x.parameters ?? []).map((x) => str(x.text)).filter(Boolean);
    shown.text = `Template "${str(p.template?.name)}"${params.length ? `: ${params.join(', ')}` : ''}`;
    shown.kind = 'template';
  } else if (type === 'interactive') {
    const it = p.interactive ?? {};
    shown.text = str(it.body?.text);
    if (it.header?.type === 'image') shown.image = httpUrl(it.header.image?.link);
    else if (it.header?.text) shown.header = str(it.header.text);
    if (it.type === 'button') {
      shown.buttons = (it.action?.buttons ?? []).map((b) => ({ id: str(b.reply?.id), title: str(b.reply?.title), kind: 'button' }));
    } else if (it.type === 'list') {
      shown.list = str(it.action?.button) || 'Choose';
      shown.buttons = (it.action?.sections ?? []).flatMap((sec) => sec.rows ?? [])
        .map((row) => ({ id: str(row.id), title: str(row.title), description: str(row.description) || undefined, kind: 'list' }));
    } else if (it.type === 'cta_url') {
      const url = httpUrl(it.action?.parameters?.url);
      if (url) shown.links = [{ title: str(it.action.parameters.display_text) || url, url }];
    } else if (it.type === 'product') {
      shown.text = [shown.text, `Catalog product ${str(it.action?.product_retailer_id)}`].filter(Boolean).join('\n');
    } else shown.text = shown.text || `[interactive ${str(it.type)}]`;
  } else shown.text = `[${type}]`;
  return shown;
}

function telegramParams(r) {
  let params = { ...r.query };
  if (r.json && typeof r.json === 'object') params = { ...params, ...r.json };
  else if (r.form) params = { ...params, ...r.form };
  return params;
}

function telegramShown(r, customer) {
  const m = r.path.match(/\/bot[^/]+\/(sendMessage|sendPhoto)\/?$/i);
  if (!m) return null;
  const p = telegramParams(r);
  if (str(p.chat_id) !== customer) return null;
  const photo = m[1].toLowerCase() === 'sendphoto';
  const shown = { ref: r.response.body?.result?.message_id, text: str(photo ? p.caption : p.text) };
  if (photo) shown.image = httpUrl(p.photo);
  let markup = p.reply_markup;
  if (typeof markup === 'string') {
    try {
      markup = JSON.parse(markup);
    } catch {
      markup = undefined;
    }
  }
  const keys = (markup?.inline_keyboard ?? []).flat();
  const buttons = keys.filter((k) => k.callback_data !== undefined).map((k) => ({ id: str(k.callback_data), title: str(k.text), kind: 'callback' }));
  const links = keys.filter((k) => httpUrl(k.url)).map((k) => ({ title: str(k.text), url: k.url }));
  if (buttons.length) shown.buttons = buttons;
  if (links.length) shown.links = links;
  return shown;
}

function messengerShown(r, customer) {
  if (!/\/messages\/?$/.test(r.path)) return null;
  let p = r.json ?? r.form;
  if (!p || typeof p !== 'object') return null;
  const parse = (v) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v);
    } catch {
      return undefined;
    }
  };
  const recipient = parse(p.recipient);
  const message = parse(p.message);
  if (str(recipient?.id) !== customer || !message || typeof message !== 'object') return null;
  const shown = { ref: r.response.body?.message_id, text: str(message.text) };
  if (Array.isArray(message.quick_replies)) {
    shown.buttons = message.quick_replies.filter((q) => q.content_type === 'text' || q.title)
      .map((q) => ({ id: str(q.payload), title: str(q.title), kind: 'quick_reply' }));
  }
  const pl = message.attachment?.payload;
  if (message.attachment?.type === 'template' && pl) {
    const fromButtons = (list) => {
      const buttons = [];
      const links = [];
      for (const b of list ?? []) {
        if (b.type === 'postback') buttons.push({ id: str(b.payload), title: str(b.title), kind: 'postback' });
        else if (b.type === 'web_url' && httpUrl(b.url)) links.push({ title: str(b.title) || b.url, url: b.url });
      }
      if (buttons.length) shown.buttons = buttons;
      if (links.length) shown.links = links;
    };
    if (pl.template_type === 'button') {
      shown.text = str(pl.text);
      fromButtons(pl.buttons);
    } else if (pl.template_type === 'generic') {
      const e = pl.elements?.[0] ?? {};
      shown.header = str(e.title) || undefined;
      shown.text = str(e.subtitle);
      shown.image = httpUrl(e.image_url);
      fromButtons(e.buttons);
    } else shown.text = `[template ${str(pl.template_type)}]`;
  } else if (message.attachment) {
    shown.image = message.attachment.type === 'image' ? httpUrl(message.attachment.payload?.url) : undefined;
    if (!shown.image) shown.text = shown.text || `[${str(message.attachment.type)}]`;
  }
  return shown;
}

function twilioShown(r, c, customer) {
  const m = r.path.match(/\/Accounts\/([^/]+)\/Messages\.json$/);
  if (!m || m[1] !== c.settings.account_sid) return null;
  const p = r.form ?? {};
  if (str(p.To) !== customer) return null;
  const shown = { ref: r.response.body?.sid, text: str(p.Body) };
  const media = Array.isArray(p.MediaUrl) ? p.MediaUrl[0] : p.MediaUrl;
  if (httpUrl(media)) shown.image = media;
  return shown;
}

function viberShown(r, c, customer) {
  if (!/\/pa\/send_message\/?$/.test(r.path)) return null;
  const p = r.json;
  if (!p || typeof p !== 'object' || str(p.receiver) !== customer) return null;
  const shown = { text: str(p.text) };
  if (p.tracking_data !== undefined) shown.tracking = str(p.tracking_data);
  if (p.type === 'picture') shown.image = httpUrl(p.media);
  else if (p.type === 'url') shown.links = httpUrl(p.media) ? [{ title: p.media, url: p.media }] : undefined;
  else if (p.type === 'rich_media') {
    const items = p.rich_media?.Buttons ?? [];
    shown.image = httpUrl(items.find((b) => b.Image)?.Image);
    shown.text = str(p.alt_text) || shown.text;
    p.keyboard = { Buttons: items.filter((b) => b.ActionType === 'reply' || b.ActionType === 'open-url') };
  } else if (p.type !== 'text') shown.text = shown.text || `[${str(p.type)}]`;
  const keys = p.keyboard?.Buttons ?? [];
  const buttons = keys.filter((b) => b.ActionType === 'reply').map((b) => ({ id: str(b.ActionBody), title: str(b.Text) || str(b.ActionBody), kind: 'reply' }));
  const links = keys.filter((b) => b.ActionType === 'open-url' && httpUrl(b.ActionBody)).map((b) => ({ title: str(b.Text) || b.ActionBody, url: b.ActionBody }));
  if (buttons.length) shown.buttons = buttons;
  if (links.length) shown.links = [...(shown.links ?? []), ...links];
  return shown;
}

/** WeChat text: its <a href="URL">title</a> links become links; the rest is shown as text. */
function wechatText(content) {
  const links = [];
  const text = str(content).replace(/<a href="([^"]*)">([^<]*)<\/a>/g, (_, url, title) => {
    const u = httpUrl(url.replaceAll('%22', '"'));
    if (u) links.push({ title: title.replaceAll('&lt;', '<').replaceAll('&gt;', '>') || u, url: u });
    return '';
  }).trim();
  return { text, links };
}

function wechatShown(r, c, customer) {
  const p = r.json;
  if (!p || typeof p !== 'object' || str(p.touser) !== customer) return null;
  if (r.path.endsWith('/cgi-bin/message/template/send')) {
    const data = Object.entries(p.data ?? {}).map(([k, v]) => `${k}: ${str(v?.value)}`);
    return { ref: r.response.body?.msgid, kind: 'template', text: `Template message\n${data.join('\n')}`, links: httpUrl(p.url) ? [{ title: p.url, url: p.url }] : undefined };
  }
  if (!r.path.endsWith('/cgi-bin/message/custom/send')) return null;
  if (p.msgtype === 'text') {
    const { text, links } = wechatText(p.text?.content);
    return { text, links: links.length ? links : undefined };
  }
  if (p.msgtype === 'msgmenu') {
    const { text, links } = wechatText([p.msgmenu?.head_content, p.msgmenu?.tail_content].filter(Boolean).join('\n'));
    const buttons = (p.msgmenu?.list ?? []).map((o) => ({ id: str(o.id), title: str(o.content), kind: 'msgmenu' }));
    return { text, links: links.length ? links : undefined, buttons };
  }
  if (p.msgtype === 'news') {
    const a = p.news?.articles?.[0] ?? {};
    return { header: str(a.title) || undefined, text: str(a.description), image: httpUrl(a.picurl), links: httpUrl(a.url) ? [{ title: str(a.title) || a.url, url: a.url }] : undefined };
  }
  return { text: `[${str(p.msgtype)}]` };
}

const SHOWN = {
  whatsapp: whatsappShown, telegram: (r, c, customer) => telegramShown(r, customer), messenger: (r, c, customer) => messengerShown(r, customer),
  instagram: (r, c, customer) => messengerShown(r, customer), twilio: twilioShown, viber: viberShown, wechat: wechatShown,
};
