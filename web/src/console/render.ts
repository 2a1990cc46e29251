// Renders a message's body for each content kind (docs/api.md, Message.kind and content). Content
// comes from customers and providers: it is only ever placed with textContent, and the only URL
// ever made clickable is a map link built from two validated numbers, and the http(s) links of
// product, cart and payment cards (chat/cards.ts).

import { el } from '../shared/dom';
import { consoleText as t, lang } from '../shared/strings';
import type { Message } from '../shared/types';
import { renderCard } from '../chat/cards';

type Json = Record<string, unknown>;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const obj = (v: unknown): Json | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : null);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const int = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) ? v : null);

/** The number of decimals a currency has (ISO 4217 exponent), as the browser's Intl knows it. */
export function currencyDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/**
 * Formats integer minor units in the console's language: 1999 EUR -> "€19.99", 500 JPY -> "¥500".
 * The conversion is done on the integer's digits, never through a floating-point division.
 */
export function formatMoney(minor: number, currency: string): string {
  const digits = currencyDigits(currency);
  const negative = minor < 0;
  const abs = String(Math.abs(Math.trunc(minor))).padStart(digits + 1, '0');
  const whole = abs.slice(0, abs.length - digits);
  const frac = digits > 0 ? abs.slice(abs.length - digits) : '';
  const decimal = `${negative ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
  try {
    // A decimal string keeps every digit exact (Intl accepts string input for this reason).
    return new Intl.NumberFormat(lang, { style: 'currency', currency, minimumFractionDigits: digits }).format(decimal as unknown as number);
  } catch {
    return `${decimal} ${currency}`;
  }
}

function textBlock(text: string, className = 'msg-text'): HTMLElement {
  const p = el('p', { className });
  p.textContent = text;
  return p;
}

/** Raster image types a browser shows in <img> (the server sends SVG and unknown types as downloads). */
const INLINE_IMAGE = /^image\/(jpeg|png|gif|webp|avif|bmp)$/;
const INLINE_AUDIO = /^audio\/(ogg|mpeg|mp4|aac|wav|webm|opus|amr)(;.*)?$/;
const INLINE_VIDEO = /^video\/(mp4|webm|ogg|3gpp)$/;
const MEDIA_ID = /^[A-Za-z0-9_-]{1,100}$/;

/** The URL of a stored media file (GET /api/v1/media/{id}; the session cookie authenticates it). */
export function mediaUrl(mediaId: string): string | null {
  return MEDIA_ID.test(mediaId) ? `/api/v1/media/${encodeURIComponent(mediaId)}` : null;
}

export function byteSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * One attachment: downloaded (media_id) -> the image inline, audio/video players, or a download
 * link; still being fetched from the provider -> "Downloading…"; refused or failed (media_error)
 * -> why. Filenames and errors are text; the only URL used is our own /api/v1/media/{id}.
 */
function attachmentItem(att: Json): HTMLLIElement {
  // Customers' media carry the provider's type; an agent's files only their media type.
  const mimeType = str(att.mime_type).toLowerCase();
  const type =
    str(att.type) ||
    (mimeType.startsWith('image/') ? 'image' : mimeType.startsWith('video/') ? 'video' : mimeType.startsWith('audio/') ? 'audio' : mimeType === 'application/pdf' ? 'document' : 'file');
  const kind: string = (att.voice === true ? t.mediaKinds.voice : (t.mediaKinds[type] ?? t.mediaKinds.file)) ?? type;
  const mime = str(att.mime_type).toLowerCase();
  const filename = str(att.filename);
  const size = int(att.size);
  const details = [filename, mime, size !== null ? byteSize(size) : ''].filter(Boolean).join(' · ');
  const url = mediaUrl(str(att.media_id));
  const error = str(att.media_error);
  const fetchable = str(att.id) !== '' || str(att.url) !== '';
  const state = url ? 'ready' : error ? 'failed' : fetchable ? 'pending' : 'none';
  const item = el(
    'li',
    { className: `attachment attachment-${type.replace(/[^a-z_]/g, '')} is-${state}`, 'data-state': state },
    el('span', { className: 'attachment-kind' }, kind),
    details ? el('span', { className: 'attachment-details' }, details) : null,
  );
  if (state === 'pending') item.append(el('span', { className: 'attachment-progress', role: 'status' }, t.mediaDownloading));
  if (state === 'failed') item.append(el('span', { className: 'attachment-error' }, t.mediaFailed(error)));
  if (!url) return item;
  const label = filename || kind;
  if (INLINE_IMAGE.test(mime) || (!mime && (type === 'image' || type === 'sticker'))) {
    const img = el('img', { className: 'attachment-img', src: url, alt: filename || kind, loading: 'lazy', decoding: 'async' });
    const open = el('a', { className: 'attachment-open', href: url, target: '_blank', rel: 'noopener', title: t.mediaOpen }, img);
    img.addEventListener('error', () => open.replaceWith(el('span', { className: 'attachment-error' }, t.mediaNotShown)));
    item.append(open);
  } else if (INLINE_AUDIO.test(mime)) {
    item.append(el('audio', { className: 'attachment-player', src: url, controls: true, preload: 'none', 'aria-label': label }));
  } else if (INLINE_VIDEO.test(mime)) {
    item.append(el('video', { className: 'attachment-player', src: url, controls: true, preload: 'metadata', 'aria-label': label }));
  }
  const download = el('a', { className: 'attachment-download', href: url, download: filename || '' }, t.mediaDownload(label));
  item.append(download);
  return item;
}

function media(content: Json, m: Message): HTMLElement[] {
  const out: HTMLElement[] = [];
  const list = el('ul', { className: 'attachments' });
  for (const a of arr(content.attachments)) {
    const att = obj(a);
    if (att) list.append(attachmentItem(att));
  }
  if (list.childElementCount === 0) list.append(el('li', { className: 'attachment' }, t.attachment));
  out.push(list);
  const caption = str(content.caption) || (m.text && m.text !== str(content.caption) ? m.text : '');
  if (caption) out.push(textBlock(caption));
  return out;
}

function location(content: Json): HTMLElement[] {
  const lat = typeof content.latitude === 'number' ? content.latitude : null;
  const lon = typeof content.longitude === 'number' ? content.longitude : null;
  const name = [str(content.name), str(content.address)].filter(Boolean).join(', ');
  const box = el('div', { className: 'location' }, el('span', { className: 'attachment-kind' }, t.location));
  if (name) box.append(textBlock(name));
  if (lat !== null && lon !== null && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
    const coords = `${lat.toFixed(5)}, ${lon.toFixed(5)}`;
    const link = el('a', {
      href: `https://www.openstreetmap.org/?mlat=${lat.toFixed(6)}&mlon=${lon.toFixed(6)}#map=16/${lat.toFixed(6)}/${lon.toFixed(6)}`,
      target: '_blank',
      rel: 'noopener noreferrer',
    });
    link.textContent = `${coords} (${t.openMap})`;
    box.append(el('p', {}, link));
  }
  return [box];
}

