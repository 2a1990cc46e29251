// The console's selling panel beside a conversation: search the catalog and send a product card,
// build a cart for the customer (add variants, apply a discount code: a refused code says why),
// send the cart's summary and a payment link for it. Everything goes through the REST API; the
// messages it sends come back through the realtime stream like any other.

import { ApiError } from '../shared/http';
import { el, clear } from '../shared/dom';
import { lang, type Lang } from '../shared/strings';
import { formatMinor } from '../chat/cards';
import type { Cart, CommerceSettings, ConsoleApi, Product } from './api';
import { parseMinor } from './refund';

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
    select: (sku: string): string => `Select ${sku}`,
    selected: (n: number): string => `${n} selected:`,
    sendSelected: (n: number): string => `Send ${n} products as one message`,
    clearSelection: 'Clear',
    tooMany: (max: number): string => `At most ${max} products in one message.`,
    productsSent: (n: number): string => `${n} products sent in one message.`,
    cartSent: 'Cart summary sent.',
    held: 'Held by a payment link: the cart cannot change until it is paid, cancelled or expires.',
    quantity: (sku: string): string => `Quantity of ${sku}`,
    shippingLabel: 'Shipping',
    noShipping: 'No shipping',
    shippingOption: (name: string, price: string, freeOver: string | null): string => `${name} · ${price}${freeOver ? ` (free from ${freeOver})` : ''}`,
    free: 'free',
    manualHeading: 'Your discount',
    manualKind: 'Kind',
    manualKinds: { percentage: 'Percent off', fixed_amount: 'Amount off' } as Record<string, string>,
    manualValue: 'Value',
    manualReason: 'Reason (optional)',
    manualApply: 'Give discount',
    manualApplied: (what: string): string => `Discount of ${what} given.`,
    manualBad: 'Value: a number above 0, like 5 or 4.99.',
    manualDiscount: 'Your discount',
    tax: 'Tax',
    useCredit: (amount: string): string => `Use the customer’s store credit (${amount} available)`,
    creditApplied: (credit: string, due: string): string => `${credit} of store credit applied; ${due} to pay.`,
    paidWithCredit: (credit: string): string => `Paid with ${credit} of store credit.`,
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
    select: (sku: string): string => `Seleziona ${sku}`,
    selected: (n: number): string => `${n} selezionati:`,
    sendSelected: (n: number): string => `Invia ${n} prodotti in un messaggio`,
    clearSelection: 'Azzera',
    tooMany: (max: number): string => `Al massimo ${max} prodotti in un messaggio.`,
    productsSent: (n: number): string => `${n} prodotti inviati in un messaggio.`,
    cartSent: 'Riepilogo carrello inviato.',
    held: 'Bloccato da un link di pagamento: il carrello non può cambiare finché non è pagato, annullato o scaduto.',
    quantity: (sku: string): string => `Quantità di ${sku}`,
    shippingLabel: 'Spedizione',
    noShipping: 'Nessuna spedizione',
    shippingOption: (name: string, price: string, freeOver: string | null): string => `${name} · ${price}${freeOver ? ` (gratis da ${freeOver})` : ''}`,
    free: 'gratis',
    manualHeading: 'Il tuo sconto',
    manualKind: 'Tipo',
    manualKinds: { percentage: 'Percentuale', fixed_amount: 'Importo' } as Record<string, string>,
    manualValue: 'Valore',
    manualReason: 'Motivo (facoltativo)',
    manualApply: 'Applica lo sconto',
    manualApplied: (what: string): string => `Sconto di ${what} applicato.`,
    manualBad: 'Valore: un numero maggiore di 0, come 5 o 4,99.',
    manualDiscount: 'Il tuo sconto',
    tax: 'Imposte',
    useCredit: (amount: string): string => `Usa il credito in negozio del cliente (${amount} disponibili)`,
    creditApplied: (credit: string, due: string): string => `${credit} di credito applicati; ${due} da pagare.`,
    paidWithCredit: (credit: string): string => `Pagato con ${credit} di credito in negozio.`,
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
    select: (sku: string): string => `${sku} auswählen`,
    selected: (n: number): string => `${n} ausgewählt:`,
    sendSelected: (n: number): string => `${n} Produkte in einer Nachricht senden`,
    clearSelection: 'Leeren',
    tooMany: (max: number): string => `Höchstens ${max} Produkte in einer Nachricht.`,
    productsSent: (n: number): string => `${n} Produkte in einer Nachricht gesendet.`,
    cartSent: 'Warenkorb gesendet.',
    held: 'Von einem Zahlungslink gehalten: der Warenkorb kann sich nicht ändern, bis er bezahlt, storniert oder abgelaufen ist.',
    quantity: (sku: string): string => `Menge von ${sku}`,
    shippingLabel: 'Versand',
    noShipping: 'Kein Versand',
    shippingOption: (name: string, price: string, freeOver: string | null): string => `${name} · ${price}${freeOver ? ` (gratis ab ${freeOver})` : ''}`,
    free: 'gratis',
    manualHeading: 'Ihr Rabatt',
    manualKind: 'Art',
    manualKinds: { percentage: 'Prozent', fixed_amount: 'Betrag' } as Record<string, string>,
    manualValue: 'Wert',
    manualReason: 'Grund (optional)',
    manualApply: 'Rabatt geben',
    manualApplied: (what: string): string => `Rabatt von ${what} gegeben.`,
    manualBad: 'Wert: eine Zahl über 0, etwa 5 oder 4,99.',
    manualDiscount: 'Ihr Rabatt',
    tax: 'Steuer',
    useCredit: (amount: string): string => `Guthaben des Kunden verwenden (${amount} verfügbar)`,
    creditApplied: (credit: string, due: string): string => `${credit} Guthaben angerechnet; ${due} zu zahlen.`,
    paidWithCredit: (credit: string): string => `Mit ${credit} Guthaben bezahlt.`,
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
    select: (sku: string): string => `${sku} selecteren`,
    selected: (n: number): string => `${n} geselecteerd:`,
    sendSelected: (n: number): string => `${n} producten in één bericht sturen`,
    clearSelection: 'Wissen',
    tooMany: (max: number): string => `Hoogstens ${max} producten in één bericht.`,
    productsSent: (n: number): string => `${n} producten in één bericht verstuurd.`,
    cartSent: 'Winkelwagen verstuurd.',
    held: 'Vastgehouden door een betaallink: de winkelwagen kan niet veranderen tot hij betaald, geannuleerd of verlopen is.',
    quantity: (sku: string): string => `Aantal van ${sku}`,
    shippingLabel: 'Verzending',
    noShipping: 'Geen verzending',
    shippingOption: (name: string, price: string, freeOver: string | null): string => `${name} · ${price}${freeOver ? ` (gratis vanaf ${freeOver})` : ''}`,
    free: 'gratis',
    manualHeading: 'Jouw korting',
    manualKind: 'Soort',
    manualKinds: { percentage: 'Percentage', fixed_amount: 'Bedrag' } as Record<string, string>,
    manualValue: 'Waarde',
    manualReason: 'Reden (optioneel)',
    manualApply: 'Korting geven',
    manualApplied: (what: string): string => `Korting van ${what} gegeven.`,
    manualBad: 'Waarde: een getal boven 0, zoals 5 of 4,99.',
    manualDiscount: 'Jouw korting',
    tax: 'Btw',
    useCredit: (amount: string): string => `Tegoed van de klant gebruiken (${amount} beschikbaar)`,
    creditApplied: (credit: string, due: string): string => `${credit} tegoed gebruikt; ${due} te betalen.`,
    paidWithCredit: (credit: string): string => `Betaald met ${credit} tegoed.`,
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
export interface SellPanel {
  element: HTMLElement;
  /** A cart of this conversation changed elsewhere (the customer tapped "Add to cart"): show it, keeping the search. */
  cartChanged(cartId: string): void;
}

