// Settings screens: channels (with the webhook URL to paste into each provider) and merchant
// webhooks (with their delivery log). Admins change things; agents see them.

import { ApiError } from '../shared/http';
import { clear, el } from '../shared/dom';
import { adminText as t, common, lang, type Lang } from '../shared/strings';
import { fullTime, shortTime } from '../shared/time';
import type { Agent } from '../shared/types';
import type { Channel, ConsoleApi, WebhookDelivery, WebhookEndpoint } from './api';
import { serviceTab } from './service-settings';
import { kbTab, kbTabLabel } from './kb-admin';
import { discountsTab, discountsTabLabel } from './discounts-admin';
import { cannedTab, cannedTabLabel } from './canned-admin';
import { macrosTab, macrosTabLabel } from './macros';
import { macroRunsTab } from './macro-runs';
import { paymentsTab, paymentsTabLabel } from './payments-admin';
import { teamsTab, teamsTabLabel } from './teams-admin';
import { proactiveTab, proactiveTabLabel } from './proactive-admin';
import { payoutsTab, payoutsTabLabel } from './payouts-admin';
import { copyButton as copyButtonKit, typedCreateForm, type FieldSpec } from './admin-kit';

/** The settings each channel type takes (docs/channels.md); secrets are write-only on the server. */
export const CHANNEL_FIELDS: Record<string, FieldSpec[]> = {
  webchat: [],
  whatsapp: [
    { name: 'phone_number_id' },
    { name: 'access_token', secret: true },
    { name: 'app_secret', secret: true },
    { name: 'verify_token', secret: true },
    { name: 'api_base_url', optional: true },
  ],
  messenger: [
    { name: 'page_id' },
    { name: 'page_access_token', secret: true },
    { name: 'app_secret', secret: true },
    { name: 'verify_token', secret: true },
    { name: 'api_base_url', optional: true },
  ],
  instagram: [
    { name: 'page_id' },
    { name: 'page_access_token', secret: true },
    { name: 'app_secret', secret: true },
    { name: 'verify_token', secret: true },
    { name: 'api_base_url', optional: true },
  ],
  telegram: [
    { name: 'bot_token', secret: true },
    { name: 'secret_token', secret: true },
    { name: 'api_base_url', optional: true },
  ],
  twilio: [
    { name: 'account_sid' },
    { name: 'auth_token', secret: true },
    { name: 'from' },
    { name: 'api_base_url', optional: true },
  ],
  viber: [
    { name: 'auth_token', secret: true },
    { name: 'sender_name' },
    { name: 'sender_avatar', optional: true },
    { name: 'api_base_url', optional: true },
  ],
  // Plaintext mode only: the account's message encryption must be set to plaintext.
  wechat: [
    { name: 'app_id' },
    { name: 'app_secret', secret: true },
    { name: 'token', secret: true },
    { name: 'api_base_url', optional: true },
  ],
};

/** The connection test (POST /api/v1/channels/{id}/test): the provider's identity call. */
const testText = {
  en: {
    heading: 'Connection',
    button: 'Test connection',
    buttonFor: (n: string): string => `Test the connection of ${n}`,
    testing: 'Testing…',
    ok: (who: string): string => `Connected: ${who}`,
    failed: (why: string): string => `Failed: ${why}`,
    none: 'nothing to test',
  },
  it: {
    heading: 'Connessione',
    button: 'Prova la connessione',
    buttonFor: (n: string): string => `Prova la connessione di ${n}`,
    testing: 'Prova in corso…',
    ok: (who: string): string => `Connesso: ${who}`,
    failed: (why: string): string => `Non riuscita: ${why}`,
    none: 'niente da provare',
  },
  de: {
    heading: 'Verbindung',
    button: 'Verbindung testen',
    buttonFor: (n: string): string => `Verbindung von ${n} testen`,
    testing: 'Wird getestet…',
    ok: (who: string): string => `Verbunden: ${who}`,
    failed: (why: string): string => `Fehlgeschlagen: ${why}`,
    none: 'nichts zu testen',
  },
  nl: {
    heading: 'Verbinding',
    button: 'Verbinding testen',
    buttonFor: (n: string): string => `De verbinding van ${n} testen`,
    testing: 'Bezig met testen…',
    ok: (who: string): string => `Verbonden: ${who}`,
    failed: (why: string): string => `Mislukt: ${why}`,
    none: 'niets te testen',
  },
} satisfies Record<Lang, unknown>;
const tt = testText[lang];
/** Channel types without a provider account to test. */
const UNTESTABLE = new Set(['webchat', 'email']);