function contacts(content: Json): HTMLElement[] {
  const list = el('ul', { className: 'contacts' });
  for (const c of arr(content.contacts)) {
    const card = obj(c);
    if (!card) continue;
    const nameObj = obj(card.name);
    const name = str(nameObj?.formatted_name) || [str(nameObj?.first_name), str(nameObj?.last_name)].filter(Boolean).join(' ');
    const phones = arr(card.phones).map((p) => str(obj(p)?.phone)).filter(Boolean);
    const emails = arr(card.emails).map((e) => str(obj(e)?.email)).filter(Boolean);
    list.append(el('li', {}, [name, ...phones, ...emails].filter(Boolean).join(' · ') || '—'));
  }
  return [el('div', { className: 'contacts-card' }, el('span', { className: 'attachment-kind' }, t.sharedContacts), list)];
}

function order(content: Json, m: Message): HTMLElement[] {
  const rows: HTMLElement[] = [];
  const totals = new Map<string, number>();
  for (const raw of arr(content.product_items)) {
    const item = obj(raw);
    if (!item) continue;
    const qty = int(item.quantity) ?? 0;
    const price = int(item.item_price_minor);
    const currency = str(item.currency);
    if (price !== null && currency) totals.set(currency, (totals.get(currency) ?? 0) + price * qty);
    rows.push(
      el(
        'tr',
        {},
        el('td', {}, str(item.product_retailer_id)),
        el('td', { className: 'num' }, String(qty)),
        el('td', { className: 'num' }, price !== null && currency ? formatMoney(price, currency) : '—'),
      ),
    );
  }
  const foot = [...totals.entries()].map(([cur, sum]) =>
    el('tr', {}, el('th', { scope: 'row', colspan: 2 }, t.orderTotal), el('td', { className: 'num' }, formatMoney(sum, cur))),
  );
  const table = el(
    'table',
    { className: 'order-items' },
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, t.orderSku), el('th', { scope: 'col' }, t.orderQuantity), el('th', { scope: 'col' }, t.orderPrice))),
    el('tbody', {}, ...rows),
    foot.length ? el('tfoot', {}, ...foot) : null,
  );
  const out: HTMLElement[] = [el('div', { className: 'order' }, el('span', { className: 'attachment-kind' }, t.orderHeading), table)];
  const note = str(content.text) || m.text;
  if (note) out.push(textBlock(note));
  return out;
}

