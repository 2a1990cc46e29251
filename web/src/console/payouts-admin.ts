// Settings > Payouts (docs/payments.md#store-credit-and-payouts): every payout of store credit
// through the payment provider, newest first, filtered by state, with who asked and who approved.
// A payout above the shop's threshold waits for an admin other than the one who asked: Approve /
// Reject here (the server enforces the four-eyes rule and says why when it refuses). Payouts are
// requested from the customer panel beside a conversation.

import { clear, el } from '../shared/dom';
import { lang, type Lang } from '../shared/strings';
import { fullTime, shortTime } from '../shared/time';
import type { Agent } from '../shared/types';
import type { ConsoleApi, Payout } from './api';
import { formatMoney } from './render';
import { apiErrorText as why, dataTable, statusLine } from './admin-kit';

const textByLang = {
  en: {
    tab: 'Payouts',
    hint: 'Store credit paid out to customers through the payment provider. Ask for one from the customer panel beside a conversation.',
    filter: 'Show',
    all: 'All payouts',
    when: 'Asked',
    customer: 'Customer',
    amount: 'Amount',
    reason: 'Reason',
    state: 'State',
    by: 'Asked by / approved by',
    empty: 'No payouts.',
    states: { pending_approval: 'Waiting for approval', processing: 'Processing', succeeded: 'Paid out', failed: 'Failed', rejected: 'Rejected' } as Record<string, string>,
    approve: 'Approve',
    reject: 'Reject',
    approved: (a: string): string => `Payout of ${a} approved.`,
    rejected: (a: string): string => `Payout of ${a} rejected; the credit is back with the customer.`,
    api: 'API',
  },
  it: {
    tab: 'Versamenti',
    hint: 'Credito in negozio versato ai clienti tramite il fornitore di pagamento. Si richiede dal pannello cliente accanto a una conversazione.',
    filter: 'Mostra',
    all: 'Tutti i versamenti',
    when: 'Richiesto',
    customer: 'Cliente',
    amount: 'Importo',
    reason: 'Motivo',
    state: 'Stato',
    by: 'Richiesto da / approvato da',
    empty: 'Nessun versamento.',
    states: { pending_approval: 'In attesa di approvazione', processing: 'In corso', succeeded: 'Versato', failed: 'Non riuscito', rejected: 'Rifiutato' } as Record<string, string>,
    approve: 'Approva',
    reject: 'Rifiuta',
    approved: (a: string): string => `Versamento di ${a} approvato.`,
    rejected: (a: string): string => `Versamento di ${a} rifiutato; il credito torna al cliente.`,
    api: 'API',
  },
  de: {
    tab: 'Auszahlungen',
    hint: 'Guthaben, das über den Zahlungsanbieter an Kunden ausgezahlt wird. Angefordert wird es im Kundenbereich neben einer Unterhaltung.',
    filter: 'Zeigen',
    all: 'Alle Auszahlungen',
    when: 'Angefordert',
    customer: 'Kunde',
    amount: 'Betrag',
    reason: 'Grund',
    state: 'Status',
    by: 'Angefordert von / freigegeben von',
    empty: 'Keine Auszahlungen.',
    states: { pending_approval: 'Wartet auf Freigabe', processing: 'In Bearbeitung', succeeded: 'Ausgezahlt', failed: 'Fehlgeschlagen', rejected: 'Abgelehnt' } as Record<string, string>,
    approve: 'Freigeben',
    reject: 'Ablehnen',
    approved: (a: string): string => `Auszahlung von ${a} freigegeben.`,
    rejected: (a: string): string => `Auszahlung von ${a} abgelehnt; das Guthaben ist wieder beim Kunden.`,
    api: 'API',
  },
  nl: {
    tab: 'Uitbetalingen',
    hint: 'Tegoed dat via de betaalprovider aan klanten wordt uitbetaald. Aan te vragen in het klantpaneel naast een gesprek.',
    filter: 'Tonen',
    all: 'Alle uitbetalingen',
    when: 'Aangevraagd',
    customer: 'Klant',
    amount: 'Bedrag',
    reason: 'Reden',
    state: 'Status',
    by: 'Aangevraagd door / goedgekeurd door',
    empty: 'Geen uitbetalingen.',
    states: { pending_approval: 'Wacht op goedkeuring', processing: 'Bezig', succeeded: 'Uitbetaald', failed: 'Mislukt', rejected: 'Afgewezen' } as Record<string, string>,
    approve: 'Goedkeuren',
    reject: 'Afwijzen',
    approved: (a: string): string => `Uitbetaling van ${a} goedgekeurd.`,
    rejected: (a: string): string => `Uitbetaling van ${a} afgewezen; het tegoed is terug bij de klant.`,
    api: 'API',
  },
} satisfies Record<Lang, unknown>;

