// WeChat Official Accounts for the simulator process (sim.mjs), under /wechat (a channel's
// api_base_url = http://HOST:P/wechat): GET /cgi-bin/token and POST
// /cgi-bin/message/custom/send?access_token=..., in WeChat's shapes (HTTP 200 with
// {"errcode":0,"errmsg":"ok"} or an error code: 40001 invalid credential, 42001 expired,
// 40013 invalid appid, 40125 invalid appsecret, 40003 invalid openid, 45015 outside the 48-hour
// window, 40008 invalid message type, 45002 content too long, -1 system error).
// A token is valid for expires_in (7200 s); fetching a new one leaves the previous valid for 5
// more minutes, as WeChat documents. Once an account is registered (POST /__sim/accounts
// {"provider":"wechat","app_id","app_secret"}) only it may fetch tokens.
// Customer-service quotas as WeChat documents them: a customer's message allows 5 messages within
// 48 hours, an event (follow, menu click, QR scan) 3 within one minute; outside them 45015, past
// the count 45047. The sim counts from the callbacks it delivered (or POST
// /__sim/wechat/interaction, which records a customer message at `at`).
//
// Callbacks as WeChat sends them (plaintext mode): POST <url>?signature&timestamp&nonce&openid,
// text/xml body; signature = hex SHA-1 of [token, timestamp, nonce] sorted and joined; the
// server-URL check is a GET with the same parameters and echostr, answered with echostr.
// Wire formats and sources: docs/channels.md#wechat-official-accounts.
//
// Control routes (sim.mjs): /__sim/deliver {"provider":"wechat","url","token","payload"|"build"|
// "raw","method":"GET"?,"echostr"?,"tamper"?,"omit_signature"?,"timestamp"?};
// POST /__sim/wechat/expire (every token becomes invalid: the next send gets 40001);
// POST /__sim/wechat/interaction {"openid","at"?} (sets the window's start);
// GET /__sim/wechat/records {"tokens_issued","sent"}.
//
// Template messages (POST /cgi-bin/message/template/send?access_token, "Send template message"):
// {"touser","template_id","url"?,"data":{key:{"value"}}} -> {"errcode":0,"errmsg":"ok","msgid"}
// at any time (no window, no quota); 40037 for a template_id starting "invalid", 47003 for bad
// data. The delivery report is a TEMPLATESENDJOBFINISH callback (builder wechatTemplateFinish).
//
// Outbound media (POST /cgi-bin/media/upload?access_token&type, "Add temporary material"):
// multipart/form-data with the file in field "media"; type image (PNG/JPEG/GIF, <= 2 MB), voice
// (AMR/MP3, <= 2 MB), video (MP4, <= 10 MB) or thumb (JPEG, <= 64 KB); the bytes must be of the
// claimed kind (40005 invalid file type), larger files 40009-40012, no file 41005, another type
// 40004. Answer {"type","media_id","created_at"}; the media_id belongs to the token's account.
// An image / voice / video customer-service message must name a media_id issued to the same
// account (else 40007); it is recorded in `sent` with the uploaded file's type, filename,
// mime_type, size and sha256 (and entry.media, as the other providers' uploads).
//
// Media (GET /cgi-bin/media/get?access_token&media_id, WeChat's "Get temporary material"): a file
// registered with POST /__sim/media {"provider":"wechat"} is answered with its bytes,
// Content-Type and Content-disposition; a video with JSON {"video_url"} (served under /wechat/cdn);
// an unknown media_id with 40007, a bad token with 40001 / 42001 (HTTP 200 with JSON, as WeChat).

import { createHash, randomBytes, randomInt } from 'node:crypto';

