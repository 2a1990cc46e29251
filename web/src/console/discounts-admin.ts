// Settings > Discount codes (docs/commerce.md): the shop's codes with what they give, their limits,
// validity and how often they were used; admins create new ones (percentage, fixed amount, free
// shipping; start/end, usage limits, minimum subtotal). Amounts are typed in major units and sent
// as integer minor units; a refused code names its field, which gets the focus.

import { ApiError } from '../shared/http';
import { el } from '../shared/dom';
import { lang, type Lang } from '../shared/strings';
import { fullTime, shortTime } from '../shared/time';
import type { Agent } from '../shared/types';
import type { ConsoleApi, Discount, NewDiscount } from './api';
import { formatMoney } from './render';
import { parseMinor } from './refund';
import { apiErrorText as why, dataTable } from './admin-kit';

const textByLang = {
  en: {
    tab: 'Discount codes',
    hint: 'Customers and agents apply these codes to carts; a refused code always says why.',
    code: 'Code',
    gives: 'Gives',
    limits: 'Limits',
    valid: 'Valid',
    used: 'Used',
    empty: 'No discount codes yet.',
    percent: (p: string): string => `${p} % off`,
    amountOff: (a: string): string => `${a} off`,
    freeShipping: 'Free shipping',
    minimum: (a: string): string => `from ${a}`,
    perCustomer: (n: number): string => `${n} per customer`,
    total: (n: number): string => `${n} in all`,
    always: 'always',
    from: (d: string): string => `from ${d}`,
    until: (d: string): string => `until ${d}`,
    usedOf: (used: number, limit: number | null): string => (limit === null ? String(used) : `${used} / ${limit}`),
    add: 'Create a code',
    kind: 'Kind',
    kinds: { percentage: 'Percentage', fixed_amount: 'Fixed amount', free_shipping: 'Free shipping' } as Record<string, string>,
    percentField: 'Percent off',
    valueField: 'Amount off',
    currency: 'Currency',
    startsAt: 'Starts (optional)',
    endsAt: 'Ends (optional)',
    usageLimit: 'Uses in all (optional)',
    perCustomerLimit: 'Uses per customer (optional)',
    minimumSubtotal: 'Minimum subtotal (optional)',
    create: 'Create code',
    created: (code: string): string => `Code ${code} created.`,
    required: (what: string): string => `${what}: required.`,
    badPercent: 'Percent off: a number above 0 and at most 100, like 10 or 12.5.',
    badAmount: (what: string): string => `${what}: an amount like 5 or 4.99.`,
    badCount: (what: string): string => `${what}: a whole number from 1.`,
    badCurrency: 'Currency: a three-letter code like EUR.',
  },
  it: {
    tab: 'Codici sconto',
    hint: 'Clienti e operatori applicano questi codici ai carrelli; un codice rifiutato dice sempre perché.',
    code: 'Codice',
    gives: 'Sconto',
    limits: 'Limiti',
    valid: 'Validità',
    used: 'Usi',
    empty: 'Ancora nessun codice sconto.',
    percent: (p: string): string => `${p} % di sconto`,
    amountOff: (a: string): string => `${a} di sconto`,
    freeShipping: 'Spedizione gratuita',
    minimum: (a: string): string => `da ${a}`,
    perCustomer: (n: number): string => `${n} per cliente`,
    total: (n: number): string => `${n} in tutto`,
    always: 'sempre',
    from: (d: string): string => `dal ${d}`,
    until: (d: string): string => `fino al ${d}`,
    usedOf: (used: number, limit: number | null): string => (limit === null ? String(used) : `${used} / ${limit}`),
    add: 'Crea un codice',
    kind: 'Tipo',
    kinds: { percentage: 'Percentuale', fixed_amount: 'Importo fisso', free_shipping: 'Spedizione gratuita' } as Record<string, string>,
    percentField: 'Percentuale di sconto',
    valueField: 'Importo dello sconto',
    currency: 'Valuta',
    startsAt: 'Inizio (facoltativo)',
    endsAt: 'Fine (facoltativa)',
    usageLimit: 'Usi in tutto (facoltativo)',
    perCustomerLimit: 'Usi per cliente (facoltativo)',
    minimumSubtotal: 'Subtotale minimo (facoltativo)',
    create: 'Crea codice',
    created: (code: string): string => `Codice ${code} creato.`,
    required: (what: string): string => `${what}: obbligatorio.`,
    badPercent: 'Percentuale: un numero sopra 0 e al massimo 100, come 10 o 12,5.',
    badAmount: (what: string): string => `${what}: un importo come 5 o 4,99.`,
    badCount: (what: string): string => `${what}: un numero intero da 1.`,
    badCurrency: 'Valuta: un codice di tre lettere come EUR.',
  },
  de: {
    tab: 'Rabattcodes',
    hint: 'Kunden und Mitarbeiter wenden diese Codes auf Warenkörbe an; ein abgelehnter Code sagt immer warum.',
    code: 'Code',
    gives: 'Rabatt',
    limits: 'Grenzen',
    valid: 'Gültig',
    used: 'Genutzt',
    empty: 'Noch keine Rabattcodes.',
    percent: (p: string): string => `${p} % Rabatt`,
    amountOff: (a: string): string => `${a} Rabatt`,
    freeShipping: 'Kostenloser Versand',
    minimum: (a: string): string => `ab ${a}`,
    perCustomer: (n: number): string => `${n} pro Kunde`,
    total: (n: number): string => `${n} insgesamt`,
    always: 'immer',
    from: (d: string): string => `ab ${d}`,
    until: (d: string): string => `bis ${d}`,
    usedOf: (used: number, limit: number | null): string => (limit === null ? String(used) : `${used} / ${limit}`),
    add: 'Code anlegen',
    kind: 'Art',
    kinds: { percentage: 'Prozent', fixed_amount: 'Fester Betrag', free_shipping: 'Kostenloser Versand' } as Record<string, string>,
    percentField: 'Prozent Rabatt',
    valueField: 'Rabattbetrag',
    currency: 'Währung',
    startsAt: 'Beginn (optional)',
    endsAt: 'Ende (optional)',
    usageLimit: 'Nutzungen insgesamt (optional)',
    perCustomerLimit: 'Nutzungen pro Kunde (optional)',
    minimumSubtotal: 'Mindestzwischensumme (optional)',
    create: 'Code anlegen',
    created: (code: string): string => `Code ${code} angelegt.`,
    required: (what: string): string => `${what}: erforderlich.`,
    badPercent: 'Prozent: eine Zahl über 0 und höchstens 100, etwa 10 oder 12,5.',
    badAmount: (what: string): string => `${what}: ein Betrag wie 5 oder 4,99.`,
    badCount: (what: string): string => `${what}: eine ganze Zahl ab 1.`,
    badCurrency: 'Währung: ein dreistelliger Code wie EUR.',
  },
  nl: {
    tab: 'Kortingscodes',
    hint: 'Klanten en medewerkers passen deze codes toe op winkelwagens; een geweigerde code zegt altijd waarom.',
    code: 'Code',
    gives: 'Korting',
    limits: 'Limieten',
    valid: 'Geldig',
    used: 'Gebruikt',
    empty: 'Nog geen kortingscodes.',
    percent: (p: string): string => `${p} % korting`,
    amountOff: (a: string): string => `${a} korting`,
    freeShipping: 'Gratis verzending',
    minimum: (a: string): string => `vanaf ${a}`,
    perCustomer: (n: number): string => `${n} per klant`,
    total: (n: number): string => `${n} in totaal`,
    always: 'altijd',
    from: (d: string): string => `vanaf ${d}`,
    until: (d: string): string => `tot ${d}`,
    usedOf: (used: number, limit: number | null): string => (limit === null ? String(used) : `${used} / ${limit}`),
    add: 'Code aanmaken',
    kind: 'Soort',
    kinds: { percentage: 'Percentage', fixed_amount: 'Vast bedrag', free_shipping: 'Gratis verzending' } as Record<string, string>,
    percentField: 'Percentage korting',
    valueField: 'Bedrag korting',
    currency: 'Valuta',
    startsAt: 'Begint (optioneel)',
    endsAt: 'Eindigt (optioneel)',
    usageLimit: 'Aantal keer in totaal (optioneel)',
    perCustomerLimit: 'Aantal keer per klant (optioneel)',
    minimumSubtotal: 'Minimaal subtotaal (optioneel)',
    create: 'Code aanmaken',
    created: (code: string): string => `Code ${code} aangemaakt.`,
    required: (what: string): string => `${what}: verplicht.`,
    badPercent: 'Percentage: een getal boven 0 en hoogstens 100, zoals 10 of 12,5.',
    badAmount: (what: string): string => `${what}: een bedrag zoals 5 of 4,99.`,
    badCount: (what: string): string => `${what}: een geheel getal vanaf 1.`,
    badCurrency: 'Valuta: een code van drie letters zoals EUR.',
  },
} satisfies Record<Lang, unknown>;

