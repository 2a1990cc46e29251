// The customer beside the conversation (GET /api/v1/contacts/{id}/profile): new or returning,
// lifetime value per currency, the last order, open carts (this conversation's marked), the
// customer's other conversations on every channel (one click opens them), products other customers
// bought together with theirs (one click sends the card), the shop's reward rules (a qualifying
// customer gets a personal single-use code, which the agent can put into the reply), and store
// credit: the balance, and for admins "Give store credit…" with a reason and an explicit confirmation.
// Everything is text.

import { clear, el } from '../shared/dom';
import { lang, type Lang } from '../shared/strings';
import { fullTime, shortTime } from '../shared/time';
import { newKey, type ConsoleApi, type CustomerProfile, type OptOut } from './api';
import { apiErrorText as why, reviewedForm, statusLine } from './admin-kit';
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
    payoutAmount: 'How much to pay out',
    payoutCurrency: 'Payout currency',
    payoutReason: 'Reason for the payout',
    payOut: 'Pay out credit…',
    payoutConfirm: 'Confirm payout',
    payoutText: (amount: string): string => `Pay ${amount} of store credit out to the customer through the payment provider?`,
    payoutBad: (max: string): string => `Enter an amount above zero and at most the credit (${max}).`,
    payoutNoCredit: 'The customer has no store credit in that currency.',
    payoutRequested: (amount: string): string => `Payout of ${amount} requested.`,
    payoutWaits: (amount: string): string => `Payout of ${amount} waits for an admin’s approval.`,
    merge: 'Merge with another contact…',
    mergeLabel: 'The same customer as',
    mergePick: 'Choose the contact to merge into this one.',
    mergeNone: 'No other contacts in the inbox.',
    mergeConfirm: 'Merge contacts',
    mergeText: (other: string): string => `Merge ${other} into this customer? Conversations, orders, carts and store credit move here. This cannot be undone.`,
    merged: (n: number): string => `Merged: ${n} ${n === 1 ? 'conversation' : 'conversations'} moved here.`,
    mergeReview: 'Review merge',
    suggested: 'Bought together',
    suggestedLine: (title: string, n: number): string => `${title} · with theirs in ${n} ${n === 1 ? 'order' : 'orders'}`,
    sendCard: 'Send card',
    cardSent: (title: string): string => `Card for ${title} sent.`,
    noSuggestions: 'No suggestions yet.',
    rewards: 'Rewards',
    noRewards: 'The shop has no reward rules.',
    rewardLine: (name: string, min: number): string => `${name} · from ${min} ${min === 1 ? 'order' : 'orders'}`,
    qualifies: 'qualifies',
    notYet: (have: number, min: number): string => `not yet (${have} of ${min})`,
    giveCode: 'Give code',
    codeGiven: (code: string): string => `Code ${code} created for this customer (single use).`,
    codeValid: (code: string, until: string | null): string => (until ? `${code} · valid until ${until}` : code),
    putInReply: 'Put in reply',
    rewardReply: (code: string, until: string | null): string => `Here is your personal code: ${code}${until ? ` (valid until ${until})` : ''}.`,
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
    payoutAmount: 'Importo da versare',
    payoutCurrency: 'Valuta del versamento',
    payoutReason: 'Motivo del versamento',
    payOut: 'Rimborsa il credito…',
    payoutConfirm: 'Conferma il pagamento',
    payoutText: (amount: string): string => `Versare al cliente ${amount} di credito in negozio tramite il fornitore di pagamento?`,
    payoutBad: (max: string): string => `Inserisci un importo maggiore di zero e al massimo pari al credito (${max}).`,
    payoutNoCredit: 'Il cliente non ha credito in questa valuta.',
    payoutRequested: (amount: string): string => `Pagamento di ${amount} richiesto.`,
    payoutWaits: (amount: string): string => `Il pagamento di ${amount} attende l’approvazione di un amministratore.`,
    merge: 'Unisci a un altro contatto…',
    mergeLabel: 'Lo stesso cliente di',
    mergePick: 'Scegli il contatto da unire a questo.',
    mergeNone: 'Nessun altro contatto nella casella.',
    mergeConfirm: 'Unisci i contatti',
    mergeText: (other: string): string => `Unire ${other} a questo cliente? Conversazioni, ordini, carrelli e credito passano qui. Non si può annullare.`,
    merged: (n: number): string => `Uniti: ${n} ${n === 1 ? 'conversazione spostata' : 'conversazioni spostate'} qui.`,
    mergeReview: 'Controlla l’unione',
    suggested: 'Comprati insieme',
    suggestedLine: (title: string, n: number): string => `${title} · con i suoi in ${n} ${n === 1 ? 'ordine' : 'ordini'}`,
    sendCard: 'Invia scheda',
    cardSent: (title: string): string => `Scheda di ${title} inviata.`,
    noSuggestions: 'Ancora nessun suggerimento.',
    rewards: 'Premi',
    noRewards: 'Il negozio non ha regole premio.',
    rewardLine: (name: string, min: number): string => `${name} · da ${min} ${min === 1 ? 'ordine' : 'ordini'}`,
    qualifies: 'ne ha diritto',
    notYet: (have: number, min: number): string => `non ancora (${have} di ${min})`,
    giveCode: 'Crea codice',
    codeGiven: (code: string): string => `Codice ${code} creato per questo cliente (monouso).`,
    codeValid: (code: string, until: string | null): string => (until ? `${code} · valido fino al ${until}` : code),
    putInReply: 'Metti nella risposta',
    rewardReply: (code: string, until: string | null): string => `Ecco il tuo codice personale: ${code}${until ? ` (valido fino al ${until})` : ''}.`,
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
    payoutAmount: 'Auszuzahlender Betrag',
    payoutCurrency: 'Währung der Auszahlung',
    payoutReason: 'Grund der Auszahlung',
    payOut: 'Guthaben auszahlen…',
    payoutConfirm: 'Auszahlung bestätigen',
    payoutText: (amount: string): string => `${amount} Guthaben über den Zahlungsanbieter an den Kunden auszahlen?`,
    payoutBad: (max: string): string => `Gib einen Betrag über null und höchstens das Guthaben (${max}) ein.`,
    payoutNoCredit: 'Der Kunde hat in dieser Währung kein Guthaben.',
    payoutRequested: (amount: string): string => `Auszahlung von ${amount} angefordert.`,
    payoutWaits: (amount: string): string => `Die Auszahlung von ${amount} wartet auf die Freigabe durch einen Admin.`,
    merge: 'Mit anderem Kontakt zusammenführen…',
    mergeLabel: 'Derselbe Kunde wie',
    mergePick: 'Wähle den Kontakt, der hier zusammengeführt wird.',
    mergeNone: 'Keine anderen Kontakte im Posteingang.',
    mergeConfirm: 'Kontakte zusammenführen',
    mergeText: (other: string): string => `${other} mit diesem Kunden zusammenführen? Unterhaltungen, Bestellungen, Warenkörbe und Guthaben wandern hierher. Das lässt sich nicht rückgängig machen.`,
    merged: (n: number): string => `Zusammengeführt: ${n} ${n === 1 ? 'Unterhaltung' : 'Unterhaltungen'} hierher verschoben.`,
    mergeReview: 'Zusammenführung prüfen',
    suggested: 'Zusammen gekauft',
    suggestedLine: (title: string, n: number): string => `${title} · mit seinen in ${n} ${n === 1 ? 'Bestellung' : 'Bestellungen'}`,
    sendCard: 'Karte senden',
    cardSent: (title: string): string => `Karte für ${title} gesendet.`,
    noSuggestions: 'Noch keine Vorschläge.',
    rewards: 'Prämien',
    noRewards: 'Der Shop hat keine Prämienregeln.',
    rewardLine: (name: string, min: number): string => `${name} · ab ${min} ${min === 1 ? 'Bestellung' : 'Bestellungen'}`,
    qualifies: 'erfüllt',
    notYet: (have: number, min: number): string => `noch nicht (${have} von ${min})`,
    giveCode: 'Code erstellen',
    codeGiven: (code: string): string => `Code ${code} für diesen Kunden erstellt (einmalig).`,
    codeValid: (code: string, until: string | null): string => (until ? `${code} · gültig bis ${until}` : code),
    putInReply: 'In die Antwort',
    rewardReply: (code: string, until: string | null): string => `Hier ist dein persönlicher Code: ${code}${until ? ` (gültig bis ${until})` : ''}.`,
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
    payoutAmount: 'Uit te betalen bedrag',
    payoutCurrency: 'Valuta van de uitbetaling',
    payoutReason: 'Reden van de uitbetaling',
    payOut: 'Tegoed uitbetalen…',
    payoutConfirm: 'Uitbetaling bevestigen',
    payoutText: (amount: string): string => `${amount} tegoed via de betaalprovider aan de klant uitbetalen?`,
    payoutBad: (max: string): string => `Vul een bedrag in boven nul en hoogstens het tegoed (${max}).`,
    payoutNoCredit: 'De klant heeft geen tegoed in die valuta.',
    payoutRequested: (amount: string): string => `Uitbetaling van ${amount} aangevraagd.`,
    payoutWaits: (amount: string): string => `De uitbetaling van ${amount} wacht op goedkeuring van een beheerder.`,
    merge: 'Samenvoegen met een ander contact…',
    mergeLabel: 'Dezelfde klant als',
    mergePick: 'Kies het contact dat hierin wordt samengevoegd.',
    mergeNone: 'Geen andere contacten in de inbox.',
    mergeConfirm: 'Contacten samenvoegen',
    mergeText: (other: string): string => `${other} samenvoegen met deze klant? Gesprekken, bestellingen, winkelwagens en tegoed gaan hierheen. Dit kan niet ongedaan worden.`,
    merged: (n: number): string => `Samengevoegd: ${n} ${n === 1 ? 'gesprek' : 'gesprekken'} hierheen verplaatst.`,
    mergeReview: 'Samenvoegen controleren',
    suggested: 'Samen gekocht',
    suggestedLine: (title: string, n: number): string => `${title} · met de hunne in ${n} ${n === 1 ? 'bestelling' : 'bestellingen'}`,
    sendCard: 'Kaart sturen',
    cardSent: (title: string): string => `Kaart van ${title} verstuurd.`,
    noSuggestions: 'Nog geen suggesties.',
    rewards: 'Beloningen',
    noRewards: 'De winkel heeft geen beloningsregels.',
    rewardLine: (name: string, min: number): string => `${name} · vanaf ${min} ${min === 1 ? 'bestelling' : 'bestellingen'}`,
    qualifies: 'komt in aanmerking',
    notYet: (have: number, min: number): string => `nog niet (${have} van ${min})`,
    giveCode: 'Code maken',
    codeGiven: (code: string): string => `Code ${code} gemaakt voor deze klant (eenmalig).`,
    codeValid: (code: string, until: string | null): string => (until ? `${code} · geldig tot ${until}` : code),
    putInReply: 'In het antwoord',
    rewardReply: (code: string, until: string | null): string => `Hier is je persoonlijke code: ${code}${until ? ` (geldig tot ${until})` : ''}.`,
    none: '—',
  },
} satisfies Record<Lang, unknown>;

