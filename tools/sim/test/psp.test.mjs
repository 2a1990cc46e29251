// The Stripe simulator: Checkout Sessions, idempotency, refunds, signed webhooks (checked against
// the official stripe-dotnet vector).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';

import { startSim } from '../sim.mjs';
import { stripeSignature } from '../psp.mjs';

describe('stripe signature (official vector)', () => {
  test('stripe-dotnet event_test_signature.json', () => {
    const body = '{\n  "id": "evt_123",\n  "object": "event",\n  "account": "acct_123",\n  "api_version": "2017-05-25",\n  "created": 1533204620,\n  "data": {\n    "object": {\n      "id": "cus_123",\n      "object": "customer",\n      "created": 123456789,\n      "email": "test@stripe.com",\n      "livemode": false,\n      "metadata": {}\n    }\n  },\n  "livemode": false,\n  "pending_webhooks": 1,\n  "request": {\n    "id": "req_123",\n    "idempotency_key": "idempotency-key-123"\n  },\n  "type": "customer.created"\n}\n';
    assert.equal(Buffer.byteLength(body), 484);
    assert.equal(stripeSignature('webhook_secret', 1533204620, body),
      't=1533204620,v1=2220f87ef101a04665f11cdf770523143f875572008577fa0f20882ddb9cc3c7');
  });
});

describe('stripe simulator', () => {
  let s;
  const received = [];
  let sink;
  let hook;
  before(async () => {
    s = await startSim({ port: 0 });
    sink = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200).end('{}');
      });
    });
    await new Promise((r) => sink.listen(0, '127.0.0.1', r));
    hook = `http://127.0.0.1:${sink.address().port}/webhooks/psp/psp_1`;
  });
  after(async () => {
    await s.close();
    await new Promise((r) => sink.close(r));
  });
  const form = (o) => new URLSearchParams(o).toString();
  const post = (path, body, headers = {}) =>
    fetch(s.url + path, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer sk_test_1', ...headers } });
  const session = {
    mode: 'payment', 'line_items[0][price_data][currency]': 'eur', 'line_items[0][price_data][unit_amount]': '2599',
    'line_items[0][price_data][product_data][name]': 'Boots', 'line_items[0][quantity]': '1',
    success_url: 'http://127.0.0.1/ok', cancel_url: 'http://127.0.0.1/no', client_reference_id: 'pay_1', 'metadata[payment_id]': 'pay_1',
  };

  test('creates a session, replays it for the same key, refuses the key with other parameters', async () => {
    const a = await post('/stripe/v1/checkout/sessions', form(session), { 'idempotency-key': 'k1' });
    assert.equal(a.status, 200);
    const sa = await a.json();
    assert.match(sa.id, /^cs_test_/);
    assert.equal(sa.amount_total, 2599);
    assert.equal(sa.client_reference_id, 'pay_1');
    const b = await post('/stripe/v1/checkout/sessions', form(session), { 'idempotency-key': 'k1' });
    assert.equal((await b.json()).id, sa.id);
    assert.equal(b.headers.get('idempotent-replayed'), 'true');
    const c = await post('/stripe/v1/checkout/sessions', form({ ...session, 'line_items[0][quantity]': '2' }), { 'idempotency-key': 'k1' });
    assert.equal(c.status, 400);
    assert.equal((await c.json()).error.type, 'idempotency_error');
    const noKey = await fetch(s.url + '/stripe/v1/checkout/sessions', { method: 'POST', body: form(session), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(noKey.status, 401);
  });

  test('pays a session with a signed webhook, then refunds at most the capture', async () => {
    const sa = await (await post('/stripe/v1/checkout/sessions', form(session))).json();
    const paid = await fetch(s.url + '/__sim/stripe/pay', { method: 'POST', body: JSON.stringify({ session: sa.id, webhook_url: hook, webhook_secret: 'whsec_x' }) });
    const out = await paid.json();
    assert.equal(out.delivery.status, 200);
    assert.equal(out.event.type, 'checkout.session.completed');
    const got = received.at(-1);
    const [t, v1] = got.headers['stripe-signature'].split(',').map((x) => x.split('=')[1]);
    assert.equal(v1, createHmac('sha256', 'whsec_x').update(`${t}.${got.body}`).digest('hex'));
    const pi = out.event.data.object.payment_intent;
    assert.match(pi, /^pi_/);
    const r1 = await post('/stripe/v1/refunds', form({ payment_intent: pi, amount: '1000', 'metadata[refund_id]': 'rfd_1' }));
    assert.equal(r1.status, 200);
    assert.equal((await r1.json()).status, 'succeeded');
    const r2 = await post('/stripe/v1/refunds', form({ payment_intent: pi, amount: '2000' }));
    assert.equal(r2.status, 400);
    const records = await (await fetch(s.url + '/__sim/stripe/records')).json();
    assert.equal(records.refunds.length, 1);
  });
});
