// Agent tools (docs/api.md#searching-messages, #internal-notes-and-mentions): the search box over
// the shop's messages, the @-autocomplete of agents in the note composer, and the agent's mentions
// (a badge with the unread count and a list). Message text is never parsed as HTML: a search
// snippet's `<mark>` tags are read by splitting the string, its escaped text decoded into text nodes.

import { clear, el } from '../shared/dom';
import { lang } from '../shared/strings';
import { shortTime } from '../shared/time';
import type { Agent, Conversation, ListPage, Message } from '../shared/types';
import type { ConsoleApi } from './api';
import { apiErrorText } from './admin-kit';

const textByLang = {
  en: {
    searchLabel: 'Search messages',
    searchPlaceholder: 'Search messages…',
    searchButton: 'Search',
    searchClear: 'Close search',
    searching: 'Searching…',
    noResults: 'No messages match.',
    results: (n: number, more: boolean): string => `${n}${more ? '+' : ''} matching message${n === 1 && !more ? '' : 's'}`,
    more: 'More results',
    note: 'Note',
    mentionsButton: 'Mentions',
    mentionsUnread: (n: number): string => `${n} unread mention${n === 1 ? '' : 's'}`,
    mentionsHeading: 'Your mentions',
    mentionsEmpty: 'Nobody has mentioned you yet.',
    markAllRead: 'Mark all read',
    mentionedBy: (who: string, contact: string): string => `${who || 'Someone'} in ${contact || 'a conversation'}`,
    mentioned: (names: string): string => `Mentioned: ${names}`,
    suggestions: 'Agents to mention',
  },
  it: {
    searchLabel: 'Cerca nei messaggi',
    searchPlaceholder: 'Cerca nei messaggi…',
    searchButton: 'Cerca',
    searchClear: 'Chiudi la ricerca',
    searching: 'Ricerca in corso…',
    noResults: 'Nessun messaggio corrisponde.',
    results: (n: number, more: boolean): string => `${n}${more ? '+' : ''} messagg${n === 1 && !more ? 'io trovato' : 'i trovati'}`,
    more: 'Altri risultati',
    note: 'Nota',
    mentionsButton: 'Menzioni',
    mentionsUnread: (n: number): string => `${n} menzion${n === 1 ? 'e non letta' : 'i non lette'}`,
    mentionsHeading: 'Le tue menzioni',
    mentionsEmpty: 'Nessuno ti ha ancora menzionato.',
    markAllRead: 'Segna tutte come lette',
    mentionedBy: (who: string, contact: string): string => `${who || 'Qualcuno'} in ${contact || 'una conversazione'}`,
    mentioned: (names: string): string => `Menzionati: ${names}`,
    suggestions: 'Operatori da menzionare',
  },
  de: {
    searchLabel: 'Nachrichten durchsuchen',
    searchPlaceholder: 'Nachrichten durchsuchen…',
    searchButton: 'Suchen',
    searchClear: 'Suche schließen',
    searching: 'Suche läuft…',
    noResults: 'Keine Nachricht passt.',
    results: (n: number, more: boolean): string => `${n}${more ? '+' : ''} passende Nachricht${n === 1 && !more ? '' : 'en'}`,
    more: 'Weitere Ergebnisse',
    note: 'Notiz',
    mentionsButton: 'Erwähnungen',
    mentionsUnread: (n: number): string => `${n} ungelesene Erwähnung${n === 1 ? '' : 'en'}`,
    mentionsHeading: 'Ihre Erwähnungen',
    mentionsEmpty: 'Sie wurden noch nicht erwähnt.',
    markAllRead: 'Alle als gelesen markieren',
    mentionedBy: (who: string, contact: string): string => `${who || 'Jemand'} in ${contact || 'einer Unterhaltung'}`,
    mentioned: (names: string): string => `Erwähnt: ${names}`,
    suggestions: 'Mitarbeitende zum Erwähnen',
  },
  nl: {
    searchLabel: 'Berichten zoeken',
    searchPlaceholder: 'Berichten zoeken…',
    searchButton: 'Zoeken',
    searchClear: 'Zoeken sluiten',
    searching: 'Bezig met zoeken…',
    noResults: 'Geen berichten gevonden.',
    results: (n: number, more: boolean): string => `${n}${more ? '+' : ''} gevonden bericht${n === 1 && !more ? '' : 'en'}`,
    more: 'Meer resultaten',
    note: 'Notitie',
    mentionsButton: 'Vermeldingen',
    mentionsUnread: (n: number): string => `${n} ongelezen vermelding${n === 1 ? '' : 'en'}`,
    mentionsHeading: 'Jouw vermeldingen',
    mentionsEmpty: 'Niemand heeft je nog vermeld.',
    markAllRead: 'Alles als gelezen markeren',
    mentionedBy: (who: string, contact: string): string => `${who || 'Iemand'} in ${contact || 'een gesprek'}`,
    mentioned: (names: string): string => `Vermeld: ${names}`,
    suggestions: 'Medewerkers om te vermelden',
  },
} as const;
export const toolsText = textByLang[lang];

