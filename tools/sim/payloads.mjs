// Builders for realistic inbound webhook payloads, shaped exactly like the providers send them
// (/work/shared/reference/providers.md). They return plain objects (JSON payloads) or, for Twilio,
// an object of form parameters; POST /__sim/deliver signs and sends them.
//
//   import * as P from './payloads.mjs';
//   P.whatsappText('16505551234', 'Hi', 'wamid.X')            // WhatsApp Cloud API, one text
//   P.whatsappStatus('wamid.Y', 'read')                        // a delivery receipt
//   P.twilioInbound({ from: '+15551234567', to: '+15557654321', body: 'Hi' })
//
// Every builder takes an optional last `opts` object to override ids and timestamps. Ids that are
// not given are random, timestamps default to now. No dependencies.

import { randomBytes, randomInt } from 'node:crypto';

// ---------------------------------------------------------------------------------------------
// ids

const b64 = (n) => randomBytes(n).toString('base64').replace(/=+$/, '');
const b64url = (n) => randomBytes(n).toString('base64url');
const hex = (n) => randomBytes(n).toString('hex');

/** A WhatsApp message id as Graph issues them ("wamid.HBgL..."). */
export const newWamid = () => `wamid.HBgL${b64(45).replace(/[+/]/g, '').slice(0, 52)}`;
/** A Messenger / Instagram message id ("m_..."). */
export const newMid = () => `m_${b64url(48)}`;
/** A Twilio message SID: "SM" + 32 hex digits. */
export const newMessageSid = () => `SM${hex(16)}`;
/** A Twilio account SID: "AC" + 32 hex digits. */
export const newAccountSid = () => `AC${hex(16)}`;

const nowSeconds = () => Math.floor(Date.now() / 1000);
let telegramUpdateId = randomInt(100_000_000, 900_000_000);
let telegramMessageId = randomInt(1_000, 9_000);
/** The next Telegram update_id (they increase). */
export const nextUpdateId = () => ++telegramUpdateId;

// ---------------------------------------------------------------------------------------------
// WhatsApp Cloud API (providers.md 1.2)

export const WA_DEFAULTS = Object.freeze({
  wabaId: '102290129340398',
  phoneNumberId: '106540352242922',
  displayPhoneNumber: '15550783881',
});

/**
 * A change value for field "messages" (one phone number). `messages`/`statuses` are arrays of
 * message or status objects; `contacts` is [{wa_id, name}] (the senders' profiles).
 */
export function whatsappValue({ messages, statuses, contacts, phoneNumberId, displayPhoneNumber } = {}) {
  const value = {
    messaging_product: 'whatsapp',
    metadata: {
      display_phone_number: displayPhoneNumber ?? WA_DEFAULTS.displayPhoneNumber,
      phone_number_id: phoneNumberId ?? WA_DEFAULTS.phoneNumberId,
    },
  };
  if (contacts?.length) value.contacts = contacts.map((c) => ({ profile: { name: c.name }, wa_id: c.wa_id }));
  if (messages?.length) value.messages = messages;
  if (statuses?.length) value.statuses = statuses;
  return value;
}

/** The envelope: one entry per item of `entries`, each {wabaId?, changes: [{field?, value}]}. */
export function whatsappEnvelope(entries) {
  return {
    object: 'whatsapp_business_account',
    entry: entries.map((e) => ({
      id: e.wabaId ?? WA_DEFAULTS.wabaId,
      changes: e.changes.map((c) => ({ value: c.value, field: c.field ?? 'messages' })),
    })),
  };
}

/** A messages[] item of type text. */
export function waTextMessage(from, text, wamid = newWamid(), opts = {}) {
  const m = { from, id: wamid, timestamp: String(opts.timestamp ?? nowSeconds()), type: 'text', text: { body: text } };
  if (opts.context) m.context = opts.context;
  return m;
}

/**
 * A messages[] item of type order (a cart sent from the catalog). items: [{product_retailer_id,
 * quantity, item_price, currency}].
 */