export const WEBHOOK_EVENTS = ['message.created', 'message.updated', 'conversation.created', 'conversation.updated'];

function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return common.networkError;
    if (e.status === 403) return t.adminOnly;
    const field = e.field ? ` (${e.field})` : '';
    if (e.message) return `${e.message}${field}`;
  }
  return common.genericError;
}

function copyButton(value: string, label: string): HTMLButtonElement {
  return copyButtonKit(value, label, t);
}

export type SettingsTab = 'channels' | 'webhooks' | 'team' | 'teams' | 'service' | 'proactive' | 'kb' | 'discounts' | 'canned' | 'macros' | 'macro-runs' | 'payments' | 'payouts';


export function renderSettings(container: HTMLElement, api: ConsoleApi, agent: Agent, tab: SettingsTab): void {
  clear(container);
  const nav = el(
    'nav',
    { className: 'settings-tabs', 'aria-label': t.settingsHeading },
    el('a', { href: '#/settings/channels', 'aria-current': tab === 'channels' ? 'page' : null }, t.channelsTab),
    el('a', { href: '#/settings/webhooks', 'aria-current': tab === 'webhooks' ? 'page' : null }, t.webhooksTab),
    el('a', { href: '#/settings/team', 'aria-current': tab === 'team' ? 'page' : null }, t.agentsTab),
    el('a', { href: '#/settings/teams', 'aria-current': tab === 'teams' ? 'page' : null }, teamsTabLabel),
    el('a', { href: '#/settings/service', 'aria-current': tab === 'service' ? 'page' : null }, t.serviceTab),
    el('a', { href: '#/settings/kb', 'aria-current': tab === 'kb' ? 'page' : null }, kbTabLabel),
    el('a', { href: '#/settings/discounts', 'aria-current': tab === 'discounts' ? 'page' : null }, discountsTabLabel),
    el('a', { href: '#/settings/proactive', 'aria-current': tab === 'proactive' ? 'page' : null }, proactiveTabLabel),
    el('a', { href: '#/settings/canned', 'aria-current': tab === 'canned' ? 'page' : null }, cannedTabLabel),
    el('a', { href: '#/settings/macros', 'aria-current': tab === 'macros' || tab === 'macro-runs' ? 'page' : null }, macrosTabLabel),
    el('a', { href: '#/settings/payments', 'aria-current': tab === 'payments' ? 'page' : null }, paymentsTabLabel),
    el('a', { href: '#/settings/payouts', 'aria-current': tab === 'payouts' ? 'page' : null }, payoutsTabLabel),
  );
  const body = el('div', { className: 'settings-body' });
  container.append(el('h1', { className: 'settings-heading' }, t.settingsHeading), nav, body);
  if (agent.role !== 'admin' && tab !== 'canned' && tab !== 'macro-runs') body.append(el('p', { className: 'hint' }, t.readOnly));
  if (tab === 'channels') void channels(body, api, agent);
  else if (tab === 'kb') void kbTab(body, api, agent);
  else if (tab === 'discounts') void discountsTab(body, api, agent);
  else if (tab === 'canned') void cannedTab(body, api, agent);
  else if (tab === 'macros') void macrosTab(body, api, agent);
  else if (tab === 'macro-runs') void macroRunsTab(body, api);
  else if (tab === 'payments') void paymentsTab(body, api, agent);
  else if (tab === 'team') void teamTab(body, api, agent);
  else if (tab === 'teams') void teamsTab(body, api, agent);
  else if (tab === 'proactive') void proactiveTab(body, api, agent);
  else if (tab === 'payouts') void payoutsTab(body, api, agent);
  else if (tab === 'service') void serviceTab(body, api, agent);
  else void webhooks(body, api, agent);
}

// ---------------------------------------------------------------- channels

