// Settings > Payments (docs/payments.md): the shop's payment providers with the webhook URL to
// register at the provider (copy button), a form to connect one (fields per type; secrets are
// write-only and never shown again), and the guardrails: above which amount a refund or a payout
// waits for a second admin.

import { el } from '../shared/dom';
import { lang, type Lang } from '../shared/strings';
import { fullTime, shortTime } from '../shared/time';
import type { Agent } from '../shared/types';
import type { ConsoleApi, PaymentProvider } from './api';
import { apiErrorText as why, copyButton as copyButtonKit, dataTable, typedCreateForm, type FieldSpec } from './admin-kit';

/** The settings each provider type takes (docs/payments.md#providers). */
export const PROVIDER_FIELDS: Record<string, FieldSpec[]> = {
  sandbox: [
    { name: 'webhook_secret', secret: true, optional: true },
    { name: 'async_delay_ms', optional: true },
  ],
  stripe: [
    { name: 'secret_key', secret: true },
    { name: 'webhook_secret', secret: true },
    { name: 'api_base_url', optional: true },
  ],
  mollie: [
    { name: 'api_key', secret: true },
    { name: 'api_base_url', optional: true },
  ],
  adyen: [
    { name: 'api_key', secret: true },
    { name: 'merchant_account' },
    { name: 'hmac_key', secret: true },
    { name: 'api_base_url', optional: true },
    { name: 'basic_username', optional: true },
    { name: 'basic_password', secret: true, optional: true },
  ],
};

