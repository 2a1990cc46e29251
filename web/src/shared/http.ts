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
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  if (!res.ok) {
    const err = (parsed as { error?: { code?: string; message?: string; field?: string } } | undefined)?.error;
    let retryAfter: number | null = null;
    const ra = res.headers.get('Retry-After');
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
