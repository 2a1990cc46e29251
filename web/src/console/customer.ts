// The customer beside the conversation (GET /api/v1/contacts/{id}/profile): new or returning,
// lifetime value per currency, the last order, open carts (this conversation's marked), the
// customer's other conversations on every channel (one click opens them), and store credit: the
// balance, and for admins "Give store credit…" with a reason and an explicit confirmation.
// Everything is text.

import { clear, el } from '../shared/dom';
import { lang, type Lang } from '../shared/strings';
import { fullTime, shortTime } from '../shared/time';
import { newKey, type ConsoleApi, type CustomerProfile, type OptOut } from './api';
import { apiErrorText as why, confirmStep, statusLine } from './admin-kit';
import { formatMoney } from './render';
import { parseMinor } from './refund';

const textByLang = {
  en: {
    heading: 'Customer',
    newCustomer: 'New customer',
    returning: (n: number): string => `Returning customer · ${n} ${n === 1 ? 'order' : 'orders'}`,
    lifetime: 'Lifetime value',
    lastOrder: 'Last order',
    order: (n: number, status: string, total: string): string => `#${n} · ${status} · ${total}`,
    openCarts: 'Open carts',
    cartLine: (items: number, total: string): string => `${items} ${items === 1 ? 'item' : 'items'} · ${total}`,
    thisConversation: 'this conversation',
    otherConversations: 'Other conversations',
    noOther: 'None.',
    open: (channel: string, status: string): string => `${channel} · ${status}`,
    credit: 'Store credit',
    noCredit: 'None.',
    giveCredit: 'Give store credit…',
    amount: 'Amount',
    currency: 'Currency',
    reason: 'Reason',
    review: 'Review',
    cancel: 'Cancel',
    confirm: 'Confirm credit',
    confirmText: (amount: string): string => `Give ${amount} of store credit? The customer can spend it at checkout.`,
    given: (amount: string): string => `${amount} of store credit given.`,
    badAmount: 'Enter an amount above zero, like 5 or 4.99, and a three-letter currency.',
    reasonRequired: 'Say why (the audit log keeps it).',
    failed: 'Failed:',
    loadFailed: 'Could not load the customer.',
    optHeading: 'Reminders and order updates',
    optIn: 'Receives them.',
    optedOut: (by: string, word: string | null): string => `Opted out ${by}${word ? ` (“${word}”)` : ''}.`,
    optBy: { customer: 'by the customer', agent: 'by an agent', api: 'through the API' } as Record<string, string>,
    optOutButton: 'Opt out',
    optInButton: 'Opt back in',
    optChanged: (out: boolean): string => (out ? 'Opted out: no more reminders or order updates.' : 'Opted back in.'),
    none: '—',
  },
  it: {
    heading: 'Cliente',
    newCustomer: 'Nuovo cliente',
    returning: (n: number): string => `Cliente abituale · ${n} ${n === 1 ? 'ordine' : 'ordini'}`,
    lifetime: 'Valore totale',
    lastOrder: 'Ultimo ordine',
    order: (n: number, status: string, total: string): string => `n. ${n} · ${status} · ${total}`,
    openCarts: 'Carrelli aperti',
    cartLine: (items: number, total: string): string => `${items} ${items === 1 ? 'articolo' : 'articoli'} · ${total}`,
    thisConversation: 'questa conversazione',
    otherConversations: 'Altre conversazioni',
    noOther: 'Nessuna.',
    open: (channel: string, status: string): string => `${channel} · ${status}`,
    credit: 'Credito in negozio',
    noCredit: 'Nessuno.',
    giveCredit: 'Dai credito in negozio…',
    amount: 'Importo',
    currency: 'Valuta',
    reason: 'Motivo',
    review: 'Controlla',
    cancel: 'Annulla',
    confirm: 'Conferma il credito',
    confirmText: (amount: string): string => `Dare ${amount} di credito in negozio? Il cliente può usarlo al pagamento.`,
    given: (amount: string): string => `${amount} di credito in negozio assegnati.`,
    badAmount: "Inserisci un importo maggiore di zero, come 5 o 4,99, e una valuta di tre lettere.",
    reasonRequired: 'Indica il motivo (resta nel registro).',
    failed: 'Errore:',
    loadFailed: 'Impossibile caricare il cliente.',
    optHeading: 'Promemoria e aggiornamenti ordine',
    optIn: 'Li riceve.',
    optedOut: (by: string, word: string | null): string => `Ha rinunciato ${by}${word ? ` (“${word}”)` : ''}.`,
    optBy: { customer: 'di sua iniziativa', agent: 'tramite un operatore', api: 'tramite l’API' } as Record<string, string>,
    optOutButton: 'Disiscrivi',
    optInButton: 'Riattiva',
    optChanged: (out: boolean): string => (out ? 'Disiscritto: niente più promemoria né aggiornamenti.' : 'Riattivato.'),
    none: '—',
  },
  de: {
    heading: 'Kunde',
    newCustomer: 'Neuer Kunde',
    returning: (n: number): string => `Stammkunde · ${n} ${n === 1 ? 'Bestellung' : 'Bestellungen'}`,
    lifetime: 'Gesamtumsatz',
    lastOrder: 'Letzte Bestellung',
    order: (n: number, status: string, total: string): string => `#${n} · ${status} · ${total}`,
    openCarts: 'Offene Warenkörbe',
    cartLine: (items: number, total: string): string => `${items} ${items === 1 ? 'Artikel' : 'Artikel'} · ${total}`,
    thisConversation: 'diese Unterhaltung',
    otherConversations: 'Andere Unterhaltungen',
    noOther: 'Keine.',
    open: (channel: string, status: string): string => `${channel} · ${status}`,
    credit: 'Guthaben',
    noCredit: 'Keins.',
    giveCredit: 'Guthaben geben…',
    amount: 'Betrag',
    currency: 'Währung',
    reason: 'Grund',
    review: 'Prüfen',
    cancel: 'Abbrechen',
    confirm: 'Guthaben bestätigen',
    confirmText: (amount: string): string => `${amount} Guthaben geben? Der Kunde kann es beim Bezahlen einlösen.`,
    given: (amount: string): string => `${amount} Guthaben gegeben.`,
    badAmount: 'Gib einen Betrag über null ein, etwa 5 oder 4,99, und eine dreistellige Währung.',
    reasonRequired: 'Nenne den Grund (das Protokoll behält ihn).',
    failed: 'Fehler:',
    loadFailed: 'Der Kunde konnte nicht geladen werden.',
    optHeading: 'Erinnerungen und Bestellupdates',
    optIn: 'Erhält sie.',
    optedOut: (by: string, word: string | null): string => `Abgemeldet ${by}${word ? ` („${word}“)` : ''}.`,
    optBy: { customer: 'vom Kunden', agent: 'von Mitarbeitenden', api: 'über die API' } as Record<string, string>,
    optOutButton: 'Abmelden',
    optInButton: 'Wieder anmelden',
    optChanged: (out: boolean): string => (out ? 'Abgemeldet: keine Erinnerungen oder Bestellupdates mehr.' : 'Wieder angemeldet.'),
    none: '—',
  },
  nl: {
    heading: 'Klant',
    newCustomer: 'Nieuwe klant',
    returning: (n: number): string => `Terugkerende klant · ${n} ${n === 1 ? 'bestelling' : 'bestellingen'}`,
    lifetime: 'Totale waarde',
    lastOrder: 'Laatste bestelling',
    order: (n: number, status: string, total: string): string => `#${n} · ${status} · ${total}`,
    openCarts: 'Open winkelwagens',
    cartLine: (items: number, total: string): string => `${items} ${items === 1 ? 'artikel' : 'artikelen'} · ${total}`,
    thisConversation: 'dit gesprek',
    otherConversations: 'Andere gesprekken',
    noOther: 'Geen.',
    open: (channel: string, status: string): string => `${channel} · ${status}`,
    credit: 'Tegoed',
    noCredit: 'Geen.',
    giveCredit: 'Tegoed geven…',
    amount: 'Bedrag',
    currency: 'Valuta',
    reason: 'Reden',
    review: 'Controleren',
    cancel: 'Annuleren',
    confirm: 'Tegoed bevestigen',
    confirmText: (amount: string): string => `${amount} tegoed geven? De klant kan het bij het betalen gebruiken.`,
    given: (amount: string): string => `${amount} tegoed gegeven.`,
    badAmount: 'Vul een bedrag in boven nul, zoals 5 of 4,99, en een valuta van drie letters.',
    reasonRequired: 'Geef een reden (het logboek bewaart die).',
    failed: 'Fout:',
    loadFailed: 'De klant kon niet geladen worden.',
    optHeading: 'Herinneringen en bestelupdates',
    optIn: 'Ontvangt ze.',
    optedOut: (by: string, word: string | null): string => `Afgemeld ${by}${word ? ` („${word}”)` : ''}.`,
    optBy: { customer: 'door de klant', agent: 'door een medewerker', api: 'via de API' } as Record<string, string>,
    optOutButton: 'Afmelden',
    optInButton: 'Weer aanmelden',
    optChanged: (out: boolean): string => (out ? 'Afgemeld: geen herinneringen of bestelupdates meer.' : 'Weer aangemeld.'),
    none: '—',
  },
} satisfies Record<Lang, unknown>;

