// Pieces the settings screens share: an API error as one line, and a data table that fills itself
// from a list call and shows its empty state.

import { ApiError } from '../shared/http';
import { clear, el } from '../shared/dom';
import { common } from '../shared/strings';

/** "code: message (field)" for a refusal the server explained; network and other errors in words. */
export function apiErrorText(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return common.networkError;
    const text = e.code && !e.code.startsWith('http_') ? `${e.code}: ${e.message}` : e.message;
    return e.field ? `${text} (${e.field})` : text;
  }
  return common.genericError;
}

/** A button that copies `value` (a webhook URL, a secret) and says so for a moment. */
export function copyButton(value: string, ariaLabel: string, text: { copy: string; copied: string }): HTMLButtonElement {
  const b = el('button', { type: 'button', className: 'btn btn-quiet btn-small', 'aria-label': ariaLabel }, text.copy);
  b.addEventListener('click', () => {
    void navigator.clipboard
      ?.writeText(value)
      .then(() => {
        b.textContent = text.copied;
        setTimeout(() => (b.textContent = text.copy), 1500);
      })
      .catch(() => undefined);
  });
  return b;
}

/** A polite status line; `say(text, true)` marks it as an error. */
export function statusLine(className: string): { element: HTMLParagraphElement; say: (text: string, bad?: boolean) => void } {
  const element = el('p', { className, role: 'status', 'aria-live': 'polite' });
  return {
    element,
    say: (text, bad = false) => {
      element.textContent = text;
      element.classList.toggle('is-error', bad);
    },
  };
}

/** The explicit "are you sure" step of a money action: its question, Confirm and Cancel (hidden at first). */
export function confirmStep(className: string, labels: { confirm: string; cancel: string }): {
  box: HTMLElement;
  text: HTMLElement;
  confirm: HTMLButtonElement;
  back: HTMLButtonElement;
} {
  const text = el('p', { className: 'confirm-text' });
  const confirm = el('button', { type: 'button', className: 'btn btn-danger btn-small confirm-button' }, labels.confirm);
  const back = el('button', { type: 'button', className: 'btn btn-quiet btn-small' }, labels.cancel);
  const box = el(
    'div',
    { className: `refund-confirm ${className}`, role: 'alertdialog', 'aria-label': labels.confirm, hidden: true },
    text,
    el('div', { className: 'refund-actions' }, confirm, back),
  );
  return { box, text, confirm, back };
}

export interface FieldSpec {
  name: string;
  secret?: boolean;
  optional?: boolean;
}

/**
 * The settings inputs of the type chosen in `type` (a channel's, a payment provider's): one labelled
 * input per field (secrets as password inputs), rebuilt when the type changes. `collect` returns the
 * values typed, or null after calling `missing` for the first required one left empty.
 */
export function typedFields(
  specs: Record<string, FieldSpec[]>,
  type: HTMLSelectElement,
  idPrefix: string,
  optionalText: string,
  extra: (type: string) => Node | null = () => null,
): {
  element: HTMLElement;
  sync: () => void;
  collect: (missing: (name: string, input: HTMLInputElement) => void) => Record<string, string> | null;
  input: (name: string) => HTMLInputElement | undefined;
} {
  const element = el('div', { className: 'settings-fields' });
  const inputs = new Map<string, HTMLInputElement>();
  const sync = (): void => {
    clear(element);
    inputs.clear();
    for (const f of specs[type.value] ?? []) {
      const id = `${idPrefix}${f.name}`;
      const input = el('input', { id, name: f.name, type: f.secret ? 'password' : 'text', autocomplete: 'off', required: !f.optional });
      inputs.set(f.name, input);
      element.append(el('div', { className: 'field' }, el('label', { for: id }, f.name + (f.optional ? ` ${optionalText}` : '')), input));
    }
    const more = extra(type.value);
    if (more) element.append(more);
  };
  type.addEventListener('change', sync);
  sync();
  return {
    element,
    sync,
    collect: (missing) => {
      const out: Record<string, string> = {};
      for (const f of specs[type.value] ?? []) {
        const input = inputs.get(f.name);
        const v = input?.value.trim() ?? '';
        if (!v && !f.optional && input) {
          missing(f.name, input);
          return null;
        }
        if (v) out[f.name] = v;
      }
      return out;
    },
    input: (name) => inputs.get(name),
  };
}

export interface DataTable<T> {
  /** The table and its "nothing yet" line, to append where the screen wants them. */
  nodes: HTMLElement[];
  /** Replaces the rows with what `list` answers; a failure goes to `onError`. */
  load(list: () => Promise<T[]>, onError: (e: unknown) => void): Promise<void>;
}

export function dataTable<T>(opts: {
  id: string;
  caption: string;
  headings: string[];
  empty: string;
  row: (item: T) => HTMLTableRowElement;
}): DataTable<T> {
  const tbody = el('tbody');
  const empty = el('p', { className: 'hint', hidden: true }, opts.empty);
  const table = el(
    'table',
    { className: 'data-table', id: opts.id },
    el('caption', { className: 'sr-only' }, opts.caption),
    el('thead', {}, el('tr', {}, ...opts.headings.map((h) => el('th', { scope: 'col' }, h)))),
    tbody,
  );
  return {
    nodes: [table, empty],
    load: async (list, onError) => {
      try {
        const items = await list();
        clear(tbody);
        for (const item of items) tbody.append(opts.row(item));
        empty.hidden = items.length > 0;
      } catch (e) {
        onError(e);
      }
    },
  };
}
