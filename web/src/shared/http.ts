// fetch wrapper: JSON in, JSON out, typed errors.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds from Retry-After on 429, when the server sent one. */
    readonly retryAfter: number | null = null,
    /** The request field at fault, when the server named one. */
    readonly field: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  credentials?: RequestCredentials;
  signal?: AbortSignal;
  /** A raw body (a file upload) sent as is, with `contentType`; instead of `body`. */
  raw?: Blob;
  contentType?: string;
  /**
   * Called as the request body goes out (bytes sent so far, of `total`), ending with sent = total
   * once all of it is sent. With it the request goes through XMLHttpRequest, whose upload events
   * report bytes on the wire (fetch cannot stream a request body over HTTP/1.1).
   */
  onUploadProgress?: (sent: number, total: number) => void;
}

/** What the transports hand back: enough to build the result or the ApiError. */
interface RawResponse {
  status: number;
  statusText: string;
  text: string;
  retryAfter: string | null;
}

async function viaFetch(url: string, opts: RequestOptions, headers: Record<string, string>, body: string | Blob | undefined): Promise<RawResponse> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: opts.method ?? 'GET',
      headers,
      body,
      credentials: opts.credentials ?? 'same-origin',
      signal: opts.signal,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network_error', String(e));
  }
  const text = res.status === 204 ? '' : await res.text();
  return { status: res.status, statusText: res.statusText, text, retryAfter: res.headers.get('Retry-After') };
}

function viaXhr(
  url: string,
  opts: RequestOptions,
  headers: Record<string, string>,
  body: string | Blob | undefined,
  onProgress: (sent: number, total: number) => void,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(opts.method ?? 'GET', url);
    // Same-origin requests carry the cookies either way; 'include' also sends them cross-origin.
    xhr.withCredentials = opts.credentials === 'include';
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    const total = body instanceof Blob ? body.size : (body?.length ?? 0);
    // Upload listeners must be in place before send() for the browser to report upload progress.
    xhr.upload.addEventListener('progress', (ev) => onProgress(ev.loaded, ev.lengthComputable ? ev.total : total));
    xhr.upload.addEventListener('load', () => onProgress(total, total));
    const abort = (): void => xhr.abort();
    xhr.addEventListener('load', () => {
      opts.signal?.removeEventListener('abort', abort);
      resolve({ status: xhr.status, statusText: xhr.statusText, text: xhr.responseText, retryAfter: xhr.getResponseHeader('Retry-After') });
    });
    xhr.addEventListener('error', () => {
      opts.signal?.removeEventListener('abort', abort);
      reject(new ApiError(0, 'network_error', 'network error'));
    });
    xhr.addEventListener('timeout', () => reject(new ApiError(0, 'network_error', 'timed out')));
    xhr.addEventListener('abort', () => reject(new DOMException('The request was aborted.', 'AbortError')));
    if (opts.signal?.aborted) {
      reject(new DOMException('The request was aborted.', 'AbortError'));
      return;
    }
    opts.signal?.addEventListener('abort', abort, { once: true });
    xhr.send(body ?? null);
  });
}

export async function requestJson<T>(url: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
  let body: string | Blob | undefined;
  if (opts.raw !== undefined) {
    headers['Content-Type'] = opts.contentType || 'application/octet-stream';
    body = opts.raw;
  } else if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  const res = opts.onUploadProgress
    ? await viaXhr(url, opts, headers, body, opts.onUploadProgress)
    : await viaFetch(url, opts, headers, body);
  if (res.status === 204) return undefined as T;
  const text = res.text;
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  if (res.status < 200 || res.status > 299) {
    const err = (parsed as { error?: { code?: string; message?: string; field?: string } } | undefined)?.error;
    let retryAfter: number | null = null;
    const ra = res.retryAfter;
    if (ra !== null && ra.trim() !== '' && !Number.isNaN(Number(ra))) retryAfter = Math.ceil(Number(ra));
    throw new ApiError(
      res.status,
      err?.code ?? (res.status === 429 ? 'rate_limited' : `http_${res.status}`),
      err?.message ?? res.statusText,
      retryAfter,
      typeof err?.field === 'string' ? err.field : null,
    );
  }
  return parsed as T;
}