// ---------------------------------------------------------------- API

export interface MessageHit {
  message: Message;
  conversation: Conversation;
  snippet: string;
}

export interface Mention {
  id: string;
  agent_id: string;
  message_id: string;
  conversation_id: string;
  by_agent_id: string | null;
  by_name: string;
  contact_name: string;
  text: string;
  created_at: string;
  read_at: string | null;
}

/** What the agent tools need from the console's API client. */
export interface ToolsApi {
  searchMessages(q: string, cursor: string | null): Promise<ListPage<MessageHit>>;
  listMentions(unread: boolean): Promise<ListPage<Mention> & { unread_count: number }>;
  markMentionRead(id: string): Promise<Mention>;
  markAllMentionsRead(): Promise<{ marked: number }>;
}

// ---------------------------------------------------------------- snippets

const ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"', '&#39;': "'" };

function unescapeText(s: string): string {
  return s.replace(/&(?:lt|gt|amp|quot|#39);/g, (e) => ENTITIES[e] ?? e);
}

/** A search snippet as DOM: text nodes, with the server's <mark> pairs as <mark> elements. */
export function snippetNodes(snippet: string): Node[] {
  const out: Node[] = [];
  const parts = snippet.split(/<mark>|<\/mark>/);
  parts.forEach((part, i) => {
    if (!part) return;
    const text = document.createTextNode(unescapeText(part));
    out.push(i % 2 === 1 ? el('mark', {}, text) : text);
  });
  return out;
}

// ---------------------------------------------------------------- search box

/**
 * The search form over messages and its results list. `open(conversation, messageId)` shows the
 * conversation scrolled to the message.
 */
export function messageSearch(api: ToolsApi, open: (c: Conversation, messageId: string) => void): HTMLElement {
  const t = toolsText;
  const input = el('input', { type: 'search', id: 'message-search', placeholder: t.searchPlaceholder, maxlength: 512, autocomplete: 'off' });
  const closeButton = el('button', { type: 'button', className: 'btn btn-quiet', id: 'message-search-close', hidden: true }, t.searchClear);
  const status = el('p', { className: 'search-status', role: 'status', id: 'message-search-status' });
  const results = el('ul', { className: 'search-results', id: 'message-search-results', 'aria-labelledby': 'message-search-status' });
  const more = el('button', { type: 'button', className: 'btn btn-quiet', id: 'message-search-more', hidden: true }, t.more);
  const panel = el('div', { className: 'search-panel', hidden: true }, status, results, more);
  let cursor: string | null = null;
  let query = '';
  let shown = 0;
  let generation = 0;

  const render = (hits: MessageHit[]): void => {
    for (const h of hits) {
      const button = el(
        'button',
        { type: 'button', className: 'search-hit', 'data-message-id': h.message.id, 'data-conversation-id': h.conversation.id },
        el(
          'span',
          { className: 'search-hit-head' },
          el('span', { className: 'search-hit-contact' }, h.conversation.contact?.name || '—'),
          h.message.kind === 'note' ? el('span', { className: 'chip chip-note' }, t.note) : null,
          el('span', { className: 'chip chip-channel' }, h.conversation.channel_type),
          el('time', { datetime: h.message.created_at }, shortTime(h.message.created_at)),
        ),
        el('span', { className: 'search-hit-snippet' }, ...snippetNodes(h.snippet)),
      );
      button.addEventListener('click', () => open(h.conversation, h.message.id));
      results.append(el('li', {}, button));
    }
  };
  const run = (next: boolean): void => {
    const q = next ? query : input.value.trim();
    if (!q) return;
    const mine = ++generation;
    if (!next) {
      query = q;
      cursor = null;
      shown = 0;
      clear(results);
    }
    panel.hidden = false;
    closeButton.hidden = false;
    status.textContent = t.searching;
    more.hidden = true;
    api
      .searchMessages(q, next ? cursor : null)
      .then((page) => {
        if (mine !== generation) return;
        render(page.data);
        shown += page.data.length;
        cursor = page.next_cursor ?? null;
        status.textContent = shown === 0 ? t.noResults : t.results(shown, cursor !== null);
        more.hidden = cursor === null;
      })
      .catch((e: unknown) => {
        if (mine === generation) status.textContent = apiErrorText(e);
      });
  };
  const close = (): void => {
    generation++;
    input.value = '';
    panel.hidden = true;
    closeButton.hidden = true;
    clear(results);
  };
  const form = el(
    'form',
    { className: 'message-search', role: 'search' },
    el('label', { className: 'sr-only', for: 'message-search' }, t.searchLabel),
    input,
    el('button', { type: 'submit', className: 'btn btn-secondary', id: 'message-search-submit' }, t.searchButton),
    closeButton,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    run(false);
  });
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') close();
  });
  closeButton.addEventListener('click', close);
  more.addEventListener('click', () => run(true));
  return el('div', { className: 'search-box' }, form, panel);
}