const t = textByLang[lang];
export const payoutsTabLabel = t.tab;

export async function payoutsTab(body: HTMLElement, api: ConsoleApi, me: Agent): Promise<void> {
  const { element: status, say } = statusLine('hint payouts-status');
  status.id = 'payouts-status';
  const filter = el('select', { id: 'payouts-filter' });
  filter.append(el('option', { value: '' }, t.all));
  for (const [k, v] of Object.entries(t.states)) filter.append(el('option', { value: k }, v));

  const agents = new Map<string, string>();
  const contacts = new Map<string, string>();
  /** "agent:ag_..." -> the agent's name; "token:..." -> API. */
  const actor = (a: string | null): string => {
    if (!a) return '—';
    if (a.startsWith('agent:')) return agents.get(a.slice(6)) ?? a.slice(6);
    return t.api;
  };

  const table = dataTable<Payout>({
    id: 'payouts-table',
    caption: t.tab,
    headings: [t.when, t.customer, t.amount, t.reason, t.state, t.by, ''],
    empty: t.empty,
    row: (p) => {
      const customer = el('td', { 'data-contact-id': p.contact_id }, contacts.get(p.contact_id) ?? p.contact_id);
      if (!contacts.has(p.contact_id))
        void api
          .getContact(p.contact_id)
          .then((c) => {
            contacts.set(p.contact_id, c.name || c.email || c.phone || p.contact_id);
            customer.textContent = contacts.get(p.contact_id) ?? p.contact_id;
          })
          .catch(() => undefined);
      const actions = el('td', { className: 'row-actions' });
      if (p.status === 'pending_approval' && me.role === 'admin') {
        const money = formatMoney(p.amount, p.currency);
        const approve = el('button', { type: 'button', className: 'btn btn-secondary btn-small' }, t.approve);
        const reject = el('button', { type: 'button', className: 'btn btn-quiet btn-small' }, t.reject);
        const act = (b: HTMLButtonElement, call: () => Promise<Payout>, done: string): void => {
          b.addEventListener('click', () => {
            approve.disabled = reject.disabled = true;
            call()
              .then(() => {
                say(done);
                return reload();
              })
              .catch((e: unknown) => {
                say(why(e), true);
                approve.disabled = reject.disabled = false;
              });
          });
        };
        act(approve, () => api.approvePayout(p.id), t.approved(money));
        act(reject, () => api.rejectPayout(p.id), t.rejected(money));
        actions.append(approve, ' ', reject);
      }
      return el(
        'tr',
        { 'data-payout-id': p.id, 'data-status': p.status },
        el('td', {}, el('time', { datetime: p.created_at, title: fullTime(p.created_at) }, shortTime(p.created_at))),
        customer,
        el('td', { className: 'num' }, formatMoney(p.amount, p.currency)),
        el('td', {}, p.reason),
        el('td', {}, el('span', { className: `chip payout-${p.status}` }, t.states[p.status] ?? p.status)),
        el('td', {}, `${actor(p.requested_by)} / ${actor(p.approved_by)}`),
        actions,
      );
    },
  });
  const reload = (): Promise<void> => table.load(() => api.listPayouts(filter.value), (e) => say(why(e), true));
  filter.addEventListener('change', () => {
    say('');
    void reload();
  });
  body.append(
    el('h2', {}, t.tab),
    el('p', { className: 'hint' }, t.hint),
    el('div', { className: 'field' }, el('label', { for: 'payouts-filter' }, t.filter), filter),
    ...table.nodes,
    status,
  );
  try {
    for (const a of await api.listAgents()) agents.set(a.id, a.name || a.email);
  } catch {
    // ids instead of names
  }
  clear(status);
  await reload();
}