const t = textByLang[lang];

export interface CustomerPanel {
  element: HTMLElement;
  contactId: string;
  refresh: () => void;
}

/**
 * The customer panel of the contact of conversation `conversationId`. `openConversation` selects
 * another conversation; `isAdmin` shows the store credit form (the server checks it too).
 */
export function customerPanel(
  api: ConsoleApi,
  contactId: string,
  conversationId: string,
  isAdmin: boolean,
  openConversation: (id: string) => void,
): CustomerPanel {
  const body = el('div', { className: 'customer-body', 'aria-live': 'polite' });
  const { element: status, say } = statusLine('customer-status');
  const creditList = el('ul', { className: 'customer-credit' });

  // ---- opted out of proactive messages (cart reminders, order updates): any agent may change it
  const optState = el('p', { className: 'customer-optout', id: 'optout-state' });
  const optButton = el('button', { type: 'button', className: 'btn btn-secondary btn-small', id: 'optout-toggle', hidden: true });
  let optedOut: boolean | null = null;
  const renderOpt = (o: OptOut): void => {
    optedOut = o.opted_out;
    optState.dataset.optedOut = String(o.opted_out);
    optState.textContent = o.opted_out ? t.optedOut(t.optBy[o.source ?? ''] ?? '', o.keyword) : t.optIn;
    optButton.textContent = o.opted_out ? t.optInButton : t.optOutButton;
    optButton.setAttribute('aria-pressed', String(o.opted_out));
    optButton.hidden = false;
  };
  optButton.addEventListener('click', () => {
    if (optedOut === null) return;
    const want = !optedOut;
    optButton.disabled = true;
    api
      .setOptOut(contactId, want)
      .then((o) => {
        renderOpt(o);
        say(t.optChanged(o.opted_out));
      })
      .catch((e: unknown) => say(`${t.failed} ${why(e)}`, true))
      .finally(() => (optButton.disabled = false));
  });

  // ---- store credit (admins)
  const open = el('button', { type: 'button', className: 'btn btn-secondary btn-small', id: 'credit-open' }, t.giveCredit);
  const amount = el('input', { id: 'credit-amount', inputmode: 'decimal', autocomplete: 'off' });
  const currency = el('input', { id: 'credit-currency', maxlength: 3, autocomplete: 'off', value: 'EUR' });
  const reason = el('input', { id: 'credit-reason', maxlength: 500, autocomplete: 'off' });
  const review = el('button', { type: 'submit', className: 'btn btn-primary btn-small' }, t.review);
  const cancel = el('button', { type: 'button', className: 'btn btn-quiet btn-small' }, t.cancel);
  const form = el(
    'form',
    { className: 'refund-form credit-form', hidden: true, novalidate: true },
    el('label', { for: 'credit-amount' }, t.amount),
    amount,
    el('label', { for: 'credit-currency' }, t.currency),
    currency,
    el('label', { for: 'credit-reason' }, t.reason),
    reason,
    el('div', { className: 'refund-actions' }, review, cancel),
  );
  const { box: confirmBox, text: confirmText, confirm, back } = confirmStep('credit-confirm', t);
  let pending: { amount: number; currency: string; reason: string; key: string } | null = null;
  const close = (): void => {
    form.hidden = true;
    confirmBox.hidden = true;
    open.hidden = false;
    pending = null;
  };
  open.addEventListener('click', () => {
    amount.value = '';
    reason.value = '';
    say('');
    open.hidden = true;
    form.hidden = false;
    amount.focus();
  });
  cancel.addEventListener('click', close);
  back.addEventListener('click', () => {
    confirmBox.hidden = true;
    form.hidden = false;
    pending = null;
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const cur = currency.value.trim().toUpperCase();
    const minor = /^[A-Z]{3}$/.test(cur) ? parseMinor(amount.value, cur) : null;
    if (minor === null || minor <= 0) {
      say(t.badAmount, true);
      amount.focus();
      return;
    }
    if (!reason.value.trim()) {
      say(t.reasonRequired, true);
      reason.focus();
      return;
    }
    say('');
    pending = { amount: minor, currency: cur, reason: reason.value.trim(), key: newKey() };
    confirmText.textContent = t.confirmText(formatMoney(minor, cur));
    form.hidden = true;
    confirmBox.hidden = false;
    confirm.focus();
  });
  confirm.addEventListener('click', () => {
    if (!pending) return;
    const req = pending;
    confirm.disabled = back.disabled = true;
    api
      .grantCredit(contactId, req.amount, req.currency, req.reason, req.key)
      .then(() => {
        say(t.given(formatMoney(req.amount, req.currency)));
        close();
        load();
      })
      .catch((e: unknown) => say(`${t.failed} ${why(e)}`, true))
      .finally(() => (confirm.disabled = back.disabled = false));
  });

  const section = (title: string, ...content: (HTMLElement | string)[]): HTMLElement =>
    el('section', { className: 'customer-section' }, el('h4', {}, title), ...content);

  const render = (p: CustomerProfile): void => {
    clear(body);
    const contact = p.contact;
    body.append(
      el('p', { className: 'customer-name' }, contact.name || t.none),
      contact.email ? el('p', { className: 'customer-contact' }, contact.email) : '',
      contact.phone ? el('p', { className: 'customer-contact' }, contact.phone) : '',
      el(
        'p',
        {},
        el(
          'span',
          { className: `chip chip-customer chip-${p.customer}`, 'data-customer': p.customer },
          p.customer === 'returning' ? t.returning(p.order_count) : t.newCustomer,
        ),
      ),
    );
    const ltv = Object.entries(p.lifetime_value ?? {}).filter(([, v]) => v !== 0);
    body.append(section(t.lifetime, el('p', { className: 'customer-ltv' }, ltv.length ? ltv.map(([c, v]) => formatMoney(v, c)).join(' · ') : t.none)));
    const lo = p.last_order;
    body.append(
      section(
        t.lastOrder,
        lo
          ? el(
              'p',
              { className: 'customer-last-order' },
              t.order(lo.number, lo.status, formatMoney(lo.total, lo.currency)),
              ' ',
              el('time', { datetime: lo.created_at, title: fullTime(lo.created_at) }, shortTime(lo.created_at)),
            )
          : el('p', {}, t.none),
      ),
    );
    const carts = el('ul', { className: 'customer-carts' });
    for (const c of p.open_carts ?? [])
      carts.append(
        el(
          'li',
          { 'data-cart-id': c.id },
          t.cartLine(c.items, c.total !== null ? formatMoney(c.total, c.currency) : t.none),
          c.conversation_id === conversationId ? el('span', { className: 'hint' }, ` (${t.thisConversation})`) : null,
        ),
      );
    body.append(section(t.openCarts, carts.childElementCount ? carts : el('p', {}, t.none)));
    const others = el('ul', { className: 'customer-conversations' });
    for (const c of (p.conversations ?? []).filter((x) => x.id !== conversationId)) {
      const b = el('button', { type: 'button', className: 'btn btn-quiet btn-small', 'data-conversation-link': c.id }, t.open(c.channel_type, c.status));
      b.addEventListener('click', () => openConversation(c.id));
      others.append(el('li', {}, b, c.last_message_text ? el('span', { className: 'customer-snippet' }, ` ${c.last_message_text}`) : null));
    }
    body.append(section(t.otherConversations, others.childElementCount ? others : el('p', {}, t.noOther)));
  };

  const renderCredit = (balances: { currency: string; balance: number }[]): void => {
    clear(creditList);
    for (const b of balances.filter((x) => x.balance !== 0))
      creditList.append(el('li', { 'data-currency': b.currency }, formatMoney(b.balance, b.currency)));
    if (!creditList.childElementCount) creditList.append(el('li', {}, t.noCredit));
  };

  let generation = 0;
  const load = (): void => {
    const gen = ++generation;
    api
      .customerProfile(contactId)
      .then((p) => {
        if (gen === generation) render(p);
      })
      .catch((e: unknown) => {
        if (gen === generation) say(`${t.loadFailed} ${why(e)}`, true);
      });
    api
      .creditBalances(contactId)
      .then((b) => {
        if (gen === generation) renderCredit(b);
      })
      .catch(() => undefined);
    api
      .optOut(contactId)
      .then((o) => {
        if (gen === generation) renderOpt(o);
      })
      .catch(() => undefined);
  };

  const element = el(
    'section',
    { className: 'customer-panel', id: 'customer-panel', 'aria-labelledby': 'customer-heading', 'data-contact-id': contactId },
    el('h3', { id: 'customer-heading', className: 'sell-heading' }, t.heading),
    body,
    section(t.optHeading, optState, optButton),
    section(t.credit, creditList, isAdmin ? open : '', isAdmin ? form : '', isAdmin ? confirmBox : ''),
    status,
  );
  load();
  return { element, contactId, refresh: load };
}
