// The composer's files: an attach button (and drag-and-drop or paste onto the composer) uploads
// each file at once (POST /api/v1/media); a chip per file shows its name, size and state
// (uploading with the share of its bytes sent, ready, or why the server refused it) with a remove
// button, and a retry button when the upload failed for a reason other than the file itself (the
// connection broke, or the server answered 5xx). The composer then sends the ready files as one
// message with the text as their caption.

import { ApiError } from '../shared/http';
import { el } from '../shared/dom';
import { consoleText as t } from '../shared/strings';
import type { ConsoleApi, UploadedMedia } from './api';
import { byteSize } from './render';

interface Pending {
  file: File;
  name: string;
  chip: HTMLLIElement;
  state: 'uploading' | 'ready' | 'failed';
  /** Percent of the bytes sent (0-100). */
  progress: number;
  /** Failed for a reason a second try may not have (network, 5xx): offer Retry. */
  retryable: boolean;
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

/** The connection broke or the server failed (5xx): the file itself was not refused. */
function retryable(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 0 || e.status >= 500);
}

function refusal(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return t.uploadInterrupted;
    if (e.status >= 500) return t.uploadServerFailed;
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

  const showProgress = (p: Pending): void => {
    const bar = p.chip.querySelector<HTMLProgressElement>('.attach-progress');
    const percent = p.chip.querySelector('.attach-percent');
    const uploading = p.state === 'uploading';
    if (bar) {
      bar.value = p.progress;
      bar.hidden = !uploading;
    }
    if (percent) {
      percent.textContent = `${p.progress}%`;
      (percent as HTMLElement).hidden = !uploading;
    }
    p.chip.dataset.progress = String(p.progress);
  };
  const render = (p: Pending): void => {
    const status = p.state === 'uploading' ? t.uploading : p.state === 'ready' ? t.uploaded : '';
    p.chip.className = `attach-chip is-${p.state}`;
    p.chip.dataset.state = p.state;
    const state = p.chip.querySelector('.attach-state');
    if (state) state.textContent = status;
    p.chip.setAttribute('aria-busy', p.state === 'uploading' ? 'true' : 'false');
    const retry = p.chip.querySelector<HTMLButtonElement>('.attach-retry');
    if (retry) retry.hidden = !(p.state === 'failed' && p.retryable);
    showProgress(p);
  };
  const remove = (p: Pending): void => {
    p.abort.abort();
    const i = files.indexOf(p);
    if (i >= 0) files.splice(i, 1);
    p.chip.remove();
    onChange();
  };
  // Uploads p's file (again, after a failure): the chip follows the bytes sent, then the answer.
  const upload = (p: Pending): void => {
    const abort = new AbortController();
    p.abort = abort;
    p.state = 'uploading';
    p.progress = 0;
    p.retryable = false;
    p.media = null;
    const err = p.chip.querySelector('.attach-error');
    if (err) err.textContent = '';
    render(p);
    onChange();
    const progress = (sent: number, total: number): void => {
      if (abort.signal.aborted || p.state !== 'uploading') return;
      const pct = total > 0 ? Math.min(100, Math.floor((sent * 100) / total)) : 100;
      if (pct <= p.progress) return;
      p.progress = pct;
      showProgress(p);
    };
    api
      .uploadMedia(p.file, p.name, abort.signal, progress)
      .then((m) => {
        p.media = m;
        p.progress = 100;
        p.state = 'ready';
      })
      .catch((e: unknown) => {
        if (abort.signal.aborted) return;
        p.state = 'failed';
        p.retryable = retryable(e);
        if (err) err.textContent = t.uploadFailed(refusal(e));
      })
      .finally(() => {
        if (abort.signal.aborted) return;
        render(p);
        onChange();
      });
  };
  const add = (file: File): void => {
    const name = file.name || 'file';
    const removeButton = el('button', { type: 'button', className: 'attach-remove', 'aria-label': t.removeFile(name), title: t.removeFile(name) }, '×');
    const retryButton = el('button', { type: 'button', className: 'attach-retry', 'aria-label': t.retryUploadFile(name), title: t.retryUploadFile(name), hidden: true }, t.retryUpload);
    const chip = el(
      'li',
      { className: 'attach-chip' },
      el('span', { className: 'attach-name' }, name),
      el('span', { className: 'attach-size' }, byteSize(file.size)),
      el('progress', { className: 'attach-progress', max: 100, value: 0, 'aria-label': t.uploadProgress(name) }),
      // The bar carries the value for assistive tech; the number is for the eye.
      el('span', { className: 'attach-percent', 'aria-hidden': 'true' }),
      el('span', { className: 'attach-state', role: 'status' }),
      el('span', { className: 'attach-error', role: 'alert' }),
      retryButton,
      removeButton,
    );
    const p: Pending = { file, name, chip, state: 'uploading', progress: 0, retryable: false, media: null, abort: new AbortController() };
    removeButton.addEventListener('click', () => remove(p));
    retryButton.addEventListener('click', () => {
      upload(p);
      removeButton.focus();  // the retry button hides: keep the focus on this chip
    });
    files.push(p);
    list.append(chip);
    upload(p);
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
