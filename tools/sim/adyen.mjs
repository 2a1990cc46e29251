// Adyen for the simulator process (sim.mjs), under /adyen (point a provider's api_base_url at
// http://HOST:P/adyen): Pay by Link (POST /v72/paymentLinks, GET /v72/paymentLinks/{id}) and
// refunds (POST /v72/payments/{pspReference}/refunds -> 201 "received"), with X-API-Key, amounts in
// minor units, Adyen's error shape ({"status","errorCode","message","errorType"}), and idempotency
// (the same Idempotency-Key replays the first answer).
//
// Standard notifications as Adyen sends them: JSON {"live":"false","notificationItems":[{
// "NotificationRequestItem":{...,"additionalData":{"hmacSignature"}}}]}, each item signed with
// base64(HMAC-SHA256(hex-decoded HMAC key, pspReference:originalReference:merchantAccountCode:
// merchantReference:value:currency:eventCode:success)), optional HTTP Basic auth. AUTHORISATION
// when a link is paid (control route), REFUND after a refund is received (refundDelayMs later),
// sent to the webhook registered for the merchant account. Wire formats: providers.md §8.
//
// Control routes (JSON), in sim.mjs:
//   POST /__sim/adyen/webhook {"merchant_account","url","hmac_key","username"?,"password"?}
//        registers the notification endpoint of a merchant account (the Customer Area setting)
//   POST /__sim/adyen/pay {"link","outcome":"authorised"|"refused"}  pays the link and notifies;
//        answers {"notification","delivery":{status,body},"sent":{url,headers,body}}
//   GET  /__sim/adyen/records   every link, payment and refund (reconciliation)

import { createHash, createHmac, randomBytes } from 'node:crypto';

export function adyenSigningString(item) {
  const s = (v) => (v === undefined || v === null ? '' : String(v));
  return [item.pspReference, item.originalReference, item.merchantAccountCode, item.merchantReference,
    item.amount?.value, item.amount?.currency, item.eventCode, item.success].map(s).join(':');
}

/** base64(HMAC-SHA256(hex-decoded key, signing string)). */
export function adyenHmac(hexKey, item) {
  return createHmac('sha256', Buffer.from(hexKey, 'hex')).update(adyenSigningString(item), 'utf8').digest('base64');
}

export function adyenError(status, message, errorCode, errorType) {
  const defaults = { 401: ['000', 'security', 'HTTP Status Response - Unauthorized'], 403: ['010', 'security', 'Not allowed'],
    404: ['000', 'validation', 'Not Found'], 422: ['000', 'validation', 'Unprocessable Entity'], 500: ['000', 'internal', 'Internal error'] };
  const d = defaults[status] ?? ['000', 'internal', `Simulated error (HTTP ${status})`];
  return { status, errorCode: errorCode ?? d[0], message: message ?? d[2], errorType: errorType ?? d[1] };
}

