// Agent console: login, inbox, thread, composer, live updates.

import './console.css';
import { ApiError } from '../shared/http';
import { LiveSocket, wsOrigin, type LiveState } from '../shared/live-socket';
import { clear, el } from '../shared/dom';
import { common, consoleText as t, lang, LANGUAGES, LANGUAGE_NAMES, saveLanguage, type Lang } from '../shared/strings';
import { fullTime, shortTime } from '../shared/time';
import type { Agent, Conversation, Message } from '../shared/types';
import { ConsoleApi } from './api';
import { InboxStore, activity, facets, NO_FILTERS, type Filters, type StatusFilter } from './store';
import { renderContent } from './render';
import { shortDuration, slaBadge } from './service';
import { attachCannedPicker } from './canned';
import { attachControl } from './attach';
import { renderSettings, type SettingsTab } from './admin';
import { OPEN_MESSAGE_EVENT, type OpenMessageDetail } from './macro-runs';
import { buildSellPanel, type SellPanel } from './sell';
import { paidPaymentOf } from '../chat/cards';
import { renderReports } from './reports';
import { refundPanel, type RefundPanel } from './refund';
import { windowControl, type WindowControl } from './window';
import { customerPanel, type CustomerPanel } from './customer';
import { teamText, transferControl } from './transfer';
import { snoozeChipText, snoozeMenu } from './snooze';
import { attachMentionPicker, mentionLine, mentionsControl, messageSearch, type MentionsControl } from './agent-tools';
import { macroMenu } from './macros';
import type { Team } from './api';
import { adminText, reportsText } from '../shared/strings';

const api = new ConsoleApi();
const root = document.getElementById('app') as HTMLElement;
document.title = t.documentTitle;
document.documentElement.lang = lang;

let store = new InboxStore();
let live: LiveSocket | null = null;
let selectedId: string | null = null;
let filters: Filters = { ...NO_FILTERS };
let me: Agent | null = null;
/** The shop's agents by id (names for assignees). */
let team = new Map<string, Agent>();
/** The shop's teams (the inbox's team filter). */
let teams: Team[] = [];

async function loadTeams(): Promise<void> {
  try {
    teams = await api.listTeams();
    syncFacets();
  } catch {
    // the filter offers "All teams" only
  }
}

async function loadTeam(): Promise<void> {
  try {
    const agents = await api.listAgents();
    team = new Map(agents.map((a) => [a.id, a]));
    renderList();
    renderThreadHeader();
  } catch {
    // names fall back to "a colleague"
  }
}

function agentName(id: string): string | null {
  const a = team.get(id);
  return a ? a.name || a.email : null;
}
let loadGeneration = 0;

function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return common.networkError;
    if (e.status === 429) return common.rateLimited(e.retryAfter);
  }
  return common.genericError;
}

// ---------------------------------------------------------------- login

function showLogin(message?: string): void {
  live?.stop();
  live = null;
  store = new InboxStore();
  selectedId = null;
  shell = null;
  threadView = null;
  refundPanels.clear();
  clear(root);

  const email = el('input', { id: 'login-email', name: 'email', type: 'email', autocomplete: 'username', required: true });
  const password = el('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const error = el('p', { className: 'form-error', role: 'alert', id: 'login-error' });
  if (message) error.textContent = message;
  const submit = el('button', { type: 'submit', className: 'btn btn-primary' }, t.signIn);

  const form = el(
    'form',
    { className: 'login-card', 'aria-labelledby': 'login-heading', novalidate: true },
    el('div', { className: 'brand brand-large', 'aria-hidden': 'true' }, t.appTitle),
    el('h1', { id: 'login-heading' }, t.loginHeading),
    el('div', { className: 'field' }, el('label', { for: 'login-email' }, t.email), email),
    el('div', { className: 'field' }, el('label', { for: 'login-password' }, t.password), password),
    error,
    submit,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!email.value || !password.value) {
      (email.value ? password : email).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = t.signingIn;
    error.textContent = '';
    api
      .login(email.value.trim(), password.value)
      .then((s) => showApp(s.agent))
      .catch((e: unknown) => {
        submit.disabled = false;
        submit.textContent = t.signIn;
        error.textContent = e instanceof ApiError && e.status === 401 ? t.invalidCredentials : errorText(e);
        password.select();
        password.focus();
      });
  });

  root.appendChild(el('main', { className: 'login-page' }, form));
  email.focus();
}

// ---------------------------------------------------------------- app shell

interface Shell {
  liveStatus: HTMLElement;
  list: HTMLUListElement;
  listEmpty: HTMLElement;
  thread: HTMLElement;
  channelSelect: HTMLSelectElement;
  tagSelect: HTMLSelectElement;
  teamSelect: HTMLSelectElement;
}

let shell: Shell | null = null;
let mentions: MentionsControl | null = null;
/** A message to show once its conversation's thread is on screen (a search hit, a mention). */
let focusMessageId: string | null = null;

