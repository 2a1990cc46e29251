// Viber's REST Bot API for the simulator process (sim.mjs), under /viber (a channel's
// api_base_url = http://HOST:P/viber/pa): POST /pa/send_message, POST /pa/set_webhook,
// POST /pa/get_account_info, with Viber's shapes: every answer is HTTP 200 with
// {"status":0,"status_message":"ok",...} or a failure status (2 invalidAuthToken, 3 badData,
// 4 missingData, 6 receiverNotSubscribed, 12 tooManyRequests...); message_token is a 64-bit
// integer written as a JSON number (kept exact here: JavaScript numbers cannot hold it).
// Requests must carry X-Viber-Auth-Token; once an account is registered (POST /__sim/accounts
// {"provider":"viber","auth_token"}) only its token is accepted.
//
// Callbacks as Viber sends them: POST <webhook>, JSON, X-Viber-Content-Signature = hex
// HMAC-SHA256 of the exact body keyed with the auth token. set_webhook first sends the
// {"event":"webhook"} callback and answers status 1 (invalidUrl) unless that got a 200.
// Wire formats and sources: docs/channels.md#viber.
//
// Used by sim.mjs: /__sim/deliver {"provider":"viber","url","auth_token","payload"|"build"|"raw",
// "tamper"?,"omit_signature"?}; /__sim/fail {"provider":"viber","status":429|401|400|500,
// "code"?: a Viber status}.

import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

import { MB, received } from './outmedia.mjs';

export const VIBER_STATUS = {
  0: 'ok', 1: 'invalidUrl', 2: 'invalidAuthToken', 3: 'badData', 4: 'missingData', 5: 'receiverNotRegistered',
  6: 'receiverNotSubscribed', 7: 'publicAccountBlocked', 8: 'publicAccountNotFound', 9: 'publicAccountSuspended',
  10: 'webhookNotSet', 11: 'receiverNoSuitableDevice', 12: 'tooManyRequests', 13: 'apiVersionNotSupported',
  14: 'incompatibleWithVersion', 15: 'publicAccountNotAuthorized', 16: 'inchatReplyMessageNotAllowed',
  23: 'freeMessagesExceeded', 24: 'noBalance',
};
const MESSAGE_TYPES = new Set(['text', 'picture', 'video', 'file', 'location', 'contact', 'sticker', 'carousel content', 'url', 'rich_media']);

/** hex HMAC-SHA256(auth_token, body): the X-Viber-Content-Signature header. */
export function viberSignature(authToken, body) {
  return createHmac('sha256', authToken).update(body).digest('hex');
}

/** A 19-digit message token as a decimal string (written as a JSON number). */
export const newViberToken = () => `5${randomInt(1e8, 1e9)}${randomInt(1e7, 1e8)}${randomInt(0, 10)}`; // 19 digits, below 2^63

/** {"status":code,"status_message":name,...} as JSON text; `token` goes in as a raw 64-bit number. */
export function viberAnswer(code, extra = {}, token) {
  const head = JSON.stringify({ status: code, status_message: code === 12 ? 'Too many requests' : VIBER_STATUS[code] ?? 'generalError', ...extra });
  return token === undefined ? head : `${head.slice(0, -1)},"message_token":${token}}`;
}

// ----- callback builders (also exported by payloads.mjs for /__sim/deliver's "build")

/** A "message" callback with a text (or opts.message for another type). token: a decimal string. */
export function viberMessage(userId = '01234567890A=', text = 'Hi', opts = {}) {
  const message = opts.message ?? { type: 'text', text };
  if (opts.trackingData !== undefined) message.tracking_data = opts.trackingData;
  return {
    event: 'message',
    timestamp: opts.timestamp ?? Date.now(),
    chat_hostname: 'SN-376_',
    message_token: BigInt(opts.token ?? newViberToken()),
    sender: { id: userId, name: opts.name ?? 'John McClane', avatar: 'http://avatar.example.com', country: 'UK', language: 'en', api_version: 10 },
    message,
    silent: false,
  };
}

/** delivered / seen / failed for a message token we sent. */
export function viberStatus(token, event = 'delivered', userId = '01234567890A=', desc) {
  const o = { event, timestamp: Date.now(), chat_hostname: 'SN-376_', message_token: BigInt(token), user_id: userId };
  if (event === 'failed') o.desc = desc ?? 'failure description';
  return o;
}