const pspRef = () => [...randomBytes(16)].map((b) => 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789'[b % 34]).join('');

export class AdyenSim {
  constructor({ notify = async () => ({ status: 0, body: '' }), refundDelayMs = 50, log = () => {} } = {}) {
    this.notify = notify;
    this.refundDelayMs = refundDelayMs;
    this.log = log;
    this.reset();
  }

  reset() {
    this.links = new Map();
    this.payments = new Map(); // pspReference -> {pspReference, link, merchantAccount, amount, refunded}
    this.refunds = new Map();
    this.webhooks = new Map(); // merchantAccount -> {url, hmac_key, username, password}
    this.idempotency = new Map();
    this.deliveries = [];
    for (const t of this.timers ?? []) clearTimeout(t);
    this.timers = new Set();
  }

  handle(method, rest, entry, base) {
    let m;
    if (method === 'GET' && (m = rest.match(/^\/link\/(PL[A-Z0-9]+)$/))) return this.linkPage(m[1]);
    const apiKey = entry.headers['x-api-key'];
    if (!apiKey) return { status: 401, body: adyenError(401) };
    const key = entry.headers['idempotency-key'];
    const hash = createHash('sha256').update(`${apiKey} ${method} ${rest}\n${entry.body}`).digest('hex');
    if (method === 'POST' && key) {
      const saved = this.idempotency.get(key);
      if (saved && saved.hash !== hash) return { status: 422, body: adyenError(422, 'Idempotency key reused with a different request', '704') };
      if (saved) return saved.answer;
    }
    const answer = this.route(method, rest, entry, base, apiKey);
    if (method === 'POST' && key && answer.status < 500) this.idempotency.set(key, { hash, answer });
    return answer;
  }

  route(method, rest, entry, base, apiKey) {
    let m;
    const b = entry.json;
    if (method === 'POST' && (m = rest.match(/^\/v(\d+)\/paymentLinks$/))) return this.createLink(b, base, apiKey);
    if (method === 'GET' && (m = rest.match(/^\/v\d+\/paymentLinks\/([^/]+)$/))) {
      const l = this.links.get(m[1]);
      return l && l.apiKey === apiKey ? { status: 200, body: this.view(l) } : { status: 404, body: adyenError(404, 'Payment link not found') };
    }
    if (method === 'POST' && (m = rest.match(/^\/v\d+\/payments\/([^/]+)\/refunds$/))) return this.createRefund(m[1], b, apiKey);
    return { status: 404, body: adyenError(404, `Unknown endpoint ${method} ${rest}`) };
  }

  createLink(b, base, apiKey) {
    if (!b || typeof b !== 'object' || Array.isArray(b)) return { status: 400, body: adyenError(400, 'Malformed JSON', '702', 'validation') };
    const a = b.amount;
    if (!a || !Number.isInteger(a.value) || a.value <= 0) return { status: 422, body: adyenError(422, 'Field \'amount.value\' is not valid.', '137') };
    if (!/^[A-Z]{3}$/.test(a.currency ?? '')) return { status: 422, body: adyenError(422, 'Currency code is not valid', '138') };
    if (typeof b.reference !== 'string' || !b.reference) return { status: 422, body: adyenError(422, 'Required field \'reference\' is not provided.', '130') };
    if (typeof b.merchantAccount !== 'string' || !b.merchantAccount) return { status: 422, body: adyenError(422, 'Required field \'merchantAccount\' is not provided.', '901') };
    const now = Date.now();
    let expires = now + 24 * 3600 * 1000;
    if (b.expiresAt !== undefined) {
      const t = Date.parse(b.expiresAt);
      if (!/T.*(Z|[+-]\d\d:\d\d)$/.test(String(b.expiresAt)) || Number.isNaN(t)) return { status: 422, body: adyenError(422, 'Field \'expiresAt\' is not a valid ISO 8601 date', '14_032') };
      if (t > now + 70 * 24 * 3600 * 1000 || t < now) return { status: 422, body: adyenError(422, 'The expiry date must be in the future and at most 70 days away', '14_032') };
      expires = t;
    }
    const id = 'PL' + randomBytes(8).toString('hex').toUpperCase();
    const link = {
      id,
      url: `${base}/adyen/link/${id}`,
      status: 'active',
      amount: { value: a.value, currency: a.currency },
      reference: b.reference,
      merchantAccount: b.merchantAccount,
      description: b.description ?? null,
      returnUrl: b.returnUrl ?? null,
      reusable: b.reusable ?? false,
      shopperLocale: b.shopperLocale ?? null,
      metadata: b.metadata ?? null,
      lineItems: b.lineItems ?? null,
      expiresAt: new Date(expires).toISOString().replace(/\.\d+Z$/, 'Z'),
      apiKey,
    };
    this.links.set(id, link);
    return { status: 201, body: this.view(link) };
  }

  view(l) {
    const { apiKey, ...v } = l;
    return v;
  }

  createRefund(ref, b, apiKey) {
    const p = this.payments.get(ref);
    if (!p || p.apiKey !== apiKey) return { status: 422, body: adyenError(422, 'Original pspReference required for this operation', '167') };
    if (!b || typeof b !== 'object') return { status: 400, body: adyenError(400, 'Malformed JSON', '702', 'validation') };
    if (b.merchantAccount !== p.merchantAccount) return { status: 403, body: adyenError(403, 'Not allowed for this merchant account', '901') };
    const a = b.amount;
    if (!a || !Number.isInteger(a.value) || a.value <= 0) return { status: 422, body: adyenError(422, 'Field \'amount.value\' is not valid.', '137') };
    if (a.currency !== p.amount.currency) return { status: 422, body: adyenError(422, 'Currency does not match the payment', '138') };
    const reserved = [...this.refunds.values()].filter((r) => r.paymentPspReference === ref && r.status !== 'failed').reduce((s, r) => s + r.amount.value, 0);
    const r = {
      merchantAccount: p.merchantAccount,
      paymentPspReference: ref,
      pspReference: pspRef(),
      reference: b.reference ?? null,
      status: 'received',
      amount: { value: a.value, currency: a.currency },
    };
    // Adyen accepts the request and decides later: too much is a REFUND with success "false".
    const ok = reserved + a.value <= p.amount.value;
    this.refunds.set(r.pspReference, { ...r, status: ok ? 'received' : 'failed' });
    const t = setTimeout(() => {
      this.timers.delete(t);
      const item = {
        eventCode: 'REFUND', success: ok ? 'true' : 'false', pspReference: r.pspReference, originalReference: ref,
        merchantAccountCode: p.merchantAccount, merchantReference: r.reference ?? '', amount: r.amount,
        eventDate: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), operations: [],
      };
      if (!ok) item.reason = 'Refund amount exceeds the remaining amount';
      this.refunds.get(r.pspReference).status = ok ? 'refunded' : 'failed';
      this.deliver(p.merchantAccount, [item]).catch(() => {});
    }, this.refundDelayMs);
    this.timers.add(t);
    return { status: 201, body: r };
  }

  /** Pays a link as its shopper would; returns the AUTHORISATION item. */
  pay(linkId, outcome) {
    const l = this.links.get(linkId);
    if (!l) throw Object.assign(new Error(`no link ${linkId}`), { status: 404 });
    if (l.status !== 'active') throw Object.assign(new Error(`link ${linkId} is ${l.status}`), { status: 409 });
    if (outcome !== 'authorised' && outcome !== 'refused') throw Object.assign(new Error('outcome must be authorised or refused'), { status: 400 });
    const ok = outcome === 'authorised';
    const psp = pspRef();
    if (ok) {
      l.status = 'completed';
      this.payments.set(psp, { pspReference: psp, link: l.id, merchantAccount: l.merchantAccount, amount: l.amount, apiKey: l.apiKey });
    }
    const item = {
      eventCode: 'AUTHORISATION', success: ok ? 'true' : 'false', pspReference: psp, merchantAccountCode: l.merchantAccount,
      merchantReference: l.reference, amount: l.amount, eventDate: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      paymentMethod: 'visa', operations: ok ? ['CANCEL', 'CAPTURE', 'REFUND'] : [],
      additionalData: { paymentLinkId: l.id },
    };
    if (!ok) item.reason = 'Refused';
    return item;
  }

  /** Signs the items with the merchant account's key and POSTs them to its webhook. */
  async deliver(merchantAccount, items) {
    const hook = this.webhooks.get(merchantAccount);
    if (!hook) return { delivery: { status: 0, body: `no webhook registered for ${merchantAccount}` } };
    const signed = items.map((it) => ({ NotificationRequestItem: { ...it, additionalData: { ...(it.additionalData ?? {}), hmacSignature: adyenHmac(hook.hmac_key, it) } } }));
    const body = JSON.stringify({ live: 'false', notificationItems: signed });
    const headers = { 'content-type': 'application/json', 'user-agent': 'Adyen HttpClient 1.0' };
    if (hook.username) headers.authorization = 'Basic ' + Buffer.from(`${hook.username}:${hook.password ?? ''}`).toString('base64');
    const answer = await this.notify(hook.url, headers, body);
    this.deliveries.push({ items: items.map((i) => `${i.eventCode}:${i.pspReference}`), status: answer.status, body: answer.body });
    this.log(`adyen notification ${items.map((i) => i.eventCode).join(',')} -> ${hook.url} : ${answer.status}`);
    return { delivery: answer, sent: { url: hook.url, headers, body } };
  }

  linkPage(id) {
    const l = this.links.get(id);
    if (!l) return { status: 404, body: 'Unknown payment link', headers: { 'content-type': 'text/plain; charset=utf-8' } };
    const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    return {
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8' },
      body: `<!doctype html><title>Adyen (simulated)</title><h1>Pay by Link</h1><p>${esc(l.description ?? l.reference)}</p><p>${esc(l.amount.currency)} ${esc(l.amount.value)} (minor units)</p><p>Status: ${esc(l.status)}</p>`,
    };
  }

  records() {
    return {
      links: [...this.links.values()].map((l) => this.view(l)),
      payments: [...this.payments.values()].map(({ apiKey, ...p }) => p),
      refunds: [...this.refunds.values()],
      deliveries: this.deliveries,
    };
  }
}