export function waOrderMessage(from, items, wamid = newWamid(), opts = {}) {
  const order = { catalog_id: opts.catalogId ?? '194836987003835', product_items: items };
  if (opts.text !== undefined) order.text = opts.text;
  return { from, id: wamid, timestamp: String(opts.timestamp ?? nowSeconds()), type: 'order', order };
}

/** One inbound text from wa_id `from` (a complete webhook body). */
export function whatsappText(from, text, wamid = newWamid(), opts = {}) {
  const value = whatsappValue({
    contacts: [{ wa_id: from, name: opts.name ?? 'Sheena Nelson' }],
    messages: [waTextMessage(from, text, wamid, opts)],
    phoneNumberId: opts.phoneNumberId,
    displayPhoneNumber: opts.displayPhoneNumber,
  });
  return whatsappEnvelope([{ wabaId: opts.wabaId, changes: [{ value }] }]);
}

/** One inbound order message (a complete webhook body). */
export function whatsappOrder(from, items, wamid = newWamid(), opts = {}) {
  const value = whatsappValue({
    contacts: [{ wa_id: from, name: opts.name ?? 'Sheena Nelson' }],
    messages: [waOrderMessage(from, items, wamid, opts)],
    phoneNumberId: opts.phoneNumberId,
    displayPhoneNumber: opts.displayPhoneNumber,
  });
  return whatsappEnvelope([{ wabaId: opts.wabaId, changes: [{ value }] }]);
}

/**
 * One tapped interactive reply (a complete webhook body): `reply` = {type: 'button_reply' |
 * 'list_reply', id, title, description?}; `opts.context` = the business message's wamid.
 */
export function whatsappInteractive(from, reply, wamid = newWamid(), opts = {}) {
  const type = reply.type === 'list_reply' ? 'list_reply' : 'button_reply';
  const picked = { id: reply.id, title: reply.title };
  if (type === 'list_reply' && reply.description) picked.description = reply.description;
  const m = { from, id: wamid, timestamp: String(opts.timestamp ?? nowSeconds()), type: 'interactive', interactive: { type, [type]: picked } };
  if (opts.context) m.context = { from: opts.displayPhoneNumber ?? WA_DEFAULTS.displayPhoneNumber, id: opts.context };
  const value = whatsappValue({
    contacts: [{ wa_id: from, name: opts.name ?? 'Sheena Nelson' }],
    messages: [m],
    phoneNumberId: opts.phoneNumberId,
    displayPhoneNumber: opts.displayPhoneNumber,
  });
  return whatsappEnvelope([{ wabaId: opts.wabaId, changes: [{ value }] }]);
}

