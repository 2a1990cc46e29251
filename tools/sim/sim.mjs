#!/usr/bin/env node
// Bottega provider simulator: one HTTP server that speaks the send APIs of the WhatsApp Cloud API,
// the Messenger / Instagram Send API, the Telegram Bot API and Twilio Programmable Messaging, each
// under a path prefix (point a channel's `api_base_url` at it), records every request, and sends
// correctly signed inbound webhooks on request. Wire formats: /work/shared/reference/providers.md.
// No dependencies (Node >= 20).
//
//   node tools/sim/sim.mjs [--port 0] [--host 127.0.0.1] [--quiet] [--allow-remote]
//
// Provider APIs (api_base_url to configure in Bottega):
//   whatsapp   http://HOST:P/whatsapp/v21.0    POST /{phone_number_id}/messages     Bearer token
//   messenger  http://HOST:P/messenger/v21.0   POST /me/messages?access_token=...   (or /{page_id}/messages)
//   instagram  http://HOST:P/instagram/v21.0   POST /me/messages?access_token=...   (or /{ig_id}/messages, Bearer)
//   telegram   http://HOST:P/telegram          POST /bot{token}/sendMessage, sendPhoto (and a few other methods)
//   twilio     http://HOST:P/twilio            POST /2010-04-01/Accounts/{AccountSid}/Messages.json  Basic auth
//   stripe     http://HOST:P/stripe            Checkout Sessions, refunds (psp.mjs)
//   mollie     http://HOST:P/mollie            Payments API v2, refunds, id-only webhooks (mollie.mjs)
//   adyen      http://HOST:P/adyen             Pay by Link, refunds, HMAC-signed notifications (adyen.mjs)
//
// Control API (JSON) under /__sim/: see README.md and `handleControl` below.
//   GET  /__sim/requests?provider=&since=&wait=   recorded requests {"requests":[...]}
//   POST /__sim/reset                             forget requests, failure rules and accounts
//   POST /__sim/accounts {"provider",...}         register credentials; others then get 401
//   POST /__sim/fail {"provider","status","times"?,"after"?,"code"?,"message"?,"retry_after"?}
//        ("after": n calls succeed before the failures start, e.g. the second file of a message;
//        or a redirect: "status" 300-399 with "location")
//   POST /__sim/delay {"provider","ms","times"?}    answer the next calls late (recorded at once)
//   POST /__sim/media {"provider","content_base64","mime_type"?,"account_sid"?,"expires_in"?}
//        a file the provider will serve: returns {id, sha256, size, url?, file_path?} to put in an
//        inbound webhook (WhatsApp media id, Telegram file_id, Messenger/Instagram/Twilio url,
//        Viber url: a signed URL shaped like dl-media.viber.com's, valid expires_in s (3600),
//        WeChat MediaId: served by GET /wechat/cgi-bin/media/get, a video as {"video_url"})
//   POST /__sim/limits {"provider","per_second"?,"pair_interval_ms"?,"pair_burst"?}
//        enforce the provider's rate limits (off until set; {"provider"} alone turns them off):
//        WhatsApp 130429 above per_second per phone number (a sliding second) and 131056 above the
//        pair rate to one user; Telegram 429 with parameters.retry_after above per_second overall
//        or above one message per pair_interval_ms in one chat.
//   POST /__sim/deliver {"provider","url","app_secret"|"secret_token"|"auth_token","payload",...}
//   /__sim/phone/{setup,channels,send,messages} and the page GET /phone: the customer phone
//        (phone.mjs; `make demo` runs it beside the demo shop).

import http from 'node:http';
import https from 'node:https';
import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { pathToFileURL } from 'node:url';

import * as payloads from './payloads.mjs';
import { StripeSim, stripeError, stripeSignature } from './psp.mjs';
import { MollieSim, mollieError } from './mollie.mjs';
import { AdyenSim, adyenError } from './adyen.mjs';
import { ViberSim } from './viber.mjs';
import { WeChatSim } from './wechat.mjs';
import { Phone } from './phone.mjs';
import { MB, WHATSAPP_MEDIA, fetchLink, metaAttachmentError, parseMultipart, received, telegramFileError } from './outmedia.mjs';

export const PROVIDERS = ['whatsapp', 'messenger', 'instagram', 'telegram', 'twilio', 'stripe', 'mollie', 'adyen', 'viber', 'wechat'];
const BUILDERS = new Set([
  'whatsappText', 'whatsappOrder', 'whatsappInteractive', 'whatsappStatus', 'whatsappBatch',
  'messengerText', 'messengerEcho', 'messengerPostback', 'messengerDelivery', 'messengerRead',
  'instagramText', 'instagramEcho', 'telegramMessage', 'telegramCallback', 'twilioInbound', 'twilioStatus',
  'viberMessage', 'viberStatus', 'viberEvent', 'wechatText', 'wechatImage', 'wechatLocation', 'wechatEvent', 'wechatTemplateFinish',
]);
const META = new Set(['whatsapp', 'messenger', 'instagram']);

// ---------------------------------------------------------------------------------------------
// small helpers

const b64 = (n) => randomBytes(n).toString('base64').replace(/=+$/, '');
const newWamid = () => `wamid.HBgL${b64(45).replace(/[+/]/g, '').slice(0, 52)}`;
const newMid = () => `m_${randomBytes(48).toString('base64url')}`;
const newSid = (prefix) => `${prefix}${randomBytes(16).toString('hex')}`;
const fbtrace = () => randomBytes(12).toString('base64url').slice(0, 23);

