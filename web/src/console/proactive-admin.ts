// Settings > Reminders (docs/service.md#proactive-messages): the abandoned-cart reminder (on/off,
// how long after the cart's last change, the free-text message inside the channel's window, the
// WhatsApp template outside it) and WhatsApp order updates (templates for paid and fulfilled
// orders), plus the latest reminders with what happened to each (sent, or skipped and why).
// Admins change the settings; a refusal names its field, which gets the focus.

import { ApiError } from '../shared/http';
import { el } from '../shared/dom';
import { lang, type Lang } from '../shared/strings';
import { fullTime, shortTime } from '../shared/time';
import type { Agent } from '../shared/types';
import type { CartReminder, ConsoleApi, ProactiveSettings, TemplateChoice } from './api';
import { formatMoney } from './render';
import { apiErrorText as why, dataTable, statusLine } from './admin-kit';

const textByLang = {
  en: {
    tab: 'Reminders',
    hint: 'Messages the shop sends first. Customers who write STOP never get them.',
    cartHeading: 'Abandoned cart reminder',
    cartEnabled: 'Remind customers of a cart they left',
    delay: 'Send after (minutes without a change to the cart)',
    message: 'Message inside the messaging window (optional)',
    variables: 'Variables: {{contact.name}}, {{contact.first_name}}, {{cart.items}}, {{cart.total}}, {{shop.name}}',
    templateName: 'WhatsApp template name (outside the window, optional)',
    orderTemplateName: 'WhatsApp template name',
    templateLanguage: 'Template language',
    templateParams: 'What fills the template’s parameters, in order (comma-separated)',
    orderHeading: 'WhatsApp order updates',
    orderEnabled: 'Tell customers when their order is paid or shipped',
    paid: 'Paid order',
    fulfilled: 'Shipped order',
    orderVariables: 'Parameters: contact.name, contact.first_name, order.number, order.total, order.tracking_number, order.tracking_url, order.carrier, shop.name',
    save: 'Save reminders',
    saved: 'Saved.',
    badDelay: 'Send after: a number of minutes above 0, like 60.',
    recent: 'Latest cart reminders',
    cart: 'Cart',
    status: 'Result',
    channel: 'Channel',
    total: 'Total',
    queued: 'Queued',
    empty: 'No reminders yet.',
    statuses: { queued: 'queued', running: 'sending', sent: 'sent', skipped: 'skipped' } as Record<string, string>,
  },
  it: {
    tab: 'Promemoria',
    hint: 'Messaggi che il negozio invia per primo. Chi scrive STOP non li riceve mai.',
    cartHeading: 'Promemoria carrello abbandonato',
    cartEnabled: 'Ricorda ai clienti un carrello lasciato',
    delay: 'Invia dopo (minuti senza modifiche al carrello)',
    message: 'Messaggio dentro la finestra di messaggistica (facoltativo)',
    variables: 'Variabili: {{contact.name}}, {{contact.first_name}}, {{cart.items}}, {{cart.total}}, {{shop.name}}',
    templateName: 'Nome del modello WhatsApp (fuori dalla finestra, facoltativo)',
    orderTemplateName: 'Nome del modello WhatsApp',
    templateLanguage: 'Lingua del modello',
    templateParams: 'Cosa riempie i parametri del modello, in ordine (separati da virgole)',
    orderHeading: 'Aggiornamenti ordine su WhatsApp',
    orderEnabled: 'Avvisa i clienti quando l’ordine è pagato o spedito',
    paid: 'Ordine pagato',
    fulfilled: 'Ordine spedito',
    orderVariables: 'Parametri: contact.name, contact.first_name, order.number, order.total, order.tracking_number, order.tracking_url, order.carrier, shop.name',
    save: 'Salva i promemoria',
    saved: 'Salvato.',
    badDelay: 'Invia dopo: un numero di minuti maggiore di 0, come 60.',
    recent: 'Ultimi promemoria carrello',
    cart: 'Carrello',
    status: 'Esito',
    channel: 'Canale',
    total: 'Totale',
    queued: 'In coda',
    empty: 'Ancora nessun promemoria.',
    statuses: { queued: 'in coda', running: 'in invio', sent: 'inviato', skipped: 'saltato' } as Record<string, string>,
  },
  de: {
    tab: 'Erinnerungen',
    hint: 'Nachrichten, die der Shop zuerst sendet. Wer STOP schreibt, erhält sie nie.',
    cartHeading: 'Erinnerung an verlassene Warenkörbe',
    cartEnabled: 'Kunden an einen liegengelassenen Warenkorb erinnern',
    delay: 'Senden nach (Minuten ohne Änderung am Warenkorb)',
    message: 'Nachricht innerhalb des Nachrichtenfensters (optional)',
    variables: 'Variablen: {{contact.name}}, {{contact.first_name}}, {{cart.items}}, {{cart.total}}, {{shop.name}}',
    templateName: 'Name der WhatsApp-Vorlage (außerhalb des Fensters, optional)',
    orderTemplateName: 'Name der WhatsApp-Vorlage',
    templateLanguage: 'Sprache der Vorlage',
    templateParams: 'Was die Parameter der Vorlage füllt, in Reihenfolge (durch Kommas getrennt)',
    orderHeading: 'Bestellupdates über WhatsApp',
    orderEnabled: 'Kunden informieren, wenn ihre Bestellung bezahlt oder versandt ist',
    paid: 'Bezahlte Bestellung',
    fulfilled: 'Versandte Bestellung',
    orderVariables: 'Parameter: contact.name, contact.first_name, order.number, order.total, order.tracking_number, order.tracking_url, order.carrier, shop.name',
    save: 'Erinnerungen speichern',
    saved: 'Gespeichert.',
    badDelay: 'Senden nach: eine Anzahl Minuten über 0, etwa 60.',
    recent: 'Letzte Warenkorb-Erinnerungen',
    cart: 'Warenkorb',
    status: 'Ergebnis',
    channel: 'Kanal',
    total: 'Summe',
    queued: 'Eingeplant',
    empty: 'Noch keine Erinnerungen.',
    statuses: { queued: 'eingeplant', running: 'wird gesendet', sent: 'gesendet', skipped: 'übersprungen' } as Record<string, string>,
  },
  nl: {
    tab: 'Herinneringen',
    hint: 'Berichten die de winkel als eerste stuurt. Wie STOP schrijft, krijgt ze nooit.',
    cartHeading: 'Herinnering verlaten winkelwagen',
    cartEnabled: 'Klanten herinneren aan een achtergelaten winkelwagen',
    delay: 'Versturen na (minuten zonder wijziging aan de winkelwagen)',
    message: 'Bericht binnen het berichtvenster (optioneel)',
    variables: 'Variabelen: {{contact.name}}, {{contact.first_name}}, {{cart.items}}, {{cart.total}}, {{shop.name}}',
    templateName: 'Naam van de WhatsApp-sjabloon (buiten het venster, optioneel)',
    orderTemplateName: 'Naam van de WhatsApp-sjabloon',
    templateLanguage: 'Taal van de sjabloon',
    templateParams: 'Wat de parameters van de sjabloon vult, op volgorde (met komma’s)',
    orderHeading: 'Bestelupdates via WhatsApp',
    orderEnabled: 'Klanten laten weten wanneer hun bestelling betaald of verzonden is',
    paid: 'Betaalde bestelling',
    fulfilled: 'Verzonden bestelling',
    orderVariables: 'Parameters: contact.name, contact.first_name, order.number, order.total, order.tracking_number, order.tracking_url, order.carrier, shop.name',
    save: 'Herinneringen opslaan',
    saved: 'Opgeslagen.',
    badDelay: 'Versturen na: een aantal minuten boven 0, zoals 60.',
    recent: 'Laatste winkelwagenherinneringen',
    cart: 'Winkelwagen',
    status: 'Resultaat',
    channel: 'Kanaal',
    total: 'Totaal',
    queued: 'Ingepland',
    empty: 'Nog geen herinneringen.',
    statuses: { queued: 'ingepland', running: 'wordt verstuurd', sent: 'verstuurd', skipped: 'overgeslagen' } as Record<string, string>,
  },
} satisfies Record<Lang, unknown>;