const t = textByLang[lang];

/** "30 Dec 2026" in the console's language. */
function dateOnly(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleDateString(lang, { day: 'numeric', month: 'short', year: 'numeric' });
}

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
  /** Other contacts the agent may merge into this one (from the inbox), with a label each. */
  mergeCandidates: () => Array<{ id: string; label: string }> = () => [],
  /** Puts text into the reply composer for the agent to edit and send (a reward code). */
  putInReply: (text: string) => void = () => undefined,
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
  let balances: { currency: string; balance: number }[] = [];
  const open = el('button', { type: 'button', className: 'btn btn-secondary btn-small', id: 'credit-open' }, t.giveCredit);
  const amount = el('input', { id: 'credit-amount', inputmode: 'decimal', autocomplete: 'off' });
  const currency = el('input', { id: 'credit-currency', maxlength: 3, autocomplete: 'off', value: 'EUR' });
  const reason = el('input', { id: 'credit-reason', maxlength: 500, autocomplete: 'off' });
  const creditForm = reviewedForm<{ amount: number; currency: string; reason: string }>({
    open,
    className: 'refund-form credit-form',
    confirmClass: 'credit-confirm',
    fields: [
      el('label', { for: 'credit-amount' }, t.amount),
      amount,
      el('label', { for: 'credit-currency' }, t.currency),
      currency,
      el('label', { for: 'credit-reason' }, t.reason),
      reason,
    ],
    labels: t,
    say,
    onOpen: () => {
      amount.value = '';
      reason.value = '';
      return amount;
    },
    review: () => {
      const cur = currency.value.trim().toUpperCase();
      const minor = /^[A-Z]{3}$/.test(cur) ? parseMinor(amount.value, cur) : null;
      if (minor === null || minor <= 0) return { error: t.badAmount, focus: amount };
      if (!reason.value.trim()) return { error: t.reasonRequired, focus: reason };
      return { request: { amount: minor, currency: cur, reason: reason.value.trim() }, question: t.confirmText(formatMoney(minor, cur)) };
    },
    send: async (req, key) => {
      await api.grantCredit(contactId, req.amount, req.currency, req.reason, key);
      say(t.given(formatMoney(req.amount, req.currency)));
      queueMicrotask(load);
    },
  });

  // ---- payout of store credit through the payment provider (above the shop's threshold an admin approves)
  const payoutOpen = el('button', { type: 'button', className: 'btn btn-secondary btn-small', id: 'payout-open', hidden: true }, t.payOut);
  const payoutAmount = el('input', { id: 'payout-amount', inputmode: 'decimal', autocomplete: 'off' });
  const payoutCurrency = el('select', { id: 'payout-currency' });
  const payoutReason = el('input', { id: 'payout-reason', maxlength: 500, autocomplete: 'off' });
  const hasCredit = (): boolean => balances.some((b) => b.balance > 0);
  const payoutForm = reviewedForm<{ amount: number; currency: string; reason: string }>({
    open: payoutOpen,
    className: 'refund-form payout-form',
    confirmClass: 'payout-confirm',
    fields: [
      el('label', { for: 'payout-amount' }, t.payoutAmount),
      payoutAmount,
      el('label', { for: 'payout-currency' }, t.payoutCurrency),
      payoutCurrency,
      el('label', { for: 'payout-reason' }, t.payoutReason),
      payoutReason,
    ],
    labels: { ...t, confirm: t.payoutConfirm },
    say,
    canOpen: hasCredit,
    onOpen: () => {
      clear(payoutCurrency);
      for (const b of balances.filter((x) => x.balance > 0)) payoutCurrency.append(el('option', { value: b.currency }, b.currency));
      payoutAmount.value = '';
      payoutReason.value = '';
      return payoutAmount;
    },
    review: () => {
      const cur = payoutCurrency.value;
      const max = balances.find((b) => b.currency === cur)?.balance ?? 0;
      if (max <= 0) return { error: t.payoutNoCredit, focus: payoutCurrency };
      const minor = parseMinor(payoutAmount.value, cur);
      if (minor === null || minor <= 0 || minor > max) return { error: t.payoutBad(formatMoney(max, cur)), focus: payoutAmount };
      if (!payoutReason.value.trim()) return { error: t.reasonRequired, focus: payoutReason };
      return { request: { amount: minor, currency: cur, reason: payoutReason.value.trim() }, question: t.payoutText(formatMoney(minor, cur)) };
    },
    send: async (req, key) => {
      const p = await api.requestPayout(contactId, req.amount, req.currency, req.reason, key);
      say(p.status === 'pending_approval' ? t.payoutWaits(formatMoney(p.amount, p.currency)) : t.payoutRequested(formatMoney(p.amount, p.currency)));
      queueMicrotask(load);
    },
  });

  // ---- merge another contact into this one (the same customer on another channel)
  const mergeOpen = el('button', { type: 'button', className: 'btn btn-quiet btn-small', id: 'merge-open' }, t.merge);
  const mergeFrom = el('select', { id: 'merge-from' });
  const mergeForm = reviewedForm<{ from: string; label: string }>({
    open: mergeOpen,
    className: 'refund-form merge-form',
    confirmClass: 'merge-confirm',
    fields: [el('label', { for: 'merge-from' }, t.mergeLabel), mergeFrom],
    labels: { ...t, review: t.mergeReview, confirm: t.mergeConfirm },
    say,
    onOpen: () => {
      clear(mergeFrom);
      const list = mergeCandidates().filter((c) => c.id !== contactId);
      mergeFrom.append(el('option', { value: '' }, list.length ? '—' : t.mergeNone));
      for (const c of list) mergeFrom.append(el('option', { value: c.id }, c.label));
      return mergeFrom;
    },
    review: () => {
      const from = mergeFrom.value;
      if (!from) return { error: t.mergePick, focus: mergeFrom };
      const label = mergeFrom.selectedOptions[0]?.textContent ?? from;
      return { request: { from, label }, question: t.mergeText(label) };
    },
    send: async (req, key) => {
      const r = await api.mergeContact(contactId, req.from, key);
      say(t.merged(r.conversations_moved));
      queueMicrotask(load);
    },
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

    // Products bought together with this customer's purchases by other customers: one click sends the card.
    const suggested = el('ul', { className: 'customer-suggestions' });
    for (const s of p.bought_together ?? []) {
      const b = el('button', { type: 'button', className: 'btn btn-secondary btn-small', 'data-send-sku': s.sku }, t.sendCard);
      b.addEventListener('click', () => {
        b.disabled = true;
        api
          .sendProduct(conversationId, s.sku)
          .then(() => say(t.cardSent(s.title)))
          .catch((e: unknown) => say(`${t.failed} ${why(e)}`, true))
          .finally(() => (b.disabled = false));
      });
      suggested.append(el('li', { 'data-product-id': s.product_id }, el('span', {}, t.suggestedLine(s.title, s.orders_together)), ' ', b));
    }
    body.append(section(t.suggested, suggested.childElementCount ? suggested : el('p', {}, t.noSuggestions)));

    // The shop's reward rules: whether this customer qualifies; a qualifying one gets a personal code.
    const rewards = el('ul', { className: 'customer-rewards' });
    for (const r of p.rewards ?? []) {
      const li = el(
        'li',
        { 'data-rule-id': r.rule_id, 'data-eligible': String(r.eligible) },
        el('span', {}, t.rewardLine(r.name || r.rule_id, r.min_orders)),
        ' · ',
        el('span', { className: r.eligible ? 'reward-yes' : 'reward-no' }, r.eligible ? t.qualifies : t.notYet(p.order_count, r.min_orders)),
      );
      if (r.eligible) {
        const give = el('button', { type: 'button', className: 'btn btn-secondary btn-small', 'data-give-reward': r.rule_id }, t.giveCode);
        give.addEventListener('click', () => {
          give.disabled = true;
          api
            .giveReward(contactId, r.rule_id, newKey())
            .then((d) => {
              const until = d.ends_at ? dateOnly(d.ends_at) : null;
              say(t.codeGiven(d.code));
              const put = el('button', { type: 'button', className: 'btn btn-quiet btn-small', 'data-put-code': d.code }, t.putInReply);
              put.addEventListener('click', () => putInReply(t.rewardReply(d.code, until)));
              li.querySelector('.reward-code')?.remove();
              li.append(el('p', { className: 'reward-code' }, el('code', {}, t.codeValid(d.code, until)), ' ', put));
              give.remove(); // one code per look at the panel: a second click would make a second code
              put.focus();
            })
            .catch((e: unknown) => say(`${t.failed} ${why(e)}`, true))
            .finally(() => (give.disabled = false));
        });
        li.append(' ', give);
      }
      rewards.append(li);
    }
    body.append(section(t.rewards, rewards.childElementCount ? rewards : el('p', {}, t.noRewards)));
  };

  const renderCredit = (list: { currency: string; balance: number }[]): void => {
    balances = list;
    if (!payoutForm.isOpen()) payoutOpen.hidden = !hasCredit();
    clear(creditList);
    for (const b of list.filter((x) => x.balance !== 0))
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
    section(
      t.credit,
      creditList,
      isAdmin ? open : '',
      isAdmin ? creditForm.form : '',
      isAdmin ? creditForm.confirmBox : '',
      payoutOpen,
      payoutForm.form,
      payoutForm.confirmBox,
    ),
    el('div', { className: 'customer-section customer-merge' }, mergeOpen, mergeForm.form, mergeForm.confirmBox),
    status,
  );
  load();
  return { element, contactId, refresh: load };
}