const textByLang = {
  en: {
    tab: 'Payments',
    providers: 'Payment providers',
    hint: 'Register each webhook URL at the provider (Stripe, Adyen); Mollie gets it with every payment.',
    name: 'Name',
    type: 'Type',
    webhookUrl: 'Webhook URL',
    created: 'Created',
    empty: 'No payment provider yet: payment links are refused until there is one.',
    copy: 'Copy',
    copied: 'Copied',
    copyLabel: (name: string): string => `Copy the webhook URL of ${name}`,
    add: 'Connect a provider',
    optional: '(optional)',
    required: (f: string): string => `${f} is required.`,
    connected: (name: string): string => `${name} is connected. Register this webhook URL at the provider:`,
    guardrails: 'Approvals',
    guardrailsHint: 'Above these amounts (in minor units of the payment\'s currency: 10000 = €100.00) a refund or a payout waits for a second admin. Empty: never.',
    refundThreshold: 'Refunds above',
    payoutThreshold: 'Payouts above',
    save: 'Save',
    saved: 'Saved.',
    badThreshold: (f: string): string => `${f}: a whole number from 0, or empty.`,
  },
  it: {
    tab: 'Pagamenti',
    providers: 'Fornitori di pagamento',
    hint: "Registra ogni URL webhook presso il fornitore (Stripe, Adyen); Mollie lo riceve con ogni pagamento.",
    name: 'Nome',
    type: 'Tipo',
    webhookUrl: 'URL webhook',
    created: 'Creato',
    empty: 'Ancora nessun fornitore di pagamento: i link di pagamento vengono rifiutati finché non ce n\'è uno.',
    copy: 'Copia',
    copied: 'Copiato',
    copyLabel: (name: string): string => `Copia l'URL webhook di ${name}`,
    add: 'Collega un fornitore',
    optional: '(facoltativo)',
    required: (f: string): string => `${f} è obbligatorio.`,
    connected: (name: string): string => `${name} è collegato. Registra questo URL webhook presso il fornitore:`,
    guardrails: 'Approvazioni',
    guardrailsHint: 'Oltre questi importi (in unità minori della valuta del pagamento: 10000 = 100,00 €) un rimborso o un pagamento in uscita attende un secondo amministratore. Vuoto: mai.',
    refundThreshold: 'Rimborsi oltre',
    payoutThreshold: 'Pagamenti in uscita oltre',
    save: 'Salva',
    saved: 'Salvato.',
    badThreshold: (f: string): string => `${f}: un numero intero da 0, oppure vuoto.`,
  },
  de: {
    tab: 'Zahlungen',
    providers: 'Zahlungsanbieter',
    hint: 'Hinterlege jede Webhook-URL beim Anbieter (Stripe, Adyen); Mollie bekommt sie mit jeder Zahlung.',
    name: 'Name',
    type: 'Typ',
    webhookUrl: 'Webhook-URL',
    created: 'Angelegt',
    empty: 'Noch kein Zahlungsanbieter: Zahlungslinks werden abgelehnt, bis es einen gibt.',
    copy: 'Kopieren',
    copied: 'Kopiert',
    copyLabel: (name: string): string => `Webhook-URL von ${name} kopieren`,
    add: 'Anbieter verbinden',
    optional: '(optional)',
    required: (f: string): string => `${f} ist erforderlich.`,
    connected: (name: string): string => `${name} ist verbunden. Hinterlege diese Webhook-URL beim Anbieter:`,
    guardrails: 'Freigaben',
    guardrailsHint: 'Über diesen Beträgen (in kleinsten Einheiten der Zahlungswährung: 10000 = 100,00 €) wartet eine Erstattung oder Auszahlung auf einen zweiten Admin. Leer: nie.',
    refundThreshold: 'Erstattungen über',
    payoutThreshold: 'Auszahlungen über',
    save: 'Speichern',
    saved: 'Gespeichert.',
    badThreshold: (f: string): string => `${f}: eine ganze Zahl ab 0 oder leer.`,
  },
  nl: {
    tab: 'Betalingen',
    providers: 'Betaalproviders',
    hint: 'Registreer elke webhook-URL bij de provider (Stripe, Adyen); Mollie krijgt hem bij elke betaling.',
    name: 'Naam',
    type: 'Type',
    webhookUrl: 'Webhook-URL',
    created: 'Aangemaakt',
    empty: 'Nog geen betaalprovider: betaallinks worden geweigerd tot er een is.',
    copy: 'Kopiëren',
    copied: 'Gekopieerd',
    copyLabel: (name: string): string => `Webhook-URL van ${name} kopiëren`,
    add: 'Provider koppelen',
    optional: '(optioneel)',
    required: (f: string): string => `${f} is verplicht.`,
    connected: (name: string): string => `${name} is gekoppeld. Registreer deze webhook-URL bij de provider:`,
    guardrails: 'Goedkeuringen',
    guardrailsHint: 'Boven deze bedragen (in de kleinste eenheid van de valuta van de betaling: 10000 = € 100,00) wacht een terugbetaling of uitbetaling op een tweede beheerder. Leeg: nooit.',
    refundThreshold: 'Terugbetalingen boven',
    payoutThreshold: 'Uitbetalingen boven',
    save: 'Opslaan',
    saved: 'Opgeslagen.',
    badThreshold: (f: string): string => `${f}: een geheel getal vanaf 0, of leeg.`,
  },
} satisfies Record<Lang, unknown>;

const t = textByLang[lang];
export const paymentsTabLabel = t.tab;

function copyButton(value: string, label: string): HTMLButtonElement {
  return copyButtonKit(value, label, t);
}