function showApp(agent: Agent): void {
  clear(root);
  store = new InboxStore();
  selectedId = null;
  me = agent;

  const liveStatus = el('span', { className: 'live live-connecting', role: 'status' }, t.liveConnecting);
  const signOut = el('button', { type: 'button', className: 'btn btn-quiet' }, t.signOut);
  signOut.addEventListener('click', () => {
    void api.logout().finally(() => showLogin());
  });

  // Availability: online agents receive conversations by automatic assignment (docs/service.md).
  const availability = el('button', { type: 'button', className: 'btn btn-quiet availability', id: 'availability-toggle', 'aria-pressed': 'false' }, t.availabilityAway);
  const paintAvailability = (status: 'online' | 'away'): void => {
    availability.setAttribute('aria-pressed', status === 'online' ? 'true' : 'false');
    availability.dataset.status = status;
    availability.textContent = status === 'online' ? t.availabilityOnline : t.availabilityAway;
    availability.title = status === 'online' ? t.availabilityOnlineHint : t.availabilityAwayHint;
  };
  paintAvailability('away');
  void api
    .listAvailability()
    .then((list) => paintAvailability(list.find((a) => a.agent_id === agent.id)?.status ?? 'away'))
    .catch(() => undefined);
  availability.addEventListener('click', () => {
    const next = availability.dataset.status === 'online' ? 'away' : 'online';
    availability.disabled = true;
    api
      .setAvailability(agent.id, next)
      .then((a) => paintAvailability(a.status))
      .catch(() => undefined)
      .finally(() => {
        availability.disabled = false;
      });
  });

  const langSelect = el('select', { id: 'language-select' });
  for (const l of LANGUAGES) langSelect.appendChild(el('option', { value: l }, LANGUAGE_NAMES[l]));
  langSelect.value = lang;
  langSelect.addEventListener('change', () => {
    saveLanguage(langSelect.value as Lang);
    location.reload();
  });

  const select = el('select', { id: 'status-filter' });
  const options: [StatusFilter, string][] = [
    ['all', t.filterAll],
    ['open', t.filterOpen],
    ['pending', t.filterPending],
    ['snoozed', t.filterSnoozed],
    ['resolved', t.filterResolved],
  ];
  for (const [value, label] of options) select.appendChild(el('option', { value }, label));
  select.value = filters.status;
  select.addEventListener('change', () => {
    filters = { ...filters, status: select.value as StatusFilter };
    renderList();
  });
  const channelSelect = el('select', { id: 'channel-filter' });
  channelSelect.addEventListener('change', () => {
    filters = { ...filters, channelType: channelSelect.value };
    renderList();
  });
  const tagSelect = el('select', { id: 'tag-filter' });
  tagSelect.addEventListener('change', () => {
    filters = { ...filters, tag: tagSelect.value };
    renderList();
  });
  // A team's inbox: its conversations are fetched with ?team_id= (the snapshot holds the newest
  // only) and merged; the list then shows those of the team.
  const teamSelect = el('select', { id: 'team-filter' });
  teamSelect.addEventListener('change', () => {
    const id = teamSelect.value;
    filters = { ...filters, team: id };
    renderList();
    if (id)
      void api
        .listConversations(5, id)
        .then((list) => {
          for (const c of list) store.upsertConversation(c);
          renderList();
        })
        .catch(() => undefined);
  });
  const assigneeSelect = el('select', { id: 'assignee-filter' });
  for (const [value, label] of [
    ['', t.assigneeAll],
    ['me', t.assigneeMe],
    ['none', t.assigneeNone],
  ] as const)
    assigneeSelect.appendChild(el('option', { value }, label));
  assigneeSelect.value = filters.assignee;
  assigneeSelect.addEventListener('change', () => {
    filters = { ...filters, assignee: assigneeSelect.value as Filters['assignee'] };
    renderList();
  });
  const sortSelect = el('select', { id: 'sort-order' });
  for (const [value, label] of [
    ['score', t.sortScore],
    ['recent', t.sortRecent],
  ] as const)
    sortSelect.appendChild(el('option', { value }, label));
  sortSelect.value = filters.sort;
  sortSelect.addEventListener('change', () => {
    filters = { ...filters, sort: sortSelect.value as Filters['sort'] };
    renderList();
  });
  const unreadBox = el('input', { type: 'checkbox', id: 'unread-filter' });
  unreadBox.checked = filters.unreadOnly;
  unreadBox.addEventListener('change', () => {
    filters = { ...filters, unreadOnly: unreadBox.checked };
    renderList();
  });
  const settings = el('main', { className: 'settings', id: 'settings-view', hidden: true });
  const reports = el('main', { className: 'reports', id: 'reports-view', hidden: true });
  const helpButton = el('button', { type: 'button', className: 'btn btn-quiet', id: 'shortcuts-button', 'aria-haspopup': 'dialog' }, t.shortcutsButton);
  helpButton.addEventListener('click', () => showShortcuts());

  mentions = mentionsControl(api, (conversationId, messageId) => void openMessage(conversationId, messageId));
  const search = messageSearch(api, (c, messageId) => void openMessage(c.id, messageId, c));
  // Settings > Macros > Macro runs opens a run's conversation at its audit note.
  window.addEventListener(OPEN_MESSAGE_EVENT, (ev) => {
    const d = (ev as CustomEvent<OpenMessageDetail>).detail;
    if (d && typeof d.conversation_id === 'string') void openMessage(d.conversation_id, d.message_id ?? '');
  });
  const list = el('ul', { className: 'conv-list', id: 'conversation-list', 'aria-labelledby': 'inbox-heading' });
  const listEmpty = el('p', { className: 'empty', hidden: true }, t.emptyInbox);
  const thread = el('section', { className: 'thread', 'aria-labelledby': 'thread-title' });

  root.appendChild(
    el(
      'div',
      { className: 'app' },
      el(
        'header',
        { className: 'topbar' },
        el('span', { className: 'brand' }, t.appTitle),
        liveStatus,
        el(
          'nav',
          { className: 'topnav', 'aria-label': adminText.navSettings },
          el('a', { href: '#/inbox', id: 'nav-inbox' }, adminText.navInbox),
          agent.role === 'admin' ? el('a', { href: '#/reports', id: 'nav-reports' }, reportsText.navReports) : null,
          el('a', { href: '#/settings/channels', id: 'nav-settings' }, adminText.navSettings),
        ),
        el('span', { className: 'spacer' }),
        el('span', { className: 'whoami' }, t.signedInAs(agent.name || agent.email)),
        mentions.element,
        availability,
        el('label', { className: 'sr-only', for: 'language-select' }, t.languageLabel),
        langSelect,
        helpButton,
        signOut,
      ),
      settings,
      reports,
      el(
        'main',
        { className: 'layout', id: 'inbox-view' },
        el(
          'nav',
          { className: 'inbox', 'aria-labelledby': 'inbox-heading' },
          el(
            'div',
            { className: 'inbox-head' },
            el('h1', { id: 'inbox-heading' }, t.inboxHeading),
            el('span', { className: 'filter' }, el('label', { for: 'status-filter' }, t.filterLabel), select),
          ),
          search,
          el(
            'div',
            { className: 'filters', role: 'group', 'aria-label': t.filtersLabel },
            el('span', { className: 'filter' }, el('label', { for: 'channel-filter' }, t.channelFilterLabel), channelSelect),
            el('span', { className: 'filter' }, el('label', { for: 'tag-filter' }, t.tagFilterLabel), tagSelect),
            el('span', { className: 'filter' }, el('label', { for: 'assignee-filter' }, t.assigneeFilterLabel), assigneeSelect),
            el('span', { className: 'filter' }, el('label', { for: 'team-filter' }, teamText.filterLabel), teamSelect),
            el('span', { className: 'filter' }, el('label', { for: 'sort-order' }, t.sortLabel), sortSelect),
            el('label', { className: 'toggle', for: 'unread-filter' }, unreadBox, el('span', {}, t.unreadOnly)),
          ),
          list,
          listEmpty,
        ),
        thread,
      ),
    ),
  );
  shell = { liveStatus, list, listEmpty, thread, channelSelect, tagSelect, teamSelect };
  renderThreadPlaceholder();
  route();
  startLive();
  void loadTeam();
  void loadTeams();
}

