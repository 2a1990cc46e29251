// Mollie's Payments API v2 for the simulator process (sim.mjs), under /mollie (point a provider's
// api_base_url at http://HOST:P/mollie): POST /v2/payments, GET /v2/payments/{id}[?embed=refunds],
// POST and GET /v2/payments/{id}/refunds, with Mollie's shapes (application/hal+json, amounts as
// {"currency","value":"10.00"} with exactly the currency's decimals, errors as {"status","title",
// "detail","field"?,"_links"}). A payment belongs to the API key that created it: fetched with
// another key it is 404, as at Mollie across accounts.
//
// Classic webhooks as Mollie sends them: POST <webhookUrl>, application/x-www-form-urlencoded,
// body `id=tr_...`, no signature. They are sent when a payment is completed through the control
// route, and when a refund settles (pending -> refunded after refundDelayMs).
// Wire formats: /work/shared/reference/providers.md §7.
//
// Control routes (JSON), in sim.mjs:
//   POST /__sim/mollie/pay {"payment","outcome":"paid"|"failed"|"canceled"|"expired"|"pending"}
//        completes the payment as the customer would and notifies its webhookUrl;
//        answers {"payment","delivery":{status,body},"sent":{url,headers,body}}
//   POST /__sim/mollie/notify {"payment"}  sends the notification again (Mollie retries)
//   GET  /__sim/mollie/records             every payment and refund (reconciliation)

import { createHash, randomBytes } from 'node:crypto';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const mollieId = (prefix) => `${prefix}_${[...randomBytes(10)].map((b) => ALNUM[b % ALNUM.length]).join('')}`;

// ISO 4217 minor-unit exponents that are not 2.
const EXPONENT = { JPY: 0, KRW: 0, ISK: 0, CLP: 0, VND: 0, HUF: 2, BHD: 3, KWD: 3, JOD: 3, OMR: 3, TND: 3, IQD: 3, LYD: 3 };
export const exponentOf = (currency) => EXPONENT[currency] ?? 2;