const WINDOW_MS = 48 * 3600 * 1000;
const EVENT_WINDOW_MS = 60 * 1000;
const OVERLAP_MS = 5 * 60 * 1000;
const ERRORS = {
  '-1': 'system error', 40001: 'invalid credential, access_token is invalid or not latest', 40002: 'invalid grant_type',
  40003: 'invalid openid', 40008: 'invalid message type', 40013: 'invalid appid', 40125: 'invalid appsecret',
  42001: 'access_token expired', 43004: 'require subscribe', 44002: 'empty post data', 45002: 'content size out of limit',
  45008: 'article size out of limit', 45009: 'reach max api daily quota limit', 45011: 'api minute-quota reach limit',
  45015: 'response out of time limit or subscription is canceled', 45047: 'out of response count limit', 47001: 'data format error',
  40007: 'invalid media_id', 40037: 'invalid template_id', 47003: 'argument invalid',
  40004: 'invalid media type', 40005: 'invalid file type', 40009: 'invalid image size', 40010: 'invalid voice size',
  40011: 'invalid video size', 40012: 'invalid thumb size', 41005: 'media data missing',
};
const MB = 1024 * 1024;
// Temporary media WeChat takes per upload type: the formats (by their first bytes) and sizes.
const UPLOAD_TYPES = {
  image: { max: 2 * MB, code: 40009, kinds: ['png', 'jpeg', 'gif'] },
  voice: { max: 2 * MB, code: 40010, kinds: ['amr', 'mp3'] },
  video: { max: 10 * MB, code: 40011, kinds: ['mp4'] },
  thumb: { max: 64 * 1024, code: 40012, kinds: ['jpeg'] },
};

/** The format of a file from its first bytes ('' when none WeChat takes). */
function sniff(b) {
  const starts = (...xs) => xs.every((x, i) => b[i] === x);
  if (starts(0x89, 0x50, 0x4e, 0x47)) return 'png';
  if (starts(0xff, 0xd8, 0xff)) return 'jpeg';
  if (b.subarray(0, 4).toString('latin1') === 'GIF8') return 'gif';
  if (b.subarray(0, 5).toString('latin1') === '#!AMR') return 'amr';
  if (b.subarray(0, 3).toString('latin1') === 'ID3' || starts(0xff, 0xfb)) return 'mp3';
  if (b.subarray(4, 8).toString('latin1') === 'ftyp') return 'mp4';
  return '';
}
const MSG_TYPES = new Set(['text', 'image', 'voice', 'video', 'music', 'news', 'mpnews', 'msgmenu', 'wxcard', 'miniprogrampage']);

/** hex SHA-1 of token, timestamp and nonce sorted as strings and joined. */
export function wechatSignature(token, timestamp, nonce) {
  return createHash('sha1').update([String(token), String(timestamp), String(nonce)].sort().join('')).digest('hex');
}

export const wechatError = (code, extra = {}) => ({ errcode: code, errmsg: ERRORS[code] ?? 'error', ...extra });

/** An object as WeChat's callback XML: strings in CDATA, numbers as text, objects nested. */
export function wechatXml(obj, root = 'xml') {
  const inner = Object.entries(obj)
    .map(([k, v]) => {
      if (v !== null && typeof v === 'object') return wechatXml(v, k);
      if (typeof v === 'number') return `<${k}>${v}</${k}>`;
      return `<${k}><![CDATA[${String(v).replaceAll(']]>', ']]]]><![CDATA[>')}]]></${k}>`;
    })
    .join('\n');
  return `<${root}>\n${inner}\n</${root}>`;
}

const base = (openid, msgType, opts) => ({
  ToUserName: opts.toUser ?? 'gh_bottegasim01',
  FromUserName: openid,
  CreateTime: opts.createTime ?? Math.floor(Date.now() / 1000),
  MsgType: msgType,
});
const newMsgId = () => Number(`2${randomInt(1e7, 1e8)}${randomInt(1e6, 1e7)}`.slice(0, 16));

// ----- callback builders (also exported by payloads.mjs for /__sim/deliver's "build")

export function wechatText(openid = 'oUser0000000000000000000001', text = 'Hi', opts = {}) {
  const o = { ...base(openid, 'text', opts), Content: text };
  if (opts.menuId !== undefined) o.bizmsgmenuid = opts.menuId;
  o.MsgId = opts.msgId ?? newMsgId();
  return o;
}

export function wechatImage(openid = 'oUser0000000000000000000001', opts = {}) {
  return { ...base(openid, 'image', opts), PicUrl: opts.picUrl ?? 'http://mmbiz.qpic.cn/mmbiz_jpg/sim/0', MediaId: opts.mediaId ?? randomBytes(12).toString('hex'), MsgId: opts.msgId ?? newMsgId() };
}

