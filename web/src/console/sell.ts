// The console's selling panel beside a conversation: search the catalog and send a product card,
// build a cart for the customer (add variants, apply a discount code: a refused code says why),
// send the cart's summary and a payment link for it. Everything goes through the REST API; the
// messages it sends come back through the realtime stream like any other.

import { ApiError } from '../shared/http';
import { el, clear } from '../shared/dom';
import { lang, type Lang } from '../shared/strings';
import { formatMinor } from '../chat/cards';
import type { Cart, ConsoleApi, Product } from './api';

const textByLang = {
  en: {
    heading: 'Sell',
    searchLabel: 'Search products',
    searchPlaceholder: 'Name or SKU…',
    search: 'Search',
    noResults: 'No products found.',
    sendCard: 'Send card',
    addToCart: 'Add to cart',
    outOfStock: 'Out of stock',
    inStock: (n: number | null): string => (n === null ? 'In stock' : `${n} in stock`),
    cartHeading: 'Cart',
    noCart: 'No cart yet: add a product to start one.',
    remove: 'Remove',
    discountLabel: 'Discount code',
    apply: 'Apply',
    discountApplied: (code: string): string => `Code ${code} applied.`,
    discountRefused: (code: string, why: string): string => `Code ${code} refused: ${why}`,
    subtotal: 'Subtotal',
    discount: 'Discount',
    total: 'Total',
    sendCart: 'Send cart summary',
    sendLink: 'Send payment link',
    linkSent: (code: string): string => `Payment link sent (code ${code}).`,
    cardSent: 'Product card sent.',
    cartSent: 'Cart summary sent.',
    held: 'Held by a payment link: the cart cannot change until it is paid, cancelled or expires.',
    failed: 'Failed:',
  },
  it: {
    heading: 'Vendi',
    searchLabel: 'Cerca prodotti',
    searchPlaceholder: 'Nome o SKU…',
    search: 'Cerca',
    noResults: 'Nessun prodotto trovato.',
    sendCard: 'Invia scheda',
    addToCart: 'Aggiungi al carrello',
    outOfStock: 'Esaurito',
    inStock: (n: number | null): string => (n === null ? 'Disponibile' : `${n} disponibili`),
    cartHeading: 'Carrello',
    noCart: 'Ancora nessun carrello: aggiungi un prodotto per crearlo.',
    remove: 'Rimuovi',
    discountLabel: 'Codice sconto',
    apply: 'Applica',
    discountApplied: (code: string): string => `Codice ${code} applicato.`,
    discountRefused: (code: string, why: string): string => `Codice ${code} rifiutato: ${why}`,
    subtotal: 'Subtotale',
    discount: 'Sconto',
    total: 'Totale',
    sendCart: 'Invia riepilogo carrello',
    sendLink: 'Invia link di pagamento',
    linkSent: (code: string): string => `Link di pagamento inviato (codice ${code}).`,
    cardSent: 'Scheda prodotto inviata.',
    cartSent: 'Riepilogo carrello inviato.',
    held: 'Bloccato da un link di pagamento: il carrello non può cambiare finché non è pagato, annullato o scaduto.',
    failed: 'Errore:',
  },
  de: {
    heading: 'Verkaufen',
    searchLabel: 'Produkte suchen',
    searchPlaceholder: 'Name oder SKU…',
    search: 'Suchen',
    noResults: 'Keine Produkte gefunden.',
    sendCard: 'Karte senden',
    addToCart: 'In den Warenkorb',
    outOfStock: 'Ausverkauft',
    inStock: (n: number | null): string => (n === null ? 'Auf Lager' : `${n} auf Lager`),
    cartHeading: 'Warenkorb',
    noCart: 'Noch kein Warenkorb: füge ein Produkt hinzu, um einen anzulegen.',
    remove: 'Entfernen',
    discountLabel: 'Rabattcode',
    apply: 'Anwenden',
    discountApplied: (code: string): string => `Code ${code} angewendet.`,
    discountRefused: (code: string, why: string): string => `Code ${code} abgelehnt: ${why}`,
    subtotal: 'Zwischensumme',
    discount: 'Rabatt',
    total: 'Gesamt',
    sendCart: 'Warenkorb senden',
    sendLink: 'Zahlungslink senden',
    linkSent: (code: string): string => `Zahlungslink gesendet (Code ${code}).`,
    cardSent: 'Produktkarte gesendet.',
    cartSent: 'Warenkorb gesendet.',
    held: 'Von einem Zahlungslink gehalten: der Warenkorb kann sich nicht ändern, bis er bezahlt, storniert oder abgelaufen ist.',
    failed: 'Fehler:',
  },
  nl: {
    heading: 'Verkopen',
    searchLabel: 'Producten zoeken',
    searchPlaceholder: 'Naam of SKU…',
    search: 'Zoeken',
    noResults: 'Geen producten gevonden.',
    sendCard: 'Kaart sturen',
    addToCart: 'In winkelwagen',
    outOfStock: 'Uitverkocht',
    inStock: (n: number | null): string => (n === null ? 'Op voorraad' : `${n} op voorraad`),
    cartHeading: 'Winkelwagen',
    noCart: 'Nog geen winkelwagen: voeg een product toe om er een te maken.',
    remove: 'Verwijderen',
    discountLabel: 'Kortingscode',
    apply: 'Toepassen',
    discountApplied: (code: string): string => `Code ${code} toegepast.`,
    discountRefused: (code: string, why: string): string => `Code ${code} geweigerd: ${why}`,
    subtotal: 'Subtotaal',
    discount: 'Korting',
    total: 'Totaal',
    sendCart: 'Winkelwagen sturen',
    sendLink: 'Betaallink sturen',
    linkSent: (code: string): string => `Betaallink verstuurd (code ${code}).`,
    cardSent: 'Productkaart verstuurd.',
    cartSent: 'Winkelwagen verstuurd.',
    held: 'Vastgehouden door een betaallink: de winkelwagen kan niet veranderen tot hij betaald, geannuleerd of verlopen is.',
    failed: 'Fout:',
  },
} satisfies Record<Lang, unknown>;