/** JSON with every non-ASCII character escaped as \uXXXX (lowercase hex), as Meta signs and sends it. */
export function metaJson(value) {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** X-Hub-Signature-256 value for a raw body. */
export function hubSignature(appSecret, rawBody) {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

/** X-Twilio-Signature: base64 HMAC-SHA1(auth_token, url + for each sorted key, its sorted unique values as key+value). */
export function twilioSignature(authToken, url, params) {
  let data = url;
  for (const key of Object.keys(params).sort()) {
    const v = params[key];
    const values = [...new Set((Array.isArray(v) ? v : [v]).map(String))].sort();
    for (const value of values) data += key + value;
  }
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

/** application/x-www-form-urlencoded body of a params object (array values repeat the key). */
export function formEncode(params) {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) sp.append(k, String(x));
  return sp.toString();
}

function formDecode(text) {
  const out = {};
  for (const [k, v] of new URLSearchParams(text)) {
    if (k in out) out[k] = [].concat(out[k], v);
    else out[k] = v;
  }
  return out;
}

function safeEqual(a, b) {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The same signature with one character changed (so it no longer matches, also when decoded). */
function tamper(sig) {
  const i = sig.startsWith('sha256=') ? 7 : 0;
  const c = sig[i] ?? '';
  const d = /[0-9a-f]/.test(c) ? (c === '0' ? '1' : '0') : c === 'A' ? 'B' : 'A';
  return sig.slice(0, i) + d + sig.slice(i + 1);
}

function readBody(req, limit = 8 << 20) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) {
        reject(Object.assign(new Error('body too large'), { status: 413 }));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJsonOrNull(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isLoopback(hostname) {
  const h = hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

// ---------------------------------------------------------------------------------------------
// provider error bodies

// Graph's error envelope (WhatsApp, Messenger, Instagram) for an HTTP status, or an explicit code.
function graphError(provider, status, { code, message, subcode } = {}) {
  const byStatus = {
    400: { code: 100, message: '(#100) Invalid parameter' },
    401: { code: 190, message: 'Invalid OAuth access token - Cannot parse access token' },
    403: { code: 200, message: '(#200) Permissions error' },
    404: { code: 803, message: '(#803) Some of the aliases you requested do not exist' },
    429:
      provider === 'whatsapp'
        ? { code: 130429, message: '(#130429) Rate limit hit' }
        : { code: 613, message: '(#613) Calls to this api have exceeded the rate limit.' },
    500: { code: 1, message: 'An unknown error has occurred.' },
    503: { code: 2, message: 'An unexpected error has occurred. Please retry your request later.' },
  };
  const d = byStatus[status] ?? { code: status, message: `Simulated error (HTTP ${status})` };
  const error = { message: message ?? d.message, type: 'OAuthException', code: code ?? d.code };
  if (status >= 500) error.is_transient = true;
  if (provider === 'whatsapp' && error.code !== 190)
    error.error_data = { messaging_product: 'whatsapp', details: message ?? d.message };
  if (subcode !== undefined) error.error_subcode = subcode;
  error.fbtrace_id = fbtrace();
  return { error };
}

function telegramError(status, { code, message, retry_after } = {}) {
  const byStatus = {
    400: 'Bad Request: chat not found',
    401: 'Unauthorized',
    403: 'Forbidden: bot was blocked by the user',
    404: 'Not Found',
    409: 'Conflict: terminated by other getUpdates request',
    429: `Too Many Requests: retry after ${retry_after ?? 5}`,
    500: 'Internal Server Error',
    502: 'Bad Gateway',
  };
  const body = { ok: false, error_code: code ?? status, description: message ?? byStatus[status] ?? `Simulated error ${status}` };
  if (status === 429 || retry_after !== undefined) body.parameters = { retry_after: retry_after ?? 5 };
  return body;
}

function twilioError(status, { code, message } = {}) {
  const byStatus = {
    400: { code: 21211, message: "The 'To' number is not a valid phone number." },
    401: { code: 20003, message: 'Authenticate' },
    403: { code: 20003, message: 'Permission Denied' },
    404: { code: 20404, message: 'The requested resource was not found' },
    429: { code: 20429, message: 'Too Many Requests' },
    500: { code: 20500, message: 'Internal Server Error' },
    503: { code: 20503, message: 'Service Unavailable' },
  };
  const d = byStatus[status] ?? { code: status, message: `Simulated error (HTTP ${status})` };
  const c = code ?? d.code;
  return { code: c, message: message ?? d.message, more_info: `https://www.twilio.com/docs/errors/${c}`, status };
}

// ---------------------------------------------------------------------------------------------
// the simulator

export class Simulator {
  constructor({ log = () => {}, allowRemote = false } = {}) {
    this.log = log;
    this.allowRemote = allowRemote;
    this.reset();
    this.phone = new Phone(this); // the customer phone page (phone.mjs); its channels survive reset()
  }

  reset() {
    this.requests = [];
    this.seq = 0;
    this.failures = new Map(); // provider -> [{status, remaining, ...}]
    this.delays = new Map(); // provider -> [{ms, remaining}]
    this.accounts = new Map(); // provider -> [{id, token, ...}]
    this.telegramMessageIds = new Map(); // chat id -> last message_id
    this.limits = new Map(); // provider -> {per_second, pair_interval_ms, pair_burst}
    this.media = new Map(); // "provider:id" -> {bytes, mime_type, sha256, id, path?}
    this.windows = new Map(); // "provider:account" -> send times (ms) in the last second
    this.pairs = new Map(); // "provider:account:recipient" -> GCRA theoretical arrival time (ms)
    this.waiters = new Set();
    this.phone?.reset();
    this.stripe = new StripeSim();
    // Mollie and Adyen notify Bottega on their own (a refund settling): through notify().
    const notify = (url, headers, body) => this.notify(url, headers, body);
    this.mollie?.reset();
    this.adyen?.reset();
    this.mollie = new MollieSim({ notify, log: (m) => this.log(m) });
    this.adyen = new AdyenSim({ notify, log: (m) => this.log(m) });
    this.viber = new ViberSim({ notify, log: (m) => this.log(m), authorized: (token) => this.authorized('viber', undefined, token), fetchMedia: (url, max) => this.fetchMedia(url, max) });
    this.wechat = new WeChatSim({
      log: (m) => this.log(m),
      account: (appid) => {
        const list = this.accounts.get('wechat');
        if (!list?.length) return null; // nothing registered: any credentials
        const a = list.find((x) => x.id === appid);
        return a ? { secret: a.token } : undefined;
      },
    });
  }

  /** POSTs a provider's webhook (loopback only unless --allow-remote); {status, body}, status 0 on failure. */
  async notify(url, headers, body) {
    let target;
    try {
      target = new URL(url);
    } catch {
      return { status: 0, body: `bad webhook URL ${url}` };
    }
    if (!this.allowRemote && !isLoopback(target.hostname)) return { status: 0, body: 'refused: not a loopback URL (use --allow-remote)' };
    try {
      const a = await postRaw(target, 'POST', headers, body, 15_000);
      return { status: a.status, body: a.body };
    } catch (e) {
      return { status: 0, body: `delivery failed: ${e.message}` };
    }
  }

  // ----- recording

  record(entry) {
    entry.seq = ++this.seq;
    this.requests.push(entry);
    if (this.requests.length > 10_000) this.requests.shift();
    for (const w of [...this.waiters]) w();
    return entry;
  }

  /** The next sequence number (requests and the phone's messages share one order). */
  nextSeq() {
    return ++this.seq;
  }

  /** Wakes the long polls (something was recorded or changed). */
  wake() {
    for (const w of [...this.waiters]) w();
  }

  /** Resolves to check()'s first non-null result, re-checked on every wake(), or null after ms. */
  waitUntil(check, ms) {
    return new Promise((resolve) => {
      let timer;
      const done = (v) => {
        clearTimeout(timer);
        this.waiters.delete(poll);
        resolve(v);
      };
      const poll = () => {
        const v = check();
        if (v !== null && v !== undefined) done(v);
      };
      timer = setTimeout(() => done(null), ms);
      this.waiters.add(poll);
      poll();
    });
  }

  list({ provider, since = 0 } = {}) {
    return this.requests.filter((r) => r.seq > since && (!provider || r.provider === provider));
  }

  waitFor(filter, ms) {
    return new Promise((resolve) => {
      const check = () => {
        const found = this.list(filter);
        if (found.length) {
          done();
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        done();
        resolve(this.list(filter));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  // ----- credentials: a provider with registered accounts accepts only those

  addAccount(provider, acc) {
    if (!this.accounts.has(provider)) this.accounts.set(provider, []);
    this.accounts.get(provider).push(acc);
  }

  /** Whether `token` is valid for account `id` (undefined id = any account of the provider). */
  authorized(provider, id, token) {
    if (!token) return false;
    const list = this.accounts.get(provider);
    if (!list?.length) return true; // nothing registered: accept any credentials
    return list.some((a) => (id === undefined || a.id === undefined || a.id === id) && safeEqual(a.token, token));
  }

  takeFailure(provider) {
    const list = this.failures.get(provider);
    if (!list?.length) return null;
    const f = list[0];
    if (f.skip > 0) {
      f.skip -= 1; // "after": this many calls succeed first
      return null;
    }
    if (f.remaining !== Infinity) f.remaining -= 1;
    if (f.remaining <= 0) list.shift();
    return f;
  }

  // Whether a send by `account` to `recipient` is over the provider's limits (when set): null, or
  // {scope: 'throughput'|'pair', retryAfterS}. An admitted send is counted.
  overLimit(provider, account, recipient) {
    const lim = this.limits.get(provider);
    if (!lim) return null;
    const now = Date.now();
    if (lim.per_second) {
      const key = `${provider}:${account}`;
      const times = (this.windows.get(key) ?? []).filter((t) => t > now - 1000);
      this.windows.set(key, times);
      if (times.length >= lim.per_second) return { scope: 'throughput', retryAfterS: 1 };
    }
    if (lim.pair_interval_ms && recipient !== undefined) {
      const key = `${provider}:${account}:${recipient}`;
      const tat = Math.max(this.pairs.get(key) ?? 0, now);
      const tolerance = ((lim.pair_burst ?? 1) - 1) * lim.pair_interval_ms;
      if (tat - now > tolerance) return { scope: 'pair', retryAfterS: Math.ceil((tat - now - tolerance) / 1000) };
      this.pairs.set(key, tat + lim.pair_interval_ms);
    }
    if (lim.per_second) this.windows.get(`${provider}:${account}`).push(now);
    return null;
  }

  takeDelay(provider) {
    const list = this.delays.get(provider);
    if (!list?.length) return 0;
    const d = list[0];
    if (d.remaining !== Infinity) d.remaining -= 1;
    if (d.remaining <= 0) list.shift();
    return d.ms;
  }

  // ----- HTTP entry point

  async handle(req, res) {
    const url = new URL(req.url, 'http://sim.local');
    let raw;
    try {
      raw = await readBody(req, 64 * MB); // uploads: Telegram takes files up to 50 MB
    } catch (e) {
      return send(res, e.status ?? 400, { error: e.message });
    }
    const body = raw.toString('utf8');
    if (req.method === 'GET' && (url.pathname === '/phone' || url.pathname.startsWith('/phone/'))) {
      const m = url.pathname.match(/^\/phone\/media\/([a-z]+)\/([A-Za-z0-9_-]+)$/);
      const a = m ? this.phone.media(m[1], m[2]) : this.phone.asset(url.pathname);
      return a ? send(res, a.status, a.body, a.headers) : send(res, 404, { error: `no page ${url.pathname}` });
    }
    if (url.pathname.startsWith('/__sim/')) {
      try {
        return await this.handleControl(req, res, url, body);
      } catch (e) {
        return send(res, 500, { error: String(e?.stack ?? e) });
      }
    }
    const provider = PROVIDERS.find((p) => url.pathname === `/${p}` || url.pathname.startsWith(`/${p}/`));
    const headers = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
    const entry = {
      provider: provider ?? null,
      method: req.method,
      path: url.pathname,
      target: req.url,
      query: Object.fromEntries(url.searchParams),
      headers,
      body,
      at: new Date().toISOString(),
    };
    const ctype = String(headers['content-type'] ?? '');
    if (ctype.includes('json')) entry.json = parseJsonOrNull(body);
    else if (ctype.includes('x-www-form-urlencoded')) entry.form = formDecode(body);
    else if (/^multipart\/form-data/i.test(ctype)) {
      // Uploads: the fields as a form, the files (with their bytes, never listed) apart.
      const mp = await parseMultipart(ctype, raw);
      entry.body = `<multipart/form-data, ${raw.length} bytes>`;
      if (mp) {
        entry.form = mp.fields;
        entry.uploads = Object.fromEntries(Object.entries(mp.files).map(([k, f]) => [k, { filename: f.filename, mime_type: f.mime_type, size: f.size, sha256: f.sha256 }]));
        Object.defineProperty(entry, 'files', { value: mp.files, enumerable: false });
      } else entry.multipart_error = 'unreadable multipart/form-data body';
    }
    entry.auth = parseAuth(headers.authorization);

    let answer;
    if (!provider) {
      answer = { status: 404, body: { error: `unknown path ${url.pathname}; prefixes: ${PROVIDERS.map((p) => '/' + p).join(' ')}` } };
    } else {
      const rest = url.pathname.slice(provider.length + 1);
      const media = this.mediaAnswer(provider, req.method, rest, entry, `http://${req.headers.host}`);
      const failure = media ? null : this.takeFailure(provider);
      if (media) answer = media;
      else if (failure) answer = this.failureAnswer(provider, failure);
      else if (META.has(provider)) answer = await this.graph(provider, req.method, rest, entry);
      else if (provider === 'telegram') answer = await this.telegram(req.method, rest, entry);
      else if (provider === 'stripe') answer = this.stripe.handle(req.method, rest, entry, `http://${req.headers.host}`);
      else if (provider === 'mollie') answer = this.mollie.handle(req.method, rest, entry, `http://${req.headers.host}`);
      else if (provider === 'adyen') answer = this.adyen.handle(req.method, rest, entry, `http://${req.headers.host}`);
      else if (provider === 'viber') answer = await this.viber.handle(req.method, rest, entry);
      else if (provider === 'wechat') answer = this.wechat.handle(req.method, rest, entry);
      else answer = await this.twilio(req.method, rest, entry);
      if (failure) entry.injected_failure = true;
    }
    entry.response = { status: answer.status, body: Buffer.isBuffer(answer.body) ? `<${answer.body.length} bytes>` : answer.body };
    // Recorded (with its answer) before any delay: a test can act on the answer, e.g. deliver a
    // status webhook for the new message id, while the caller is still waiting for it.
    const delay = provider ? this.takeDelay(provider) : 0;
    if (delay) entry.delayed_ms = delay;
    this.record(entry);
    this.log(`${req.method} ${req.url} -> ${answer.status}${delay ? ` (after ${delay} ms)` : ''}`);
    if (delay) await new Promise((r) => setTimeout(r, delay));
    send(res, answer.status, answer.body, answer.headers);
  }

  // ----- media: files registered with POST /__sim/media, fetched the way each provider serves them

  addMedia(provider, { content_base64, mime_type = 'application/octet-stream', account_sid, expires_in }, origin) {
    const bytes = Buffer.from(String(content_base64 ?? ''), 'base64');
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const f = { bytes, mime_type, sha256 };
    if (provider === 'whatsapp') f.id = `${randomInt(1e6, 1e7)}${randomInt(1e8, 1e9)}`; // 15 digits
    else if (provider === 'telegram') {
      f.id = `AgAC${randomBytes(24).toString('base64url')}`;
      f.path = `photos/file_${this.media.size + 1}.${mime_type.split('/')[1] ?? 'bin'}`;
    } else if (provider === 'wechat') f.id = randomBytes(32).toString('base64url'); // a MediaId as WeChat shapes them
    else if (provider === 'viber') f.id = ViberSim.newMediaId();
    else f.id = `${provider === 'twilio' ? 'ME' : 'cdn'}${randomBytes(16).toString('hex')}`;
    this.media.set(`${provider}:${f.id}`, f);
    const out = { id: f.id, sha256, size: bytes.length };
    if (provider === 'telegram') out.file_path = f.path;
    if (provider === 'messenger' || provider === 'instagram') out.url = `${origin}/${provider}/cdn/${f.id}`;
    if (provider === 'viber') out.url = this.viber.mediaUrl(origin, f, expires_in);
    if (provider === 'twilio') out.url = `${origin}/twilio/2010-04-01/Accounts/${account_sid ?? 'AC0'}/Messages/MM${randomBytes(16).toString('hex')}/Media/${f.id}`;
    return out;
  }

  mediaAnswer(provider, method, rest, entry, origin) {
    if (method !== 'GET') return null;
    let m;
    const file = (id) => this.media.get(`${provider}:${id}`);
    const bytes = (f) => ({ status: 200, body: f.bytes, headers: { 'content-type': f.mime_type } });
    const bearerOk = () => entry.auth?.scheme === 'bearer' && this.authorized(provider, undefined, entry.auth.token);
    if ((m = rest.match(/^\/(?:media|cdn)\/([A-Za-z0-9_-]+)$/))) {
      const f = file(m[1]);
      if (!f) return { status: 404, body: { error: 'no such media' } };
      if (provider === 'whatsapp' && !bearerOk()) return { status: 401, body: graphError('whatsapp', 401) };
      return bytes(f);
    }
    // GET /{id}?fields=... reads a Graph object (the phone number: a connection test), not media.
    if (provider === 'whatsapp' && entry.query.fields === undefined && (m = rest.match(/^(?:\/v\d+\.\d+)?\/(\d+)\/?$/))) {
      const f = file(m[1]);
      if (!bearerOk()) return { status: 401, body: graphError('whatsapp', 401) };
      if (!f) return { status: 400, body: graphError('whatsapp', 400, { code: 100, message: `Unsupported get request. Object with ID '${m[1]}' does not exist` }) };
      return { status: 200, body: { messaging_product: 'whatsapp', url: `${origin}/whatsapp/media/${f.id}`, mime_type: f.mime_type, sha256: f.sha256, file_size: f.bytes.length, id: f.id } };
    }
    if (provider === 'viber' && rest.startsWith('/dl-media/')) return this.viber.mediaGet(rest, entry.query, file) ?? { status: 404, body: 'Not Found', headers: { 'content-type': 'text/plain' } };
    if (provider === 'wechat' && rest === '/cgi-bin/media/get') return this.wechat.mediaGet(entry, file(entry.query.media_id ?? ''), origin);
    if (provider === 'telegram' && (m = rest.match(/^\/bot([^/]+)\/getFile$/i))) {
      const f = file(entry.query.file_id ?? '');
      if (!f) return { status: 400, body: telegramError(400, { message: 'Bad Request: invalid file_id' }) };
      return { status: 200, body: { ok: true, result: { file_id: f.id, file_unique_id: f.id.slice(-12), file_size: f.bytes.length, file_path: f.path } } };
    }
    if (provider === 'telegram' && (m = rest.match(/^\/file\/bot([^/]+)\/(.+)$/))) {
      const f = [...this.media.entries()].find(([k, v]) => k.startsWith('telegram:') && v.path === m[2])?.[1];
      return f ? bytes(f) : { status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } };
    }
    if (provider === 'twilio' && (m = rest.match(/^\/2010-04-01\/Accounts\/([^/]+)\/Messages\/[^/]+\/Media\/([^/]+)$/))) {
      const a = entry.auth;
      if (!(a?.scheme === 'basic' && a.username === m[1] && this.authorized('twilio', m[1], a.password)))
        return { status: 401, body: twilioError(401), headers: { 'www-authenticate': 'Basic realm="Twilio API"' } };
      if (!file(m[2])) return { status: 404, body: twilioError(404) };
      // Twilio answers with a redirect to its media store.
      return { status: 307, body: '', headers: { location: `${origin}/twilio/cdn/${m[2]}` } };
    }
    return null;
  }

  failureAnswer(provider, f) {
    // An injected redirect: a provider (or a proxy in front of it) pointing elsewhere.
    if (f.status >= 300 && f.status <= 399) return { status: f.status, body: '', headers: { location: f.location } };
    if (provider === 'viber') return this.viber.failureAnswer(f);
    if (provider === 'wechat') return this.wechat.failureAnswer(f);
    const opts = { code: f.code, message: f.message, retry_after: f.retry_after, subcode: f.subcode };
    let body;
    if (f.body !== undefined) body = f.body;
    else if (META.has(provider)) body = graphError(provider, f.status, opts);
    else if (provider === 'telegram') body = telegramError(f.status, opts);
    else if (provider === 'stripe') body = stripeError(f.status, opts);
    else if (provider === 'mollie') body = mollieError(f.status, f.message);
    else if (provider === 'adyen') body = adyenError(f.status, f.message, f.code);
    else body = twilioError(f.status, opts);
    const headers = {};
    if (f.status === 401 && provider === 'twilio') headers['www-authenticate'] = 'Basic realm="Twilio API"';
    if (f.status === 429 && f.retry_after !== undefined && provider !== 'telegram') headers['retry-after'] = String(f.retry_after);
    return { status: f.status, body, headers };
  }

  // ----- Graph: WhatsApp Cloud API and the Messenger / Instagram Send API

  async graph(provider, method, rest, entry) {
    // GET [/vXX.X]/{id}?fields=...: the object behind the credentials (a connection test).
    const obj = method === 'GET' ? rest.match(/^(?:\/v\d+\.\d+)?\/([^/]+)\/?$/) : null;
    if (obj) return this.graphObject(provider, decodeURIComponent(obj[1]), entry);
    // rest: [/vXX.X]/{id}/messages
    const m = rest.match(/^(?:\/v\d+\.\d+)?\/([^/]+)\/messages\/?$/);
    if (!m) {
      return { status: 400, body: graphError(provider, 400, { code: 100, message: `Unsupported post request. Object with ID '${rest.split('/').filter(Boolean).pop() ?? ''}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.` }) };
    }
    if (method !== 'POST') return { status: 400, body: graphError(provider, 400, { code: 100, message: 'Unsupported get request.' }) };
    const id = decodeURIComponent(m[1]);
    const token = entry.auth?.scheme === 'bearer' ? entry.auth.token : entry.query.access_token;
    if (!token) {
      return { status: 400, body: graphError(provider, 400, { code: 2500, message: 'An active access token must be used to query information about the current user.' }) };
    }
    const accountId = provider === 'whatsapp' || id !== 'me' ? id : undefined;
    if (!this.authorized(provider, accountId, token)) {
      return { status: 401, body: graphError(provider, 401, { code: 190, message: 'Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.' }) };
    }
    let payload = entry.json;
    if (payload === undefined && entry.form) payload = entry.form; // Graph also takes form posts
    if (payload === undefined) payload = parseJsonOrNull(entry.body);
    if (!payload || typeof payload !== 'object' || Array.isArray(payload))
      return { status: 400, body: graphError(provider, 400, { code: 100, message: '(#100) The request body must be JSON' }) };
    return provider === 'whatsapp' ? this.whatsappSend(payload, id, entry) : this.messagingSend(provider, payload, entry);
  }

  /**
   * Fetches a link as the provider would: the file, or {ok: false, error}. A link off this machine
   * (a product card's image on the shop's site) is not fetched unless --allow-remote: it is
   * accepted as is, {ok: true, remote: true}, and recorded with fetched: false.
   */
  async fetchMedia(url, maxBytes) {
    let host;
    try {
      host = new URL(url).hostname;
    } catch {
      return { ok: false, error: `not a URL: ${url}` };
    }
    if (!this.allowRemote && !isLoopback(host)) return { ok: true, remote: true };
    return fetchLink(url, { allowRemote: this.allowRemote, maxBytes: maxBytes + 1 });
  }

  async whatsappSend(p, phoneNumberId, entry) {
    const bad = (message) => ({ status: 400, body: graphError('whatsapp', 400, { code: 100, message }) });
    if (p.messaging_product !== 'whatsapp') return bad('(#100) The parameter messaging_product is required.');
    if (p.status === 'read') {
      if (typeof p.message_id !== 'string' || !p.message_id) return bad('(#100) The parameter message_id is required.');
      return { status: 200, body: { success: true } };
    }
    if (typeof p.to !== 'string' || !p.to) return bad('(#100) The parameter to is required.');
    const digits = p.to.replace(/^\+/, '');
    if (!/^\d{5,20}$/.test(digits)) return { status: 400, body: graphError('whatsapp', 400, { code: 131009, message: '(#131009) Parameter value is not valid' }) };
    const type = p.type ?? 'text';
    const known = ['text', 'interactive', 'template', 'image', 'video', 'audio', 'document', 'sticker', 'location', 'contacts', 'reaction'];
    if (!known.includes(type)) return bad(`(#100) Param type must be one of {${known.join(', ').toUpperCase()}} - got "${type}".`);
    if (!p[type] || typeof p[type] !== 'object') return bad(`(#100) The parameter ${type} is required.`);
    if (type === 'text') {
      if (typeof p.text.body !== 'string' || !p.text.body) return bad('(#100) The parameter text[\'body\'] is required.');
      if ([...p.text.body].length > 4096) return bad('(#100) Param text[\'body\'] must be at most 4096 characters long.');
    }
    // Media by link: WhatsApp downloads it (the real API reports a failed download later, in a
    // failed status webhook with 131053; the simulator answers at once so a test sees it).
    const rule = WHATSAPP_MEDIA[type];
    if (rule) {
      const m = p[type];
      const media = (message) => ({ status: 400, body: graphError('whatsapp', 400, { code: 131053, message: `(#131053) Media upload error: ${message}` }) });
      if (m.id === undefined && typeof m.link !== 'string') return bad(`(#100) The parameter ${type}['link'] or ${type}['id'] is required.`);
      if (m.caption !== undefined) {
        if (type === 'audio' || type === 'sticker') return bad(`(#100) Param ${type}['caption'] is not a valid parameter.`);
        if (typeof m.caption !== 'string' || [...m.caption].length > 1024) return bad(`(#100) Param ${type}['caption'] must be at most 1024 characters long.`);
      }
      if (m.filename !== undefined && type !== 'document') return bad(`(#100) Param ${type}['filename'] is not a valid parameter.`);
      if (typeof m.link === 'string') {
        const f = await this.fetchMedia(m.link, rule.max);
        if (!f.ok) return media(f.error);
        if (f.remote) entry.media = [{ type, filename: m.filename ?? null, source: 'link', url: m.link, caption: m.caption ?? null, fetched: false }];
        else {
          if (f.size > rule.max) return media(`${type} larger than ${rule.max} bytes`);
          if (!rule.types.includes(f.mime_type)) return media(`${f.mime_type} is not a supported ${type} type`);
          entry.media = [received(type, { ...f, filename: m.filename ?? null }, { source: 'link', url: m.link, caption: m.caption ?? null })];
        }
      }
    }
    const over = this.overLimit('whatsapp', phoneNumberId, digits);
    if (over?.scope === 'throughput')
      return { status: 400, body: graphError('whatsapp', 400, { code: 130429, message: '(#130429) Rate limit hit' }) };
    if (over?.scope === 'pair')
      return { status: 400, body: graphError('whatsapp', 400, { code: 131056, message: '(#131056) (Business Account, Consumer Account) pair rate limit hit' }) };
    const message = { id: newWamid() };
    if (type === 'template') message.message_status = 'accepted';
    return {
      status: 200,
      body: { messaging_product: 'whatsapp', contacts: [{ input: p.to, wa_id: digits }], messages: [message] },
    };
  }

  async messagingSend(provider, p, entry) {
    const bad = (message, code = 100) => ({ status: 400, body: graphError(provider, 400, { code, message }) });
    const recipient = typeof p.recipient === 'string' ? parseJsonOrNull(p.recipient) : p.recipient;
    if (!recipient || typeof recipient !== 'object') return bad('(#100) param recipient must be non-empty.');
    const rid = recipient.id ?? recipient.user_ref ?? recipient.comment_id ?? recipient.post_id;
    if (!rid) return bad('(#100) The parameter recipient is required');
    if (p.sender_action) return { status: 200, body: { recipient_id: String(rid) } };
    const message = typeof p.message === 'string' ? parseJsonOrNull(p.message) : p.message;
    if (!message || typeof message !== 'object') return bad('(#100) param message must be non-empty.');
    if (message.text === undefined && message.attachment === undefined) return bad('(#100) Must send either message or state');
    if (message.text !== undefined && message.attachment !== undefined) return bad('(#100) Only one of text or attachment can be specified');
    if (typeof message.text === 'string' && [...message.text].length > 2000) return bad('(#100) Length of param message[text] must be less than or equal to 2000');
    if (p.messaging_type === 'MESSAGE_TAG' && !p.tag) return bad('(#100) Tag is required for MESSAGE_TAG messaging type');
    const att = message.attachment;
    if (att !== undefined && att?.type !== 'template') {
      // A file: uploaded with the message (multipart `filedata`) or fetched from payload.url.
      if (!att || typeof att !== 'object' || typeof att.type !== 'string') return bad('(#100) param message[attachment][type] must be non-empty.');
      const upload = entry.files?.filedata;
      let f;
      if (upload) f = { ...upload, source: 'upload' };
      else if (typeof att.payload?.url === 'string') {
        const got = await this.fetchMedia(att.payload.url, 25 * MB);
        if (!got.ok) return bad(`(#100) Failed to fetch the file from the url: ${got.error}`, 100);
        f = got.remote ? null : { ...got, source: 'link', url: att.payload.url };
        if (got.remote) entry.media = [{ type: att.type, source: 'link', url: att.payload.url, fetched: false }];
      } else if (att.payload?.attachment_id !== undefined) f = null;
      else return bad('(#100) Upload attachment failure: no filedata and no payload url');
      if (f) {
        const err = metaAttachmentError(provider, att.type, f);
        if (err) return bad(err);
        entry.media = [received(att.type, f, { source: f.source, ...(f.url ? { url: f.url } : {}) })];
      }
    }
    const body = { message_id: newMid() };
    if (recipient.id) body.recipient_id = String(recipient.id);
    return { status: 200, body: provider === 'messenger' ? { recipient_id: body.recipient_id, message_id: body.message_id } : body };
  }

  // WhatsApp: GET /{phone_number_id}?fields=display_phone_number,verified_name (Bearer token);
  // Messenger / Instagram: GET /me?fields=id,name&access_token=... (the page).
  graphObject(provider, id, entry) {
    const token = entry.auth?.scheme === 'bearer' ? entry.auth.token : entry.query.access_token;
    if (!token) {
      return { status: 400, body: graphError(provider, 400, { code: 2500, message: 'An active access token must be used to query information about the current user.' }) };
    }
    if (!this.authorized(provider, provider === 'whatsapp' || id !== 'me' ? id : undefined, token)) {
      return { status: 401, body: graphError(provider, 401, { code: 190, message: 'Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.' }) };
    }
    if (provider === 'whatsapp') {
      if (!/^\d+$/.test(id)) return { status: 400, body: graphError(provider, 400, { code: 100, message: `Unsupported get request. Object with ID '${id}' does not exist` }) };
      return { status: 200, body: { verified_name: 'Bottega Sim Shop', display_phone_number: '+1 555-010-0100', quality_rating: 'GREEN', id } };
    }
    const account = (this.accounts.get(provider) ?? []).find((a) => safeEqual(a.token, token));
    return { status: 200, body: { id: id === 'me' ? String(account?.id ?? '100000000000001') : id, name: 'Bottega Sim Page' } };
  }

  // ----- Telegram Bot API

  async telegram(method, rest, entry) {
    const m = rest.match(/^\/bot([^/]+)\/([A-Za-z]+)\/?$/);
    if (!m) return { status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } };
    const token = decodeURIComponent(m[1]);
    const apiMethod = m[2].toLowerCase();
    if (!/^\d+:[A-Za-z0-9_-]+$/.test(token)) return { status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } };
    if (!this.authorized('telegram', undefined, token)) return { status: 401, body: telegramError(401) };
    // Parameters: query string, JSON or form body.
    let params = { ...entry.query };
    if (entry.json && typeof entry.json === 'object') params = { ...params, ...entry.json };
    else if (entry.form) params = { ...params, ...entry.form };
    const botId = Number(token.split(':')[0]);
    const bot = { id: botId, is_bot: true, first_name: 'Bottega Sim Bot', username: 'bottega_sim_bot' };
    const now = Math.floor(Date.now() / 1000);
    const bad = (description) => ({ status: 400, body: { ok: false, error_code: 400, description } });
    switch (apiMethod) {
      case 'getme':
        return { status: 200, body: { ok: true, result: { ...bot, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false } } };
      case 'setwebhook':
        return { status: 200, body: { ok: true, result: true, description: 'Webhook was set' } };
      case 'deletewebhook':
        return { status: 200, body: { ok: true, result: true, description: 'Webhook was deleted' } };
      case 'answercallbackquery':
        if (!params.callback_query_id) return bad('Bad Request: query is too old and response timeout expired or query ID is invalid');
        return { status: 200, body: { ok: true, result: true } };
      case 'sendchataction':
        return { status: 200, body: { ok: true, result: true } };
      case 'sendmessage': {
        const chatId = params.chat_id;
        if (chatId === undefined || chatId === '') return bad('Bad Request: chat_id is empty');
        const text = params.text;
        if (typeof text !== 'string' || !text.trim()) return bad('Bad Request: message text is empty');
        if ([...text].length > 4096) return bad('Bad Request: message is too long');
        let replyMarkup = params.reply_markup;
        if (typeof replyMarkup === 'string') replyMarkup = parseJsonOrNull(replyMarkup);
        const chat = telegramChat(chatId);
        if (!chat) return bad('Bad Request: chat not found');
        const over = this.overLimit('telegram', 'bot', String(chat.id));
        if (over) return { status: 429, body: telegramError(429, { retry_after: over.retryAfterS }) };
        const key = String(chat.id);
        const messageId = (this.telegramMessageIds.get(key) ?? 100) + 1;
        this.telegramMessageIds.set(key, messageId);
        const result = { message_id: messageId, from: bot, chat, date: now, text };
        if (replyMarkup?.inline_keyboard) result.reply_markup = { inline_keyboard: replyMarkup.inline_keyboard };
        return { status: 200, body: { ok: true, result } };
      }
      case 'sendphoto':
      case 'sendvideo':
      case 'sendaudio':
      case 'senddocument': {
        const kind = apiMethod.slice(4); // photo | video | audio | document
        const chatId = params.chat_id;
        if (chatId === undefined || chatId === '') return bad('Bad Request: chat_id is empty');
        // The file: an upload (multipart field named like the kind, or "attach://<field>"), or a
        // URL (Telegram downloads it; a product card's image).
        let value = params[kind];
        let upload = entry.files?.[kind];
        if (typeof value === 'string' && value.startsWith('attach://')) upload = entry.files?.[value.slice(9)];
        if (!upload && (typeof value !== 'string' || !value)) return bad(`Bad Request: there is no ${kind} in the request`);
        if (!upload && !/^https?:\/\//.test(value)) return bad('Bad Request: wrong remote file identifier specified: Wrong string length');
        if (upload) {
          const err = telegramFileError(kind, upload);
          if (err) return err.startsWith('Request Entity') ? { status: 413, body: telegramError(413, { message: err }) } : bad(err);
        }
        const caption = params.caption;
        if (caption !== undefined && (typeof caption !== 'string' || [...caption].length > 1024))
          return bad('Bad Request: message caption is too long');
        let replyMarkup = params.reply_markup;
        if (typeof replyMarkup === 'string') replyMarkup = parseJsonOrNull(replyMarkup);
        const chat = telegramChat(chatId);
        if (!chat) return bad('Bad Request: chat not found');
        const over = this.overLimit('telegram', 'bot', String(chat.id));
        if (over) return { status: 429, body: telegramError(429, { retry_after: over.retryAfterS }) };
        const result = this.telegramMedia(bot, chat, now, kind, upload);
        if (caption !== undefined) result.caption = caption;
        if (replyMarkup?.inline_keyboard) result.reply_markup = { inline_keyboard: replyMarkup.inline_keyboard };
        if (upload) entry.media = [received(kind, upload, { source: 'upload', caption: caption ?? null })];
        return { status: 200, body: { ok: true, result } };
      }
      case 'sendmediagroup': {
        const chatId = params.chat_id;
        if (chatId === undefined || chatId === '') return bad('Bad Request: chat_id is empty');
        let media = params.media;
        if (typeof media === 'string') media = parseJsonOrNull(media);
        if (!Array.isArray(media)) return bad('Bad Request: media must be an array');
        if (media.length < 2 || media.length > 10) return bad('Bad Request: wrong number of media specified (must be 2-10)');
        const kinds = media.map((m) => m?.type);
        if (kinds.some((k) => !['photo', 'video', 'audio', 'document'].includes(k))) return bad('Bad Request: unsupported media type in the album');
        const visual = kinds.every((k) => k === 'photo' || k === 'video');
        if (!visual && !kinds.every((k) => k === kinds[0])) return bad('Bad Request: documents and audio can be only grouped with messages of the same type');
        const files = [];
        for (const m of media) {
          if (typeof m.media !== 'string' || !m.media) return bad('Bad Request: media not found');
          if (m.caption !== undefined && (typeof m.caption !== 'string' || [...m.caption].length > 1024)) return bad('Bad Request: message caption is too long');
          let upload = null;
          if (m.media.startsWith('attach://')) {
            upload = entry.files?.[m.media.slice(9)];
            if (!upload) return bad(`Bad Request: file ${m.media.slice(9)} not found in the request`);
            const err = telegramFileError(m.type, upload);
            if (err) return err.startsWith('Request Entity') ? { status: 413, body: telegramError(413, { message: err }) } : bad(err);
          } else if (!/^https?:\/\//.test(m.media)) return bad('Bad Request: wrong remote file identifier specified: Wrong string length');
          files.push({ m, upload });
        }
        const chat = telegramChat(chatId);
        if (!chat) return bad('Bad Request: chat not found');
        const over = this.overLimit('telegram', 'bot', String(chat.id));
        if (over) return { status: 429, body: telegramError(429, { retry_after: over.retryAfterS }) };
        const groupId = String(BigInt(Date.now()) * 1000n + BigInt(randomInt(1000)));
        const result = files.map(({ m, upload }) => {
          const r = this.telegramMedia(bot, chat, now, m.type, upload);
          r.media_group_id = groupId;
          if (m.caption !== undefined) r.caption = m.caption;
          return r;
        });
        entry.media = files.filter((x) => x.upload).map(({ m, upload }) => received(m.type, upload, { source: 'upload', caption: m.caption ?? null }));
        return { status: 200, body: { ok: true, result } };
      }
      default:
        return { status: 404, body: { ok: false, error_code: 404, description: 'Not Found: method not found' } };
    }
  }

  /** A sent Telegram message carrying one file of `kind` (its next message id in the chat). */
  telegramMedia(bot, chat, now, kind, upload) {
    const key = String(chat.id);
    const messageId = (this.telegramMessageIds.get(key) ?? 100) + 1;
    this.telegramMessageIds.set(key, messageId);
    const fileId = `${kind === 'photo' ? 'AgAC' : 'BQAC'}${randomBytes(12).toString('base64url')}`;
    const file = { file_id: fileId, file_unique_id: fileId.slice(0, 16), file_size: upload?.size ?? 20480 };
    const result = { message_id: messageId, from: bot, chat, date: now };
    if (kind === 'photo') result.photo = [{ ...file, width: 320, height: 320 }];
    else result[kind] = { ...file, file_name: upload?.filename, mime_type: upload?.mime_type };
    return result;
  }

  // ----- Twilio Programmable Messaging

  async twilio(method, rest, entry) {
    // GET /2010-04-01/Accounts/{sid}.json: the account (a connection test).
    const acct = method === 'GET' ? rest.match(/^\/2010-04-01\/Accounts\/([^/]+)\.json$/) : null;
    if (acct) {
      const sid = decodeURIComponent(acct[1]);
      const a = entry.auth;
      if (!(a?.scheme === 'basic' && a.username === sid && this.authorized('twilio', sid, a.password)))
        return { status: 401, body: twilioError(401), headers: { 'www-authenticate': 'Basic realm="Twilio API"' } };
      return { status: 200, body: { sid, friendly_name: 'Bottega Sim Account', status: 'active', type: 'Full' } };
    }
    const m = rest.match(/^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/);
    if (!m) return { status: 404, body: twilioError(404, { message: `The requested resource ${entry.path} was not found` }) };
    const sid = decodeURIComponent(m[1]);
    const a = entry.auth;
    const ok = a?.scheme === 'basic' && a.username === sid && this.authorized('twilio', sid, a.password);
    // An API key (SK...) may authenticate for the account in the path too.
    const okKey = a?.scheme === 'basic' && /^SK/.test(a.username ?? '') && this.authorized('twilio', sid, a.password);
    if (!ok && !okKey) return { status: 401, body: twilioError(401), headers: { 'www-authenticate': 'Basic realm="Twilio API"' } };
    if (method !== 'POST') return { status: 405, body: twilioError(405, { code: 20004, message: 'Method not allowed' }) };
    const p = entry.form ?? formDecode(entry.body);
    const bad = (code, message) => ({ status: 400, body: twilioError(400, { code, message }) });
    if (!p.To) return bad(21604, "A 'To' phone number is required.");
    if (!p.From && !p.MessagingServiceSid) return bad(21603, "A 'From' phone number is required.");
    if (!p.Body && !p.MediaUrl && !p.ContentSid) return bad(21602, 'Message body is required.');
    const to = String(p.To);
    const bare = to.replace(/^whatsapp:/, '');
    if (!/^\+?\d{6,15}$/.test(bare)) return bad(21211, `The 'To' number ${to} is not a valid phone number.`);
    if (p.Body && [...String(p.Body)].length > 1600) return bad(21617, 'The concatenated message body exceeds the 1600 character limit.');
    if (p.MediaUrl) {
      // Twilio fetches every MediaUrl (GET) and checks its Content-Type and the size: 5 MB for all
      // of an MMS's media together, 16 MB on WhatsApp (5 MB for an image). A WhatsApp message
      // carries one media: "Any additional attachments will be ignored" (Twilio support,
      // "Sending and Receiving Media with WhatsApp Messaging on Twilio"), so only the first is
      // fetched and the others are recorded as ignored. The real API reports fetch failures later
      // in a status callback; the simulator answers at once so a test sees it.
      let urls = [].concat(p.MediaUrl);
      const whatsapp = to.startsWith('whatsapp:');
      if (urls.length > 10) return bad(21623, 'Number of media files exceeds allowed limit. You may send up to 10 media files in a single message.');
      if (whatsapp && urls.length > 1) {
        entry.ignored_media = urls.slice(1);
        urls = urls.slice(0, 1);
      }
      const media = [];
      let total = 0;
      for (const u of urls) {
        const f = await this.fetchMedia(u, 16 * MB);
        if (!f.ok) return bad(11200, `HTTP retrieval failure: ${f.error}`);
        if (f.remote) {
          media.push({ source: 'link', url: u, fetched: false });
          continue;
        }
        if (!twilioMediaType(f.mime_type)) return bad(12300, `Invalid Content-Type: ${f.mime_type || '(none)'}`);
        total += f.size;
        const limit = !whatsapp ? 5 * MB : f.mime_type.startsWith('image/') ? 5 * MB : 16 * MB;
        if (total > limit) return bad(11751, `Media exceeds messaging provider size limit (${limit} bytes)`);
        media.push(received(f.mime_type.split('/')[0], f, { source: 'link', url: u, caption: whatsapp && p.Body ? String(p.Body) : null }));
      }
      entry.media = media;
    }
    const msid = newSid(p.MediaUrl ? 'MM' : 'SM');
    const date = new Date().toUTCString().replace('GMT', '+0000');
    const numMedia = entry.media?.length ?? 0;
    const body = {
      account_sid: sid,
      api_version: '2010-04-01',
      body: p.Body ?? '',
      date_created: date,
      date_sent: null,
      date_updated: date,
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from: p.From ?? null,
      messaging_service_sid: p.MessagingServiceSid ?? null,
      num_media: String(numMedia),
      num_segments: String(Math.max(1, Math.ceil([...String(p.Body ?? '')].length / 153))),
      price: null,
      price_unit: 'USD',
      sid: msid,
      status: p.MessagingServiceSid && !p.From ? 'accepted' : 'queued',
      subresource_uris: { media: `/2010-04-01/Accounts/${sid}/Messages/${msid}/Media.json` },
      to,
      uri: `/2010-04-01/Accounts/${sid}/Messages/${msid}.json`,
    };
    return { status: 201, body };
  }

  // ----- inbound webhooks, signed like the provider

  /**
   * Sends a webhook to `url` as the provider would. Options:
   *   provider   whatsapp | messenger | instagram | telegram | twilio
   *   url        the channel's webhook_url
   *   payload    JSON payload (Meta, Telegram) or an object of form params (Twilio)
   *   build      instead of payload: [builder, ...args] of payloads.mjs, e.g. ["whatsappText", "16505551234", "Hi"]
   *   raw        send this exact body instead of serializing payload
   *   app_secret (Meta) | secret_token (Telegram) | auth_token (Twilio); `secret` works for all
   *   tamper     true or "signature": sign, then alter the signature; "body": alter the body after signing
   *   omit_signature  send no signature header
   *   signature  send this signature header value as is
   *   headers    extra headers
   */
  async deliver(o) {
    const provider = o.provider;
    if (!PROVIDERS.includes(provider)) throw httpError(400, `provider must be one of ${PROVIDERS.join(', ')}`);
    if (typeof o.url !== 'string') throw httpError(400, 'url is required');
    let target;
    try {
      target = new URL(o.url);
    } catch {
      throw httpError(400, 'url is not an absolute URL');
    }
    if (!/^https?:$/.test(target.protocol)) throw httpError(400, 'url must be http(s)');
    if (!this.allowRemote && !isLoopback(target.hostname)) throw httpError(400, 'url must be a loopback address (start the sim with --allow-remote to change that)');
    if (o.build !== undefined) {
      // A payload from a builder of payloads.mjs: ["whatsappText", "16505551234", "Hi"].
      if (!Array.isArray(o.build) || typeof payloads[o.build[0]] !== 'function' || !BUILDERS.has(o.build[0]))
        throw httpError(400, `build must be [builder, ...args] with a builder of payloads.mjs: ${[...BUILDERS].join(', ')}`);
      o = { ...o, payload: payloads[o.build[0]](...o.build.slice(1).map((a) => a ?? undefined)) }; // null = default
    }
    if (provider === 'viber') {
      const { body, headers } = this.viber.callback(o);
      return this.post(provider, target, o, headers, body);
    }
    if (provider === 'wechat') {
      const c = this.wechat.callback(o);
      return this.post(provider, c.url, { ...o, method: c.method, url: c.url.href }, c.headers, c.body);
    }
    const secret = o.secret ?? (META.has(provider) ? o.app_secret : provider === 'telegram' ? o.secret_token : o.auth_token);
    const headers = {};
    let body;
    if (provider === 'twilio') {
      const params = o.payload ?? {};
      if (o.raw !== undefined) body = String(o.raw);
      else body = formEncode(params);
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['user-agent'] = 'TwilioProxy/1.1';
      headers['i-twilio-idempotency-token'] = randomBytes(16).toString('hex');
      if (!o.omit_signature) {
        if (secret === undefined && o.signature === undefined) throw httpError(400, 'auth_token is required to sign a Twilio webhook');
        const signedParams = o.raw !== undefined ? formDecode(body) : params;
        let sig = o.signature ?? twilioSignature(secret, o.url, signedParams);
        if (o.tamper === true || o.tamper === 'signature') sig = tamper(sig);
        headers['x-twilio-signature'] = sig;
      }
      if (o.tamper === 'body') body = formEncode({ ...formDecode(body), Body: `${formDecode(body).Body ?? ''} (tampered)` });
    } else {
      body = o.raw !== undefined ? String(o.raw) : META.has(provider) ? metaJson(o.payload ?? {}) : JSON.stringify(o.payload ?? {});
      headers['content-type'] = 'application/json';
      if (META.has(provider)) {
        headers['user-agent'] = 'facebookexternalua';
        if (!o.omit_signature) {
          if (secret === undefined && o.signature === undefined) throw httpError(400, 'app_secret is required to sign a Meta webhook');
          let sig = o.signature ?? hubSignature(secret, body);
          if (o.tamper === true || o.tamper === 'signature') sig = tamper(sig);
          headers['x-hub-signature-256'] = sig;
          if (o.signature === undefined) headers['x-hub-signature'] = `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`;
        }
      } else if (!o.omit_signature) {
        // Telegram: the secret token itself, no HMAC.
        if (secret === undefined && o.signature === undefined) throw httpError(400, 'secret_token is required for a Telegram webhook');
        let sig = o.signature ?? secret;
        if (o.tamper === true || o.tamper === 'signature') sig = tamper(sig);
        headers['x-telegram-bot-api-secret-token'] = sig;
      }
      if (o.tamper === 'body') body = body.replace(/"(text|body)":"/, '"$1":"(tampered) ');
    }
    return this.post(provider, target, o, headers, body);
  }

  /** Sends a built webhook (o.headers added) and reports Bottega's answer with what was sent. */
  async post(provider, target, o, headers, body) {
    for (const [k, v] of Object.entries(o.headers ?? {})) headers[k.toLowerCase()] = String(v);
    const answer = await postRaw(target, o.method ?? 'POST', headers, body, o.timeout_ms ?? 15_000);
    const result = { status: answer.status, headers: answer.headers, body: answer.body, sent: { url: o.url, headers, body } };
    const parsed = parseJsonOrNull(answer.body);
    if (parsed !== undefined) result.json = parsed;
    this.log(`deliver ${provider} -> ${o.url} : ${answer.status}`);
    return result;
  }

  // ----- control API

  async handleControl(req, res, url, body) {
    const route = `${req.method} ${url.pathname.replace(/\/$/, '')}`;
    let input = {};
    if (body.trim()) {
      input = parseJsonOrNull(body);
      if (input === undefined || typeof input !== 'object' || input === null) return send(res, 400, { error: 'body must be a JSON object' });
    }
    if (url.pathname.startsWith('/__sim/phone/')) {
      // The phone's API acts as a customer: only for pages of this simulator. A JSON body cannot be
      // posted cross-site without a CORS preflight (never granted here), and a loopback Host header
      // keeps DNS-rebinding pages out.
      if (req.method === 'POST' && !/^application\/json\b/i.test(String(req.headers['content-type'] ?? '')))
        return send(res, 415, { error: 'the phone API takes Content-Type: application/json' });
      if (!this.allowRemote && !isLoopback(String(req.headers.host ?? '').replace(/:\d+$/, '')))
        return send(res, 403, { error: 'the phone API answers loopback hosts only (start the sim with --allow-remote to change that)' });
      try {
        const out = await this.phone.handle(route, input, url, `http://${req.headers.host}`);
        if (out === undefined) return send(res, 404, { error: `no control route ${route}` });
        return send(res, 200, out);
      } catch (e) {
        if (e.status) return send(res, e.status, { error: e.message });
        throw e;
      }
    }
    switch (route) {
      case 'GET /__sim':
      case 'GET /__sim/health':
        return send(res, 200, { ok: true, providers: PROVIDERS, requests: this.requests.length });
      case 'GET /__sim/requests': {
        const filter = { provider: url.searchParams.get('provider') || undefined, since: Number(url.searchParams.get('since') ?? 0) };
        if (filter.provider && !PROVIDERS.includes(filter.provider)) return send(res, 400, { error: `unknown provider ${filter.provider}` });
        const wait = Math.min(Number(url.searchParams.get('wait') ?? 0), 30_000);
        const list = wait > 0 ? await this.waitFor(filter, wait) : this.list(filter);
        return send(res, 200, { requests: list, last_seq: this.seq });
      }
      case 'POST /__sim/reset':
        this.reset();
        return send(res, 200, { ok: true });
      case 'POST /__sim/accounts': {
        const p = input.provider;
        if (!PROVIDERS.includes(p)) return send(res, 400, { error: `provider must be one of ${PROVIDERS.join(', ')}` });
        let acc;
        if (p === 'whatsapp') acc = { id: input.phone_number_id, token: input.access_token };
        else if (p === 'messenger' || p === 'instagram') acc = { id: input.page_id ?? input.ig_id, token: input.page_access_token ?? input.access_token };
        else if (p === 'telegram') acc = { token: input.bot_token };
        else if (p === 'viber') acc = { token: input.auth_token };
        else if (p === 'wechat') acc = { id: input.app_id, token: input.app_secret };
        else acc = { id: input.account_sid, token: input.auth_token };
        if (!acc.token) return send(res, 400, { error: 'the account needs its token (access_token, page_access_token, bot_token or auth_token)' });
        if (p !== 'telegram' && p !== 'viber' && acc.id === undefined && p !== 'messenger' && p !== 'instagram') return send(res, 400, { error: 'the account needs its id (phone_number_id or account_sid)' });
        if (acc.id !== undefined) acc.id = String(acc.id);
        this.addAccount(p, acc);
        return send(res, 200, { ok: true, accounts: this.accounts.get(p).length });
      }
      case 'POST /__sim/fail': {
        const p = input.provider;
        if (!PROVIDERS.includes(p)) return send(res, 400, { error: `provider must be one of ${PROVIDERS.join(', ')}` });
        const status = Number(input.status ?? 500);
        const redirect = status >= 300 && status <= 399;
        if (redirect && typeof input.location !== 'string') return send(res, 400, { error: 'a redirect (300-399) needs "location"' });
        if (!Number.isInteger(status) || (!redirect && (status < 400 || status > 599)))
          return send(res, 400, { error: 'status must be an HTTP error status (400-599), or a redirect (300-399) with "location"' });
        const times = input.times === undefined ? 1 : input.times === 'always' ? Infinity : Number(input.times);
        if (!(times > 0)) return send(res, 400, { error: 'times must be a positive number or "always"' });
        if (!this.failures.has(p)) this.failures.set(p, []);
        const skip = input.after ?? 0;
        if (!Number.isInteger(skip) || skip < 0) return send(res, 400, { error: 'after must be a non-negative integer' });
        this.failures.get(p).push({ status, remaining: times, skip, code: input.code, message: input.message, retry_after: input.retry_after, subcode: input.subcode, body: input.body, location: input.location });
        return send(res, 200, { ok: true, pending: this.failures.get(p).length });
      }
      case 'POST /__sim/media': {
        const b = parseJsonOrNull(body);
        const kinds = ['whatsapp', 'messenger', 'instagram', 'telegram', 'twilio', 'viber', 'wechat'];
        if (!b || !kinds.includes(b.provider) || typeof b.content_base64 !== 'string')
          return send(res, 400, { error: `provider (${kinds.join(', ')}) and content_base64 are required` });
        if (b.expires_in !== undefined && (b.provider !== 'viber' || !Number.isInteger(b.expires_in)))
          return send(res, 400, { error: 'expires_in (seconds, may be negative: already expired) is for Viber media URLs only' });
        return send(res, 200, this.addMedia(b.provider, b, `http://${req.headers.host}`));
      }
      case 'POST /__sim/limits': {
        const b = parseJsonOrNull(body);
        if (!b || !PROVIDERS.includes(b.provider)) return send(res, 400, { error: `provider must be one of ${PROVIDERS.join(', ')}` });
        const lim = {};
        for (const k of ['per_second', 'pair_interval_ms', 'pair_burst']) {
          if (b[k] === undefined) continue;
          if (!Number.isInteger(b[k]) || b[k] < 1) return send(res, 400, { error: `${k} must be a positive integer` });
          lim[k] = b[k];
        }
        if (Object.keys(lim).length) this.limits.set(b.provider, lim);
        else this.limits.delete(b.provider);
        return send(res, 200, { limits: Object.fromEntries(this.limits) });
      }
      case 'POST /__sim/delay': {
        const p = input.provider;
        if (!PROVIDERS.includes(p)) return send(res, 400, { error: `provider must be one of ${PROVIDERS.join(', ')}` });
        const ms = Number(input.ms);
        if (!(ms >= 0 && ms <= 120_000)) return send(res, 400, { error: 'ms must be 0..120000' });
        const times = input.times === undefined ? 1 : input.times === 'always' ? Infinity : Number(input.times);
        if (!(times > 0)) return send(res, 400, { error: 'times must be a positive number or "always"' });
        if (!this.delays.has(p)) this.delays.set(p, []);
        this.delays.get(p).push({ ms, remaining: times });
        return send(res, 200, { ok: true, pending: this.delays.get(p).length });
      }
      case 'GET /__sim/stripe/records':
        return send(res, 200, this.stripe.records());
      case 'POST /__sim/stripe/pay': {
        if (!input.session || !input.webhook_url || !input.webhook_secret)
          return send(res, 400, { error: 'session, webhook_url and webhook_secret are required' });
        let event;
        try {
          event = this.stripe.pay(input.session, input.outcome ?? 'paid');
        } catch (e) {
          return send(res, e.status ?? 400, { error: e.message });
        }
        const target = new URL(input.webhook_url);
        if (!this.allowRemote && !isLoopback(target.hostname)) return send(res, 400, { error: 'webhook_url must be a loopback URL' });
        const body = JSON.stringify(event, null, 2) + '\n';
        const t = input.timestamp ?? Math.floor(Date.now() / 1000);
        const headers = { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'stripe-signature': stripeSignature(input.webhook_secret, t, body) };
        const answer = await postRaw(target, 'POST', headers, body, 15_000);
        this.log(`stripe event ${event.type} -> ${input.webhook_url} : ${answer.status}`);
        return send(res, 200, { event, delivery: { status: answer.status, body: answer.body }, sent: { headers, body } });
      }
      case 'GET /__sim/mollie/records':
        return send(res, 200, this.mollie.records());
      case 'POST /__sim/mollie/pay':
      case 'POST /__sim/mollie/notify': {
        if (!input.payment) return send(res, 400, { error: 'payment is required' });
        let p;
        try {
          p = route.endsWith('/pay') ? this.mollie.pay(input.payment, input.outcome ?? 'paid') : this.mollie.payments.get(input.payment);
        } catch (e) {
          return send(res, e.status ?? 400, { error: e.message });
        }
        if (!p) return send(res, 404, { error: `no payment ${input.payment}` });
        const out = await this.mollie.deliver(p);
        const { apiKey, minor, ...payment } = p;
        return send(res, 200, { payment, ...out });
      }
      case 'GET /__sim/adyen/records':
        return send(res, 200, this.adyen.records());
      case 'POST /__sim/adyen/webhook': {
        if (!input.merchant_account || !input.url || !/^([0-9a-fA-F]{2})+$/.test(input.hmac_key ?? ''))
          return send(res, 400, { error: 'merchant_account, url and hmac_key (hex) are required' });
        this.adyen.webhooks.set(input.merchant_account, { url: input.url, hmac_key: input.hmac_key, username: input.username, password: input.password });
        return send(res, 200, { ok: true });
      }
      case 'POST /__sim/adyen/pay': {
        if (!input.link) return send(res, 400, { error: 'link is required' });
        let item;
        try {
          item = this.adyen.pay(input.link, input.outcome ?? 'authorised');
        } catch (e) {
          return send(res, e.status ?? 400, { error: e.message });
        }
        const out = await this.adyen.deliver(item.merchantAccountCode, [item]);
        return send(res, 200, { notification: item, ...out });
      }
      case 'POST /__sim/wechat/expire':
        this.wechat.expireAll();
        return send(res, 200, { ok: true });
      case 'POST /__sim/wechat/interaction':
        if (typeof input.openid !== 'string') return send(res, 400, { error: 'openid is required' });
        this.wechat.interaction(input.openid, input.at ?? Date.now());
        return send(res, 200, { ok: true });
      case 'GET /__sim/wechat/records':
        return send(res, 200, this.wechat.records());
      case 'POST /__sim/deliver': {
        try {
          return send(res, 200, await this.deliver(input));
        } catch (e) {
          if (e.status) return send(res, e.status, { error: e.message });
          return send(res, 502, { error: `delivery failed: ${e.message}` });
        }
      }
      default:
        return send(res, 404, { error: `no control route ${route}` });
    }
  }
}

function httpError(status, message) {
  return Object.assign(new Error(message), { status });
}

function telegramChat(chatId) {
  if (typeof chatId === 'string' && chatId.startsWith('@')) {
    return { id: -1001000000000 - (hashCode(chatId) % 1e9), title: chatId.slice(1), username: chatId.slice(1), type: 'channel' };
  }
  const id = Number(chatId);
  if (!Number.isSafeInteger(id) || id === 0) return null;
  if (id > 0) return { id, first_name: 'Mario', last_name: 'Rossi', username: 'mario_rossi', type: 'private' };
  return { id, title: 'Shop group', type: String(id).startsWith('-100') ? 'supergroup' : 'group' };
}

function hashCode(s) {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h;
}

function parseAuth(header) {
  if (!header) return undefined;
  const [scheme, ...rest] = String(header).split(' ');
  const value = rest.join(' ').trim();
  if (/^bearer$/i.test(scheme)) return { scheme: 'bearer', token: value };
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    return { scheme: 'basic', username: i < 0 ? decoded : decoded.slice(0, i), password: i < 0 ? '' : decoded.slice(i + 1) };
  }
  return { scheme: scheme.toLowerCase(), value };
}

function send(res, status, body, headers = {}) {
  if (Buffer.isBuffer(body)) {
    res.writeHead(status, { 'content-length': body.length, ...headers });
    return res.end(body);
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function postRaw(target, method, headers, body, timeoutMs) {
  const lib = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      target,
      { method, headers: { ...headers, 'content-length': Buffer.byteLength(body) }, timeout: timeoutMs, agent: false },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Whether Twilio accepts a MediaUrl answered with this Content-Type (its accepted content types). */
function twilioMediaType(t) {
  return /^(image|audio|video)\//.test(t) || ['application/pdf', 'text/vcard', 'text/x-vcard', 'text/calendar', 'application/msword',
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    'application/vnd.openxmlformats-officedocument.presentationml.presentation'].includes(t);
}

/** Starts a simulator; resolves to {port, url, sim, close()}. */
export async function startSim({ port = 0, host = '127.0.0.1', log, allowRemote = false } = {}) {
  const sim = new Simulator({ log, allowRemote });
  const server = http.createServer((req, res) => {
    sim.handle(req, res).catch((e) => {
      try {
        send(res, 500, { error: String(e?.message ?? e) });
      } catch {
        /* the response was already sent */
      }
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const actual = server.address().port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    port: actual,
    url: `http://${shownHost}:${actual}`,
    sim,
    server,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

function usage() {
  return `usage: node tools/sim/sim.mjs [--port N (default 8090; 0 = any free port)] [--host 127.0.0.1] [--quiet] [--allow-remote]`;
}

async function main(argv) {
  let port = 8090;
  let host = '127.0.0.1';
  let quiet = false;
  let allowRemote = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--port' || a === '-p') port = Number(val());
    else if (a.startsWith('--port=')) port = Number(a.slice(7));
    else if (a === '--host') host = val();
    else if (a.startsWith('--host=')) host = a.slice(7);
    else if (a === '--quiet' || a === '-q') quiet = true;
    else if (a === '--allow-remote') allowRemote = true;
    else if (a === '--help' || a === '-h') {
      console.log(usage());
      return;
    } else throw new Error(`unknown argument ${a}\n${usage()}`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad port\n${usage()}`);
  const log = quiet ? () => {} : (line) => console.error(`[sim] ${new Date().toISOString()} ${line}`);
  const s = await startSim({ port, host, log, allowRemote });
  console.log(`sim listening on ${s.port}`);
  const stop = () => s.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e.message ?? e);
    process.exit(2);
  });
}