const t = textByLang[lang];
export const proactiveTabLabel = t.tab;

/** Three inputs for a WhatsApp template choice; `read` gives null when the name is empty. */
function templateInputs(prefix: string, label: string | null): {
  nodes: HTMLElement[];
  inputs: Record<string, HTMLInputElement>;
  fill: (c: TemplateChoice | null) => void;
  read: () => TemplateChoice | null;
} {
  const name = el('input', { id: `${prefix}-name`, autocomplete: 'off', maxlength: 512 });
  const language = el('input', { id: `${prefix}-language`, autocomplete: 'off', maxlength: 16, placeholder: 'en' });
  const params = el('input', { id: `${prefix}-parameters`, autocomplete: 'off' });
  const field = (input: HTMLInputElement, text: string): HTMLElement =>
    el('div', { className: 'field' }, el('label', { for: input.id }, label ? `${label}: ${text}` : text), input);
  return {
    nodes: [field(name, label ? t.orderTemplateName : t.templateName), field(language, t.templateLanguage), field(params, t.templateParams)],
    inputs: { name, language, parameters: params },
    fill: (c) => {
      name.value = c?.name ?? '';
      language.value = c?.language ?? '';
      params.value = (c?.parameters ?? []).join(', ');
    },
    read: () => {
      if (!name.value.trim()) return null;
      return {
        name: name.value.trim(),
        language: language.value.trim(),
        parameters: params.value.split(',').map((x) => x.trim()).filter((x) => x !== ''),
      };
    },
  };
}