const t = textByLang[lang];
export const discountsTabLabel = t.tab;

/** Basis points as a percent string: 1000 -> "10", 1250 -> "12.5". */
function percentOf(bp: number): string {
  return (bp / 100).toLocaleString(lang, { maximumFractionDigits: 2 });
}

function gives(d: Discount): string {
  if (d.kind === 'percentage') return t.percent(percentOf(d.value));
  if (d.kind === 'fixed_amount' && d.currency) return t.amountOff(formatMoney(d.value, d.currency));
  if (d.kind === 'free_shipping') return t.freeShipping;
  return d.kind;
}

function limits(d: Discount): string {
  const parts: string[] = [];
  if (d.minimum_subtotal !== null && d.currency) parts.push(t.minimum(formatMoney(d.minimum_subtotal, d.currency)));
  if (d.usage_limit !== null) parts.push(t.total(d.usage_limit));
  if (d.per_customer_limit !== null) parts.push(t.perCustomer(d.per_customer_limit));
  return parts.join(', ') || '—';
}

function validity(d: Discount): HTMLElement {
  const cell = el('td', {});
  if (!d.starts_at && !d.ends_at) cell.append(t.always);
  if (d.starts_at) cell.append(el('time', { datetime: d.starts_at, title: fullTime(d.starts_at) }, t.from(shortTime(d.starts_at))));
  if (d.starts_at && d.ends_at) cell.append(' ');
  if (d.ends_at) cell.append(el('time', { datetime: d.ends_at, title: fullTime(d.ends_at) }, t.until(shortTime(d.ends_at))));
  return cell;
}