/** `#/inbox` (the default), `#/reports` or `#/settings/<tab>`. */
function route(): void {
  const inbox = document.getElementById('inbox-view');
  const settings = document.getElementById('settings-view');
  const reports = document.getElementById('reports-view');
  if (!inbox || !settings || !reports || !me) return;
  const m = /^#\/settings(?:\/(channels|webhooks|team|teams|service|proactive|kb|discounts|canned|macros|macro-runs|payments|payouts))?$/.exec(location.hash);
  const inSettings = m !== null;
  const inReports = location.hash === '#/reports';
  inbox.hidden = inSettings || inReports;
  settings.hidden = !inSettings;
  reports.hidden = !inReports;
  document.getElementById('nav-inbox')?.setAttribute('aria-current', inSettings || inReports ? 'false' : 'page');
  document.getElementById('nav-settings')?.setAttribute('aria-current', inSettings ? 'page' : 'false');
  document.getElementById('nav-reports')?.setAttribute('aria-current', inReports ? 'page' : 'false');
  if (inSettings) renderSettings(settings, api, me, (m?.[1] as SettingsTab | undefined) ?? 'channels');
  else if (inReports) renderReports(reports, api, me);
  else if (team.size > 0) {
    // back from the settings: the agents and teams may have changed
    void loadTeam();
    void loadTeams();
  }
}
window.addEventListener('hashchange', route);

function setLiveState(state: LiveState): void {
  if (!shell) return;
  const text = state === 'live' ? t.liveConnected : state === 'connecting' ? t.liveConnecting : t.liveOffline;
  shell.liveStatus.textContent = text;
  shell.liveStatus.className = `live live-${state}`;
}

// ---------------------------------------------------------------- data loading + realtime

function startLive(): void {
  live?.stop();
  let loadedOnce = false;
  live = new LiveSocket({
    url: (cursor) => {
      const base = `${wsOrigin(location.origin)}/api/v1/realtime`;
      return cursor === null ? base : `${base}?cursor=${cursor}`;
    },
    onState: (state) => {
      setLiveState(state);
      // The socket cannot say why it closed: a lost session shows the login form.
      if (state === 'offline') void checkSession();
    },
    onReady: () => {
      // The first ready: take a snapshot. Events that arrive later are merged into it.
      if (!loadedOnce) {
        loadedOnce = true;
        void loadInbox();
      }
    },
    onOpen: (resumed) => {
      // Without a cursor nothing can be replayed: refresh the snapshot instead.
      if (loadedOnce && !resumed) void loadInbox();
      if (loadedOnce) mentions?.refresh();
    },
    onEvent: handleEvent,
  });
  live.start();
  // Show the inbox even if the socket is slow to say ready.
  setTimeout(() => {
    if (!loadedOnce) {
      loadedOnce = true;
      void loadInbox();
    }
  }, 1500);
}

let lastSessionCheck = 0;
async function checkSession(): Promise<void> {
  if (Date.now() - lastSessionCheck < 10_000) return;
  lastSessionCheck = Date.now();
  try {
    await api.session();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) showLogin();
  }
}

async function loadInbox(): Promise<void> {
  const gen = ++loadGeneration;
  try {
    const list = await api.listConversations();
    if (gen !== loadGeneration) return;
    store.replaceAll(list);
    renderList();
    if (selectedId && store.conversations.has(selectedId)) void loadThread(selectedId);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    if (shell) {
      shell.listEmpty.hidden = false;
      shell.listEmpty.textContent = errorText(e);
    }
  }
}

function handleEvent(ev: { type: string; data?: unknown }): void {
  switch (ev.type) {
    case 'conversation.created':
    case 'conversation.updated': {
      const c = ev.data as Conversation;
      if (!c?.id) return;
      if (store.upsertConversation(c)) {
        if (ev.type === 'conversation.created' && c.id !== selectedId) store.unread.add(c.id);
        renderList();
        if (c.id === selectedId) renderThreadHeader();
        // Its customer was merged into another one: the panel follows the kept contact.
        if (c.id === selectedId && sidePanels?.conversationId === c.id && c.contact?.id && c.contact.id !== sidePanels.customer.contactId)
          buildSidePanels(c.id);
      }
      refreshServiceFields(c.id);
      break;
    }
    case 'conversation.sla_breached':
    case 'csat.received': {
      // Its score (and comment) are read with the conversation.
      const d = ev.data as { conversation_id?: string };
      if (d?.conversation_id) refreshServiceFields(d.conversation_id);
      break;
    }
    case 'message.created':
    case 'message.updated': {
      const m = ev.data as Message;
      if (!m?.id || !m.conversation_id) return;
      const known = store.conversations.has(m.conversation_id);
      const result = store.applyMessage(m);
      if (m.conversation_id !== selectedId && m.direction === 'in') store.unread.add(m.conversation_id);
      if (!known) {
        void api
          .getConversation(m.conversation_id)
          .then((c) => {
            store.upsertConversation(c);
            store.applyMessage(m);
            renderList();
          })
          .catch(() => undefined);
      }
      renderList();
      // The customer wrote STOP (or START): the customer panel shows the new opt-out state.
      if (sidePanels?.conversationId === m.conversation_id && (m.content as { opt_out?: unknown } | undefined)?.opt_out)
        sidePanels.customer.refresh();
      // The customer tapped "Add to cart" (the server's note names the cart): the selling panel shows it.
      const tapped = m.kind === 'note' ? (m.content as { cart_id?: unknown } | undefined)?.cart_id : undefined;
      if (result === 'added' && sidePanels?.conversationId === m.conversation_id && typeof tapped === 'string') {
        sidePanels.cartChanged(tapped);
        sidePanels.customer.refresh();  // its open carts
      }
      if (m.conversation_id === selectedId) {
        // Render what the store kept, not the event: a late copy (the POST's answer after the
        // realtime "sent") keeps the later delivery state in the store, and must on screen too.
        const kept = store.threads.get(m.conversation_id)?.find((x) => x.id === m.id) ?? m;
        if (result === 'added') appendMessage(kept);
        else if (result === 'updated') replaceMessage(kept);
      }
      break;
    }
    case 'agent.mentioned':
      // Only the mentioned agent's sockets receive it: the badge counts it.
      mentions?.refresh();
      break;
    default:
      // A payment or refund changed: its panel under the payment card fetches it again.
      if (/^(payment|refund)\./.test(ev.type)) {
        const d = ev.data as { id?: string; payment_id?: string } | undefined;
        const id = ev.type.startsWith('refund.') ? d?.payment_id : d?.id;
        if (id) refundPanels.get(id)?.refresh();
      }
      if (/^(payment|order|refund|credit)\./.test(ev.type)) refreshSidePanels(ev.data);
      break;
  }
}

// ---------------------------------------------------------------- inbox list

