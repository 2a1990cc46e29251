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

// ---------------------------------------------------------------------------------------------
// Mollie and Adyen

import { adyenHmac, adyenSigningString } from '../adyen.mjs';
import { mollieMinor, mollieValue } from '../mollie.mjs';

describe('adyen signature (official vector)', () => {
  test('adyen-node hmacValidator.spec.ts', () => {
    const key = 'DFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00';
    const item = { pspReference: 'pspReference', originalReference: 'originalReference', merchantAccountCode: 'merchantAccount',
      merchantReference: 'reference', amount: { currency: 'EUR', value: 1000 }, eventCode: 'EVENT', success: 'true' };
    assert.equal(adyenSigningString(item), 'pspReference:originalReference:merchantAccount:reference:1000:EUR:EVENT:true');
    assert.equal(adyenHmac(key, item), 'ipnxGCaUZ4l8TUW75a71/ghd2Fe5ffvX0pV4TLTntIc=');
    assert.equal(adyenHmac(key, { ...item, eventCode: 'REPORT_AVAILABLE' }), 'ZNBPtI+oDyyRrLyD1XirkKnQgIAlFc07Vj27TeHsDRE=');
  });
});

describe('mollie amounts', () => {
  test('values carry exactly the currency decimals', () => {
    assert.equal(mollieValue(1000, 'EUR'), '10.00');
    assert.equal(mollieValue(5, 'EUR'), '0.05');
    assert.equal(mollieValue(1000, 'JPY'), '1000');
    assert.equal(mollieValue(1500, 'KWD'), '1.500');
    assert.equal(mollieMinor('10.00', 'EUR'), 1000);
    assert.equal(mollieMinor('10', 'EUR'), null);
    assert.equal(mollieMinor('10.0', 'EUR'), null);
    assert.equal(mollieMinor('1000', 'JPY'), 1000);
    assert.equal(mollieMinor('1000.00', 'JPY'), null);
    assert.equal(mollieMinor('1.500', 'KWD'), 1500);
  });
});