/** subscribed / unsubscribed / conversation_started / webhook. */
export function viberEvent(event, userId = '01234567890A=') {
  const o = { event, timestamp: Date.now(), chat_hostname: 'SN-376_', message_token: BigInt(newViberToken()) };
  const user = { id: userId, name: 'John McClane', avatar: 'http://avatar.example.com', country: 'UK', language: 'en', api_version: 10 };
  if (event === 'subscribed') o.user = user;
  else if (event === 'unsubscribed') o.user_id = userId;
  else if (event === 'conversation_started') Object.assign(o, { type: 'open', context: 'ctx', user, subscribed: false });
  return o;
}

/** JSON text with BigInt values written as exact integers (Viber's message_token). */
export function viberJson(value) {
  return JSON.stringify(value, (k, v) => (typeof v === 'bigint' ? `@@${v}@@` : v)).replace(/"@@(\d+)@@"/g, '$1');
}

// ----- customers' files: where Viber keeps them

// A customer's picture, video or file reaches a bot as `message.media`: a signed, expiring URL on
// Viber's media host, e.g. https://dl-media.viber.com/3/media/2/short/any/sig/image/0x0/d793/
// <64 hex>.jpg?Expires=<unix s>&Signature=<...>&Key-Pair-Id=<...> (CloudFront-style signed URL;
// docs/channels.md#viber "Media"). It takes no credentials. The simulator serves the same path
// under its /viber prefix (the channel's api_base_url origin, which Bottega trusts as the provider,
// as for every simulated provider), refusing a wrong or expired signature with 403.
const MEDIA_KIND = (mime) => (mime.startsWith('image/') ? 'image' : mime.startsWith('video/') ? 'video' : 'file');
const MEDIA_EXT = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/gif': 'gif', 'image/webp': 'webp', 'video/mp4': 'mp4', 'application/pdf': 'pdf' };
export const VIBER_MEDIA_PATH = /^\/dl-media\/3\/media\/2\/short\/any\/sig\/(?:image|video|file)\/0x0\/[0-9a-f]{4}\/([0-9a-f]{64})\.[a-z0-9]{1,8}$/;
const KEY_PAIR_ID = 'APKASIMULATORVIBER01';

// ----- the API

export class ViberSim {
  /** authorized(token) -> bool; notify(url, headers, body) -> {status, body}. */
  constructor({ authorized = () => true, notify = async () => ({ status: 0, body: '' }), fetchMedia = async () => ({ ok: false, error: 'no fetcher' }), log = () => {} } = {}) {
    this.authorized = authorized;
    this.fetchMedia = fetchMedia;
    this.notify = notify;
    this.log = log;
    this.reset();
  }

  reset() {
    this.mediaKey = randomBytes(32); // signs the media URLs (a reset invalidates the old ones)
    this.webhook = null; // {url, event_types}
    this.sent = []; // {token, receiver, type, body}
  }

  /** {status, body, headers} for a call to /viber<rest>. */
  async handle(method, rest, entry) {
    const json = { 'content-type': 'application/json' };
    const answer = (code, extra, token) => ({ status: 200, body: viberAnswer(code, extra, token), headers: json });
    if (method !== 'POST') return { status: 405, body: 'Method Not Allowed', headers: {} };
    const token = entry.headers['x-viber-auth-token'];
    if (!token || !this.authorized(token)) return answer(2);
    const body = entry.json ?? parseOrNull(entry.body);
    if (!body || typeof body !== 'object') return answer(3);
    switch (rest.replace(/\/$/, '')) {
      case '/pa/send_message':
        return this.sendMessage(body, answer, entry);
      case '/pa/set_webhook': {
        if (typeof body.url !== 'string') return answer(4);
        if (body.url === '') {
          this.webhook = null;
          return answer(0);
        }
        const check = { event: 'webhook', timestamp: Date.now(), chat_hostname: 'SN-376_', message_token: BigInt(newViberToken()) };
        const text = viberJson(check);
        const a = await this.notify(body.url, { 'content-type': 'application/json', 'x-viber-content-signature': viberSignature(token, text) }, text);
        if (a.status !== 200) return answer(1);
        const types = Array.isArray(body.event_types) ? body.event_types : ['delivered', 'seen', 'failed', 'subscribed', 'unsubscribed', 'conversation_started'];
        this.webhook = { url: body.url, event_types: types };
        return answer(0, { chat_hostname: 'SN-376_', event_types: types });
      }
      case '/pa/get_account_info':
        return answer(0, { id: 'pa:75346594275468546724', name: 'Bottega sim', uri: 'bottegasim', webhook: this.webhook?.url ?? '', event_types: this.webhook?.event_types ?? [], subscribers_count: 1 });
      default:
        return { status: 404, body: viberAnswer(3), headers: json };
    }
  }