export async function proactiveTab(body: HTMLElement, api: ConsoleApi, me: Agent): Promise<void> {
  const admin = me.role === 'admin';
  const { element: status, say } = statusLine('hint proactive-status');
  status.id = 'proactive-status';

  const cartEnabled = el('input', { type: 'checkbox', id: 'cart-reminder-enabled' });
  const delay = el('input', { id: 'cart-reminder-delay', inputmode: 'decimal', autocomplete: 'off' });
  const message = el('textarea', { id: 'cart-reminder-message', rows: 3, maxlength: 1000, 'aria-describedby': 'cart-reminder-vars' });
  const cartTpl = templateInputs('cart-reminder-template', null);
  const orderEnabled = el('input', { type: 'checkbox', id: 'order-updates-enabled' });
  const paidTpl = templateInputs('order-paid-template', t.paid);
  const fulfilledTpl = templateInputs('order-fulfilled-template', t.fulfilled);
  const save = el('button', { type: 'submit', className: 'btn btn-primary' }, t.save);
  const form = el(
    'form',
    { className: 'settings-form', id: 'proactive-form', 'aria-labelledby': 'proactive-cart-heading', novalidate: true },
    el('h3', { id: 'proactive-cart-heading' }, t.cartHeading),
    el('label', { className: 'toggle', for: 'cart-reminder-enabled' }, cartEnabled, el('span', {}, t.cartEnabled)),
    el('div', { className: 'field' }, el('label', { for: 'cart-reminder-delay' }, t.delay), delay),
    el('div', { className: 'field' }, el('label', { for: 'cart-reminder-message' }, t.message), message, el('span', { className: 'hint', id: 'cart-reminder-vars' }, t.variables)),
    ...cartTpl.nodes,
    el('h3', {}, t.orderHeading),
    el('label', { className: 'toggle', for: 'order-updates-enabled' }, orderEnabled, el('span', {}, t.orderEnabled)),
    ...paidTpl.nodes,
    ...fulfilledTpl.nodes,
    el('p', { className: 'hint' }, t.orderVariables),
    status,
    save,
  );
  for (const input of form.querySelectorAll('input, textarea')) (input as HTMLInputElement).disabled = !admin;
  save.hidden = !admin;

  // A server refusal names its field (cart_reminder.template.parameters[1] -> that input).
  const byField: Array<[string, HTMLElement]> = [
    ['cart_reminder.delay_seconds', delay],
    ['cart_reminder.message', message],
    ['cart_reminder.template.name', cartTpl.inputs.name!],
    ['cart_reminder.template.language', cartTpl.inputs.language!],
    ['cart_reminder.template', cartTpl.inputs.parameters!],
    ['cart_reminder.enabled', cartEnabled],
    ['order_updates.paid.name', paidTpl.inputs.name!],
    ['order_updates.paid.language', paidTpl.inputs.language!],
    ['order_updates.paid', paidTpl.inputs.parameters!],
    ['order_updates.fulfilled.name', fulfilledTpl.inputs.name!],
    ['order_updates.fulfilled.language', fulfilledTpl.inputs.language!],
    ['order_updates.fulfilled', fulfilledTpl.inputs.parameters!],
    ['order_updates.enabled', orderEnabled],
  ];
  const fill = (s: ProactiveSettings): void => {
    cartEnabled.checked = s.cart_reminder.enabled;
    delay.value = String(Math.round((s.cart_reminder.delay_seconds / 60) * 100) / 100);
    message.value = s.cart_reminder.message ?? '';
    cartTpl.fill(s.cart_reminder.template);
    orderEnabled.checked = s.order_updates.enabled;
    paidTpl.fill(s.order_updates.paid);
    fulfilledTpl.fill(s.order_updates.fulfilled);
  };

  const table = dataTable<CartReminder>({
    id: 'cart-reminders-table',
    caption: t.recent,
    headings: [t.queued, t.cart, t.channel, t.total, t.status],
    empty: t.empty,
    row: (r) =>
      el(
        'tr',
        { 'data-cart-id': r.cart_id, 'data-status': r.status },
        el('td', {}, el('time', { datetime: r.queued_at, title: fullTime(r.queued_at) }, shortTime(r.queued_at))),
        el('td', { className: 'mono' }, r.cart_id),
        el('td', {}, r.channel ?? '—'),
        el('td', { className: 'num' }, r.total !== null && r.currency ? formatMoney(r.total, r.currency) : '—'),
        el('td', {}, (t.statuses[r.status] ?? r.status) + (r.reason ? ` (${r.reason})` : '')),
      ),
  });
  body.append(el('h2', {}, t.tab), el('p', { className: 'hint' }, t.hint), form, el('h3', {}, t.recent), ...table.nodes);

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    say('');
    const minutes = Number(delay.value.trim().replace(',', '.'));
    if (!delay.value.trim() || !Number.isFinite(minutes) || minutes <= 0) {
      say(t.badDelay, true);
      delay.focus();
      return;
    }
    const patch = {
      cart_reminder: {
        enabled: cartEnabled.checked,
        delay_seconds: Math.max(1, Math.round(minutes * 60)),
        message: message.value.trim() ? message.value : null,
        template: cartTpl.read(),
      },
      order_updates: { enabled: orderEnabled.checked, paid: paidTpl.read(), fulfilled: fulfilledTpl.read() },
    };
    save.disabled = true;
    api
      .patchProactiveSettings(patch)
      .then((s) => {
        fill(s);
        say(t.saved);
      })
      .catch((e: unknown) => {
        say(why(e), true);
        const field = e instanceof ApiError ? e.field : null;
        if (field) byField.find(([k]) => field === k || field.startsWith(`${k}.`) || field.startsWith(`${k}[`))?.[1].focus();
      })
      .finally(() => (save.disabled = false));
  });

  try {
    fill(await api.proactiveSettings());
  } catch (e) {
    say(why(e), true);
  }
  await table.load(() => api.cartReminders(), (e) => say(why(e), true));
}