function renderList(): void {
  if (!shell) return;
  const { list, listEmpty } = shell;
  const active = document.activeElement as HTMLElement | null;
  const focusedId = active?.dataset?.conversationId ?? null;
  syncFacets();
  const items = store.sorted(filters, me?.id ?? null);
  clear(list);
  for (const c of items) list.appendChild(renderConversationItem(c));
  listEmpty.hidden = items.length > 0;
  listEmpty.textContent = store.conversations.size === 0 ? t.emptyInbox : t.emptyFiltered;
  if (focusedId) {
    const again = list.querySelector<HTMLElement>(`[data-conversation-id="${CSS.escape(focusedId)}"]`);
    again?.focus();
  }
}

/** Keeps the channel and tag menus in step with what the inbox holds (and the current choice). */
function syncFacets(): void {
  if (!shell) return;
  const { channelTypes, tags } = facets(store.conversations.values());
  fillSelect(shell.channelSelect, t.channelAll, channelTypes, filters.channelType);
  fillSelect(shell.tagSelect, t.tagAll, tags, filters.tag);
  // Teams by name; a chosen team that was deleted meanwhile stays until another is chosen.
  const sel = shell.teamSelect;
  const wanted: [string, string][] = [['', teamText.allTeams], ...teams.map((x): [string, string] => [x.id, x.name])];
  if (filters.team && !teams.some((x) => x.id === filters.team)) wanted.push([filters.team, filters.team]);
  const have = [...sel.options].map((o) => `${o.value}\u0000${o.textContent ?? ''}`);
  if (have.length !== wanted.length || wanted.some(([v, l], i) => have[i] !== `${v}\u0000${l}`)) {
    clear(sel);
    for (const [value, label] of wanted) sel.appendChild(el('option', { value }, label));
  }
  sel.value = filters.team;
}

function fillSelect(select: HTMLSelectElement, anyLabel: string, values: string[], current: string): void {
  const wanted = ['', ...values];
  if (current && !values.includes(current)) wanted.push(current);
  const have = [...select.options].map((o) => o.value);
  if (have.length === wanted.length && have.every((v, i) => v === wanted[i])) return;
  clear(select);
  for (const v of wanted) select.appendChild(el('option', { value: v }, v === '' ? anyLabel : v));
  select.value = current;
}

function renderConversationItem(c: Conversation): HTMLLIElement {
  const name = c.contact?.name || t.unknownContact;
  // A last message without text (a photo, a sticker) is an attachment, not "no messages".
  const snippet = firstLine(c.last_message?.text) || (c.last_message ? t.attachment : t.noLastMessage);
  const when = activity(c);
  const unread = store.unread.has(c.id);
  const button = el(
    'button',
    {
      type: 'button',
      className: `conv${c.id === selectedId ? ' is-selected' : ''}${unread ? ' is-unread' : ''}`,
      'data-conversation-id': c.id,
      'aria-current': c.id === selectedId ? 'true' : null,
    },
    el(
      'span',
      { className: 'conv-row' },
      el('span', { className: 'conv-name' }, name),
      el('time', { className: 'conv-time', datetime: when, title: fullTime(when) }, shortTime(when)),
    ),
    el(
      'span',
      { className: 'conv-row' },
      el('span', { className: 'conv-snippet' }, c.subject ? el('strong', { className: 'conv-subject' }, c.subject, ' · ') : null, snippet),
      unread ? el('span', { className: 'dot', title: t.unreadBadge }, el('span', { className: 'sr-only' }, t.unreadBadge)) : null,
    ),
    el(
      'span',
      { className: 'conv-row conv-tags' },
      el('span', { className: 'chip chip-channel' }, c.channel_type),
      customerChip(c),
      el('span', { className: `chip status status-${c.status}` }, t.status[c.status] ?? c.status),
      slaChip(c),
      c.priority_score?.intent === 'presale' ? el('span', { className: 'chip chip-presale' }, t.presaleChip) : null,
      c.team ? el('span', { className: 'chip chip-team', 'data-team-id': c.team.id }, teamText.chip(c.team.name)) : null,
      c.priority > 0 ? el('span', { className: 'chip chip-priority' }, t.priorityChip(c.priority)) : null,
      c.assignee_id && c.assignee_id === me?.id ? el('span', { className: 'chip chip-mine' }, t.assignedToYou) : null,
      c.assignee_id && c.assignee_id !== me?.id && agentName(c.assignee_id)
        ? el('span', { className: 'chip chip-assignee' }, t.assignedTo(agentName(c.assignee_id) ?? ''))
        : null,
      ...(c.tags ?? []).slice(0, 4).map((tag) => el('span', { className: 'chip chip-tag' }, tag)),
    ),
  );
  button.addEventListener('click', () => selectConversation(c.id));
  return el('li', {}, button);
}

/**
 * New or returning (has paid orders), as the priority score counted it (docs/service.md); nothing
 * until a REST snapshot brought the score.
 */
function customerChip(c: Conversation): HTMLElement | null {
  const score = c.priority_score;
  if (!score) return null;
  const returning = score.components.some((x) => x.factor === 'returning');
  return el(
    'span',
    { className: `chip chip-newness ${returning ? 'is-returning' : 'is-new'}` },
    returning ? t.returningCustomerChip : t.newCustomerChip,
  );
}

/** The SLA countdown or breach badge (docs/service.md), or nothing without a due time. */
function slaChip(c: Conversation): HTMLElement | null {
  const b = slaBadge(c, Date.now());
  if (b.kind === 'none') return null;
  const target = t.slaTarget[b.target] ?? b.target;
  if (b.kind === 'breached') return el('span', { className: 'chip chip-sla chip-sla-breached', 'data-sla': 'breached' }, t.slaBreached(target));
  return el('span', { className: `chip chip-sla${b.soon ? ' chip-sla-soon' : ''}`, 'data-sla': 'due' }, t.slaDue(target, shortDuration(b.seconds)));
}

/** The score chip; its title lists why (each component and its points). */
function scoreChip(c: Conversation): HTMLElement | null {
  const ps = c.priority_score;
  if (!ps) return null;
  const why = ps.components.map((x) => `${x.points > 0 ? '+' : ''}${x.points} ${x.detail}`).join('\n');
  return el('span', { className: 'chip chip-score', title: `${t.scoreTitle}\n${why}`, 'data-score': String(ps.score) }, t.scoreChip(ps.score));
}

// Service fields (score, SLA) are not in realtime payloads: fetch the conversation shortly after
// an event about it (the server recomputes them right after the commit).
const serviceRefresh = new Map<string, ReturnType<typeof setTimeout>>();
function refreshServiceFields(id: string): void {
  const pending = serviceRefresh.get(id);
  if (pending) clearTimeout(pending);
  serviceRefresh.set(
    id,
    setTimeout(() => {
      serviceRefresh.delete(id);
      void api
        .getConversation(id)
        .then((c) => {
          store.upsertConversation(c);
          renderList();
          if (id === selectedId) renderThreadHeader();
          if (threadView?.id === id) threadView.windowCtl.apply(c.window, c.channel_type);
        })
        .catch(() => undefined);
    }, 700),
  );
}