export function buildSellPanel(api: ConsoleApi, conversationId: string, contactId: string): SellPanel {
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
  // ---- several products in one message: tick them in the results (across searches), send them together
  const maxSelected = 10;  // the server's limit for one message (docs/commerce.md#several-products-in-one-message)
  const selected: Array<{ sku: string; title: string }> = [];
  const selectionText = el('span', { className: 'sell-selection-text' });
  const sendSelected = el('button', { type: 'button', className: 'btn btn-primary btn-small', id: 'sell-send-selected' });
  const clearSelected = el('button', { type: 'button', className: 'btn btn-secondary btn-small', id: 'sell-clear-selected' }, t.clearSelection);
  const selection = el('div', { className: 'sell-selection', hidden: true, 'aria-live': 'polite' }, selectionText, el('div', { className: 'sell-result-actions' }, sendSelected, clearSelected));
  const syncSelection = (): void => {
    selection.hidden = selected.length === 0;
    selectionText.textContent = `${t.selected(selected.length)} ${selected.map((x) => x.sku).join(', ')}`;
    sendSelected.textContent = t.sendSelected(selected.length);
    sendSelected.disabled = selected.length < 2;  // one product is the "Send card" button
    for (const box of Array.from(results.querySelectorAll<HTMLInputElement>('input[data-select-sku]')))
      box.checked = selected.some((x) => x.sku === box.dataset.selectSku);
  };
  const toggleSelected = (sku: string, title: string, on: boolean): void => {
    const at = selected.findIndex((x) => x.sku === sku);
    if (on && at < 0) {
      if (selected.length >= maxSelected) say(t.tooMany(maxSelected), true);
      else selected.push({ sku, title });
    } else if (!on && at >= 0) selected.splice(at, 1);
    syncSelection();
  };
  clearSelected.addEventListener('click', () => {
    selected.length = 0;
    syncSelection();
  });
  sendSelected.addEventListener('click', () => {
    const skus = selected.map((x) => x.sku);
    sendSelected.disabled = true;
    api
      .sendProducts(conversationId, skus)
      .then(() => {
        say(t.productsSent(skus.length));
        selected.length = 0;
      })
      .catch((e: unknown) => say(`${t.failed} ${why(e)}`, true))
      .finally(syncSelection);
  });

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
          const title = v.title ? `${productTitle(p)} – ${v.title}` : productTitle(p);
          const pick = el('input', { type: 'checkbox', className: 'sell-pick', 'data-select-sku': v.sku, 'aria-label': t.select(v.sku) });
          pick.checked = selected.some((x) => x.sku === v.sku);
          pick.addEventListener('change', () => toggleSelected(v.sku, title, pick.checked));
          results.append(
            el(
              'li',
              { className: 'sell-result' },
              pick,
              el(
                'div',
                { className: 'sell-result-text' },
                el('span', { className: 'sell-result-title' }, title),
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

  // ---- shipping (the shop's options, docs/commerce.md#settings), the agent's own discount, store credit
  let settings: CommerceSettings | null = null;
  const shipping = el('select', { id: 'sell-shipping' });
  const shippingField = el('div', { className: 'sell-shipping' }, el('label', { for: 'sell-shipping', className: 'sell-label' }, t.shippingLabel), shipping);
  const manualKind = el('select', { id: 'sell-manual-kind' });
  for (const k of ['percentage', 'fixed_amount']) manualKind.append(el('option', { value: k }, t.manualKinds[k] ?? k));
  const manualValue = el('input', { id: 'sell-manual-value', inputmode: 'decimal', autocomplete: 'off', size: 6 });
  const manualReason = el('input', { id: 'sell-manual-reason', autocomplete: 'off', maxlength: 500 });
  const manualButton = el('button', { type: 'submit', className: 'btn btn-secondary' }, t.manualApply);
  const manualForm = el(
    'form',
    { className: 'sell-manual', id: 'sell-manual-form', 'aria-labelledby': 'sell-manual-heading', novalidate: true },
    el('h4', { className: 'sell-label', id: 'sell-manual-heading' }, t.manualHeading),
    el('div', { className: 'sell-row' }, el('label', { for: 'sell-manual-kind', className: 'sr-only' }, t.manualKind), manualKind, el('label', { for: 'sell-manual-value', className: 'sr-only' }, t.manualValue), manualValue),
    el('label', { for: 'sell-manual-reason', className: 'sell-label' }, t.manualReason),
    el('div', { className: 'sell-row' }, manualReason, manualButton),
  );
  manualValue.placeholder = t.manualValue;
  let credit: Array<{ currency: string; balance: number }> = [];
  const useCredit = el('input', { type: 'checkbox', id: 'sell-apply-credit' });
  const creditText = el('span', {});
  const creditBox = el('label', { className: 'toggle sell-credit', for: 'sell-apply-credit', hidden: true }, useCredit, creditText);

  const syncExtras = (c: Cart, held: boolean): void => {
    // Shipping: the options priced in the cart's currency.
    const opts = (settings?.shipping_options ?? []).filter((o) => o.prices[c.currency] !== undefined);
    clear(shipping);
    shipping.append(el('option', { value: '' }, t.noShipping));
    for (const o of opts) {
      const free = o.free_over?.[c.currency];
      shipping.append(el('option', { value: o.id }, t.shippingOption(o.name, formatMinor(o.prices[c.currency] ?? 0, c.currency), free !== undefined ? formatMinor(free, c.currency) : null)));
    }
    shipping.value = c.shipping_option && opts.some((o) => o.id === c.shipping_option) ? c.shipping_option : '';
    shippingField.hidden = opts.length === 0;
    shipping.disabled = held;
    manualButton.disabled = held;
    const available = credit.find((x) => x.currency === c.currency)?.balance ?? 0;
    creditBox.hidden = available <= 0 || held;
    creditText.textContent = t.useCredit(formatMinor(available, c.currency));
    if (creditBox.hidden) useCredit.checked = false;
  };
  shipping.addEventListener('change', () => {
    if (!cart) return;
    shipping.disabled = true;
    api
      .setCartShipping(cart.id, shipping.value || null)
      .then(() => {
        say('');
        return refresh();
      })
      .catch((e: unknown) => {
        say(`${t.failed} ${why(e)}`, true);
        return refresh();
      });
  });
  manualForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!cart) return;
    const c = cart;
    const raw = manualValue.value.trim();
    let body: { kind: string; percent?: string; value?: number; reason?: string };
    let what: string;
    if (manualKind.value === 'percentage') {
      const p = raw.replace(',', '.');
      if (!/^\d+(\.\d+)?$/.test(p) || Number(p) <= 0) {
        say(t.manualBad, true);
        manualValue.focus();
        return;
      }
      body = { kind: 'percentage', percent: p };
      what = `${p} %`;
    } else {
      const minor = parseMinor(raw, c.currency);
      if (minor === null || minor <= 0) {
        say(t.manualBad, true);
        manualValue.focus();
        return;
      }
      body = { kind: 'fixed_amount', value: minor };
      what = formatMinor(minor, c.currency);
    }
    if (manualReason.value.trim()) body.reason = manualReason.value.trim();
    manualButton.disabled = true;
    api
      .setManualDiscount(c.id, body)
      .then(async () => {
        await refresh();
        say(t.manualApplied(what));
        manualValue.value = '';
        manualReason.value = '';
      })
      .catch((e: unknown) => {
        say(`${t.failed} ${why(e)}`, true);
        manualValue.focus();
      })
      .finally(() => (manualButton.disabled = false));
  });

  const renderCart = (): void => {
    clear(cartBox);
    const has = !!cart && cart.items.length > 0;
    discountForm.hidden = !cart;
    manualForm.hidden = !cart;
    shippingField.hidden = !cart;
    if (!cart) creditBox.hidden = true;
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
          const qty = el('input', {
            type: 'number',
            className: 'sell-qty',
            min: 1,
            max: 10000,
            value: i.quantity,
            disabled: held,
            'aria-label': t.quantity(i.sku),
            'data-qty-sku': i.sku,
          });
          qty.addEventListener('change', () => {
            const n = Number(qty.value);
            if (!Number.isInteger(n) || n < 1) {
              qty.value = String(i.quantity);
              return;
            }
            qty.disabled = true;
            api
              .setCartItemQuantity(c.id, i.sku, n)
              .then(() => {
                say('');
                return refresh();
              })
              .catch((e: unknown) => {
                say(`${t.failed} ${why(e)}`, true);
                return refresh();
              });
          });
          return el(
            'li',
            { className: 'sell-cart-line', 'data-sku': i.sku },
            qty,
            el('span', {}, `${i.quantity} × ${i.title}`),
            el('span', { className: 'sell-amount' }, formatMinor(i.unit_price * i.quantity, c.currency)),
            remove,
          );
        }),
      ),
    );
    const tot = c.totals;
    if (tot) {
      const manual = tot.manual_discount ?? 0;
      const rows: Array<[string, string, string]> = [[t.subtotal, formatMinor(tot.subtotal, tot.currency), 'subtotal']];
      if (tot.discount_total - manual > 0) rows.push([t.discount, formatMinor(-(tot.discount_total - manual), tot.currency), 'discount']);
      if (manual > 0) rows.push([t.manualDiscount, formatMinor(-manual, tot.currency), 'manual-discount']);
      if (tot.shipping)
        rows.push([`${t.shippingLabel} (${tot.shipping.name})`, tot.shipping_total > 0 ? formatMinor(tot.shipping_total, tot.currency) : t.free, 'shipping']);
      if (tot.tax_inclusive === false && tot.tax_total > 0) rows.push([t.tax, formatMinor(tot.tax_total, tot.currency), 'tax']);
      rows.push([t.total, formatMinor(tot.total, tot.currency), 'total']);
      cartBox.append(
        el(
          'dl',
          { className: 'sell-totals' },
          ...rows.flatMap(([label, amount, key]) => [el('dt', { className: `sell-${key}` }, label), el('dd', { className: `sell-${key}` }, amount)]),
        ),
      );
      const d = tot.discount;
      if (d?.code && d.refusal) cartBox.append(el('p', { className: 'sell-refusal' }, t.discountRefused(d.code, d.refusal.code ?? '')));
    }
    if (held) cartBox.append(el('p', { className: 'sell-held' }, t.held));
    syncExtras(c, held);
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
    const withCredit = !creditBox.hidden && useCredit.checked;
    api
      .createCartPaymentLink(conversationId, cart.id, withCredit)
      .then(async (link) => {
        const applied = link.credit_applied ?? 0;
        if (applied > 0 && link.status === 'paid') say(t.paidWithCredit(formatMinor(applied, link.currency)));
        else if (applied > 0)
          say(`${t.linkSent(link.verification_code)} ${t.creditApplied(formatMinor(applied, link.currency), formatMinor(link.due ?? link.amount, link.currency))}`);
        else say(t.linkSent(link.verification_code));
        useCredit.checked = false;
        await refresh();
      })
      .catch((e: unknown) => {
        say(`${t.failed} ${why(e)}`, true);
        sendLinkButton.disabled = false;
      });
  });

  // The shop's shipping options and the customer's store credit, for the controls above.
  void api
    .commerceSettings()
    .then((s) => {
      settings = s;
      renderCart();
    })
    .catch(() => undefined);
  void api
    .creditBalances(contactId)
    .then((b) => {
      credit = b;
      renderCart();
    })
    .catch(() => undefined);

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

  const cartChanged = (cartId: string): void => {
    if (cart && cart.id !== cartId && cart.status === 'open') return;  // the agent works on another cart
    void api
      .getCart(cartId)
      .then((c) => {
        if (c.conversation_id !== conversationId) return;
        cart = c;
        renderCart();
      })
      .catch(() => undefined);
  };

  const element = el(
    'section',
    { className: 'sell-panel', 'aria-labelledby': 'sell-heading' },
    el('h3', { id: 'sell-heading', className: 'sell-heading' }, t.heading),
    searchForm,
    results,
    selection,
    el('h4', { className: 'sell-subheading' }, t.cartHeading),
    cartBox,
    shippingField,
    discountForm,
    manualForm,
    creditBox,
    el('div', { className: 'sell-actions' }, sendCartButton, sendLinkButton),
    status,
  );
  return { element, cartChanged };
}