const t = textByLang[lang];

function why(e: unknown): string {
  if (e instanceof ApiError) return e.code ? `${e.code}: ${e.message}` : e.message;
  return e instanceof Error ? e.message : String(e);
}

function productTitle(p: Product): string {
  return p.title?.[lang] || p.title?.en || Object.values(p.title ?? {})[0] || p.handle;
}

/**
 * The selling panel for one conversation. `contactId` finds the customer's open cart for this
 * conversation (so a reload picks up where the agent left off).
 */
export function buildSellPanel(api: ConsoleApi, conversationId: string, contactId: string): HTMLElement {
  const status = el('p', { className: 'sell-status', role: 'status', 'aria-live': 'polite' });
  const say = (text: string, bad = false): void => {
    status.textContent = text;
    status.classList.toggle('is-error', bad);
  };
  let cart: Cart | null = null;

  // ---- search
  const query = el('input', { id: 'sell-search', type: 'search', placeholder: t.searchPlaceholder, autocomplete: 'off' });
  const results = el('ul', { className: 'sell-results', 'aria-live': 'polite' });
  const searchForm = el(
    'form',
    { className: 'sell-search', role: 'search' },
    el('label', { for: 'sell-search', className: 'sell-label' }, t.searchLabel),
    el('div', { className: 'sell-row' }, query, el('button', { type: 'submit', className: 'btn btn-secondary' }, t.search)),
  );
  const runSearch = async (): Promise<void> => {
    try {
      const page = await api.searchProducts(query.value);
      clear(results);
      if (!page.data.length) results.append(el('li', { className: 'sell-empty' }, t.noResults));
      for (const p of page.data) {
        for (const v of p.variants) {
          const currency = cart?.currency ?? Object.keys(v.prices)[0] ?? 'EUR';
          const price = v.prices[currency] ?? Object.values(v.prices)[0];
          const priceCurrency = v.prices[currency] !== undefined ? currency : (Object.keys(v.prices)[0] ?? currency);
          const out = v.stock !== null && v.stock <= 0;
          const sendCard = el('button', { type: 'button', className: 'btn btn-secondary btn-small', 'data-sku': v.sku }, t.sendCard);
          sendCard.addEventListener('click', () => {
            sendCard.disabled = true;
            api
              .sendProduct(conversationId, v.sku)
              .then(() => say(t.cardSent))
              .catch((e: unknown) => say(`${t.failed} ${why(e)}`, true))
              .finally(() => (sendCard.disabled = false));
          });
          const add = el('button', { type: 'button', className: 'btn btn-secondary btn-small', 'data-add-sku': v.sku, disabled: out }, t.addToCart);
          add.addEventListener('click', () => void addToCart(v.sku, add));
          results.append(
            el(
              'li',
              { className: 'sell-result' },
              el(
                'div',
                { className: 'sell-result-text' },
                el('span', { className: 'sell-result-title' }, v.title ? `${productTitle(p)} – ${v.title}` : productTitle(p)),
                el('span', { className: 'sell-result-meta' }, `${v.sku} · ${price !== undefined ? formatMinor(price, priceCurrency) : '–'} · ${out ? t.outOfStock : t.inStock(v.stock)}`),
              ),
              el('div', { className: 'sell-result-actions' }, sendCard, add),
            ),
          );
        }
      }
    } catch (e) {
      say(`${t.failed} ${why(e)}`, true);
    }
  };
  searchForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void runSearch();
  });

  // ---- cart
  const cartBox = el('div', { className: 'sell-cart', 'aria-live': 'polite' });
  const codeInput = el('input', { id: 'sell-discount', type: 'text', autocomplete: 'off' });
  const applyButton = el('button', { type: 'submit', className: 'btn btn-secondary' }, t.apply);
  const discountForm = el(
    'form',
    { className: 'sell-discount' },
    el('label', { for: 'sell-discount', className: 'sell-label' }, t.discountLabel),
    el('div', { className: 'sell-row' }, codeInput, applyButton),
  );
  const sendCartButton = el('button', { type: 'button', className: 'btn btn-secondary', id: 'sell-send-cart' }, t.sendCart);
  const sendLinkButton = el('button', { type: 'button', className: 'btn btn-primary', id: 'sell-send-link' }, t.sendLink);

  const renderCart = (): void => {
    clear(cartBox);
    const has = !!cart && cart.items.length > 0;
    discountForm.hidden = !cart;
    sendCartButton.disabled = !has;
    sendLinkButton.disabled = !has;
    if (!cart) {
      cartBox.append(el('p', { className: 'sell-empty' }, t.noCart));
      return;
    }
    const c = cart;
    const held = !!c.reserved_until && Date.parse(c.reserved_until) > Date.now();
    cartBox.append(
      el(
        'ul',
        { className: 'sell-cart-lines' },
        ...c.items.map((i) => {
          const remove = el('button', { type: 'button', className: 'btn btn-link btn-small', disabled: held, 'aria-label': `${t.remove} ${i.sku}` }, t.remove);
          remove.addEventListener('click', () => {
            api
              .removeCartItem(c.id, i.sku)
              .then(refresh)
              .catch((e: unknown) => say(`${t.failed} ${why(e)}`, true));
          });
          return el(
            'li',
            { className: 'sell-cart-line', 'data-sku': i.sku },
            el('span', {}, `${i.quantity} × ${i.title}`),
            el('span', { className: 'sell-amount' }, formatMinor(i.unit_price * i.quantity, c.currency)),
            remove,
          );
        }),
      ),
    );
    const tot = c.totals;
    if (tot) {
      const rows: Array<[string, number, string]> = [[t.subtotal, tot.subtotal, 'subtotal']];
      if (tot.discount_total > 0) rows.push([t.discount, -tot.discount_total, 'discount']);
      rows.push([t.total, tot.total, 'total']);
      cartBox.append(
        el(
          'dl',
          { className: 'sell-totals' },
          ...rows.flatMap(([label, amount, key]) => [
            el('dt', { className: `sell-${key}` }, label),
            el('dd', { className: `sell-${key}` }, formatMinor(amount, tot.currency)),
          ]),
        ),
      );
      const d = tot.discount;
      if (d?.code && d.refusal) cartBox.append(el('p', { className: 'sell-refusal' }, t.discountRefused(d.code, d.refusal.code ?? '')));
    }
    if (held) cartBox.append(el('p', { className: 'sell-held' }, t.held));
  };

  const refresh = async (): Promise<void> => {
    if (!cart) return renderCart();
    cart = await api.getCart(cart.id);
    renderCart();
  };

  const addToCart = async (sku: string, button: HTMLButtonElement): Promise<void> => {
    button.disabled = true;
    try {
      if (!cart || cart.status !== 'open') cart = await api.createCart(conversationId);
      cart = await api.addCartItem(cart.id, sku, 1);
      cart = await api.getCart(cart.id);
      renderCart();
      say('');
    } catch (e) {
      say(`${t.failed} ${why(e)}`, true);
    } finally {
      button.disabled = false;
    }
  };

  discountForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const code = codeInput.value.trim();
    if (!cart || !code) return;
    applyButton.disabled = true;
    api
      .applyDiscount(cart.id, code)
      .then(async () => {
        await refresh();
        say(t.discountApplied(code.toUpperCase()));
      })
      .catch((e: unknown) => {
        // A refused code always says why (expired, minimum_not_reached, ...).
        const reason = e instanceof ApiError ? `${e.code} – ${e.message}` : why(e);
        say(t.discountRefused(code.toUpperCase(), reason), true);
      })
      .finally(() => (applyButton.disabled = false));
  });
  sendCartButton.addEventListener('click', () => {
    if (!cart) return;
    sendCartButton.disabled = true;
    api
      .sendCart(conversationId, cart.id)
      .then(() => say(t.cartSent))
      .catch((e: unknown) => say(`${t.failed} ${why(e)}`, true))
      .finally(() => (sendCartButton.disabled = false));
  });
  sendLinkButton.addEventListener('click', () => {
    if (!cart) return;
    sendLinkButton.disabled = true;
    api
      .createCartPaymentLink(conversationId, cart.id)
      .then(async (link) => {
        say(t.linkSent(link.verification_code));
        await refresh();
      })
      .catch((e: unknown) => {
        say(`${t.failed} ${why(e)}`, true);
        sendLinkButton.disabled = false;
      });
  });

  // The customer's open cart of this conversation, if there is one.
  void api
    .openCarts(contactId)
    .then(async (carts) => {
      const mine = carts.find((c) => c.conversation_id === conversationId);
      if (mine && !cart) cart = await api.getCart(mine.id);
      renderCart();
    })
    .catch(() => renderCart());
  renderCart();

  return el(
    'section',
    { className: 'sell-panel', 'aria-labelledby': 'sell-heading' },
    el('h3', { id: 'sell-heading', className: 'sell-heading' }, t.heading),
    searchForm,
    results,
    el('h4', { className: 'sell-subheading' }, t.cartHeading),
    cartBox,
    discountForm,
    el('div', { className: 'sell-actions' }, sendCartButton, sendLinkButton),
    status,
  );
}