export function wechatLocation(openid = 'oUser0000000000000000000001', lat = 23.134521, lon = 113.358803, label = '位置信息', opts = {}) {
  return { ...base(openid, 'location', opts), Location_X: lat, Location_Y: lon, Scale: 20, Label: label, MsgId: opts.msgId ?? newMsgId() };
}

/** TEMPLATESENDJOBFINISH: whether template message msgId reached the follower ("success",
 * "failed:user block", "failed: system failed"). */
export function wechatTemplateFinish(openid = 'oUser0000000000000000000001', msgId, status = 'success', opts = {}) {
  return { ...base(openid, 'event', opts), Event: 'TEMPLATESENDJOBFINISH', MsgID: Number(msgId), Status: status };
}

export function wechatEvent(openid = 'oUser0000000000000000000001', event = 'subscribe', eventKey, opts = {}) {
  const o = { ...base(openid, 'event', opts), Event: event };
  if (eventKey !== undefined) o.EventKey = eventKey;
  return o;
}

// ----- the API

export class WeChatSim {
  /** account(appid) -> {secret} | null (null: any credentials are accepted). */
  constructor({ account = () => null, log = () => {} } = {}) {
    this.account = account;
    this.log = log;
    this.reset();
  }

  reset() {
    this.tokens = new Map(); // token -> {appid, expiresAt}
    this.latest = new Map(); // appid -> token
    this.tokensIssued = 0;
    this.interactions = new Map(); // openid -> {until, remaining}: the customer-service quota
    this.sent = [];
    this.uploads = new Map(); // media_id -> {appid, type, filename, mime_type, size, sha256}
  }