async function channels(body: HTMLElement, api: ConsoleApi, agent: Agent): Promise<void> {
  const tableBody = el('tbody');
  const table = el(
    'table',
    { className: 'data-table', id: 'channels-table' },
    el('caption', { className: 'sr-only' }, t.channelsTab),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { scope: 'col' }, t.name),
        el('th', { scope: 'col' }, t.type),
        el('th', { scope: 'col' }, t.webhookUrl),
        el('th', { scope: 'col' }, t.created),
        agent.role === 'admin' ? el('th', { scope: 'col' }, tt.heading) : null,
      ),
    ),
    tableBody,
  );
  const status = el('p', { className: 'form-error', role: 'alert' });
  body.append(el('h2', {}, t.channelsTab), table, status);

  const row = (c: Channel): HTMLTableRowElement =>
    el(
      'tr',
      { 'data-channel-id': c.id },
      el('td', {}, c.name),
      el('td', {}, el('span', { className: 'chip chip-channel' }, c.type)),
      el('td', { className: 'mono' }, c.webhook_url ? el('code', {}, c.webhook_url) : '—', c.webhook_url ? copyButton(c.webhook_url, t.copyWebhook(c.name)) : null),
      el('td', {}, el('time', { datetime: c.created_at, title: fullTime(c.created_at) }, shortTime(c.created_at))),
      agent.role === 'admin' ? el('td', { className: 'channel-test' }, testButton(api, c)) : null,
    );
  try {
    for (const c of await api.listChannels()) tableBody.append(row(c));
  } catch (e) {
    status.textContent = errorText(e);
  }
  if (agent.role !== 'admin') return;

  // Add a channel.
  const form = typedCreateForm<Channel>({
    idPrefix: 'new-channel',
    heading: t.addChannel,
    specs: CHANNEL_FIELDS,
    fieldPrefix: 'setting-',
    labels: { type: t.type, name: t.name, optional: t.optional, submit: t.addChannel, required: t.required },
    extra: (k) => (k === 'webchat' ? el('p', { className: 'hint' }, t.webchatHint) : null),
    errorText,
    create: (type, name, settings) => api.createChannel(type, name, settings),
    onCreated: (c, result) => {
      tableBody.append(row(c));
      result.append(
        el('p', {}, t.channelCreated(c.name)),
        c.type === 'webchat'
          ? el('p', {}, el('code', {}, `<script src="${location.origin}/widget.js" data-channel="${c.id}" async></script>`))
          : el('p', {}, t.pasteWebhook, ' ', el('code', { id: 'new-channel-webhook' }, c.webhook_url), copyButton(c.webhook_url, t.copyWebhook(c.name))),
      );
    },
  });
  body.append(form);
}

/** "Test connection": the provider names the account behind the credentials, or says what is wrong. */
function testButton(api: ConsoleApi, c: Channel): HTMLElement {
  if (UNTESTABLE.has(c.type)) return el('span', { className: 'hint' }, tt.none);
  const button = el('button', { type: 'button', className: 'btn btn-secondary btn-small', 'aria-label': tt.buttonFor(c.name) }, tt.button);
  const result = el('span', { className: 'channel-test-result', role: 'status', 'aria-live': 'polite' });
  button.addEventListener('click', () => {
    button.disabled = true;
    result.className = 'channel-test-result';
    delete result.dataset.ok;
    result.textContent = tt.testing;
    api
      .testChannel(c.id)
      .then((r) => {
        result.dataset.ok = String(r.ok);
        if (r.ok && r.account) {
          const who = [r.account.name, r.account.detail].filter((x) => x).join(' · ') || r.account.id;
          result.textContent = tt.ok(who);
        } else {
          const e = r.error;
          result.textContent = tt.failed(e ? `${e.code}: ${e.message}` : '');
          result.classList.add('is-error');
        }
      })
      .catch((e: unknown) => {
        result.dataset.ok = 'false';
        result.textContent = tt.failed(errorText(e));
        result.classList.add('is-error');
      })
      .finally(() => (button.disabled = false));
  });
  return el('span', { className: 'channel-test-cell' }, button, ' ', result);
}

// ---------------------------------------------------------------- merchant webhooks

