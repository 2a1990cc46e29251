// Refunds from the conversation: under a payment card the console shows what the payment is now
// (paid, partly refunded, refunded), its refunds with their state, and for a payment that can
// still give money back a "Refund…" button: amount (at most what is refundable) and a reason, then
// an explicit confirmation before anything is sent. A refund above the shop's approval threshold
// waits for an admin other than the requester (approve / reject buttons; the server enforces the
// four-eyes rule and says why when it refuses). Everything goes in as text.

import { clear, el } from '../shared/dom';
import { lang, type Lang } from '../shared/strings';
import type { ConsoleApi, Payment, Refund } from './api';
import { currencyDigits, formatMoney } from './render';
import { apiErrorText as why, reviewedForm, statusLine } from './admin-kit';

const textByLang = {
  en: {
    status: {
      created: 'Not paid yet',
      sent: 'Not paid yet',
      opened: 'Checkout opened',
      processing: 'Payment processing',
      paid: 'Paid',
      failed: 'Payment failed',
      expired: 'Link expired',
      cancelled: 'Link cancelled',
      partially_refunded: 'Partly refunded',
      refunded: 'Refunded',
    } as Record<string, string>,
    refundedOf: (refunded: string, captured: string): string => `${refunded} of ${captured} refunded`,
    refundState: {
      pending_approval: 'waiting for an admin to approve',
      processing: 'processing',
      succeeded: 'refunded',
      failed: 'failed',
      rejected: 'rejected',
    } as Record<string, string>,
    refundLine: (amount: string, state: string, reason: string): string => `Refund ${amount}: ${state} (${reason})`,
    refund: 'Refund…',
    amountLabel: 'Refund amount',
    amountHint: (max: string): string => `At most ${max}.`,
    reasonLabel: 'Reason',
    review: 'Review refund',
    cancel: 'Cancel',
    confirm: 'Confirm refund',
    confirmText: (amount: string): string => `Give ${amount} back to the customer? This cannot be undone.`,
    badAmount: (max: string): string => `Enter an amount above zero and at most ${max}.`,
    reasonRequired: 'Say why (the customer does not see it; the audit log does).',
    requested: (amount: string): string => `Refund of ${amount} requested.`,
    needsApproval: (amount: string): string => `Refund of ${amount} waits for an admin's approval.`,
    approve: 'Approve',
    reject: 'Reject',
    failed: 'Failed:',
    loadFailed: 'Could not load the payment.',
  },
  it: {
    status: {
      created: 'Non ancora pagato',
      sent: 'Non ancora pagato',
      opened: 'Checkout aperto',
      processing: 'Pagamento in corso',
      paid: 'Pagato',
      failed: 'Pagamento non riuscito',
      expired: 'Link scaduto',
      cancelled: 'Link annullato',
      partially_refunded: 'Rimborsato in parte',
      refunded: 'Rimborsato',
    } as Record<string, string>,
    refundedOf: (refunded: string, captured: string): string => `${refunded} di ${captured} rimborsati`,
    refundState: {
      pending_approval: 'in attesa di approvazione di un amministratore',
      processing: 'in corso',
      succeeded: 'rimborsato',
      failed: 'non riuscito',
      rejected: 'rifiutato',
    } as Record<string, string>,
    refundLine: (amount: string, state: string, reason: string): string => `Rimborso ${amount}: ${state} (${reason})`,
    refund: 'Rimborsa…',
    amountLabel: 'Importo del rimborso',
    amountHint: (max: string): string => `Al massimo ${max}.`,
    reasonLabel: 'Motivo',
    review: 'Controlla il rimborso',
    cancel: 'Annulla',
    confirm: 'Conferma il rimborso',
    confirmText: (amount: string): string => `Restituire ${amount} al cliente? Non si può annullare.`,
    badAmount: (max: string): string => `Inserisci un importo maggiore di zero e al massimo ${max}.`,
    reasonRequired: 'Indica il motivo (il cliente non lo vede; il registro sì).',
    requested: (amount: string): string => `Rimborso di ${amount} richiesto.`,
    needsApproval: (amount: string): string => `Il rimborso di ${amount} attende l'approvazione di un amministratore.`,
    approve: 'Approva',
    reject: 'Rifiuta',
    failed: 'Errore:',
    loadFailed: 'Impossibile caricare il pagamento.',
  },
  de: {
    status: {
      created: 'Noch nicht bezahlt',
      sent: 'Noch nicht bezahlt',
      opened: 'Checkout geöffnet',
      processing: 'Zahlung läuft',
      paid: 'Bezahlt',
      failed: 'Zahlung fehlgeschlagen',
      expired: 'Link abgelaufen',
      cancelled: 'Link storniert',
      partially_refunded: 'Teilweise erstattet',
      refunded: 'Erstattet',
    } as Record<string, string>,
    refundedOf: (refunded: string, captured: string): string => `${refunded} von ${captured} erstattet`,
    refundState: {
      pending_approval: 'wartet auf die Freigabe eines Admins',
      processing: 'in Bearbeitung',
      succeeded: 'erstattet',
      failed: 'fehlgeschlagen',
      rejected: 'abgelehnt',
    } as Record<string, string>,
    refundLine: (amount: string, state: string, reason: string): string => `Erstattung ${amount}: ${state} (${reason})`,
    refund: 'Erstatten…',
    amountLabel: 'Erstattungsbetrag',
    amountHint: (max: string): string => `Höchstens ${max}.`,
    reasonLabel: 'Grund',
    review: 'Erstattung prüfen',
    cancel: 'Abbrechen',
    confirm: 'Erstattung bestätigen',
    confirmText: (amount: string): string => `${amount} an den Kunden zurückgeben? Das lässt sich nicht rückgängig machen.`,
    badAmount: (max: string): string => `Gib einen Betrag über null und höchstens ${max} ein.`,
    reasonRequired: 'Nenne den Grund (der Kunde sieht ihn nicht, das Protokoll schon).',
    requested: (amount: string): string => `Erstattung von ${amount} beantragt.`,
    needsApproval: (amount: string): string => `Die Erstattung von ${amount} wartet auf die Freigabe eines Admins.`,
    approve: 'Freigeben',
    reject: 'Ablehnen',
    failed: 'Fehler:',
    loadFailed: 'Die Zahlung konnte nicht geladen werden.',
  },
  nl: {
    status: {
      created: 'Nog niet betaald',
      sent: 'Nog niet betaald',
      opened: 'Betaalpagina geopend',
      processing: 'Betaling bezig',
      paid: 'Betaald',
      failed: 'Betaling mislukt',
      expired: 'Link verlopen',
      cancelled: 'Link geannuleerd',
      partially_refunded: 'Deels terugbetaald',
      refunded: 'Terugbetaald',
    } as Record<string, string>,
    refundedOf: (refunded: string, captured: string): string => `${refunded} van ${captured} terugbetaald`,
    refundState: {
      pending_approval: 'wacht op goedkeuring van een beheerder',
      processing: 'bezig',
      succeeded: 'terugbetaald',
      failed: 'mislukt',
      rejected: 'afgewezen',
    } as Record<string, string>,
    refundLine: (amount: string, state: string, reason: string): string => `Terugbetaling ${amount}: ${state} (${reason})`,
    refund: 'Terugbetalen…',
    amountLabel: 'Bedrag terugbetalen',
    amountHint: (max: string): string => `Hoogstens ${max}.`,
    reasonLabel: 'Reden',
    review: 'Terugbetaling controleren',
    cancel: 'Annuleren',
    confirm: 'Terugbetaling bevestigen',
    confirmText: (amount: string): string => `${amount} aan de klant terugbetalen? Dit kan niet ongedaan worden.`,
    badAmount: (max: string): string => `Vul een bedrag in boven nul en hoogstens ${max}.`,
    reasonRequired: 'Geef een reden (de klant ziet die niet, het logboek wel).',
    requested: (amount: string): string => `Terugbetaling van ${amount} aangevraagd.`,
    needsApproval: (amount: string): string => `Terugbetaling van ${amount} wacht op goedkeuring van een beheerder.`,
    approve: 'Goedkeuren',
    reject: 'Afwijzen',
    failed: 'Fout:',
    loadFailed: 'De betaling kon niet geladen worden.',
  },
} satisfies Record<Lang, unknown>;