function firstLine(text: string | null | undefined): string {
  if (!text) return '';
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}

// ---------------------------------------------------------------- thread

interface ThreadView {
  id: string;
  title: HTMLElement;
  meta: HTMLElement;
  statusButton: HTMLButtonElement;
  assignButton: HTMLButtonElement;
  snoozeButton: HTMLButtonElement;
  assigneeSelect: HTMLSelectElement;
  tags: HTMLElement;
  log: HTMLOListElement;
  error: HTMLElement;
  textarea: HTMLTextAreaElement;
  noteToggle: HTMLInputElement;
  syncMode: () => void;
  windowCtl: WindowControl;
}

let threadView: ThreadView | null = null;

function renderThreadPlaceholder(): void {
  if (!shell) return;
  threadView = null;
  clear(shell.thread);
  shell.thread.appendChild(
    el('div', { className: 'placeholder' }, el('h2', { id: 'thread-title', className: 'sr-only' }, t.threadLabel), el('p', {}, t.selectConversation)),
  );
}

function selectConversation(id: string): void {
  selectedId = id;
  store.unread.delete(id);
  renderList();
  buildThread(id);
  void loadThread(id);
}

function buildThread(id: string): void {
  if (!shell) return;
  threadView?.windowCtl.dispose();
  const title = el('h2', { id: 'thread-title' });
  const meta = el('span', { className: 'thread-meta' });
  const statusButton = el('button', { type: 'button', className: 'btn btn-secondary', id: 'status-toggle' });
  statusButton.addEventListener('click', () => void toggleStatus());
  const assignButton = el('button', { type: 'button', className: 'btn btn-secondary', id: 'assign-toggle' });
  assignButton.addEventListener('click', () => void toggleAssign());
  const snoozeButton = el('button', { type: 'button', className: 'btn btn-secondary', id: 'snooze-button' }, t.snooze);
  const transfer = transferControl({
    api,
    conversationId: id,
    conversation: () => store.conversations.get(id),
    agents: () => [...team.values()],
    onDone: (c) => {
      store.upsertConversation(c);
      renderList();
      if (selectedId === id) renderThreadHeader();
    },
  });
  const snoozeList = snoozeMenu(snoozeButton, (until) => snoozeUntil(until));
  const tags = el('div', { className: 'thread-tags', role: 'group', 'aria-label': t.tagsLabel });
  const assigneeSelect = el('select', { id: 'assignee-select' });
  assigneeSelect.addEventListener('change', () => void patchConversation({ assignee_id: assigneeSelect.value || null }));
  const log = el('ol', {
    className: 'messages',
    role: 'log',
    'aria-live': 'polite',
    'aria-labelledby': 'thread-title',
    tabindex: 0,
  });
  log.appendChild(el('li', { className: 'loading' }, t.loadingMessages));
  const error = el('p', { className: 'form-error', role: 'alert' });

  const textarea = el('textarea', { id: 'composer-text', rows: 3, placeholder: t.replyPlaceholder, title: t.cannedHint });
  const label = el('label', { for: 'composer-text', className: 'composer-label' }, t.replyLabel);
  const noteToggle = el('input', { type: 'checkbox', id: 'note-toggle' });
  const send = el('button', { type: 'submit', className: 'btn btn-primary', id: 'composer-send' }, t.send);
  const windowCtl = windowControl({
    textarea,
    sendButton: send,
    noteToggle,
    replyPlaceholder: () => (noteToggle.checked ? t.notePlaceholder : t.replyPlaceholder),
    sendTemplate: (tpl) =>
      api.sendTemplate(id, tpl).then((m) => {
        if (m && m.id) handleEvent({ type: 'message.created', data: m });
      }),
    refresh: () => refreshWindow(id),
    errorText,
  });
  const macros = macroMenu({
    api,
    conversationId: id,
    onDone: (c) => {
      store.upsertConversation(c);
      renderList();
      if (selectedId === id) renderThreadHeader();
    },
  });
  const form = el('form', { className: 'composer', 'aria-label': t.replyLabel });
  const files = attachControl(api, form, () => {
    send.disabled = files.uploading();
    if (!files.uploading()) windowCtl.sync();
  });
  form.append(
    windowCtl.state,
    label,
    textarea,
    files.list,
    el(
      'div',
      { className: 'composer-bar' },
      el('label', { className: 'toggle', for: 'note-toggle' }, noteToggle, el('span', {}, t.noteToggle)),
      files.button,
      macros.button,
      el('span', { className: 'spacer' }),
      send,
    ),
    macros.panel,
    error,
  );
  const cannedList = attachCannedPicker(
    form,
    textarea,
    id,
    { list: () => api.listCanned(), render: (cid, conv) => api.renderCanned(cid, conv) },
    t,
    (e) => {
      error.textContent = errorText(e);
    },
  );
  textarea.after(cannedList);
  cannedList.after(attachMentionPicker(textarea, () => [...team.values()], () => noteToggle.checked));
  const syncMode = (): void => {
    const note = noteToggle.checked;
    form.classList.toggle('is-note', note);
    label.textContent = note ? t.noteLabel : t.replyLabel;
    textarea.placeholder = note ? t.notePlaceholder : t.replyPlaceholder;
    send.textContent = note ? t.addNote : t.send;
    windowCtl.sync();
  };
  noteToggle.addEventListener('change', syncMode);
  textarea.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = textarea.value.trim();
    const mediaIds = files.ready();
    if ((!text && mediaIds.length === 0) || send.disabled || files.uploading()) return;
    if (!noteToggle.checked && windowCtl.blocksReplies()) return;
    if (noteToggle.checked && mediaIds.length > 0) {
      error.textContent = t.notesNoFiles;
      return;
    }
    const kind = noteToggle.checked ? 'note' : 'text';
    send.disabled = true;
    error.textContent = '';
    (mediaIds.length > 0 ? api.sendAttachments(id, mediaIds, text) : api.sendMessage(id, text, kind))
      .then((m) => {
        textarea.value = '';
        if (mediaIds.length > 0) files.clear();
        if (m && m.id) handleEvent({ type: 'message.created', data: m });
      })
      .catch((e: unknown) => {
        error.textContent = `${t.sendFailed} ${errorText(e)}`;
        // The window closed meanwhile: show what can be sent now.
        if (e instanceof ApiError && e.code === 'window_closed') refreshWindow(id);
      })
      .finally(() => {
        send.disabled = false;
        windowCtl.sync();
        textarea.focus();
      });
  });

  clear(shell.thread);
  shell.thread.append(
    el(
      'header',
      { className: 'thread-head' },
      el('div', { className: 'thread-titles' }, title, meta, tags),
      el(
        'div',
        { className: 'thread-actions' },
        el('label', { className: 'sr-only', for: 'assignee-select' }, t.assigneeLabel),
        assigneeSelect,
        assignButton,
        el('span', { className: 'snooze-anchor' }, snoozeButton, snoozeList),
        transfer.button,
        statusButton,
      ),
      transfer.form,
    ),
    log,
    form,
    windowCtl.picker,
  );
  buildSidePanels(id);
  threadView = { id, title, meta, statusButton, assignButton, snoozeButton, assigneeSelect, tags, log, error, textarea, noteToggle, syncMode, windowCtl };
  renderThreadHeader();
  refreshWindow(id);
}