/** A datetime-local value ("2026-12-01T09:00", the browser's zone) as RFC 3339 UTC, or null. */
function localToIso(v: string): string | null {
  if (!v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

export async function discountsTab(body: HTMLElement, api: ConsoleApi, agent: Agent): Promise<void> {
  const status = el('p', { className: 'form-error', role: 'alert' });
  const table = dataTable<Discount>({ id: 'discounts-table', caption: t.tab, headings: [t.code, t.gives, t.limits, t.valid, t.used], empty: t.empty, row: (d) => row(d) });
  body.append(el('h2', {}, t.tab), el('p', { className: 'hint' }, t.hint), ...table.nodes, status);
  const row = (d: Discount): HTMLTableRowElement =>
    el(
      'tr',
      { 'data-code': d.code },
      el('td', { className: 'mono' }, el('code', {}, d.code)),
      el('td', {}, gives(d)),
      el('td', {}, limits(d)),
      validity(d),
      el('td', { className: 'num' }, t.usedOf(d.used_count, d.usage_limit)),
    );
  const reload = (): Promise<void> => table.load(() => api.listDiscounts(), (e) => (status.textContent = why(e)));
  await reload();
  if (agent.role !== 'admin') return;

  const input = (id: string, attrs: Record<string, string | number | boolean> = {}): HTMLInputElement =>
    el('input', { id, autocomplete: 'off', ...attrs });
  const code = input('discount-code', { maxlength: 64 });
  const kind = el('select', { id: 'discount-kind' });
  for (const k of ['percentage', 'fixed_amount', 'free_shipping']) kind.append(el('option', { value: k }, t.kinds[k] ?? k));
  const percent = input('discount-percent', { inputmode: 'decimal' });
  const value = input('discount-value', { inputmode: 'decimal' });
  const currency = input('discount-currency', { maxlength: 3, value: 'EUR' });
  const starts = input('discount-starts', { type: 'datetime-local' });
  const ends = input('discount-ends', { type: 'datetime-local' });
  const usage = input('discount-usage', { inputmode: 'numeric' });
  const perCustomer = input('discount-per-customer', { inputmode: 'numeric' });
  const minimum = input('discount-minimum', { inputmode: 'decimal' });
  const error = el('p', { className: 'form-error', role: 'alert', id: 'discount-error' });
  const result = el('p', { className: 'result', role: 'status', id: 'discount-result' });
  const submit = el('button', { type: 'submit', className: 'btn btn-primary' }, t.create);
  const field = (id: string, label: string, control: HTMLElement): HTMLElement =>
    el('div', { className: 'field' }, el('label', { for: id }, label), control);
  const percentField = field('discount-percent', t.percentField, percent);
  const valueField = field('discount-value', t.valueField, value);
  const form = el(
    'form',
    { className: 'settings-form', id: 'discount-form', 'aria-labelledby': 'discount-heading', novalidate: true },
    el('h2', { id: 'discount-heading' }, t.add),
    field('discount-code', t.code, code),
    field('discount-kind', t.kind, kind),
    percentField,
    valueField,
    field('discount-currency', t.currency, currency),
    field('discount-minimum', t.minimumSubtotal, minimum),
    field('discount-starts', t.startsAt, starts),
    field('discount-ends', t.endsAt, ends),
    field('discount-usage', t.usageLimit, usage),
    field('discount-per-customer', t.perCustomerLimit, perCustomer),
    error,
    submit,
    result,
  );
  const syncKind = (): void => {
    percentField.hidden = kind.value !== 'percentage';
    valueField.hidden = kind.value !== 'fixed_amount';
  };
  kind.addEventListener('change', syncKind);
  syncKind();
  const byField: Record<string, HTMLElement> = {
    code,
    kind,
    percent,
    value,
    currency,
    starts_at: starts,
    ends_at: ends,
    usage_limit: usage,
    per_customer_limit: perCustomer,
    minimum_subtotal: minimum,
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    error.textContent = '';
    result.textContent = '';
    const fail = (text: string, focus: HTMLElement): void => {
      error.textContent = text;
      focus.focus();
    };
    const c = code.value.trim();
    if (!c) return fail(t.required(t.code), code);
    const cur = currency.value.trim().toUpperCase();
    const body: NewDiscount = { code: c, kind: kind.value };
    if (kind.value === 'percentage') {
      const p = percent.value.trim().replace(',', '.');
      if (!/^\d{1,3}(\.\d{1,2})?$/.test(p) || Number(p) <= 0 || Number(p) > 100) return fail(t.badPercent, percent);
      body.percent = p;
    }
    const needsCurrency = kind.value === 'fixed_amount' || minimum.value.trim() !== '';
    if (needsCurrency && !/^[A-Z]{3}$/.test(cur)) return fail(t.badCurrency, currency);
    if (kind.value === 'fixed_amount') {
      const v = parseMinor(value.value, cur);
      if (v === null || v <= 0) return fail(t.badAmount(t.valueField), value);
      body.value = v;
    }
    if (minimum.value.trim()) {
      const m = parseMinor(minimum.value, cur);
      if (m === null || m <= 0) return fail(t.badAmount(t.minimumSubtotal), minimum);
      body.minimum_subtotal = m;
    }
    if (needsCurrency) body.currency = cur;
    for (const [input, key, label] of [
      [usage, 'usage_limit', t.usageLimit],
      [perCustomer, 'per_customer_limit', t.perCustomerLimit],
    ] as const) {
      const v = input.value.trim();
      if (!v) continue;
      if (!/^\d{1,9}$/.test(v) || Number(v) < 1) return fail(t.badCount(label), input);
      body[key] = Number(v);
    }
    const s = localToIso(starts.value);
    const e = localToIso(ends.value);
    if (s) body.starts_at = s;
    if (e) body.ends_at = e;
    submit.disabled = true;
    api
      .createDiscount(body)
      .then(async (d) => {
        result.textContent = t.created(d.code);
        form.reset();
        currency.value = cur || 'EUR';
        syncKind();
        await reload();
      })
      .catch((x: unknown) => {
        error.textContent = why(x);
        const key = x instanceof ApiError ? x.field : null;
        if (key && byField[key]) byField[key]?.focus();
      })
      .finally(() => (submit.disabled = false));
  });
  body.append(form);
}
