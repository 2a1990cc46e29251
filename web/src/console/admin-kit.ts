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