  async sendMessage(b, answer, entry) {
    if (typeof b.receiver !== 'string' || !b.receiver) return answer(4);
    if (!MESSAGE_TYPES.has(b.type)) return answer(3);
    if (typeof b.sender?.name !== 'string' || !b.sender.name || [...b.sender.name].length > 28) return answer(3);
    if (b.tracking_data !== undefined && (typeof b.tracking_data !== 'string' || b.tracking_data.length > 4000)) return answer(3);
    if (b.type === 'text' && (typeof b.text !== 'string' || !b.text || [...b.text].length > 7000)) return answer(3);
    if (b.keyboard !== undefined && !validButtons(b.keyboard, 'keyboard')) return answer(3);
    if (b.type === 'rich_media') {
      if (!(Number(b.min_api_version) >= 2) || !validButtons(b.rich_media, 'rich_media')) return answer(3);
      const rows = b.rich_media.Buttons.reduce((n, x) => n + (x.Rows ?? 1), 0);
      if (rows > (b.rich_media.ButtonsGroupRows ?? 7) || rows > 7) return answer(3);
    }
    if (b.type === 'picture' || b.type === 'video' || b.type === 'file') {
      // Viber downloads `media`: picture (JPEG/PNG/GIF <= 1 MB, `text` required, at most 768
      // characters), video (`size` required, <= 26 MB), file (`size` and `file_name` <= 256
      // characters, <= 50 MB). A file it cannot fetch or use is refused (status 3, badData).
      // Sources: docs/channels.md "Outbound files".
      if (typeof b.media !== 'string' || !b.media) return answer(4);
      if (b.type === 'picture' && (typeof b.text !== 'string' || [...b.text].length > 768)) return answer(3);
      // "The URL must have a resource with a .jpeg, .png or .gif file extension as the last path
      // segment" (picture; .mp4 for a video).
      const ext = (() => {
        try {
          return new URL(b.media).pathname.split('/').pop().match(/\.[^.]+$/)?.[0].toLowerCase() ?? '';
        } catch {
          return '';
        }
      })();
      if (b.type === 'picture' && !['.jpeg', '.jpg', '.png', '.gif'].includes(ext)) return answer(3);
      if (b.type === 'video' && ext !== '.mp4') return answer(3);
      if (b.type !== 'picture' && !(Number.isInteger(b.size) && b.size > 0)) return answer(4);
      if (b.type === 'file' && (typeof b.file_name !== 'string' || !b.file_name || [...b.file_name].length > 256)) return answer(4);
      if (b.type === 'file' && /\.(exe|bat|cmd|com|msi|scr|vbs|js|jar|apk|dll|ps1|reg|lnk)$/i.test(b.file_name)) return answer(3);
      const max = { picture: 1, video: 26, file: 50 }[b.type] * MB;
      const f = await this.fetchMedia(b.media, max);
      if (!f.ok) {
        this.log(`viber: ${f.error}`);
        return answer(3);
      }
      if (f.remote) entry.media = [{ type: b.type, filename: b.file_name ?? null, source: 'link', url: b.media, caption: b.text ?? null, fetched: false }];
      else if (f.size > max) return answer(3);
      else if (b.type === 'picture' && !['image/jpeg', 'image/png', 'image/gif'].includes(f.mime_type)) return answer(3);
      else if (b.type === 'video' && f.mime_type !== 'video/mp4') return answer(3);
      else if (b.type !== 'picture' && b.size !== f.size) return answer(3);
      else entry.media = [received(b.type, { ...f, filename: b.file_name ?? f.filename ?? null }, { source: 'link', url: b.media, caption: b.text ?? null })];
    }
    const token = newViberToken();
    this.sent.push({ token, receiver: b.receiver, type: b.type, body: b });
    return answer(0, { chat_hostname: 'SN-CHAT-05_', billing_status: 1 }, token);
  }

  /** A new media id (64 hex digits, as in Viber's URLs). */
  static newMediaId() {
    return randomBytes(32).toString('hex');
  }