/**
 * Beside the thread: the customer, and selling (product search -> card, cart builder -> discount ->
 * payment link). Built again when the conversation's customer changes (a merge elsewhere).
 */
function buildSidePanels(id: string): void {
  if (!shell) return;
  shell.thread.querySelector('.thread-side')?.remove();
  const conv = store.conversations.get(id);
  sidePanels = null;
  if (!conv?.contact?.id) return;
  const contactId = conv.contact.id;
  const customer = customerPanel(
    api,
    contactId,
    id,
    me?.role === 'admin',
    (other) => {
      selectConversation(other);
      shell?.list.querySelector<HTMLElement>(`[data-conversation-id="${CSS.escape(other)}"]`)?.focus();
    },
    mergeCandidates,
    (text) => {
      if (threadView?.id !== id) return;
      const ta = threadView.textarea;
      ta.value = ta.value.trim() ? `${ta.value.trimEnd()}\n${text}` : text;
      ta.focus();
    },
  );
  const drawer = el('details', { className: 'sell-drawer', id: 'sell-drawer' }, el('summary', {}, sellSummary()));
  let panel: SellPanel | null = null;
  const buildPanel = (): void => {
    const next = buildSellPanel(api, id, contactId);
    if (panel) panel.element.replaceWith(next.element);
    else drawer.append(next.element);
    panel = next;
  };
  drawer.addEventListener('toggle', () => {
    if (drawer.open && !panel) buildPanel();
  });
  shell.thread.append(el('aside', { className: 'thread-side', 'aria-labelledby': 'customer-heading' }, customer.element, drawer));
  sidePanels = { conversationId: id, customer, rebuildSell: () => panel && buildPanel(), cartChanged: (cart) => panel?.cartChanged(cart) };
}

/** Fetches the conversation for its messaging window (not in realtime payloads) and shows it. */
function refreshWindow(id: string): void {
  void api
    .getConversation(id)
    .then((c) => {
      store.upsertConversation(c);
      if (threadView?.id === id) threadView.windowCtl.apply(c.window, c.channel_type);
    })
    .catch(() => undefined);
}

function sellSummary(): string {
  return { en: 'Products, cart and payment link', it: 'Prodotti, carrello e link di pagamento', de: 'Produkte, Warenkorb und Zahlungslink', nl: 'Producten, winkelwagen en betaallink' }[lang];
}

function renderThreadHeader(): void {
  if (!threadView) return;
  const c = store.conversations.get(threadView.id);
  if (!c) return;
  threadView.title.textContent = c.contact?.name || t.unknownContact;
  clear(threadView.meta);
  threadView.meta.append(
    el('span', { className: 'chip chip-channel' }, c.channel_type),
    el('span', { className: `chip status status-${c.status}` }, t.status[c.status] ?? c.status),
  );
  threadView.statusButton.textContent = c.status === 'resolved' ? t.reopen : t.resolve;
  const mine = !!me && c.assignee_id === me.id;
  threadView.meta.append(
    el(
      'span',
      { className: 'chip chip-assignee' },
      mine
        ? t.assignedToYou
        : c.assignee_id
          ? agentName(c.assignee_id)
            ? t.assignedTo(agentName(c.assignee_id) ?? '')
            : t.assignedToOther
          : t.unassigned,
    ),
  );
  const sel = threadView.assigneeSelect;
  const options: [string, string][] = [['', t.unassigned], ...[...team.values()].map((a): [string, string] => [a.id, a.name || a.email])];
  if (c.assignee_id && !team.has(c.assignee_id)) options.push([c.assignee_id, t.assignedToOther]);
  clear(sel);
  for (const [value, label] of options) sel.append(el('option', { value }, label));
  sel.value = c.assignee_id ?? '';
  if (c.team) threadView.meta.append(el('span', { className: 'chip chip-team', 'data-team-id': c.team.id }, teamText.chip(c.team.name)));
  if (c.priority > 0) threadView.meta.append(el('span', { className: 'chip chip-priority' }, t.priorityChip(c.priority)));
  for (const chip of [scoreChip(c), slaChip(c)]) if (chip) threadView.meta.append(chip);
  if (c.status === 'snoozed' && c.snoozed_until)
    threadView.meta.append(el('span', { className: 'chip chip-snoozed', 'data-snoozed-until': c.snoozed_until }, snoozeChipText(c.snoozed_until)));
  if (c.csat)
    threadView.meta.append(
      el('span', { className: 'chip chip-csat', 'data-csat': c.csat.score ?? '', title: c.csat.comment ?? null }, c.csat.score !== null ? t.csatChip(c.csat.score) : t.csatSent),
    );
  threadView.assignButton.textContent = mine ? t.unassign : t.assignToMe;
  threadView.snoozeButton.hidden = c.status === 'snoozed' || c.status === 'resolved';
  renderTags(threadView, c);
}

const TAG_RE = /^[\p{L}\p{N}_-]{1,64}$/u;

function renderTags(view: ThreadView, c: Conversation): void {
  const focusedTag = (document.activeElement as HTMLElement | null)?.dataset?.tag ?? null;
  const hadInputFocus = document.activeElement?.id === 'tag-input';
  clear(view.tags);
  for (const tag of c.tags ?? []) {
    const remove = el('button', { type: 'button', className: 'chip-remove', 'aria-label': t.removeTag(tag), 'data-tag': tag }, '×');
    remove.addEventListener('click', () => void patchConversation({ tags: (c.tags ?? []).filter((x) => x !== tag) }));
    view.tags.append(el('span', { className: 'chip chip-tag' }, tag, remove));
  }
  const input = el('input', { id: 'tag-input', className: 'tag-input', placeholder: t.addTagPlaceholder, maxlength: 64, autocomplete: 'off' });
  input.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Enter') return;
    ev.preventDefault();
    const tag = input.value.trim().toLowerCase();
    if (!tag) return;
    if (!TAG_RE.test(tag)) {
      view.error.textContent = t.tagInvalid;
      return;
    }
    const current = store.conversations.get(view.id)?.tags ?? [];
    if (current.includes(tag)) {
      input.value = '';
      return;
    }
    void patchConversation({ tags: [...current, tag] }).then((ok) => {
      if (ok) document.getElementById('tag-input')?.focus();
    });
  });
  view.tags.append(el('label', { className: 'sr-only', for: 'tag-input' }, t.addTagLabel), input);
  if (hadInputFocus) input.focus();
  else if (focusedTag) (view.tags.querySelector(`[data-tag="${CSS.escape(focusedTag)}"]`) as HTMLElement | null)?.focus();
}

