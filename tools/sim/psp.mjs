// Payment provider simulators for the simulator process (sim.mjs): Stripe's Checkout Sessions and
// Refunds API under /stripe (point a provider's api_base_url at http://HOST:P/stripe), with
// Stripe's idempotency semantics (same key + same parameters: the saved answer with
// `Idempotent-Replayed: true`; same key + other parameters: 400 idempotency_error), its error
// shapes, and correctly signed webhooks (Stripe-Signature: t=..,v1=HMAC-SHA256(secret, t.body)).
// Wire formats: /work/shared/reference/providers.md §6.
//
// Control routes (JSON):
//   POST /__sim/stripe/pay {"session","outcome":"paid"|"unpaid"|"async_failed"|"expired",
//        "webhook_url","webhook_secret","timestamp"?}   completes the session as a customer would
//        and delivers the signed event(s); answers {"event","delivery":{status,body}}
//   GET  /__sim/stripe/records                          every session and refund (reconciliation)

import { createHash, createHmac, randomBytes } from 'node:crypto';

const id = (prefix) => `${prefix}_${randomBytes(12).toString('hex')}`;

export function stripeSignature(secret, t, body) {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

export function stripeError(status, { type, code, message, param } = {}) {
  const t = type ?? (status === 402 ? 'card_error' : status >= 500 ? 'api_error' : 'invalid_request_error');
  const error = { type: t, message: message ?? `Simulated error (HTTP ${status})` };
  if (code) error.code = code;
  if (param) error.param = param;
  return { error };
}

export class StripeSim {
  constructor() {
    this.reset();
  }

  reset() {
    this.sessions = new Map();
    this.intents = new Map(); // payment_intent -> session id
    this.refunds = new Map();
    this.idempotency = new Map(); // key -> {hash, answer}
  }

  /** Handles /stripe/... (rest = the path after /stripe). */
  handle(method, rest, entry, base) {
    const key = entry.headers['idempotency-key'];
    const hash = createHash('sha256').update(`${method} ${rest}\n${entry.body}`).digest('hex');
    if (method === 'POST' && key) {
      const saved = this.idempotency.get(key);
      if (saved && saved.hash !== hash) {
        return {
          status: 400,
          body: stripeError(400, {
            type: 'idempotency_error',
            message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
          }),
        };
      }
      if (saved) return { ...saved.answer, headers: { ...(saved.answer.headers ?? {}), 'idempotent-replayed': 'true', 'idempotency-key': key } };
    }
    const answer = this.route(method, rest, entry, base);
    if (method === 'POST' && key && answer.status < 500) this.idempotency.set(key, { hash, answer });
    return answer;
  }

  route(method, rest, entry, base) {
    const token = entry.auth?.scheme === 'bearer' ? entry.auth.token : entry.auth?.username;
    if (!token || !token.startsWith('sk_')) {
      return { status: 401, body: stripeError(401, { message: 'Invalid API Key provided: ' + (token ?? '') }) };
    }
    const form = entry.form ?? {};
    let m;
    if (method === 'POST' && rest === '/v1/checkout/sessions') return this.createSession(form, base);
    if (method === 'GET' && (m = rest.match(/^\/v1\/checkout\/sessions\/([^/]+)$/))) {
      const s = this.sessions.get(m[1]);
      return s ? { status: 200, body: s } : this.missing(m[1]);
    }
    if (method === 'POST' && (m = rest.match(/^\/v1\/checkout\/sessions\/([^/]+)\/expire$/))) {
      const s = this.sessions.get(m[1]);
      if (!s) return this.missing(m[1]);
      if (s.status !== 'open') return { status: 400, body: stripeError(400, { message: `Only open sessions can be expired` }) };
      s.status = 'expired';
      s.url = null;
      return { status: 200, body: s };
    }
    if (method === 'POST' && rest === '/v1/refunds') return this.createRefund(form);
    if (method === 'GET' && rest === '/v1/refunds') {
      const pi = entry.query?.payment_intent;
      const data = [...this.refunds.values()].filter((r) => !pi || r.payment_intent === pi);
      return { status: 200, body: { object: 'list', url: '/v1/refunds', has_more: false, data } };
    }
    return { status: 404, body: stripeError(404, { message: `Unrecognized request URL (${method}: /v1${rest.replace(/^\/v1/, '')})` }) };
  }

  missing(what) {
    return { status: 404, body: stripeError(404, { code: 'resource_missing', message: `No such resource: '${what}'` }) };
  }

  createSession(f, base) {
    if (f.mode !== 'payment') return { status: 400, body: stripeError(400, { code: 'parameter_missing', param: 'mode', message: 'Missing required param: mode.' }) };
    const items = [];
    for (let i = 0; f[`line_items[${i}][quantity]`] !== undefined; i++) {
      const p = `line_items[${i}][price_data]`;
      const unit = Number(f[`${p}[unit_amount]`]);
      const quantity = Number(f[`line_items[${i}][quantity]`]);
      if (!Number.isInteger(unit) || unit < 0) return { status: 400, body: stripeError(400, { param: `${p}[unit_amount]`, message: 'Invalid integer' }) };
      items.push({ currency: f[`${p}[currency]`], unit, quantity, name: f[`${p}[product_data][name]`] });
    }
    if (!items.length) return { status: 400, body: stripeError(400, { code: 'parameter_missing', param: 'line_items', message: 'Missing required param: line_items.' }) };
    if (items.length > 100) return { status: 400, body: stripeError(400, { param: 'line_items', message: 'Too many line items' }) };
    const currency = items[0].currency;
    if (!/^[a-z]{3}$/.test(currency ?? '') || items.some((x) => x.currency !== currency))
      return { status: 400, body: stripeError(400, { param: 'line_items[0][price_data][currency]', message: 'Invalid currency' }) };
    if (!f.success_url) return { status: 400, body: stripeError(400, { code: 'parameter_missing', param: 'success_url', message: 'Missing required param: success_url.' }) };
    const now = Math.floor(Date.now() / 1000);
    const expires = f.expires_at ? Number(f.expires_at) : now + 86400;
    if (expires < now + 1800 - 60 || expires > now + 86400 + 60)
      return { status: 400, body: stripeError(400, { param: 'expires_at', message: 'The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.' }) };
    const sid = `cs_test_${randomBytes(24).toString('hex')}`;
    const metadata = {};
    for (const [k, v] of Object.entries(f)) {
      const mm = k.match(/^metadata\[(.+)\]$/);
      if (mm) metadata[mm[1]] = v;
    }
    const session = {
      id: sid,
      object: 'checkout.session',
      mode: 'payment',
      status: 'open',
      payment_status: 'unpaid',
      amount_subtotal: items.reduce((a, x) => a + x.unit * x.quantity, 0),
      amount_total: items.reduce((a, x) => a + x.unit * x.quantity, 0),
      currency,
      client_reference_id: f.client_reference_id ?? null,
      metadata,
      success_url: f.success_url,
      cancel_url: f.cancel_url ?? null,
      expires_at: expires,
      created: now,
      livemode: false,
      locale: f.locale ?? null,
      payment_intent: null,
      url: `${base}/stripe/checkout/${sid}`,
      line_items: items,
    };
    this.sessions.set(sid, session);
    return { status: 200, body: session };
  }

  createRefund(f) {
    const pi = f.payment_intent;
    if (!pi) return { status: 400, body: stripeError(400, { code: 'parameter_missing', param: 'payment_intent', message: 'Missing required param: payment_intent.' }) };
    const sid = this.intents.get(pi);
    const s = sid && this.sessions.get(sid);
    if (!s) return this.missing(pi);
    const refunded = [...this.refunds.values()].filter((r) => r.payment_intent === pi && r.status === 'succeeded').reduce((a, r) => a + r.amount, 0);
    const amount = f.amount !== undefined ? Number(f.amount) : s.amount_total - refunded;
    if (!Number.isInteger(amount) || amount <= 0) return { status: 400, body: stripeError(400, { param: 'amount', message: 'Invalid positive integer' }) };
    if (amount + refunded > s.amount_total)
      return { status: 400, body: stripeError(400, { code: 'amount_too_large', param: 'amount', message: `Refund amount (${amount}) is greater than unrefunded amount on charge (${s.amount_total - refunded})` }) };
    const metadata = {};
    for (const [k, v] of Object.entries(f)) {
      const mm = k.match(/^metadata\[(.+)\]$/);
      if (mm) metadata[mm[1]] = v;
    }
    const refund = { id: id('re'), object: 'refund', amount, currency: s.currency, payment_intent: pi, charge: `ch_${pi.slice(3)}`, reason: f.reason ?? null, status: 'succeeded', metadata, created: Math.floor(Date.now() / 1000) };
    this.refunds.set(refund.id, refund);
    return { status: 200, body: refund };
  }

  /** Completes a session as the customer would; returns the event to deliver. */
  pay(sessionId, outcome) {
    const s = this.sessions.get(sessionId);
    if (!s) throw Object.assign(new Error(`no session ${sessionId}`), { status: 404 });
    let type = 'checkout.session.completed';
    if (outcome === 'expired') {
      s.status = 'expired';
      s.url = null;
      type = 'checkout.session.expired';
    } else if (outcome === 'async_failed') {
      s.status = 'complete';
      s.payment_status = 'unpaid';
      type = 'checkout.session.async_payment_failed';
    } else {
      s.status = 'complete';
      s.url = null;
      s.payment_status = outcome === 'unpaid' ? 'unpaid' : 'paid';
      if (!s.payment_intent) {
        s.payment_intent = id('pi');
        this.intents.set(s.payment_intent, s.id);
      }
    }
    const { line_items, ...object } = s;
    return {
      id: id('evt'),
      object: 'event',
      api_version: '2024-06-20',
      created: Math.floor(Date.now() / 1000),
      data: { object },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    };
  }

  records() {
    return { sessions: [...this.sessions.values()], refunds: [...this.refunds.values()] };
  }
}