  /** {status, body, headers} for a call to /wechat<rest>. */
  handle(method, rest, entry) {
    const ok = (body) => ({ status: 200, body, headers: { 'content-type': 'application/json; encoding=utf-8' } });
    const path = rest.replace(/\/$/, '');
    if (path === '/cgi-bin/token') {
      if (method !== 'GET') return ok(wechatError(47001));
      const q = entry.query;
      if (q.grant_type !== 'client_credential') return ok(wechatError(40002));
      if (!q.appid) return ok(wechatError(40013));
      const acc = this.account(q.appid);
      if (acc === undefined) return ok(wechatError(40013));
      if (!q.secret || (acc && acc.secret !== q.secret)) return ok(wechatError(40125));
      const now = Date.now();
      const prev = this.latest.get(q.appid);
      if (prev && this.tokens.has(prev)) {
        const t = this.tokens.get(prev);
        t.expiresAt = Math.min(t.expiresAt, now + OVERLAP_MS);
      }
      const token = `${randomInt(10, 99)}_${randomBytes(96).toString('base64url')}`;
      this.tokens.set(token, { appid: q.appid, expiresAt: now + 7200 * 1000 });
      this.latest.set(q.appid, token);
      this.tokensIssued += 1;
      return ok({ access_token: token, expires_in: 7200 });
    }
    if (path === '/cgi-bin/media/upload') {
      if (method !== 'POST') return ok(wechatError(47001));
      const bad = this.tokenError(entry.query.access_token);
      if (bad) return ok(wechatError(bad));
      const kind = UPLOAD_TYPES[entry.query.type];
      if (!kind) return ok(wechatError(40004));
      const f = entry.files?.media;
      if (!f || !f.size) return ok(wechatError(41005));
      if (!kind.kinds.includes(sniff(f.bytes))) return ok(wechatError(40005));
      if (f.size > kind.max) return ok(wechatError(kind.code));
      const mediaId = randomBytes(48).toString('base64url');
      const createdAt = Math.floor(Date.now() / 1000);
      const appid = this.tokens.get(entry.query.access_token).appid;
      this.uploads.set(mediaId, { appid, type: entry.query.type, filename: f.filename ?? null, mime_type: f.mime_type, size: f.size, sha256: f.sha256 });
      entry.media = [{ type: entry.query.type, filename: f.filename ?? null, mime_type: f.mime_type, size: f.size, sha256: f.sha256, source: 'upload' }];
      return ok({ type: entry.query.type, media_id: mediaId, created_at: createdAt });
    }
    if (path === '/cgi-bin/message/custom/send') {
      if (method !== 'POST') return ok(wechatError(47001));
      const bad = this.tokenError(entry.query.access_token);
      if (bad) return ok(wechatError(bad));
      if (!entry.body) return ok(wechatError(44002));
      let b;
      try {
        b = JSON.parse(entry.body);
      } catch {
        return ok(wechatError(47001));
      }
      if (typeof b.touser !== 'string' || !/^[A-Za-z0-9_-]{6,64}$/.test(b.touser)) return ok(wechatError(40003));
      if (!MSG_TYPES.has(b.msgtype)) return ok(wechatError(40008));
      const problem = checkMessage(b);
      if (problem) return ok(wechatError(problem));
      // Image, voice and video messages name a media_id this account uploaded, of that type.
      let media;
      if (['image', 'voice', 'video'].includes(b.msgtype)) {
        const up = this.uploads.get(String(b[b.msgtype].media_id ?? ''));
        const appid = this.tokens.get(entry.query.access_token).appid;
        if (!up || up.appid !== appid || up.type !== b.msgtype) return ok(wechatError(40007));
        media = { type: up.type, filename: up.filename, mime_type: up.mime_type, size: up.size, sha256: up.sha256, source: 'upload' };
        entry.media = [media];
      }
      const quota = this.interactions.get(b.touser);
      if (quota === undefined || Date.now() >= quota.until) return ok(wechatError(45015));
      if (quota.remaining <= 0) return ok(wechatError(45047));
      quota.remaining -= 1;
      this.sent.push({ touser: b.touser, msgtype: b.msgtype, body: b, ...(media ? { media } : {}) });
      return ok({ errcode: 0, errmsg: 'ok' });
    }
    if (path === '/cgi-bin/message/template/send') {
      // Template messages reach a follower at any time (no 48-hour window, no 5-message quota).
      if (method !== 'POST') return ok(wechatError(47001));
      const bad = this.tokenError(entry.query.access_token);
      if (bad) return ok(wechatError(bad));
      let b;
      try {
        b = JSON.parse(entry.body || 'null');
      } catch {
        return ok(wechatError(47001));
      }
      if (!b || typeof b !== 'object') return ok(wechatError(44002));
      if (typeof b.touser !== 'string' || !/^[A-Za-z0-9_-]{6,64}$/.test(b.touser)) return ok(wechatError(40003));
      if (typeof b.template_id !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(b.template_id) || b.template_id.startsWith('invalid'))
        return ok(wechatError(40037, { errmsg: 'invalid template_id' }));
      if (b.url !== undefined && (typeof b.url !== 'string' || !/^https?:\/\//.test(b.url))) return ok(wechatError(47003, { errmsg: 'argument invalid! data.url invalid' }));
      const data = b.data;
      if (!data || typeof data !== 'object' || Array.isArray(data) || !Object.keys(data).length) return ok(wechatError(47003, { errmsg: 'argument invalid! data is empty' }));
      for (const [k, v] of Object.entries(data))
        if (!/^[A-Za-z0-9_]{1,32}$/.test(k) || typeof v?.value !== 'string') return ok(wechatError(47003, { errmsg: `argument invalid! data.${k}.value invalid` }));
      const msgid = Number(`3${randomInt(1e7, 1e8)}${randomInt(1e6, 1e7)}`.slice(0, 16)); // exact as a JavaScript number
      this.sent.push({ touser: b.touser, msgtype: 'template', body: b, msgid });
      return ok({ errcode: 0, errmsg: 'ok', msgid });
    }
    return { status: 404, body: wechatError(47001), headers: {} };
  }

  /** 0 when the access_token is valid, else WeChat's errcode (40001 unknown, 42001 expired). */
  tokenError(token) {
    const t = this.tokens.get(token ?? '');
    if (!t) return 40001;
    return t.expiresAt <= Date.now() ? 42001 : 0;
  }

  /** GET /cgi-bin/media/get for file f (registered with /__sim/media; undefined: unknown id). */
  mediaGet(entry, f, origin) {
    const json = (body) => ({ status: 200, body, headers: { 'content-type': 'application/json; encoding=utf-8' } });
    const bad = this.tokenError(entry.query.access_token);
    if (bad) return json(wechatError(bad));
    if (!f) return json(wechatError(40007, { errmsg: 'invalid media_id' }));
    if (f.mime_type.startsWith('video/')) return json({ video_url: `${origin}/wechat/cdn/${f.id}` });
    const ext = f.mime_type.split('/')[1]?.replace(/[^a-z0-9]/g, '') || 'bin';
    return { status: 200, body: f.bytes, headers: { 'content-type': f.mime_type, 'content-disposition': `attachment; filename="${f.id}.${ext}"` } };
  }

  /** An injected failure (/__sim/fail): WeChat answers HTTP 200 with an errcode. */
  failureAnswer(f) {
    if (f.body !== undefined) return { status: 200, body: f.body };
    const byHttp = { 429: 45011, 401: 40001, 403: 48001, 400: 47001, 500: -1, 503: -1 };
    return { status: 200, body: wechatError(f.code ?? byHttp[f.status] ?? -1) };
  }

  expireAll() {
    for (const t of this.tokens.values()) t.expiresAt = 0;
  }

  /** A customer's message at `at` (5 messages within 48 h) or an event (3 within a minute). */
  interaction(openid, at = Date.now(), event = false) {
    const current = this.interactions.get(openid);
    if (event) {
      if (!current || Date.now() >= current.until) this.interactions.set(openid, { until: at + EVENT_WINDOW_MS, remaining: 3 });
      return;
    }
    this.interactions.set(openid, { until: at + WINDOW_MS, remaining: 5 });
  }

  /** The URL, method, headers and body /__sim/deliver sends for WeChat. */
  callback(o) {
    const timestamp = String(o.timestamp ?? Math.floor(Date.now() / 1000));
    const nonce = String(o.nonce ?? randomInt(1e8, 1e9));
    const url = new URL(o.url);
    if (!o.omit_signature) {
      if (o.token === undefined && o.signature === undefined) throw Object.assign(new Error('token is required to sign a WeChat callback'), { status: 400 });
      let sig = o.signature ?? wechatSignature(o.token, timestamp, nonce);
      if (o.tamper === true || o.tamper === 'signature') sig = (sig[0] === '0' ? '1' : '0') + sig.slice(1);
      url.searchParams.set('signature', sig);
    }
    url.searchParams.set('timestamp', timestamp);
    url.searchParams.set('nonce', nonce);
    if ((o.method ?? 'POST') === 'GET') {
      url.searchParams.set('echostr', String(o.echostr ?? randomInt(1e8, 1e9)));
      return { url, method: 'GET', headers: {}, body: '' };
    }
    const payload = o.payload ?? {};
    if (payload.FromUserName) {
      url.searchParams.set('openid', payload.FromUserName);
      if (!o.no_interaction) this.interaction(payload.FromUserName, Date.now(), payload.MsgType === 'event');
    }
    const body = o.raw !== undefined ? String(o.raw) : wechatXml(payload);
    return { url, method: 'POST', headers: { 'content-type': 'text/xml', 'user-agent': 'Mozilla/4.0' }, body };
  }

  records() {
    return { tokens_issued: this.tokensIssued, sent: this.sent };
  }
}

function checkMessage(b) {
  const o = b[b.msgtype];
  if (!o || typeof o !== 'object') return 47001;
  if (b.msgtype === 'text') {
    if (typeof o.content !== 'string' || !o.content) return 47001;
    if (Buffer.byteLength(o.content) > 2048) return 45002;
  }
  if (b.msgtype === 'news') {
    if (!Array.isArray(o.articles) || o.articles.length !== 1) return 45008;
    const a = o.articles[0];
    if (typeof a.title !== 'string' || typeof a.url !== 'string' || !/^https?:\/\//.test(a.url)) return 47001;
  }
  if (b.msgtype === 'msgmenu') {
    if (!Array.isArray(o.list) || o.list.length === 0) return 47001;
    if (!o.list.every((x) => typeof x?.id === 'string' && x.id && typeof x.content === 'string' && x.content)) return 47001;
  }
  return 0;
}