async function webhooks(body: HTMLElement, api: ConsoleApi, agent: Agent): Promise<void> {
  const list = el('ul', { className: 'endpoint-list', id: 'endpoint-list' });
  const status = el('p', { className: 'form-error', role: 'alert' });
  const log = el('section', { className: 'delivery-log', 'aria-live': 'polite' });
  body.append(el('h2', {}, t.webhooksTab), el('p', { className: 'hint' }, t.webhooksHint), list, status, log);

  const item = (ep: WebhookEndpoint): HTMLLIElement => {
    const show = el('button', { type: 'button', className: 'btn btn-secondary btn-small' }, t.deliveries);
    show.addEventListener('click', () => void deliveries(log, api, ep));
    return el(
      'li',
      { 'data-endpoint-id': ep.id },
      el('code', {}, ep.url),
      el('span', { className: 'hint' }, ep.events.length ? ep.events.join(', ') : t.allEvents),
      show,
    );
  };
  try {
    for (const ep of await api.listWebhookEndpoints()) list.append(item(ep));
  } catch (e) {
    status.textContent = errorText(e);
  }
  if (agent.role !== 'admin') return;

  const url = el('input', { id: 'new-endpoint-url', type: 'url', required: true, placeholder: 'https://', autocomplete: 'off' });
  const boxes = WEBHOOK_EVENTS.map((ev) => {
    const id = `event-${ev.replace('.', '-')}`;
    return { ev, box: el('input', { type: 'checkbox', id, value: ev }), id };
  });
  const error = el('p', { className: 'form-error', role: 'alert' });
  const result = el('div', { className: 'result', role: 'status' });
  const submit = el('button', { type: 'submit', className: 'btn btn-primary' }, t.addEndpoint);
  const form = el(
    'form',
    { className: 'settings-form', 'aria-labelledby': 'add-endpoint-heading', novalidate: true },
    el('h2', { id: 'add-endpoint-heading' }, t.addEndpoint),
    el('div', { className: 'field' }, el('label', { for: 'new-endpoint-url' }, t.url), url),
    el(
      'fieldset',
      { className: 'events' },
      el('legend', {}, t.events),
      ...boxes.map(({ ev, box, id }) => el('label', { className: 'toggle', for: id }, box, el('span', {}, ev))),
      el('p', { className: 'hint' }, t.eventsHint),
    ),
    error,
    submit,
    result,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    error.textContent = '';
    clear(result);
    if (!url.value.trim()) {
      error.textContent = t.required(t.url);
      url.focus();
      return;
    }
    const events = boxes.filter((b) => b.box.checked).map((b) => b.ev);
    submit.disabled = true;
    api
      .createWebhookEndpoint(url.value.trim(), events)
      .then((ep) => {
        list.append(item(ep));
        result.append(el('p', {}, t.secretOnce), el('p', {}, el('code', { id: 'new-endpoint-secret' }, ep.secret ?? ''), copyButton(ep.secret ?? '', t.copy)));
        form.reset();
      })
      .catch((e: unknown) => {
        error.textContent = errorText(e);
        url.focus();
      })
      .finally(() => (submit.disabled = false));
  });
  body.append(form);
}

async function deliveries(log: HTMLElement, api: ConsoleApi, ep: WebhookEndpoint): Promise<void> {
  clear(log);
  log.append(el('h2', {}, t.deliveriesFor(ep.url)));
  let rows: WebhookDelivery[];
  try {
    rows = await api.listDeliveries(ep.id);
  } catch (e) {
    log.append(el('p', { className: 'form-error' }, errorText(e)));
    return;
  }
  if (rows.length === 0) {
    log.append(el('p', { className: 'hint' }, t.noDeliveries));
    return;
  }
  log.append(
    el(
      'table',
      { className: 'data-table', id: 'deliveries-table' },
      el(
        'thead',
        {},
        el('tr', {}, ...[t.when, t.event, t.attempt, t.result, t.duration].map((h) => el('th', { scope: 'col' }, h))),
      ),
      el(
        'tbody',
        {},
        ...rows.map((d) => {
          const ok = d.status_code !== null && d.status_code >= 200 && d.status_code < 300;
          return el(
            'tr',
            { className: ok ? 'ok' : 'failed' },
            el('td', {}, el('time', { datetime: d.created_at, title: fullTime(d.created_at) }, shortTime(d.created_at))),
            el('td', {}, d.event_type),
            el('td', { className: 'num' }, String(d.attempt)),
            el('td', {}, d.status_code !== null ? String(d.status_code) : '—', d.error ? ` ${d.error}` : ''),
            el('td', { className: 'num' }, `${d.duration_ms} ms`),
          );
        }),
      ),
    ),
  );
}