async function loadThread(id: string): Promise<void> {
  try {
    const messages = await api.listMessages(id);
    if (selectedId !== id || !threadView || threadView.id !== id) {
      store.setThread(id, messages);
      return;
    }
    const merged = store.setThread(id, messages);
    clear(threadView.log);
    for (const m of merged) threadView.log.appendChild(renderMessage(m));
    if (!showFocusMessage()) scrollToEnd(true);
  } catch (e) {
    if (threadView && threadView.id === id) {
      clear(threadView.log);
      threadView.log.appendChild(el('li', { className: 'loading' }, `${t.loadFailed} ${errorText(e)}`));
    }
  }
}

function renderMessage(m: Message): HTMLLIElement {
  const isNote = m.kind === 'note';
  const author = t.author[m.author?.kind] ?? m.author?.kind ?? '';
  const delivery = m.direction === 'out' && !isNote && m.delivery ? (t.delivery[m.delivery.state] ?? m.delivery.state) : null;
  const paid = new Set<string>();
  if (m.kind === 'payment_link')
    for (const x of store.threads.get(m.conversation_id) ?? []) {
      const id = paidPaymentOf(x);
      if (id) paid.add(id);
    }
  const body = renderContent(m, paid);
  const paymentId = paymentIdOf(m);
  if (m.kind === 'payment_link' && paymentId) {
    // One panel per payment, kept across re-renders (an open refund form survives a "Paid").
    let panel = refundPanels.get(paymentId);
    if (!panel) {
      panel = refundPanel(api, paymentId);
      refundPanels.set(paymentId, panel);
    }
    body.append(panel.element);
  } else if (m.kind === 'payment_status' && paymentId) {
    refundPanels.get(paymentId)?.refresh();
  }
  return el(
    'li',
    {
      className: `msg msg-${m.direction}${isNote ? ' msg-note' : ''} author-${m.author?.kind ?? 'unknown'}`,
      'data-message-id': m.id,
    },
    el(
      'div',
      { className: 'msg-meta' },
      isNote ? el('span', { className: 'note-label' }, t.internalNote) : null,
      el('span', { className: 'msg-author' }, author),
      el('span', { className: 'sr-only' }, t.direction[m.direction] ?? ''),
      el('time', { datetime: m.created_at, title: fullTime(m.created_at) }, shortTime(m.created_at)),
      delivery
        ? el('span', { className: `delivery delivery-${m.delivery?.state ?? ''}`, title: m.delivery?.error ?? '' }, delivery)
        : null,
    ),
    body,
    mentionLine(m),
    m.delivery?.state === 'failed' && m.delivery.error ? el('p', { className: 'msg-failure', role: 'note' }, t.failedReason(m.delivery.error)) : null,
  );
}

/** The open conversation's customer panel and selling panel (rebuilt when a payment changes them). */
let sidePanels: { conversationId: string; customer: CustomerPanel; rebuildSell: () => void; cartChanged: (cartId: string) => void } | null = null;
let sideRefresh: ReturnType<typeof setTimeout> | null = null;

/** A payment, order, refund or credit event: the customer's figures and the open cart may have changed. */
function refreshSidePanels(data: unknown): void {
  const d = data as { conversation_id?: string | null; contact_id?: string | null } | undefined;
  const side = sidePanels;
  if (!side) return;
  if (d?.contact_id && d.contact_id !== side.customer.contactId) return;
  if (sideRefresh) clearTimeout(sideRefresh);
  sideRefresh = setTimeout(() => {
    sideRefresh = null;
    if (sidePanels !== side) return;
    side.customer.refresh();
    if (!d?.conversation_id || d.conversation_id === side.conversationId) side.rebuildSell();
  }, 400);
}

/** The inbox's other customers, for "Merge with another contact…": one entry per contact, by name. */
function mergeCandidates(): Array<{ id: string; label: string }> {
  const byContact = new Map<string, { id: string; label: string }>();
  for (const c of store.conversations.values()) {
    if (!c.contact?.id || byContact.has(c.contact.id)) continue;
    byContact.set(c.contact.id, { id: c.contact.id, label: `${c.contact.name || t.unknownContact} · ${c.channel_type}` });
  }
  return [...byContact.values()].sort((a, b) => a.label.localeCompare(b.label));
}

/** Refund panels by payment id (see refund.ts). */
const refundPanels = new Map<string, RefundPanel>();

/** The payment a payment card or a payment status message is about. */
function paymentIdOf(m: Message): string | null {
  const c = m.content as { payment?: { id?: unknown }; refund?: { payment_id?: unknown } } | undefined;
  const id = c?.payment?.id ?? c?.refund?.payment_id;
  return typeof id === 'string' && id ? id : null;
}

function appendMessage(m: Message): void {
  if (!threadView) return;
  // "Paid" arrived: the payment's card above says so too.
  if (paidPaymentOf(m))
    for (const x of store.threads.get(m.conversation_id) ?? [])
      if (x.kind === 'payment_link') {
        const old = threadView.log.querySelector(`[data-message-id="${CSS.escape(x.id)}"]`);
        if (old) old.replaceWith(renderMessage(x));
      }
  const nearEnd = isNearEnd();
  const log = threadView.log;
  log.querySelector('.loading')?.remove();
  const node = renderMessage(m);
  // Keep order by created_at even if an event arrives late.
  const thread = store.threads.get(m.conversation_id) ?? [];
  const index = thread.findIndex((x) => x.id === m.id);
  const next = index >= 0 ? thread[index + 1] : undefined;
  const before = next ? log.querySelector(`[data-message-id="${CSS.escape(next.id)}"]`) : null;
  log.insertBefore(node, before);
  scrollToEnd(nearEnd || m.author?.kind === 'agent');
}

function replaceMessage(m: Message): void {
  const old = threadView?.log.querySelector(`[data-message-id="${CSS.escape(m.id)}"]`);
  if (old) old.replaceWith(renderMessage(m));
  else appendMessage(m);
}

/**
 * Opens a conversation at one of its messages (a search hit, a mention): the inbox shows it, its
 * thread scrolls to the message and marks it. `known` fills in a conversation the inbox has not
 * loaded (an old one), until the full one arrives.
 */