export async function paymentsTab(body: HTMLElement, api: ConsoleApi, agent: Agent): Promise<void> {
  const status = el('p', { className: 'form-error', role: 'alert' });
  const row = (p: PaymentProvider): HTMLTableRowElement =>
    el(
      'tr',
      { 'data-provider-id': p.id },
      el('td', {}, p.name),
      el('td', {}, el('span', { className: 'chip chip-channel' }, p.type)),
      el('td', { className: 'mono' }, p.webhook_url ? el('code', {}, p.webhook_url) : '—', p.webhook_url ? copyButton(p.webhook_url, t.copyLabel(p.name)) : null),
      el('td', {}, p.created_at ? el('time', { datetime: p.created_at, title: fullTime(p.created_at) }, shortTime(p.created_at)) : '—'),
    );
  const table = dataTable<PaymentProvider>({ id: 'providers-table', caption: t.providers, headings: [t.name, t.type, t.webhookUrl, t.created], empty: t.empty, row });
  body.append(el('h2', {}, t.providers), el('p', { className: 'hint' }, t.hint), ...table.nodes, status);
  const reload = (): Promise<void> => table.load(() => api.listPaymentProviders(), (e) => (status.textContent = why(e)));
  await reload();

  // ---- approvals (any agent reads them; admins change them)
  const refund = el('input', { id: 'refund-threshold', inputmode: 'numeric', autocomplete: 'off', disabled: agent.role !== 'admin' });
  const payout = el('input', { id: 'payout-threshold', inputmode: 'numeric', autocomplete: 'off', disabled: agent.role !== 'admin' });
  const gError = el('p', { className: 'form-error', role: 'alert', id: 'guardrails-error' });
  const gSaved = el('p', { className: 'hint', role: 'status', id: 'guardrails-saved' });
  const gSave = el('button', { type: 'submit', className: 'btn btn-primary', hidden: agent.role !== 'admin' }, t.save);
  const guardrails = el(
    'form',
    { className: 'settings-form', id: 'guardrails-form', 'aria-labelledby': 'guardrails-heading', novalidate: true },
    el('h2', { id: 'guardrails-heading' }, t.guardrails),
    el('p', { className: 'hint' }, t.guardrailsHint),
    el('div', { className: 'field' }, el('label', { for: 'refund-threshold' }, t.refundThreshold), refund),
    el('div', { className: 'field' }, el('label', { for: 'payout-threshold' }, t.payoutThreshold), payout),
    gError,
    gSave,
    gSaved,
  );
  const show = (s: { refund_approval_threshold: number | null; payout_approval_threshold: number | null }): void => {
    refund.value = s.refund_approval_threshold === null ? '' : String(s.refund_approval_threshold);
    payout.value = s.payout_approval_threshold === null ? '' : String(s.payout_approval_threshold);
  };
  try {
    show(await api.paymentSettings());
  } catch (e) {
    gError.textContent = why(e);
  }
  guardrails.addEventListener('submit', (ev) => {
    ev.preventDefault();
    gError.textContent = '';
    gSaved.textContent = '';
    const value = (input: HTMLInputElement, label: string): number | null | undefined => {
      const v = input.value.trim();
      if (!v) return null;
      if (!/^\d{1,15}$/.test(v)) {
        gError.textContent = t.badThreshold(label);
        input.focus();
        return undefined;
      }
      return Number(v);
    };
    const r = value(refund, t.refundThreshold);
    if (r === undefined) return;
    const p = value(payout, t.payoutThreshold);
    if (p === undefined) return;
    gSave.disabled = true;
    api
      .putPaymentSettings({ refund_approval_threshold: r, payout_approval_threshold: p })
      .then((s) => {
        show(s);
        gSaved.textContent = t.saved;
      })
      .catch((e: unknown) => (gError.textContent = why(e)))
      .finally(() => (gSave.disabled = false));
  });

  if (agent.role !== 'admin') {
    body.append(guardrails);
    return;
  }

  // ---- connect a provider
  const form = typedCreateForm<PaymentProvider>({
    idPrefix: 'new-provider',
    formId: 'provider-form',
    heading: t.add,
    specs: PROVIDER_FIELDS,
    fieldPrefix: 'provider-setting-',
    labels: { type: t.type, name: t.name, optional: t.optional, submit: t.add, required: t.required },
    errorText: why,
    create: (type, name, typed) => {
      const settings: Record<string, string | number> = { ...typed };
      if (typed.async_delay_ms && /^\d+$/.test(typed.async_delay_ms)) settings.async_delay_ms = Number(typed.async_delay_ms);
      return api.createPaymentProvider(type, name, settings);
    },
    onCreated: async (p, result) => {
      result.append(el('p', {}, t.connected(p.name)), el('p', {}, el('code', { id: 'new-provider-webhook' }, p.webhook_url), copyButton(p.webhook_url, t.copyLabel(p.name))));
      await reload();
    },
  });
  body.append(form, guardrails);
}