// ---------------------------------------------------------------- @-autocomplete

/**
 * Suggests agents when the text before the caret ends with "@" + a start of a name (notes only:
 * `active()`); Enter, Tab or a click inserts "@Name ", Escape closes. Returns the list element to
 * place after the textarea.
 */
export function attachMentionPicker(textarea: HTMLTextAreaElement, agents: () => Agent[], active: () => boolean): HTMLElement {
  const list = el('ul', { className: 'mention-picker', id: 'mention-picker', role: 'listbox', 'aria-label': toolsText.suggestions, hidden: true });
  let matches: Agent[] = [];
  let selected = 0;
  let at = -1;
  const fold = (s: string): string => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
  const hide = (): void => {
    list.hidden = true;
    matches = [];
    at = -1;
    textarea.removeAttribute('aria-activedescendant');
  };
  const paint = (): void => {
    clear(list);
    matches.forEach((a, i) => {
      const item = el(
        'li',
        { role: 'option', id: `mention-option-${i}`, className: 'mention-option', 'aria-selected': i === selected ? 'true' : 'false', 'data-agent-id': a.id },
        a.name || a.email,
      );
      item.addEventListener('mousedown', (ev) => {
        ev.preventDefault(); // keep the textarea's focus and caret
        choose(i);
      });
      list.append(item);
    });
    list.hidden = matches.length === 0;
    if (matches.length) textarea.setAttribute('aria-activedescendant', `mention-option-${selected}`);
  };
  const choose = (i: number): void => {
    const a = matches[i];
    if (!a || at < 0) return;
    const caret = textarea.selectionStart ?? textarea.value.length;
    const name = a.name || a.id;
    textarea.value = `${textarea.value.slice(0, at)}@${name} ${textarea.value.slice(caret)}`;
    const pos = at + name.length + 2;
    textarea.setSelectionRange(pos, pos);
    hide();
    textarea.focus();
  };
  const update = (): void => {
    if (!active()) return hide();
    const caret = textarea.selectionStart ?? textarea.value.length;
    const before = textarea.value.slice(0, caret);
    // "@" at the start or after a character that is not part of a word (not an e-mail address).
    const m = /(^|[^\p{L}\p{N}_.])@([\p{L}\p{N} .'-]{0,40})$/u.exec(before);
    if (!m) return hide();
    const typed = fold(m[2] ?? '');
    at = caret - (m[2] ?? '').length - 1;
    matches = agents()
      .filter((a) => (a.name || '').length > 0 && fold(a.name).startsWith(typed))
      .slice(0, 8);
    selected = 0;
    paint();
  };
  textarea.addEventListener('input', update);
  textarea.addEventListener('click', update);
  textarea.addEventListener('blur', () => hide());
  // Before the composer's own Enter-to-send: capture phase.
  textarea.addEventListener(
    'keydown',
    (ev) => {
      if (list.hidden || matches.length === 0) return;
      if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
        ev.preventDefault();
        selected = (selected + (ev.key === 'ArrowDown' ? 1 : matches.length - 1)) % matches.length;
        paint();
      } else if (ev.key === 'Enter' || ev.key === 'Tab') {
        ev.preventDefault();
        ev.stopImmediatePropagation();
        choose(selected);
      } else if (ev.key === 'Escape') {
        ev.preventDefault();
        ev.stopImmediatePropagation();
        hide();
      }
    },
    { capture: true },
  );
  return list;
}

/** "Mentioned: Bea, Luca" under a note that mentions agents, or null. */
export function mentionLine(m: Message): HTMLElement | null {
  const list = (m.content as { mentions?: Array<{ name?: string }> } | undefined)?.mentions;
  if (m.kind !== 'note' || !Array.isArray(list) || list.length === 0) return null;
  return el('p', { className: 'note-mentions' }, toolsText.mentioned(list.map((x) => x.name ?? '').filter(Boolean).join(', ')));
}

// ---------------------------------------------------------------- mentions badge and list

export interface MentionsControl {
  element: HTMLElement;
  /** Fetches the unread count (and the list when open) again: on `agent.mentioned`, on reconnect. */
  refresh: () => void;
}

/** The top bar's mentions button (unread count) and its list; a click opens the note. */
export function mentionsControl(api: ToolsApi, open: (conversationId: string, messageId: string) => void): MentionsControl {
  const t = toolsText;
  const count = el('span', { className: 'badge', id: 'mentions-count', hidden: true });
  const button = el(
    'button',
    { type: 'button', className: 'btn btn-quiet mentions-button', id: 'mentions-button', 'aria-expanded': 'false', 'aria-controls': 'mentions-panel' },
    t.mentionsButton,
    count,
  );
  const list = el('ul', { className: 'mentions-list', id: 'mentions-list' });
  const markAll = el('button', { type: 'button', className: 'btn btn-quiet', id: 'mentions-mark-all' }, t.markAllRead);
  const status = el('p', { className: 'search-status', role: 'status' });
  const panel = el(
    'section',
    { className: 'mentions-panel', id: 'mentions-panel', hidden: true, 'aria-labelledby': 'mentions-heading' },
    el('div', { className: 'mentions-head' }, el('h2', { id: 'mentions-heading' }, t.mentionsHeading), markAll),
    status,
    list,
  );
  let generation = 0;

  const paintCount = (n: number): void => {
    count.hidden = n === 0;
    count.textContent = String(n);
    button.setAttribute('aria-label', n > 0 ? `${t.mentionsButton}: ${t.mentionsUnread(n)}` : t.mentionsButton);
    button.dataset.unread = String(n);
  };
  const paintList = (items: Mention[]): void => {
    clear(list);
    status.textContent = items.length === 0 ? t.mentionsEmpty : '';
    for (const m of items) {
      const item = el(
        'button',
        { type: 'button', className: `mention-item${m.read_at ? '' : ' is-unread'}`, 'data-mention-id': m.id, 'data-message-id': m.message_id },
        el('span', { className: 'mention-by' }, t.mentionedBy(m.by_name, m.contact_name)),
        el('time', { datetime: m.created_at }, shortTime(m.created_at)),
        el('span', { className: 'mention-text' }, m.text),
      );
      item.addEventListener('click', () => {
        panel.hidden = true;
        button.setAttribute('aria-expanded', 'false');
        open(m.conversation_id, m.message_id);
        if (!m.read_at)
          void api
            .markMentionRead(m.id)
            .then(() => refresh())
            .catch(() => undefined);
      });
      list.append(el('li', {}, item));
    }
  };
  const refresh = (): void => {
    const mine = ++generation;
    void api
      .listMentions(false)
      .then((page) => {
        if (mine !== generation) return;
        paintCount(page.unread_count);
        if (!panel.hidden) paintList(page.data);
      })
      .catch(() => undefined);
  };
  button.addEventListener('click', () => {
    panel.hidden = !panel.hidden;
    button.setAttribute('aria-expanded', panel.hidden ? 'false' : 'true');
    if (!panel.hidden) {
      status.textContent = '';
      refresh();
    }
  });
  markAll.addEventListener('click', () => {
    markAll.disabled = true;
    void api
      .markAllMentionsRead()
      .then(() => refresh())
      .catch((e: unknown) => {
        status.textContent = apiErrorText(e);
      })
      .finally(() => {
        markAll.disabled = false;
      });
  });
  paintCount(0);
  refresh();
  return { element: el('div', { className: 'mentions' }, button, panel), refresh };
}