const t = textByLang[lang];

/**
 * "20", "20.5", "20,50" -> minor units for the currency (2000, 2050), or null. Digits only, never
 * through a float: the fraction may not have more digits than the currency has.
 */
export function parseMinor(text: string, currency: string): number | null {
  const digits = currencyDigits(currency);
  const m = /^\s*(\d{1,12})(?:[.,](\d*))?\s*$/.exec(text);
  if (!m) return null;
  const frac = m[2] ?? '';
  if (frac.length > digits) return null;
  const value = Number(m[1] + frac.padEnd(digits, '0'));
  return Number.isSafeInteger(value) ? value : null;
}

/** The amount as it is typed back into the field: "216.00" (no currency sign, dot decimal). */
export function plainAmount(minor: number, currency: string): string {
  const digits = currencyDigits(currency);
  const s = String(minor).padStart(digits + 1, '0');
  return digits ? `${s.slice(0, s.length - digits)}.${s.slice(s.length - digits)}` : s;
}

export interface RefundPanel {
  element: HTMLElement;
  /** Fetches the payment again (after a payment or refund event about it). */
  refresh: () => void;
}

/** The refund panel of one payment (the console keeps one per payment and moves it between renders). */
export function refundPanel(api: ConsoleApi, paymentId: string): RefundPanel {
  const summary = el('p', { className: 'refund-summary' });
  const list = el('ul', { className: 'refund-list' });
  const { element: status, say } = statusLine('refund-status');
  const open = el('button', { type: 'button', className: 'btn btn-secondary btn-small refund-open', hidden: true }, t.refund);
  const amountId = `refund-amount-${paymentId}`;
  const reasonId = `refund-reason-${paymentId}`;
  const amount = el('input', { id: amountId, className: 'refund-amount', inputmode: 'decimal', autocomplete: 'off', required: true });
  const hint = el('span', { className: 'refund-hint' });
  const reason = el('input', { id: reasonId, className: 'refund-reason', maxlength: 500, autocomplete: 'off', required: true });
  let payment: Payment | null = null;
  let generation = 0;
  /** The refund this panel just requested: its "requested" line goes once the refund is settled. */
  let requestedId: string | null = null;

  const money = (minor: number): string => (payment ? formatMoney(minor, payment.currency) : String(minor));
  const canRefund = (): boolean => !!payment && (payment.status === 'paid' || payment.status === 'partially_refunded') && payment.refundable > 0;

  const { form, confirmBox, close: closeForms, isOpen } = reviewedForm<{ amount: number; reason: string }>({
    open,
    className: 'refund-form',
    confirmClass: 'refund-confirm-step',
    fields: [el('label', { for: amountId }, t.amountLabel), amount, hint, el('label', { for: reasonId }, t.reasonLabel), reason],
    labels: t,
    say: (text, bad) => say(text, bad),
    canOpen: canRefund,
    onOpen: () => {
      const p = payment as Payment;
      amount.value = plainAmount(p.refundable, p.currency);
      hint.textContent = ` ${t.amountHint(money(p.refundable))}`;
      reason.value = '';
      queueMicrotask(() => amount.select());
      return amount;
    },
    review: () => {
      const p = payment as Payment;
      const minor = parseMinor(amount.value, p.currency);
      if (minor === null || minor <= 0 || minor > p.refundable) return { error: t.badAmount(money(p.refundable)), focus: amount };
      if (!reason.value.trim()) return { error: t.reasonRequired, focus: reason };
      return { request: { amount: minor, reason: reason.value.trim() }, question: t.confirmText(money(minor)) };
    },
    send: async (req, key) => {
      const r = await api.requestRefund(paymentId, req.amount, req.reason, key);
      requestedId = r.id;
      say(r.status === 'pending_approval' ? t.needsApproval(money(r.amount)) : t.requested(money(r.amount)));
      queueMicrotask(() => void load());
    },
  });
  const element = el('div', { className: 'refund-panel', 'data-payment-id': paymentId }, summary, list, open, form, confirmBox, status);

  const render = (): void => {
    if (!payment) return;
    const p = payment;
    clear(summary);
    summary.append(el('span', { className: `payment-state payment-${p.status}` }, t.status[p.status] ?? p.status));
    if (p.refunded > 0) summary.append(' · ', el('span', { className: 'refunded-of' }, t.refundedOf(money(p.refunded), money(p.captured))));
    clear(list);
    for (const r of p.refunds ?? []) list.append(refundRow(r));
    list.hidden = list.childElementCount === 0;
    const mine = requestedId ? (p.refunds ?? []).find((r) => r.id === requestedId) : undefined;
    if (mine && mine.status !== 'processing' && mine.status !== 'pending_approval') {
      requestedId = null;
      say('');
    }
    if (!isOpen()) open.hidden = !canRefund();
    if (!canRefund()) closeForms();
  };

  const refundRow = (r: Refund): HTMLLIElement => {
    const state = t.refundState[r.status] ?? r.status;
    const row = el(
      'li',
      { className: `refund refund-${r.status}`, 'data-refund-id': r.id },
      el('span', {}, t.refundLine(money(r.amount), state, r.reason)),
      r.error ? el('span', { className: 'refund-error' }, ` ${r.error}`) : null,
    );
    if (r.status === 'pending_approval') {
      const approve = el('button', { type: 'button', className: 'btn btn-secondary btn-small refund-approve' }, t.approve);
      const reject = el('button', { type: 'button', className: 'btn btn-quiet btn-small refund-reject' }, t.reject);
      const act = (b: HTMLButtonElement, call: () => Promise<Refund>): void => {
        b.addEventListener('click', () => {
          approve.disabled = reject.disabled = true;
          call()
            .then(() => load())
            .catch((e: unknown) => {
              say(`${t.failed} ${why(e)}`, true);
              approve.disabled = reject.disabled = false;
            });
        });
      };
      act(approve, () => api.approveRefund(r.id));
      act(reject, () => api.rejectRefund(r.id));
      row.append(' ', approve, ' ', reject);
    }
    return row;
  };

  const load = async (): Promise<void> => {
    const gen = ++generation;
    try {
      const p = await api.getPayment(paymentId);
      if (gen !== generation) return;
      payment = p;
      render();
    } catch (e) {
      if (gen === generation && !payment) say(`${t.loadFailed} ${why(e)}`, true);
    }
  };

  void load();
  return { element, refresh: () => void load() };
}