/** The body of a message, by kind. Unknown kinds fall back to their text. */
/** `paidPayments`: ids of payments a "Paid" message in the thread confirmed (their cards say Paid). */
export function renderContent(m: Message, paidPayments: ReadonlySet<string> = new Set()): HTMLElement {
  const body = el('div', { className: `msg-body kind-${m.kind.replace(/[^a-z_]/g, '')}` });
  const content = obj(m.content) ?? {};
  switch (m.kind) {
    case 'media':
    case 'attachment':
      body.append(...media(content, m));
      break;
    case 'location':
      body.append(...location(content));
      break;
    case 'contacts':
      body.append(...contacts(content));
      break;
    case 'reaction': {
      const emoji = str(content.emoji);
      body.append(textBlock(content.removed === true || !emoji ? t.reactionRemoved : t.reacted(emoji), 'msg-text reaction'));
      break;
    }
    case 'order':
      body.append(...order(content, m));
      break;
    case 'interactive_reply': {
      const title = str(content.title) || m.text;
      body.append(el('p', { className: 'msg-text' }, el('span', { className: 'attachment-kind' }, t.chose), ' ', title));
      break;
    }
    case 'choices': {
      if (m.text) body.append(textBlock(m.text));
      const choices = arr(content.choices).map((c) => str(obj(c)?.title)).filter(Boolean);
      if (choices.length) {
        body.append(
          el('p', { className: 'attachment-kind' }, t.optionsOffered),
          el('ul', { className: 'choices' }, ...choices.map((c) => el('li', { className: 'choice' }, c))),
        );
      }
      break;
    }
    case 'product':
    case 'cart':
    case 'payment_link':
    case 'payment_status': {
      const card = renderCard(m, paidPayments);
      if (card) body.append(card);
      else if (m.text) body.append(textBlock(m.text));
      break;
    }
    case 'unsupported': {
      if (m.text) body.append(textBlock(m.text));
      body.append(textBlock(t.unsupported(str(content.type) || 'unknown'), 'msg-text unsupported'));
      break;
    }
    default:
      if (m.text) body.append(textBlock(m.text));
      break;
  }
  const email = obj(content.email);
  if (email) body.prepend(...emailHeader(email));
  if (email && str(email.html)) body.append(formattedEmail(str(email.html)));
  return body;
}

/** An email's subject above its text. */
function emailHeader(email: Json): HTMLElement[] {
  const subject = str(email.subject);
  if (!subject) return [];
  return [el('p', { className: 'email-subject' }, el('span', { className: 'attachment-kind' }, `${t.emailSubject}: `), subject)];
}

/**
 * The sender's formatting, on demand: the HTML the server sanitized (channels/email/text.hpp), shown
 * only inside an iframe with an empty `sandbox` (no scripts, no forms, an opaque origin) and its own
 * Content-Security-Policy (nothing loaded from anywhere: no tracking pixels). The text above stays
 * the message; this is never inserted into the console's own document.
 */
function formattedEmail(html: string): HTMLElement {
  const wrap = el('div', { className: 'email-formatted' });
  const toggle = el('button', { type: 'button', className: 'btn btn-small email-toggle', 'aria-expanded': 'false' }, t.showFormatted);
  let frame: HTMLIFrameElement | null = null;
  toggle.addEventListener('click', () => {
    if (frame) {
      frame.remove();
      frame = null;
      toggle.textContent = t.showFormatted;
      toggle.setAttribute('aria-expanded', 'false');
      return;
    }
    frame = el('iframe', { className: 'email-frame', sandbox: '', title: t.formattedEmail, referrerpolicy: 'no-referrer' });
    frame.srcdoc =
      '<!doctype html><meta charset="utf-8">' +
      '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; img-src data:">' +
      html;
    wrap.append(frame);
    toggle.textContent = t.hideFormatted;
    toggle.setAttribute('aria-expanded', 'true');
  });
  wrap.append(toggle);
  return wrap;
}
