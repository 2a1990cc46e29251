// Agent console: login, inbox, thread, composer, live updates.

import './console.css';
import { ApiError } from '../shared/http';
import { LiveSocket, wsOrigin, type LiveState } from '../shared/live-socket';
import { clear, el } from '../shared/dom';
import { common, consoleText as t } from '../shared/strings';
import { fullTime, shortTime } from '../shared/time';
import type { Agent, Conversation, Message } from '../shared/types';
import { ConsoleApi } from './api';
import { InboxStore, activity, type StatusFilter } from './store';

const api = new ConsoleApi();
const root = document.getElementById('app') as HTMLElement;
document.title = t.documentTitle;

let store = new InboxStore();
let live: LiveSocket | null = null;
let selectedId: string | null = null;
let filter: StatusFilter = 'all';
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
}

let shell: Shell | null = null;

function showApp(agent: Agent): void {
  clear(root);
  store = new InboxStore();
  selectedId = null;

  const liveStatus = el('span', { className: 'live live-connecting', role: 'status' }, t.liveConnecting);
  const signOut = el('button', { type: 'button', className: 'btn btn-quiet' }, t.signOut);
  signOut.addEventListener('click', () => {
    void api.logout().finally(() => showLogin());
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
  select.value = filter;
  select.addEventListener('change', () => {
    filter = select.value as StatusFilter;
    renderList();
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
        el('span', { className: 'spacer' }),
        el('span', { className: 'whoami' }, t.signedInAs(agent.name || agent.email)),
        signOut,
      ),
      el(
        'main',
        { className: 'layout' },
        el(
          'nav',
          { className: 'inbox', 'aria-labelledby': 'inbox-heading' },
          el(
            'div',
            { className: 'inbox-head' },
            el('h1', { id: 'inbox-heading' }, t.inboxHeading),
            el('span', { className: 'filter' }, el('label', { for: 'status-filter' }, t.filterLabel), select),
          ),
          list,
          listEmpty,
        ),
        thread,
      ),
    ),
  );
  shell = { liveStatus, list, listEmpty, thread };
  renderThreadPlaceholder();
  startLive();
}

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
      }
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
      if (m.conversation_id === selectedId) {
        if (result === 'added') appendMessage(m);
        else if (result === 'updated') replaceMessage(m);
      }
      break;
    }
    default:
      break;
  }
}

// ---------------------------------------------------------------- inbox list

function renderList(): void {
  if (!shell) return;
  const { list, listEmpty } = shell;
  const active = document.activeElement as HTMLElement | null;
  const focusedId = active?.dataset?.conversationId ?? null;
  const items = store.sorted(filter);
  clear(list);
  for (const c of items) list.appendChild(renderConversationItem(c));
  listEmpty.hidden = items.length > 0;
  listEmpty.textContent = t.emptyInbox;
  if (focusedId) {
    const again = list.querySelector<HTMLElement>(`[data-conversation-id="${CSS.escape(focusedId)}"]`);
    again?.focus();
  }
}