async function openMessage(conversationId: string, messageId: string, known?: Conversation): Promise<void> {
  if (location.hash.startsWith('#/settings') || location.hash === '#/reports') location.hash = '#/inbox';
  if (!store.conversations.has(conversationId)) {
    try {
      store.upsertConversation(known ?? (await api.getConversation(conversationId)));
    } catch {
      return;
    }
  }
  focusMessageId = messageId;
  if (selectedId === conversationId && threadView?.id === conversationId && showFocusMessage()) return;
  selectConversation(conversationId);
}

/** Scrolls the open thread to the message to show, if it is there; true when shown. */
function showFocusMessage(): boolean {
  if (!threadView || !focusMessageId) return false;
  const node = threadView.log.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(focusMessageId)}"]`);
  if (!node) return false;
  focusMessageId = null;
  threadView.log.querySelector('.msg-found')?.classList.remove('msg-found');
  node.classList.add('msg-found');
  node.tabIndex = -1;
  node.scrollIntoView({ block: 'center' });
  node.focus({ preventScroll: true });
  return true;
}

function isNearEnd(): boolean {
  if (!threadView) return false;
  const log = threadView.log;
  return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
}

function scrollToEnd(force: boolean): void {
  if (!threadView || !force) return;
  threadView.log.scrollTop = threadView.log.scrollHeight;
}

type ConversationPatch = Partial<Pick<Conversation, 'status' | 'priority' | 'assignee_id' | 'tags'>>;

/** PATCHes the open conversation; true when saved. Failures show under the composer. */
async function patchConversation(patch: ConversationPatch, button?: HTMLButtonElement, failText = t.updateFailed): Promise<boolean> {
  if (!threadView) return false;
  const view = threadView;
  if (button) button.disabled = true;
  view.error.textContent = '';
  try {
    const updated = await api.updateConversation(view.id, patch);
    if (updated && updated.id) store.upsertConversation(updated);
    renderList();
    renderThreadHeader();
    return true;
  } catch (e) {
    view.error.textContent = `${failText} ${errorText(e)}`;
    return false;
  } finally {
    if (button) button.disabled = false;
  }
}

async function toggleStatus(): Promise<void> {
  const c = threadView ? store.conversations.get(threadView.id) : undefined;
  if (!c || !threadView) return;
  await patchConversation({ status: c.status === 'resolved' ? 'open' : 'resolved' }, threadView.statusButton, t.statusUpdateFailed);
}

async function toggleAssign(): Promise<void> {
  const c = threadView ? store.conversations.get(threadView.id) : undefined;
  if (!c || !threadView || !me) return;
  await patchConversation({ assignee_id: c.assignee_id === me.id ? null : me.id }, threadView.assignButton);
}

async function snooze(): Promise<void> {
  const c = threadView ? store.conversations.get(threadView.id) : undefined;
  if (!c || !threadView || c.status === 'snoozed' || c.status === 'resolved') return;
  await snoozeUntil(null);
}

/** Snoozes the open conversation until `until` (ISO), or until the customer writes (null). */
async function snoozeUntil(until: string | null): Promise<void> {
  if (!threadView) return;
  const view = threadView;
  view.snoozeButton.disabled = true;
  view.error.textContent = '';
  try {
    const updated = await api.snoozeConversation(view.id, until);
    if (updated && updated.id) store.upsertConversation(updated);
    renderList();
    renderThreadHeader();
  } catch (e) {
    view.error.textContent = `${t.statusUpdateFailed} ${errorText(e)}`;
  } finally {
    view.snoozeButton.disabled = false;
  }
}

// ---------------------------------------------------------------- keyboard

function isTyping(target: EventTarget | null): boolean {
  const node = target as HTMLElement | null;
  if (!node) return false;
  const tag = node.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || node.isContentEditable;
}

function moveSelection(step: number): void {
  const items = store.sorted(filters, me?.id ?? null);
  if (items.length === 0) return;
  const at = items.findIndex((c) => c.id === selectedId);
  const next = at < 0 ? (step > 0 ? 0 : items.length - 1) : Math.min(items.length - 1, Math.max(0, at + step));
  const target = items[next];
  if (!target) return;
  selectConversation(target.id);
  shell?.list.querySelector<HTMLElement>(`[data-conversation-id="${CSS.escape(target.id)}"]`)?.focus();
}

function focusComposer(note: boolean): void {
  if (!threadView) return;
  threadView.noteToggle.checked = note;
  threadView.syncMode();
  threadView.textarea.focus();
}

function showShortcuts(): void {
  if (document.getElementById('shortcuts-dialog')) return;
  const previous = document.activeElement as HTMLElement | null;
  const closeButton = el('button', { type: 'button', className: 'btn btn-secondary' }, t.close);
  const rows = t.shortcuts.map(([keys, what]) => el('tr', {}, el('th', { scope: 'row' }, el('kbd', {}, keys)), el('td', {}, what)));
  const dialog = el(
    'dialog',
    { id: 'shortcuts-dialog', className: 'dialog', 'aria-labelledby': 'shortcuts-heading' },
    el('h2', { id: 'shortcuts-heading' }, t.shortcutsHeading),
    el('table', { className: 'shortcuts' }, el('tbody', {}, ...rows)),
    closeButton,
  );
  const close = (): void => {
    dialog.close();
    dialog.remove();
    previous?.focus();
  };
  closeButton.addEventListener('click', close);
  dialog.addEventListener('cancel', (ev) => {
    ev.preventDefault();
    close();
  });
  document.body.appendChild(dialog);
  dialog.showModal();
  closeButton.focus();
}

document.addEventListener('keydown', (ev) => {
  if (!shell || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (document.getElementById('inbox-view')?.hidden) return;
  if (document.getElementById('shortcuts-dialog')) return;
  if (ev.key === 'Escape' && isTyping(ev.target)) {
    (ev.target as HTMLElement).blur();
    if (selectedId) shell.list.querySelector<HTMLElement>(`[data-conversation-id="${CSS.escape(selectedId)}"]`)?.focus();
    return;
  }
  if (isTyping(ev.target)) return;
  const actions: Record<string, () => void> = {
    j: () => moveSelection(1),
    k: () => moveSelection(-1),
    r: () => focusComposer(false),
    n: () => focusComposer(true),
    e: () => void toggleStatus(),
    a: () => void toggleAssign(),
    s: () => void snooze(),
    '/': () => document.getElementById('status-filter')?.focus(),
    '?': () => showShortcuts(),
  };
  const action = actions[ev.key];
  if (!action) return;
  ev.preventDefault();
  action();
});

// Refresh relative times and SLA countdowns.
setInterval(() => {
  if (shell) renderList();
}, 15_000);

// ---------------------------------------------------------------- boot

api.onUnauthenticated = (): void => showLogin();
api
  .session()
  .then((s) => showApp(s.agent))
  .catch(() => showLogin());