/** Minor units -> Mollie's value string ("10.00"; JPY "1000"; KWD "1.500"). */
export function mollieValue(minor, currency) {
  const e = exponentOf(currency);
  const neg = minor < 0;
  let digits = String(Math.abs(minor));
  if (e === 0) return (neg ? '-' : '') + digits;
  digits = digits.padStart(e + 1, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -e)}.${digits.slice(-e)}`;
}

/** Mollie's value string -> minor units, or null unless it has exactly the currency's decimals. */
export function mollieMinor(value, currency) {
  if (typeof value !== 'string' || !/^[A-Z]{3}$/.test(currency ?? '')) return null;
  const e = exponentOf(currency);
  const re = e === 0 ? /^\d{1,15}$/ : new RegExp(`^\\d{1,15}\\.\\d{${e}}$`);
  if (!re.test(value)) return null;
  return Number(value.replace('.', ''));
}

export function mollieError(status, detail, field) {
  const titles = { 400: 'Bad Request', 401: 'Unauthorized Request', 404: 'Not Found', 409: 'Conflict', 422: 'Unprocessable Entity', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable' };
  const body = { status, title: titles[status] ?? 'Error', detail: detail ?? `Simulated error (HTTP ${status})` };
  if (field) body.field = field;
  body._links = { documentation: { href: 'https://docs.mollie.com/overview/handling-errors', type: 'text/html' } };
  return body;
}

const HAL = { 'content-type': 'application/hal+json' };

export class MollieSim {
  /** notify(url, headers, body) -> Promise<{status, body}>: how the sim delivers webhooks. */
  constructor({ notify = async () => ({ status: 0, body: '' }), refundDelayMs = 50, log = () => {} } = {}) {
    this.notify = notify;
    this.refundDelayMs = refundDelayMs;
    this.log = log;
    this.reset();
  }

  reset() {
    this.payments = new Map();
    this.refunds = new Map();
    this.idempotency = new Map(); // key -> {hash, answer}
    this.deliveries = [];
    for (const t of this.timers ?? []) clearTimeout(t);
    this.timers = new Set();
  }

  /** Handles /mollie/... (rest = the path after /mollie). */
  handle(method, rest, entry, base) {
    let m;
    if (method === 'GET' && (m = rest.match(/^\/checkout\/([A-Za-z0-9_]+)$/))) return this.checkoutPage(m[1]);
    const token = entry.auth?.scheme === 'bearer' ? entry.auth.token : undefined;
    if (!token || !/^(test|live)_[A-Za-z0-9]+$/.test(token))
      return { status: 401, body: mollieError(401, 'Missing authentication, or failed to authenticate'), headers: HAL };
    const key = entry.headers['idempotency-key'];
    const hash = createHash('sha256').update(`${token} ${method} ${rest}\n${entry.body}`).digest('hex');
    if (method === 'POST' && key) {
      const saved = this.idempotency.get(key);
      if (saved && saved.hash !== hash)
        return { status: 422, body: mollieError(422, 'The idempotency key was already used for another request'), headers: HAL };
      if (saved) return saved.answer;
    }
    const answer = { ...this.route(method, rest, entry, base, token), headers: HAL };
    if (method === 'POST' && key && answer.status < 500) this.idempotency.set(key, { hash, answer });
    return answer;
  }

  route(method, rest, entry, base, token) {
    let m;
    if (method === 'POST' && rest === '/v2/payments') return this.createPayment(entry.json, base, token);
    if ((m = rest.match(/^\/v2\/payments\/([^/]+)$/)) && method === 'GET') {
      const p = this.owned(m[1], token);
      if (!p) return this.missing(m[1]);
      return { status: 200, body: this.view(p, base, entry.query?.embed === 'refunds') };
    }
    if ((m = rest.match(/^\/v2\/payments\/([^/]+)\/refunds$/))) {
      const p = this.owned(m[1], token);
      if (!p) return this.missing(m[1]);
      if (method === 'POST') return this.createRefund(p, entry.json, base);
      if (method === 'GET') {
        const list = [...this.refunds.values()].filter((r) => r.paymentId === p.id).map((r) => this.refundView(r, base));
        return { status: 200, body: { count: list.length, _embedded: { refunds: list }, _links: { self: { href: `${base}/mollie/v2/payments/${p.id}/refunds`, type: 'application/hal+json' } } } };
      }
    }
    return { status: 404, body: mollieError(404, `The resource ${rest} could not be found`) };
  }

  missing(id) {
    return { status: 404, body: mollieError(404, `No payment exists with token ${id}.`) };
  }

  owned(id, token) {
    const p = this.payments.get(id);
    return p && p.apiKey === token ? p : null;
  }

  createPayment(b, base, token) {
    if (!b || typeof b !== 'object' || Array.isArray(b)) return { status: 400, body: mollieError(400, 'The request body is not valid JSON') };
    const a = b.amount;
    if (!a || typeof a !== 'object') return { status: 422, body: mollieError(422, 'The amount is required for payments', 'amount') };
    const minor = mollieMinor(a.value, a.currency);
    if (minor === null)
      return { status: 422, body: mollieError(422, `The amount contains an invalid value for ${a.currency}: use exactly ${exponentOf(a.currency)} decimals`, 'amount.value') };
    if (minor <= 0) return { status: 422, body: mollieError(422, 'The amount is lower than the minimum', 'amount.value') };
    if (typeof b.description !== 'string' || !b.description) return { status: 422, body: mollieError(422, 'The description is invalid', 'description') };
    if (b.description.length > 255) return { status: 422, body: mollieError(422, 'The description is too long', 'description') };
    if (typeof b.redirectUrl !== 'string' || !/^https?:\/\//.test(b.redirectUrl)) return { status: 422, body: mollieError(422, 'The redirect URL is invalid', 'redirectUrl') };
    if (b.webhookUrl !== undefined && (typeof b.webhookUrl !== 'string' || !/^https?:\/\//.test(b.webhookUrl)))
      return { status: 422, body: mollieError(422, 'The webhook URL is invalid', 'webhookUrl') };
    if (b.locale !== undefined && !/^[a-z]{2}_[A-Z]{2}$/.test(b.locale)) return { status: 422, body: mollieError(422, 'The locale is invalid', 'locale') };
    const now = new Date();
    const p = {
      resource: 'payment',
      id: mollieId('tr'),
      mode: token.startsWith('live_') ? 'live' : 'test',
      createdAt: now.toISOString().replace(/\.\d+Z$/, '+00:00'),
      amount: { value: a.value, currency: a.currency },
      description: b.description,
      method: b.method ?? null,
      metadata: b.metadata ?? null,
      status: 'open',
      isCancelable: false,
      expiresAt: new Date(now.getTime() + 15 * 60 * 1000).toISOString().replace(/\.\d+Z$/, '+00:00'),
      profileId: 'pfl_QkEhN94Ba',
      sequenceType: 'oneoff',
      redirectUrl: b.redirectUrl,
      cancelUrl: b.cancelUrl ?? null,
      webhookUrl: b.webhookUrl ?? null,
      locale: b.locale ?? null,
      apiKey: token,
      minor,
    };
    this.payments.set(p.id, p);
    return { status: 201, body: this.view(p, base, false) };
  }

  refunded(p) {
    return [...this.refunds.values()].filter((r) => r.paymentId === p.id && r.status !== 'failed' && r.status !== 'canceled').reduce((s, r) => s + r.minor, 0);
  }

  view(p, base, embedRefunds) {
    const { apiKey, minor, ...v } = p;
    v._links = {
      self: { href: `${base}/mollie/v2/payments/${p.id}`, type: 'application/hal+json' },
      dashboard: { href: `https://www.mollie.com/dashboard/payments/${p.id}`, type: 'text/html' },
      documentation: { href: 'https://docs.mollie.com/reference/get-payment', type: 'text/html' },
    };
    if (p.status === 'open') v._links.checkout = { href: `${base}/mollie/checkout/${p.id}`, type: 'text/html' };
    if (p.status === 'paid') {
      const refunded = this.refunded(p);
      v.amountRefunded = { value: mollieValue(refunded, p.amount.currency), currency: p.amount.currency };
      v.amountRemaining = { value: mollieValue(p.minor - refunded, p.amount.currency), currency: p.amount.currency };
    }
    if (embedRefunds) {
      v._embedded = { refunds: [...this.refunds.values()].filter((r) => r.paymentId === p.id).map((r) => this.refundView(r, base)) };
    }
    return v;
  }

  refundView(r, base) {
    const { minor, ...v } = r;
    v._links = {
      self: { href: `${base}/mollie/v2/payments/${r.paymentId}/refunds/${r.id}`, type: 'application/hal+json' },
      payment: { href: `${base}/mollie/v2/payments/${r.paymentId}`, type: 'application/hal+json' },
    };
    return v;
  }

  createRefund(p, b, base) {
    if (!b || typeof b !== 'object') return { status: 400, body: mollieError(400, 'The request body is not valid JSON') };
    if (p.status !== 'paid') return { status: 422, body: mollieError(422, 'The payment cannot be refunded: it is not paid') };
    const a = b.amount;
    if (!a || typeof a !== 'object') return { status: 422, body: mollieError(422, 'The amount is required', 'amount') };
    if (a.currency !== p.amount.currency) return { status: 422, body: mollieError(422, 'The currency must match the payment', 'amount.currency') };
    const minor = mollieMinor(a.value, a.currency);
    if (minor === null || minor <= 0) return { status: 422, body: mollieError(422, 'The amount contains an invalid value', 'amount.value') };
    const remaining = p.minor - this.refunded(p);
    if (minor > remaining)
      return { status: 422, body: mollieError(422, `The amount is higher than the amount that is refundable for this payment (${mollieValue(remaining, a.currency)})`, 'amount') };
    const r = {
      resource: 'refund',
      id: mollieId('re'),
      amount: { value: a.value, currency: a.currency },
      status: 'pending',
      createdAt: new Date().toISOString().replace(/\.\d+Z$/, '+00:00'),
      description: b.description ?? '',
      metadata: b.metadata ?? null,
      paymentId: p.id,
      settlementAmount: { value: '-' + a.value, currency: a.currency },
      minor,
    };
    this.refunds.set(r.id, r);
    // Mollie settles the refund later and then notifies the payment's webhookUrl with its id.
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (r.status !== 'pending') return;
      r.status = 'refunded';
      this.deliver(p).catch(() => {});
    }, this.refundDelayMs);
    this.timers.add(t);
    return { status: 201, body: this.refundView(r, base) };
  }

  /** Completes a payment as its customer would. */
  pay(id, outcome) {
    const p = this.payments.get(id);
    if (!p) throw Object.assign(new Error(`no payment ${id}`), { status: 404 });
    if (p.status !== 'open' && p.status !== 'pending') throw Object.assign(new Error(`payment ${id} is ${p.status}`), { status: 409 });
    const allowed = ['paid', 'failed', 'canceled', 'expired', 'pending', 'authorized'];
    if (!allowed.includes(outcome)) throw Object.assign(new Error(`outcome must be one of ${allowed.join(', ')}`), { status: 400 });
    const at = new Date().toISOString().replace(/\.\d+Z$/, '+00:00');
    p.status = outcome;
    if (outcome !== 'pending') p[`${outcome}At`] = at;
    if (outcome === 'paid') p.method = p.method ?? 'ideal';
    return p;
  }

  /** POSTs `id=<payment id>` to the payment's webhookUrl, as Mollie does. */
  async deliver(p) {
    if (!p.webhookUrl) return { status: 0, body: 'no webhookUrl' };
    const body = `id=${p.id}`;
    const headers = { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Mollie HTTP client/1.0' };
    const answer = await this.notify(p.webhookUrl, headers, body);
    this.deliveries.push({ payment: p.id, status: answer.status, at: new Date().toISOString() });
    this.log(`mollie webhook id=${p.id} -> ${p.webhookUrl} : ${answer.status}`);
    return { delivery: answer, sent: { url: p.webhookUrl, headers, body } };
  }

  checkoutPage(id) {
    const p = this.payments.get(id);
    if (!p) return { status: 404, body: 'Unknown payment', headers: { 'content-type': 'text/plain; charset=utf-8' } };
    const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    return {
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8' },
      body: `<!doctype html><title>Mollie (simulated)</title><h1>Mollie test payment</h1><p>${esc(p.description)}</p><p>${esc(p.amount.currency)} ${esc(p.amount.value)}</p><p>Status: ${esc(p.status)}</p><p>POST /__sim/mollie/pay {"payment":"${esc(p.id)}","outcome":"paid"} to pay.</p>`,
    };
  }

  records() {
    return {
      payments: [...this.payments.values()].map(({ apiKey, ...p }) => p),
      refunds: [...this.refunds.values()],
      deliveries: this.deliveries,
    };
  }
}
