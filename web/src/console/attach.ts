// The composer's files: an attach button (and drag-and-drop or paste onto the composer) uploads
// each file at once (POST /api/v1/media); a chip per file shows its name, size and state
// (uploading, ready, or why the server refused it) with a remove button. The composer then sends
// the ready files as one message with the text as their caption.

import { ApiError } from '../shared/http';
import { el } from '../shared/dom';
import { consoleText as t } from '../shared/strings';
import type { ConsoleApi, UploadedMedia } from './api';
import { byteSize } from './render';

interface Pending {
  file: File;
  chip: HTMLLIElement;
  state: 'uploading' | 'ready' | 'failed';
  media: UploadedMedia | null;
  abort: AbortController;
}

export interface AttachControl {
  /** The attach button and its hidden file input. */
  button: HTMLElement;
  /** The chips of the files chosen for the next message. */
  list: HTMLElement;
  /** Whether any file is still uploading (the composer waits). */
  uploading(): boolean;
  /** The media ids of the files ready to send, in the order chosen. */
  ready(): string[];
  /** Forgets every file (after a send, or when the conversation changes). */
  clear(): void;
}

function refusal(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.code === 'media_too_large') return t.fileTooLarge;
    if (e.code === 'media_type_not_allowed') return t.fileTypeRefused;
    if (e.code === 'media_type_mismatch') return t.fileMismatch;
    return e.message || e.code;
  }
  return String(e);
}

/** `dropTarget` takes dropped and pasted files; `onChange` runs whenever the set or a state changes. */
export function attachControl(api: ConsoleApi, dropTarget: HTMLElement, onChange: () => void): AttachControl {
  const files: Pending[] = [];
  // The visible control is the button; the input only opens the picker (hidden from assistive tech).
  const input = el('input', { type: 'file', multiple: true, id: 'composer-files', className: 'sr-only', tabindex: -1, 'aria-hidden': 'true' });
  const pick = el('button', { type: 'button', className: 'btn btn-secondary attach-button', id: 'composer-attach', 'aria-label': t.attachFiles, title: t.attachFiles }, '📎');
  const list = el('ul', { className: 'attach-chips', id: 'composer-files-list', 'aria-label': t.attachmentsLabel, 'aria-live': 'polite' });

  const render = (p: Pending): void => {
    const status = p.state === 'uploading' ? t.uploading : p.state === 'ready' ? t.uploaded : '';
    p.chip.className = `attach-chip is-${p.state}`;
    p.chip.dataset.state = p.state;
    const state = p.chip.querySelector('.attach-state');
    if (state) state.textContent = status;
    p.chip.setAttribute('aria-busy', p.state === 'uploading' ? 'true' : 'false');
  };
  const remove = (p: Pending): void => {
    p.abort.abort();
    const i = files.indexOf(p);
    if (i >= 0) files.splice(i, 1);
    p.chip.remove();
    onChange();
  };
  const add = (file: File): void => {
    const name = file.name || 'file';
    const removeButton = el('button', { type: 'button', className: 'attach-remove', 'aria-label': t.removeFile(name), title: t.removeFile(name) }, '×');
    const chip = el(
      'li',
      { className: 'attach-chip' },
      el('span', { className: 'attach-name' }, name),
      el('span', { className: 'attach-size' }, byteSize(file.size)),
      el('span', { className: 'attach-state', role: 'status' }),
      el('span', { className: 'attach-error', role: 'alert' }),
      removeButton,
    );
    const p: Pending = { file, chip, state: 'uploading', media: null, abort: new AbortController() };
    removeButton.addEventListener('click', () => remove(p));
    files.push(p);
    list.append(chip);
    render(p);
    onChange();
    api
      .uploadMedia(file, name, p.abort.signal)
      .then((m) => {
        p.media = m;
        p.state = 'ready';
      })
      .catch((e: unknown) => {
        if (p.abort.signal.aborted) return;
        p.state = 'failed';
        const err = chip.querySelector('.attach-error');
        if (err) err.textContent = t.uploadFailed(refusal(e));
      })
      .finally(() => {
        if (p.abort.signal.aborted) return;
        render(p);
        onChange();
      });
  };
  const addAll = (list: FileList | null | undefined): void => {
    for (const f of Array.from(list ?? [])) add(f);
  };

  pick.addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    addAll(input.files);
    input.value = '';
  });
  dropTarget.addEventListener('dragover', (ev) => {
    if (!ev.dataTransfer?.types.includes('Files')) return;
    ev.preventDefault();
    dropTarget.classList.add('is-dropping');
  });
  dropTarget.addEventListener('dragleave', () => dropTarget.classList.remove('is-dropping'));
  dropTarget.addEventListener('drop', (ev) => {
    dropTarget.classList.remove('is-dropping');
    if (!ev.dataTransfer?.files.length) return;
    ev.preventDefault();
    addAll(ev.dataTransfer.files);
  });
  dropTarget.addEventListener('paste', (ev) => {
    const pasted = ev.clipboardData?.files;
    if (!pasted?.length) return;  // text pastes as usual
    ev.preventDefault();
    addAll(pasted);
  });

  return {
    button: el('span', { className: 'attach-anchor' }, input, pick),
    list,
    uploading: () => files.some((p) => p.state === 'uploading'),
    ready: () => files.filter((p) => p.state === 'ready' && p.media).map((p) => (p.media as UploadedMedia).id),
    clear: () => {
      for (const p of [...files]) remove(p);
    },
  };
}
