// Cards for what a shop sells in the chat: a product or several (message kind "product"), a cart summary
// ("cart") and a payment request ("payment_link"). The server writes the texts in the customer's
// language (prices formatted, labels translated); this only lays them out. Every value goes in as
// text; links and images only from http(s) URLs.

import { el } from '../shared/dom';
import { chat as t, lang } from '../shared/strings';
import type { Message } from '../shared/types';

type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Only absolute http(s) URLs; anything else (javascript:, data:) is dropped. */
export function safeUrl(v: unknown): string | null {
  const s = str(v);
  if (!/^https?:\/\//i.test(s)) return null;
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

/** Minor units as the visitor's locale writes money ("€25.99", "25,99 €"). */
export function formatMinor(amount: number, currency: string): string {
  try {
    const f = new Intl.NumberFormat(lang, { style: 'currency', currency });
    const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
    return f.format(amount / 10 ** digits);
  } catch {
    return `${currency} ${amount}`;
  }
}

/** What a tap on a card's button sends: the choice's id ("buy:<SKU>") and title. */
export type OnChoice = (c: { id: string; title: string }) => void;

/** One product: image, title, price, stock, description, its "View" link and "Add to cart". */
function productTile(p: Obj, link: Obj | null, choice: Obj | null, intro: string, onChoice?: OnChoice): HTMLElement | null {
  if (!str(p.title)) return null;
  const image = safeUrl(p.image_url);
  const href = link ? safeUrl(link.url) : null;
  const price = obj(p.price);
  const available = p.available !== false;
  const availability = str(p.availability) || (available ? 'in_stock' : 'out_of_stock');
  // The subtitle is "price · availability" in the customer's language.
  const subtitle = str(p.subtitle);
  const stockText = subtitle.includes(' · ') ? subtitle.slice(subtitle.indexOf(' · ') + 3) : '';
  const choiceId = choice ? str(choice.id) : '';
  const choiceTitle = choice ? str(choice.title) : '';
  let buy: HTMLElement | null = null;
  if (choiceId && choiceTitle && onChoice) {
    buy = el('button', { type: 'button', className: 'choice choice-buy', 'data-choice-id': choiceId }, choiceTitle);
    buy.addEventListener('click', () => onChoice({ id: choiceId, title: choiceTitle }));
  } else if (choiceId && choiceTitle) {
    buy = el('p', { className: 'card-offer' }, choiceTitle);  // the console shows what was offered
  }
  return el(
    'div',
    { className: `card card-product${available ? '' : ' is-unavailable'}`, 'data-sku': str(p.sku) || null },
    intro ? el('p', { className: 'card-intro' }, intro) : null,
    image ? el('img', { className: 'card-image', src: image, alt: str(p.title), loading: 'lazy', referrerpolicy: 'no-referrer' }) : null,
    el(
      'div',
      { className: 'card-body' },
      el('p', { className: 'card-title' }, str(p.title)),
      el('p', { className: 'card-price' }, str(price?.formatted)),
      stockText ? el('p', { className: `card-stock stock-${availability}` }, stockText) : null,
      str(p.description) ? el('p', { className: 'card-text' }, str(p.description)) : null,
      href ? el('a', { className: 'card-button', href, target: '_blank', rel: 'noopener noreferrer' }, str(link?.title) || t.viewProduct) : null,
      buy,
    ),
  );
}

function productCard(content: Obj): HTMLElement | null {
  const p = obj(content.product);
  if (!p) return null;
  return productTile(p, obj(content.link), null, str(p.intro));
}

/** Several products in one message: a carousel of product tiles, scrolled sideways. */
function productCarousel(content: Obj, onChoice?: OnChoice): HTMLElement | null {
  if (!Array.isArray(content.products)) return null;
  const tiles = content.products
    .map((v) => obj(v))
    .map((p) => (p ? productTile(p, obj(p.link), obj(p.choice), '', onChoice) : null))
    .filter((x): x is HTMLElement => x !== null);
  if (tiles.length === 0) return null;
  const heading = str(content.intro) || str(content.heading);
  return el(
    'div',
    { className: 'card-list' },
    heading ? el('p', { className: 'card-list-heading' }, heading) : null,
    el('div', { className: 'card-carousel', role: 'list' }, ...tiles.map((tile) => el('div', { className: 'card-slide', role: 'listitem' }, tile))),
  );
}

function cartCard(content: Obj): HTMLElement | null {
  const c = obj(content.cart);
  if (!c || !Array.isArray(c.lines)) return null;
  const labels = obj(c.labels) ?? {};
  const f = obj(c.formatted) ?? {};
  const row = (key: string, fallback: string, strong = false) =>
    str(f[key])
      ? el(
          'tr',
          { className: `cart-${key}${strong ? ' cart-strong' : ''}` },
          el('th', { scope: 'row' }, str(labels[key]) || fallback),
          el('td', {}, str(f[key])),
        )
      : null;
  return el(
    'div',
    { className: 'card card-cart', 'data-cart-id': str(c.id) || null },
    el('p', { className: 'card-title' }, str(labels.title) || t.cartTitle),
    el(
      'ul',
      { className: 'cart-lines' },
      ...c.lines.map((lv) => {
        const l = obj(lv) ?? {};
        return el(
          'li',
          { className: 'cart-line' },
          el('span', { className: 'cart-line-name' }, `${num(l.quantity) ?? ''} × ${str(l.title)}`),
          el('span', { className: 'cart-line-total' }, str(l.formatted_total)),
        );
      }),
    ),
    el(
      'table',
      { className: 'cart-totals' },
      el('tbody', {}, row('subtotal', 'Subtotal'), row('discount', 'Discount'), row('shipping', 'Shipping'), row('tax', 'Tax'), row('total', 'Total', true)),
    ),
  );
}

function paymentCard(content: Obj, status: string | null): HTMLElement | null {
  const p = obj(content.payment);
  if (!p) return null;
  const href = safeUrl(p.url) ?? safeUrl(obj(content.link)?.url);
  const amount = num(p.amount);
  const currency = str(p.currency);
  const code = str(p.verification_code);
  const credit = num(p.credit_applied);
  const due = num(p.due);
  const paid = status === 'paid';
  return el(
    'div',
    { className: `card card-payment${paid ? ' is-paid' : ''}`, 'data-payment-id': str(p.id) || null },
    el('p', { className: 'card-title' }, str(p.shop) ? t.paymentFrom(str(p.shop)) : t.paymentRequest),
    amount !== null && currency ? el('p', { className: 'card-amount' }, formatMinor(amount, currency)) : null,
    // Store credit paid part of it: what is left for the payment page.
    credit !== null && credit > 0 && due !== null && currency
      ? el('p', { className: 'card-credit' }, t.creditApplied(formatMinor(credit, currency), formatMinor(due, currency)))
      : null,
    code
      ? el(
          'p',
          { className: 'card-code' },
          el('span', { className: 'card-code-label' }, `${t.verificationCode}: `),
          el('strong', { className: 'card-code-value' }, code),
        )
      : null,
    code ? el('p', { className: 'card-text' }, t.codeHint) : null,
    paid
      ? el('p', { className: 'card-paid', role: 'status' }, t.paid)
      : href
        ? el('a', { className: 'card-button', href, target: '_blank', rel: 'noopener noreferrer' }, t.payNow)
        : null,
  );
}

/** "Paid" (with the order number) or "Refund", the amount in the visitor's locale. */
function statusCard(content: Obj): HTMLElement | null {
  const refund = obj(content.refund);
  const payment = obj(content.payment);
  const src = refund ?? payment;
  const amount = num(src?.amount);
  const currency = str(src?.currency);
  if (!src || amount === null || !currency) return null;
  const money = formatMinor(amount, currency);
  if (refund)
    return el(
      'div',
      { className: 'card card-status status-refunded', 'data-payment-id': str(refund.payment_id) || null },
      el('p', { className: 'card-title' }, t.refunded),
      el('p', { className: 'card-text' }, t.refundedAmount(money)),
    );
  if (str(payment?.status) !== 'paid') return null;
  const order = num(payment?.order_number);
  return el(
    'div',
    { className: 'card card-status status-paid', 'data-payment-id': str(payment?.id) || null },
    el('p', { className: 'card-title' }, t.paid),
    el('p', { className: 'card-text' }, t.paidAmount(money)),
    order !== null ? el('p', { className: 'card-order' }, t.orderNumber(order)) : null,
  );
}

/**
 * The card for a message of kind product / cart / payment_link / payment_status, or null (the caller shows the
 * text). `paidPayments` holds the ids of payments a later "Paid" message confirmed. A message with several
 * products is a carousel; with `onChoice` (the widget) each product's "Add to cart" is a button that calls it,
 * without (the console) it only says what was offered.
 */
export function renderCard(m: Message, paidPayments: ReadonlySet<string>, onChoice?: OnChoice): HTMLElement | null {
  const content = obj(m.content);
  if (!content) return null;
  if (m.kind === 'product') return Array.isArray(content.products) ? productCarousel(content, onChoice) : productCard(content);
  if (m.kind === 'cart') return cartCard(content);
  if (m.kind === 'payment_status') return statusCard(content);
  if (m.kind === 'payment_link') {
    const id = str(obj(content.payment)?.id);
    return paymentCard(content, id && paidPayments.has(id) ? 'paid' : null);
  }
  return null;
}

/** The payment a "Paid" status message confirms, if it is one. */
export function paidPaymentOf(m: Message): string | null {
  if (m.kind !== 'payment_status') return null;
  const p = obj(obj(m.content)?.payment);
  return p && str(p.status) === 'paid' ? str(p.id) || null : null;
}