  /** The signed URL of file f ({id, mime_type}) under `origin`, valid for `expiresIn` seconds. */
  mediaUrl(origin, f, expiresIn = 3600) {
    const path = `/dl-media/3/media/2/short/any/sig/${MEDIA_KIND(f.mime_type)}/0x0/${f.id.slice(-4)}/${f.id}.${MEDIA_EXT[f.mime_type] ?? 'bin'}`;
    const expires = Math.floor(Date.now() / 1000) + expiresIn;
    return `${origin}/viber${path}?Expires=${expires}&Signature=${this.mediaSignature(path, expires)}&Key-Pair-Id=${KEY_PAIR_ID}`;
  }

  mediaSignature(path, expires) {
    // CloudFront writes its base64 with '-' '_' '~' for '+' '=' '/'.
    return createHmac('sha256', this.mediaKey).update(`${path}?Expires=${expires}`).digest('base64').replace(/\+/g, '-').replace(/=/g, '_').replace(/\//g, '~');
  }

  /** GET /viber/dl-media/...: the bytes of file(id), or the media host's refusals; null: not a media path. */
  mediaGet(rest, query, file) {
    const m = rest.match(VIBER_MEDIA_PATH);
    if (!m) return null;
    const denied = (code, message) => ({ status: 403, body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`, headers: { 'content-type': 'text/xml' } });
    const expires = Number(query.Expires);
    if (!query.Signature || !query['Key-Pair-Id'] || !Number.isInteger(expires)) return denied('MissingKey', 'Missing Key-Pair-Id query parameter or cookie value');
    const want = Buffer.from(this.mediaSignature(rest, expires));
    const got = Buffer.from(String(query.Signature));
    if (want.length !== got.length || !timingSafeEqual(want, got)) return denied('AccessDenied', 'Access denied');
    if (expires < Date.now() / 1000) return denied('AccessDenied', 'Access denied');
    const f = file(m[1]);
    if (!f) return { status: 404, body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>', headers: { 'content-type': 'text/xml' } };
    return { status: 200, body: f.bytes, headers: { 'content-type': f.mime_type } };
  }

  /** An injected failure (/__sim/fail): Viber answers HTTP 200 with a status, except 5xx. */
  failureAnswer(f) {
    if (f.status >= 500 && f.code === undefined) return { status: f.status, body: '<html><body>Bad Gateway</body></html>', headers: { 'content-type': 'text/html' } };
    const byHttp = { 429: 12, 401: 2, 403: 7, 404: 6, 400: 3 };
    const code = f.code ?? byHttp[f.status] ?? 3;
    return { status: 200, body: f.body ?? viberAnswer(code), headers: { 'content-type': 'application/json' } };
  }

  /** What /__sim/deliver sends for Viber: the body and headers (signed unless told otherwise). */
  callback(o) {
    let body = o.raw !== undefined ? String(o.raw) : viberJson(o.payload ?? {});
    const headers = { 'content-type': 'application/json', 'user-agent': 'Viber' };
    if (!o.omit_signature) {
      if (o.auth_token === undefined && o.signature === undefined) throw Object.assign(new Error('auth_token is required to sign a Viber callback'), { status: 400 });
      let sig = o.signature ?? viberSignature(o.auth_token, body);
      if (o.tamper === true || o.tamper === 'signature') sig = (sig[0] === '0' ? '1' : '0') + sig.slice(1);
      headers['x-viber-content-signature'] = sig;
    }
    if (o.tamper === 'body') body = body.replace(/"text":"/, '"text":"(tampered) ');
    return { body, headers };
  }
}

function validButtons(group, type) {
  if (!group || group.Type !== type || !Array.isArray(group.Buttons) || group.Buttons.length === 0) return false;
  return group.Buttons.every((b) => {
    if (!b || typeof b !== 'object') return false;
    const at = b.ActionType ?? 'reply';
    if (!['reply', 'open-url', 'location-picker', 'share-phone', 'none'].includes(at)) return false;
    if (at !== 'none' && (typeof b.ActionBody !== 'string' || !b.ActionBody)) return false;
    if (at === 'open-url' && !/^https?:\/\//.test(b.ActionBody)) return false;
    const cols = b.Columns ?? 6;
    const rows = b.Rows ?? 1;
    return Number.isInteger(cols) && cols >= 1 && cols <= 6 && Number.isInteger(rows) && rows >= 1 && rows <= (type === 'keyboard' ? 2 : 7);
  }) && (type !== 'keyboard' || group.Buttons.length <= 24);
}

function parseOrNull(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