describe('mollie and adyen simulators', () => {
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
        received.push({ url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        if (req.url.includes('adyen')) res.writeHead(200, { 'content-type': 'text/plain' }).end('[accepted]');
        else res.writeHead(200).end('{}');
      });
    });
    await new Promise((r) => sink.listen(0, '127.0.0.1', r));
    hook = `http://127.0.0.1:${sink.address().port}/webhooks/psp`;
  });
  after(async () => {
    await s.close();
    await new Promise((r) => sink.close(r));
  });
  const json = (path, body, headers = {}, method = 'POST') =>
    fetch(s.url + path, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
  const waitFor = async (pred, ms = 3000) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const hit = received.find(pred);
      if (hit) return hit;
      await new Promise((r) => setTimeout(r, 20));
    }
    return undefined;
  };

  test('mollie: create (exact decimals, idempotent), pay -> id-only webhook, fetch, refund -> webhook', async () => {
    const auth = { authorization: 'Bearer test_sim123' };
    const payment = { amount: { currency: 'EUR', value: '42.00' }, description: 'Order 1', redirectUrl: 'http://127.0.0.1/return',
      webhookUrl: `${hook}/mollie`, metadata: { payment_id: 'pay_1' } };
    const bad = await json('/mollie/v2/payments', { ...payment, amount: { currency: 'EUR', value: '42' } }, auth);
    assert.equal(bad.status, 422);
    assert.equal((await bad.json()).field, 'amount.value');
    assert.equal((await json('/mollie/v2/payments', payment)).status, 401);
    const a = await json('/mollie/v2/payments', payment, { ...auth, 'idempotency-key': 'm1' });
    assert.equal(a.status, 201);
    assert.match(a.headers.get('content-type'), /hal\+json/);
    const pa = await a.json();
    assert.match(pa.id, /^tr_[A-Za-z0-9]+$/);
    assert.equal(pa.status, 'open');
    assert.match(pa._links.checkout.href, /\/mollie\/checkout\/tr_/);
    const replay = await (await json('/mollie/v2/payments', payment, { ...auth, 'idempotency-key': 'm1' })).json();
    assert.equal(replay.id, pa.id);
    // Another account's key does not see it.
    assert.equal((await fetch(`${s.url}/mollie/v2/payments/${pa.id}`, { headers: { authorization: 'Bearer test_other' } })).status, 404);

    const paid = await (await json('/__sim/mollie/pay', { payment: pa.id, outcome: 'paid' })).json();
    assert.equal(paid.delivery.status, 200);
    const got = await waitFor((r) => r.url.endsWith('/mollie') && r.body === `id=${pa.id}`);
    assert.ok(got, 'the webhook carries only the id');
    assert.equal(got.headers['content-type'], 'application/x-www-form-urlencoded');
    const fetched = await (await fetch(`${s.url}/mollie/v2/payments/${pa.id}?embed=refunds`, { headers: auth })).json();
    assert.equal(fetched.status, 'paid');
    assert.deepEqual(fetched.amountRemaining, { value: '42.00', currency: 'EUR' });
    assert.deepEqual(fetched._embedded.refunds, []);

    const tooMuch = await json(`/mollie/v2/payments/${pa.id}/refunds`, { amount: { currency: 'EUR', value: '42.01' } }, auth);
    assert.equal(tooMuch.status, 422);
    const before = received.length;
    const r = await json(`/mollie/v2/payments/${pa.id}/refunds`, { amount: { currency: 'EUR', value: '12.00' }, metadata: { refund_id: 'rfd_1' } }, auth);
    assert.equal(r.status, 201);
    const refund = await r.json();
    assert.match(refund.id, /^re_/);
    assert.equal(refund.status, 'pending');
    assert.ok(await waitFor((x, i) => received.indexOf(x) >= before && x.body === `id=${pa.id}`), 'the settled refund notifies the payment webhook');
    const after = await (await fetch(`${s.url}/mollie/v2/payments/${pa.id}?embed=refunds`, { headers: auth })).json();
    assert.equal(after._embedded.refunds[0].status, 'refunded');
    assert.deepEqual(after._embedded.refunds[0].metadata, { refund_id: 'rfd_1' });
    assert.deepEqual(after.amountRemaining, { value: '30.00', currency: 'EUR' });
    const records = await (await fetch(s.url + '/__sim/mollie/records')).json();
    assert.equal(records.payments.length, 1);
    assert.equal(records.refunds.length, 1);
  });

  test('adyen: payment link (minor units), signed AUTHORISATION, refund -> signed REFUND', async () => {
    const key = { 'x-api-key': 'AQE_sim' };
    const hmacKey = '44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056';
    await json('/__sim/adyen/webhook', { merchant_account: 'ShopECOM', url: `${hook}/adyen`, hmac_key: hmacKey });
    const link = { amount: { value: 1500, currency: 'JPY' }, reference: 'pay_9', merchantAccount: 'ShopECOM', returnUrl: 'http://127.0.0.1/return' };
    assert.equal((await json('/adyen/v72/paymentLinks', link)).status, 401);
    const bad = await json('/adyen/v72/paymentLinks', { ...link, amount: { value: '15.00', currency: 'JPY' } }, key);
    assert.equal(bad.status, 422);
    const created = await json('/adyen/v72/paymentLinks', link, { ...key, 'idempotency-key': 'a1' });
    assert.equal(created.status, 201);
    const l = await created.json();
    assert.match(l.id, /^PL[0-9A-F]+$/);
    assert.equal(l.status, 'active');
    const paid = await (await json('/__sim/adyen/pay', { link: l.id })).json();
    assert.equal(paid.delivery.status, 200);
    assert.equal(paid.delivery.body, '[accepted]');
    const item = JSON.parse(paid.sent.body).notificationItems[0].NotificationRequestItem;
    assert.equal(item.eventCode, 'AUTHORISATION');
    assert.equal(item.merchantReference, 'pay_9');
    assert.deepEqual(item.amount, { value: 1500, currency: 'JPY' });
    assert.equal(item.additionalData.paymentLinkId, l.id);
    const { hmacSignature, ...rest } = item.additionalData;
    assert.equal(hmacSignature, createHmac('sha256', Buffer.from(hmacKey, 'hex')).update(
      `${item.pspReference}::ShopECOM:pay_9:1500:JPY:AUTHORISATION:true`).digest('base64'));
    assert.ok(rest.paymentLinkId);

    const refund = await json(`/adyen/v72/payments/${item.pspReference}/refunds`, { merchantAccount: 'ShopECOM', amount: { value: 500, currency: 'JPY' }, reference: 'rfd_9' }, key);
    assert.equal(refund.status, 201);
    const rb = await refund.json();
    assert.equal(rb.status, 'received');
    const note = await waitFor((x) => x.url.endsWith('/adyen') && x.body.includes('"eventCode":"REFUND"'));
    assert.ok(note, 'the refund outcome arrives as a notification');
    const ri = JSON.parse(note.body).notificationItems[0].NotificationRequestItem;
    assert.equal(ri.originalReference, item.pspReference);
    assert.equal(ri.merchantReference, 'rfd_9');
    assert.equal(ri.success, 'true');
    assert.equal(ri.additionalData.hmacSignature, adyenHmac(hmacKey, ri));
    assert.equal((await json(`/adyen/v72/payments/UNKNOWN/refunds`, { merchantAccount: 'ShopECOM', amount: { value: 1, currency: 'JPY' } }, key)).status, 422);
    const records = await (await fetch(s.url + '/__sim/adyen/records')).json();
    assert.equal(records.links[0].status, 'completed');
    assert.equal(records.refunds[0].status, 'refunded');
  });
});