function renderConversationItem(c: Conversation): HTMLLIElement {
  const name = c.contact?.name || t.unknownContact;
  const snippet = firstLine(c.last_message?.text) || t.noLastMessage;
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
      el('span', { className: 'conv-snippet' }, snippet),
      unread ? el('span', { className: 'dot', title: t.unreadBadge }, el('span', { className: 'sr-only' }, t.unreadBadge)) : null,
    ),
    el(
      'span',
      { className: 'conv-row conv-tags' },
      el('span', { className: 'chip chip-channel' }, c.channel_type),
      el('span', { className: `chip status status-${c.status}` }, t.status[c.status] ?? c.status),
    ),
  );
  button.addEventListener('click', () => selectConversation(c.id));
  return el('li', {}, button);
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
  log: HTMLOListElement;
  error: HTMLElement;
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
  const title = el('h2', { id: 'thread-title' });
  const meta = el('span', { className: 'thread-meta' });
  const statusButton = el('button', { type: 'button', className: 'btn btn-secondary', id: 'status-toggle' });
  statusButton.addEventListener('click', () => void toggleStatus());
  const log = el('ol', {
    className: 'messages',
    role: 'log',
    'aria-live': 'polite',
    'aria-labelledby': 'thread-title',
    tabindex: 0,
  });
  log.appendChild(el('li', { className: 'loading' }, t.loadingMessages));
  const error = el('p', { className: 'form-error', role: 'alert' });

  const textarea = el('textarea', { id: 'composer-text', rows: 3, placeholder: t.replyPlaceholder });
  const label = el('label', { for: 'composer-text', className: 'composer-label' }, t.replyLabel);
  const noteToggle = el('input', { type: 'checkbox', id: 'note-toggle' });
  const send = el('button', { type: 'submit', className: 'btn btn-primary', id: 'composer-send' }, t.send);
  const form = el(
    'form',
    { className: 'composer', 'aria-label': t.replyLabel },
    label,
    textarea,
    el(
      'div',
      { className: 'composer-bar' },
      el('label', { className: 'toggle', for: 'note-toggle' }, noteToggle, el('span', {}, t.noteToggle)),
      el('span', { className: 'spacer' }),
      send,
    ),
    error,
  );
  const syncMode = (): void => {
    const note = noteToggle.checked;
    form.classList.toggle('is-note', note);
    label.textContent = note ? t.noteLabel : t.replyLabel;
    textarea.placeholder = note ? t.notePlaceholder : t.replyPlaceholder;
    send.textContent = note ? t.addNote : t.send;
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
    if (!text || send.disabled) return;
    const kind = noteToggle.checked ? 'note' : 'text';
    send.disabled = true;
    error.textContent = '';
    api
      .sendMessage(id, text, kind)
      .then((m) => {
        textarea.value = '';
        if (m && m.id) handleEvent({ type: 'message.created', data: m });
      })
      .catch((e: unknown) => {
        error.textContent = `${t.sendFailed} ${errorText(e)}`;
      })
      .finally(() => {
        send.disabled = false;
        textarea.focus();
      });
  });

  clear(shell.thread);
  shell.thread.append(
    el('header', { className: 'thread-head' }, el('div', { className: 'thread-titles' }, title, meta), statusButton),
    log,
    form,
  );
  threadView = { id, title, meta, statusButton, log, error };
  renderThreadHeader();
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
    scrollToEnd(true);
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
  const body = el('div', { className: 'msg-body' });
  body.textContent = m.text || (m.kind === 'attachment' ? t.attachment : '');
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
  );
}

function appendMessage(m: Message): void {
  if (!threadView) return;
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

function isNearEnd(): boolean {
  if (!threadView) return false;
  const log = threadView.log;
  return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
}

function scrollToEnd(force: boolean): void {
  if (!threadView || !force) return;
  threadView.log.scrollTop = threadView.log.scrollHeight;
}

async function toggleStatus(): Promise<void> {
  if (!threadView) return;
  const view = threadView;
  const c = store.conversations.get(view.id);
  if (!c) return;
  view.statusButton.disabled = true;
  view.error.textContent = '';
  try {
    const updated = await api.updateConversation(c.id, { status: c.status === 'resolved' ? 'open' : 'resolved' });
    if (updated && updated.id) store.upsertConversation(updated);
    renderList();
    renderThreadHeader();
  } catch (e) {
    view.error.textContent = `${t.statusUpdateFailed} ${errorText(e)}`;
  } finally {
    view.statusButton.disabled = false;
  }
}

// Refresh relative times once a minute.
setInterval(() => {
  if (shell) renderList();
}, 60_000);

// ---------------------------------------------------------------- boot

api.onUnauthenticated = (): void => showLogin();
api
  .session()
  .then((s) => showApp(s.agent))
  .catch(() => showLogin());