// WhatsApp error codes a status can carry (providers.md 1.3).
const WA_STATUS_ERRORS = {
  131047: {
    title: 'Re-engagement message',
    details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
  },
  131026: { title: 'Message undeliverable', details: 'Unable to deliver message. Reasons can include: the recipient phone number is not a WhatsApp phone number.' },
  131049: { title: 'This message was not delivered to maintain healthy ecosystem engagement.', details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.' },
};

/**
 * A delivery receipt for a message we sent: status "sent" | "delivered" | "read" | "failed".
 * `error` (for failed) is a code (131047) or {code, title, message, details}.
 */
export function whatsappStatus(wamid, status, error, opts = {}) {
  const s = {
    id: wamid,
    status,
    timestamp: String(opts.timestamp ?? nowSeconds()),
    recipient_id: opts.recipientId ?? '16505551234',
  };
  if (status !== 'failed') {
    s.conversation = {
      id: opts.conversationId ?? hex(16),
      origin: { type: 'service' },
    };
    if (status === 'sent') s.conversation.expiration_timestamp = String(nowSeconds() + 86400);
    s.pricing = { billable: true, pricing_model: 'PMP', category: 'service', type: 'free_customer_service' };
  }
  if (status === 'failed' || error !== undefined) {
    const e = typeof error === 'object' && error !== null ? error : { code: error ?? 131047 };
    const known = WA_STATUS_ERRORS[e.code] ?? {};
    const title = e.title ?? known.title ?? 'Message failed to send';
    s.errors = [
      {
        code: e.code,
        title,
        message: e.message ?? title,
        error_data: { details: e.details ?? known.details ?? title },
        href: '/docs/whatsapp/cloud-api/support/error-codes/',
      },
    ];
  }
  const value = whatsappValue({ statuses: [s], phoneNumberId: opts.phoneNumberId, displayPhoneNumber: opts.displayPhoneNumber });
  return whatsappEnvelope([{ wabaId: opts.wabaId, changes: [{ value }] }]);
}

/**
 * A batched delivery as Graph sends it under load: two entries; the first has two changes (two
 * texts from one customer, then a template status update that is not a message), the second a
 * text from a second customer and an order from a third. Returns the payload; `messagesOf`
 * lists what should be stored.
 */
export function whatsappBatch(opts = {}) {
  const phoneNumberId = opts.phoneNumberId;
  const a = { wa_id: opts.fromA ?? '16505550001', name: 'Asha Rao' };
  const b = { wa_id: opts.fromB ?? '16505550002', name: 'Bruno Diaz' };
  const c = { wa_id: opts.fromC ?? '16505550003', name: 'Chen Wei' };
  const t = opts.timestamp ?? nowSeconds();
  return whatsappEnvelope([
    {
      changes: [
        {
          value: whatsappValue({
            phoneNumberId,
            contacts: [a],
            messages: [
              waTextMessage(a.wa_id, 'Do you ship to Lisbon?', newWamid(), { timestamp: t }),
              waTextMessage(a.wa_id, 'And how long does it take?', newWamid(), { timestamp: t + 1 }),
            ],
          }),
        },
        {
          field: 'message_template_status_update',
          value: { event: 'APPROVED', message_template_id: 594425479261596, message_template_name: 'order_confirmation', message_template_language: 'en_US', reason: null },
        },
      ],
    },
    {
      wabaId: '102290129340399',
      changes: [
        {
          value: whatsappValue({
            phoneNumberId,
            contacts: [b, c],
            messages: [
              waTextMessage(b.wa_id, 'Hola, is the blue one in stock?', newWamid(), { timestamp: t }),
              waOrderMessage(
                c.wa_id,
                [{ product_retailer_id: 'SKU-TEE-BLUE-M', quantity: 1, item_price: 19.9, currency: 'EUR' }],
                newWamid(),
                { timestamp: t + 2, text: 'gift wrap please' },
              ),
            ],
          }),
        },
      ],
    },
  ]);
}

/** The messages[] items of a WhatsApp payload, with their sender's profile name. */
export function messagesOf(payload) {
  const out = [];
  for (const e of payload.entry ?? [])
    for (const ch of e.changes ?? []) {
      if (ch.field !== 'messages') continue;
      const names = new Map((ch.value.contacts ?? []).map((c) => [c.wa_id, c.profile?.name]));
      for (const m of ch.value.messages ?? []) out.push({ ...m, name: names.get(m.from) });
    }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Messenger and Instagram (providers.md 2.1). Timestamps are milliseconds.

export const META_PAGE_DEFAULTS = Object.freeze({ pageId: '105044608990345', igId: '17841400000000001' });

function messagingEnvelope(object, accountId, events, time = Date.now()) {
  return { object, entry: [{ id: accountId, time, messaging: events }] };
}

/** A Messenger text from PSID `psid` to page `pageId`. */
export function messengerText(psid, pageId, text, mid = newMid(), opts = {}) {
  const ts = opts.timestamp ?? Date.now();
  const message = { mid, text };
  if (opts.quickReplyPayload) message.quick_reply = { payload: opts.quickReplyPayload };
  return messagingEnvelope('page', pageId, [{ sender: { id: psid }, recipient: { id: pageId }, timestamp: ts, message }], ts);
}

/** The echo of a message the page sent (message_echoes): the sender is the page. */
export function messengerEcho(pageId, psid, text, mid = newMid(), opts = {}) {
  const ts = opts.timestamp ?? Date.now();
  const message = { mid, is_echo: true, app_id: opts.appId ?? 1517776481860111, text };
  if (opts.metadata !== undefined) message.metadata = opts.metadata;
  return messagingEnvelope('page', pageId, [{ sender: { id: pageId }, recipient: { id: psid }, timestamp: ts, message }], ts);
}

/** A postback (a template button tapped). */
export function messengerPostback(psid, pageId, title, payload, opts = {}) {
  const ts = opts.timestamp ?? Date.now();
  const postback = { title, payload };
  if (opts.mid !== null) postback.mid = opts.mid ?? newMid();
  return messagingEnvelope('page', pageId, [{ sender: { id: psid }, recipient: { id: pageId }, timestamp: ts, postback }], ts);
}

/** message_deliveries: the listed mids (or, without mids, everything up to the watermark). */
export function messengerDelivery(psid, pageId, mids, watermark = Date.now()) {
  const delivery = { watermark };
  if (mids?.length) delivery.mids = mids;
  return messagingEnvelope('page', pageId, [{ sender: { id: psid }, recipient: { id: pageId }, delivery }]);
}

/** message_reads: everything sent up to `watermark` (ms) has been read. */
export function messengerRead(psid, pageId, watermark = Date.now()) {
  const ts = Date.now();
  return messagingEnvelope('page', pageId, [{ sender: { id: psid }, recipient: { id: pageId }, timestamp: ts, read: { watermark } }], ts);
}

/** An Instagram DM from IGSID `igsid` to IG professional account `igId`. */
export function instagramText(igsid, igId, text, mid = newMid(), opts = {}) {
  const ts = opts.timestamp ?? Date.now();
  return messagingEnvelope('instagram', igId, [{ sender: { id: igsid }, recipient: { id: igId }, timestamp: ts, message: { mid, text } }], ts);
}

/** An Instagram echo (our account's own message). */
export function instagramEcho(igId, igsid, text, mid = newMid(), opts = {}) {
  const ts = opts.timestamp ?? Date.now();
  return messagingEnvelope('instagram', igId, [
    { sender: { id: igId }, recipient: { id: igsid }, timestamp: ts, message: { mid, is_echo: true, text } },
  ], ts);
}

// ---------------------------------------------------------------------------------------------
// Telegram (providers.md 3). Update objects; timestamps in seconds.

function telegramUser(chatId, opts) {
  const u = { id: Number(opts.userId ?? chatId), is_bot: false, first_name: opts.firstName ?? 'Mario' };
  if (opts.lastName !== null) u.last_name = opts.lastName ?? 'Rossi';
  if (opts.username !== null) u.username = opts.username ?? 'mario_rossi';
  u.language_code = opts.languageCode ?? 'it';
  return u;
}

function telegramChat(chatId, opts) {
  const id = Number(chatId);
  if (id < 0) return { id, title: opts.title ?? 'Shop group', type: String(chatId).startsWith('-100') ? 'supergroup' : 'group' };
  const c = { id, first_name: opts.firstName ?? 'Mario', type: 'private' };
  if (opts.lastName !== null) c.last_name = opts.lastName ?? 'Rossi';
  if (opts.username !== null) c.username = opts.username ?? 'mario_rossi';
  return c;
}

/** An Update with a message from a private chat `chatId` (the user's id). */
export function telegramMessage(chatId, text, opts = {}) {
  const message = {
    message_id: opts.messageId ?? ++telegramMessageId,
    from: telegramUser(chatId, opts),
    chat: telegramChat(chatId, opts),
    date: opts.date ?? nowSeconds(),
    text,
  };
  if (text.startsWith('/')) {
    const len = text.split(/[\s]/)[0].length;
    message.entities = [{ offset: 0, length: len, type: 'bot_command' }];
  }
  return { update_id: opts.updateId ?? nextUpdateId(), message };
}

/**
 * An Update with a callback_query: the user tapped an inline keyboard button whose callback_data
 * is `data` on the bot's message `opts.messageId`. `opts.buttons` is the keyboard the bot sent
 * ([{text, callback_data}], one per row); by default one button labelled `opts.label ?? data`.
 */
export function telegramCallback(chatId, data, opts = {}) {
  const buttons = opts.buttons ?? [{ text: opts.label ?? data, callback_data: data }];
  const bot = { id: Number(opts.botId ?? 7000000001), is_bot: true, first_name: 'Bottega Sim Bot', username: 'bottega_sim_bot' };
  const message = {
    message_id: opts.messageId ?? ++telegramMessageId,
    from: bot,
    chat: telegramChat(chatId, opts),
    date: opts.date ?? nowSeconds() - 5,
    text: opts.messageText ?? 'Which size?',
    reply_markup: { inline_keyboard: buttons.map((b) => [b]) },
  };
  return {
    update_id: opts.updateId ?? nextUpdateId(),
    callback_query: {
      id: opts.id ?? `${randomInt(1e9, 9e9)}${randomInt(1e8, 9e8)}`,
      from: telegramUser(Number(chatId) < 0 ? (opts.userId ?? 1) : chatId, opts),
      message,
      chat_instance: opts.chatInstance ?? String(-randomInt(1e9, 9e9)),
      data,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Twilio (providers.md 4.1, 4.2). Form parameters, every value a string.

export const TWILIO_DEFAULTS = Object.freeze({ accountSid: 'AC0123456789abcdef0123456789abcdef', to: '+15557122661' });

/**
 * An inbound SMS (or WhatsApp, when `from` starts with "whatsapp:") message webhook's parameters.
 */
export function twilioInbound({ from, to, body, messageSid, accountSid, profileName, numMedia = 0, media = [] } = {}) {
  const sid = messageSid ?? newMessageSid();
  const p = {
    ToCountry: 'US',
    ToState: 'CA',
    SmsMessageSid: sid,
    NumMedia: String(numMedia || media.length),
    ToCity: 'SAN FRANCISCO',
    FromZip: '94105',
    SmsSid: sid,
    FromState: 'CA',
    SmsStatus: 'received',
    FromCity: 'SAN FRANCISCO',
    Body: body ?? '',
    FromCountry: 'US',
    To: to ?? TWILIO_DEFAULTS.to,
    ToZip: '94107',
    NumSegments: '1',
    MessageSid: sid,
    AccountSid: accountSid ?? TWILIO_DEFAULTS.accountSid,
    From: from,
    ApiVersion: '2010-04-01',
  };
  media.forEach((m, i) => {
    p[`MediaContentType${i}`] = m.contentType;
    p[`MediaUrl${i}`] = m.url;
  });
  if (String(from).startsWith('whatsapp:')) {
    for (const k of ['ToCountry', 'ToState', 'ToCity', 'ToZip', 'FromZip', 'FromState', 'FromCity', 'FromCountry']) delete p[k];
    p.ProfileName = profileName ?? 'Sheena Nelson';
    p.WaId = String(from).replace(/^whatsapp:\+?/, '');
    p.MessageType = media.length ? 'image' : 'text';
  } else if (profileName) {
    p.ProfileName = profileName;
  }
  return p;
}

/**
 * A status callback for a message we sent: status one of queued, sending, sent, delivered,
 * undelivered, failed, read... `from` is our number, `to` the customer. errorCode for failures.
 */
export function twilioStatus(messageSid, status, { from, to, accountSid, errorCode } = {}) {
  const p = {
    SmsSid: messageSid,
    SmsStatus: status,
    MessageStatus: status,
    To: to ?? '+15558675310',
    MessageSid: messageSid,
    AccountSid: accountSid ?? TWILIO_DEFAULTS.accountSid,
    From: from ?? TWILIO_DEFAULTS.to,
    ApiVersion: '2010-04-01',
  };
  if (errorCode !== undefined) p.ErrorCode = String(errorCode);
  if (status === 'delivered' || status === 'undelivered') p.RawDlrDoneDate = dlrDate();
  return p;
}

function dlrDate() {
  const d = new Date();
  const two = (n) => String(n).padStart(2, '0');
  return `${two(d.getUTCFullYear() % 100)}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}`;
}

// Viber callbacks (viber.mjs).
export { viberMessage, viberStatus, viberEvent } from './viber.mjs';
// WeChat Official Account callbacks (wechat.mjs), as objects; the sim writes them as XML.
export { wechatText, wechatImage, wechatLocation, wechatEvent, wechatTemplateFinish } from './wechat.mjs';
