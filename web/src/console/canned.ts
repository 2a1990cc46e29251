// The composer's canned responses: type "/" (then part of a shortcut or title) at the start of an
// empty composer, pick one with the arrows and Enter (or a click); the server fills in its
// variables for this conversation and the text replaces what was typed. Text only: nothing from a
// response is ever inserted as HTML.

import { clear, el } from '../shared/dom';

export interface CannedResponse {
  id: string;
  shortcut: string;
  title: string;
  body: string;
}

export interface CannedSource {
  list(): Promise<CannedResponse[]>;
  render(id: string, conversationId: string): Promise<string>;
}

export interface CannedText {
  cannedLabel: string;
  cannedEmpty: string;
}

/** The responses whose shortcut or title contains `query` (case-insensitive), shortcut matches first. */
export function filterCanned(all: CannedResponse[], query: string): CannedResponse[] {
  const q = query.toLowerCase();
  const starts = all.filter((c) => c.shortcut.startsWith(q));
  const rest = all.filter((c) => !c.shortcut.startsWith(q) && (c.shortcut.includes(q) || c.title.toLowerCase().includes(q)));
  return [...starts, ...rest].slice(0, 8);
}

/**
 * Wires the picker to a composer. `form` gets a capturing keydown listener so Enter picks a
 * response instead of sending while the list is open.
 */
export function attachCannedPicker(
  form: HTMLFormElement,
  textarea: HTMLTextAreaElement,
  conversationId: string,
  source: CannedSource,
  t: CannedText,
  onError: (e: unknown) => void,
): HTMLElement {
  const listbox = el('ul', { className: 'canned-list', id: 'canned-list', role: 'listbox', 'aria-label': t.cannedLabel, hidden: true });
  textarea.setAttribute('aria-controls', 'canned-list');
  textarea.setAttribute('aria-autocomplete', 'list');
  let all: CannedResponse[] | null = null;
  let shown: CannedResponse[] = [];
  let active = 0;

  const close = (): void => {
    listbox.hidden = true;
    textarea.setAttribute('aria-expanded', 'false');
    textarea.removeAttribute('aria-activedescendant');
  };
  const paint = (): void => {
    clear(listbox);
    if (shown.length === 0) {
      listbox.append(el('li', { className: 'canned-empty' }, t.cannedEmpty));
    }
    shown.forEach((c, i) => {
      const li = el(
        'li',
        { id: `canned-${c.id}`, role: 'option', className: 'canned-item', 'aria-selected': i === active ? 'true' : 'false', 'data-canned-id': c.id },
        el('span', { className: 'canned-shortcut' }, `/${c.shortcut}`),
        el('span', { className: 'canned-title' }, c.title),
      );
      li.addEventListener('mousedown', (ev) => {
        ev.preventDefault();
        void pick(c);
      });
      listbox.append(li);
    });
    listbox.hidden = false;
    textarea.setAttribute('aria-expanded', 'true');
    const current = shown[active];
    if (current) textarea.setAttribute('aria-activedescendant', `canned-${current.id}`);
  };
  const pick = async (c: CannedResponse): Promise<void> => {
    close();
    try {
      textarea.value = await source.render(c.id, conversationId);
      textarea.focus();
      textarea.setSelectionRange(textarea.value.length, textarea.value.length);
    } catch (e) {
      onError(e);
    }
  };
  const update = async (): Promise<void> => {
    const m = /^\/([^\s/]{0,32})$/.exec(textarea.value);
    if (!m) return close();
    if (!all) {
      try {
        all = await source.list();
      } catch (e) {
        onError(e);
        return close();
      }
    }
    shown = filterCanned(all, m[1] ?? '');
    active = 0;
    paint();
  };
  textarea.addEventListener('input', () => void update());
  textarea.addEventListener('blur', () => close());
  form.addEventListener(
    'keydown',
    (ev) => {
      if (listbox.hidden || ev.target !== textarea) return;
      if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
        ev.preventDefault();
        if (shown.length) active = (active + (ev.key === 'ArrowDown' ? 1 : shown.length - 1)) % shown.length;
        paint();
      } else if ((ev.key === 'Enter' || ev.key === 'Tab') && shown[active]) {
        const chosen = shown[active];
        ev.preventDefault();
        ev.stopPropagation();
        if (chosen) void pick(chosen);
      } else if (ev.key === 'Escape') {
        ev.preventDefault();
        ev.stopPropagation();
        close();
      }
    },
    true,
  );
  return listbox;
}