// ---------------------------------------------------------------- team

async function teamTab(body: HTMLElement, api: ConsoleApi, me: Agent): Promise<void> {
  const tbody = el('tbody');
  const status = el('p', { className: 'form-error', role: 'alert', id: 'team-error' });
  const saved = el('p', { className: 'hint', role: 'status' });
  body.append(
    el('h2', {}, t.agentsTab),
    el(
      'table',
      { className: 'data-table', id: 'team-table' },
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, t.name), el('th', { scope: 'col' }, t.email), el('th', { scope: 'col' }, t.role))),
      tbody,
    ),
    status,
    saved,
  );
  const row = (a: Agent): HTMLTableRowElement => {
    let roleCell: HTMLElement;
    if (me.role === 'admin') {
      const select = el('select', { 'aria-label': t.roleOf(a.name || a.email), 'data-agent-id': a.id });
      for (const r of ['admin', 'agent']) select.append(el('option', { value: r }, t.roles[r] ?? r));
      select.value = a.role;
      select.addEventListener('change', () => {
        status.textContent = '';
        saved.textContent = '';
        const wanted = select.value as 'admin' | 'agent';
        api
          .updateAgent(a.id, { role: wanted })
          .then((u) => {
            a.role = u.role;
            saved.textContent = t.roleChanged(u.name || u.email);
          })
          .catch((e: unknown) => {
            select.value = a.role;
            status.textContent = errorText(e);
          });
      });
      roleCell = select;
    } else {
      roleCell = el('span', {}, t.roles[a.role] ?? a.role);
    }
    return el('tr', { 'data-agent-id': a.id }, el('td', {}, a.name), el('td', {}, a.email), el('td', {}, roleCell));
  };
  try {
    for (const a of await api.listAgents()) tbody.append(row(a));
  } catch (e) {
    status.textContent = errorText(e);
  }
  if (me.role !== 'admin') return;

  const email = el('input', { id: 'new-agent-email', type: 'email', required: true, autocomplete: 'off' });
  const name = el('input', { id: 'new-agent-name', required: true, maxlength: 200, autocomplete: 'off' });
  const role = el('select', { id: 'new-agent-role' });
  for (const r of ['agent', 'admin']) role.append(el('option', { value: r }, t.roles[r] ?? r));
  const password = el('input', { id: 'new-agent-password', type: 'password', required: true, minlength: 10, autocomplete: 'new-password' });
  const error = el('p', { className: 'form-error', role: 'alert', id: 'new-agent-error' });
  const result = el('p', { className: 'result', role: 'status' });
  const submit = el('button', { type: 'submit', className: 'btn btn-primary' }, t.addAgent);
  const form = el(
    'form',
    { className: 'settings-form', 'aria-labelledby': 'add-agent-heading', novalidate: true },
    el('h2', { id: 'add-agent-heading' }, t.addAgent),
    el('div', { className: 'field' }, el('label', { for: 'new-agent-email' }, t.email), email),
    el('div', { className: 'field' }, el('label', { for: 'new-agent-name' }, t.name), name),
    el('div', { className: 'field' }, el('label', { for: 'new-agent-role' }, t.role), role),
    el('div', { className: 'field' }, el('label', { for: 'new-agent-password' }, t.firstPassword), password),
    error,
    submit,
    result,
  );
  const inputs: Record<string, HTMLInputElement | HTMLSelectElement> = { email, name, role, password };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    error.textContent = '';
    result.textContent = '';
    for (const [k, input] of Object.entries(inputs)) {
      if (!input.value.trim()) {
        error.textContent = t.required(k === 'password' ? t.firstPassword : k === 'email' ? t.email : t.name);
        input.focus();
        return;
      }
    }
    submit.disabled = true;
    api
      .createAgent({ email: email.value.trim(), name: name.value.trim(), role: role.value as 'admin' | 'agent', password: password.value })
      .then((a) => {
        tbody.append(row(a));
        result.textContent = t.agentCreated(a.name || a.email);
        form.reset();
      })
      .catch((e: unknown) => {
        error.textContent = errorText(e);
        const field = e instanceof ApiError ? e.field : null;
        if (field && inputs[field]) inputs[field]?.focus();
      })
      .finally(() => (submit.disabled = false));
  });
  body.append(form);
}
