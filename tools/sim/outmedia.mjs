// Outbound files as the providers receive them: multipart/form-data uploads (Telegram, Messenger,
// Instagram) and links the provider fetches itself (WhatsApp `link`, Twilio `MediaUrl`, Viber
// `media`, Messenger/Instagram `payload.url`). The simulator checks them like the provider (type,
// size) and records what arrived as entry.media = [{type, filename, mime_type, size, sha256,
// source: 'upload'|'link', url?, caption?}] so tests can assert the exact bytes.
// Limits and their sources: docs/channels.md "Outbound files".

import http from 'node:http';
import https from 'node:https';
import { createHash } from 'node:crypto';

export const MB = 1024 * 1024;

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

/** Whether hostname is a loopback address (the only links fetched unless allowRemote). */
export function isLoopbackHost(hostname) {
  const h = hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

/**
 * Fetches a link the way a provider does: GET, following up to 3 redirects, at most maxBytes.
 * Resolves to {ok: true, bytes, mime_type, filename?, sha256, size} or {ok: false, error}.
 */
export async function fetchLink(url, { allowRemote = false, maxBytes = 100 * MB, timeoutMs = 15_000 } = {}) {
  let target;
  try {
    target = new URL(url);
  } catch {
    return { ok: false, error: `not a URL: ${url}` };
  }
  for (let hop = 0; hop < 4; hop++) {
    if (target.protocol !== 'http:' && target.protocol !== 'https:') return { ok: false, error: `not an http(s) URL: ${target.href}` };
    if (!allowRemote && !isLoopbackHost(target.hostname)) return { ok: false, error: `refused: ${target.hostname} is not a loopback address (use --allow-remote)` };
    let a;
    try {
      a = await get(target, maxBytes, timeoutMs);
    } catch (e) {
      return { ok: false, error: `fetching ${target.href}: ${e.message}` };
    }
    if (a.status >= 300 && a.status < 400 && a.headers.location) {
      target = new URL(a.headers.location, target);
      continue;
    }
    if (a.status !== 200) return { ok: false, error: `fetching ${target.href}: HTTP ${a.status}`, status: a.status };
    const mime = String(a.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const cd = String(a.headers['content-disposition'] ?? '');
    const fn = cd.match(/filename\*=UTF-8''([^;]+)/i)?.[1] ?? cd.match(/filename="([^"]*)"/i)?.[1];
    let filename;
    try {
      filename = fn && decodeURIComponent(fn);
    } catch {
      filename = fn;
    }
    return { ok: true, bytes: a.body, mime_type: mime, filename, sha256: sha256(a.body), size: a.body.length };
  }
  return { ok: false, error: 'too many redirects' };
}

function get(target, maxBytes, timeoutMs) {
  const lib = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(target, { method: 'GET', timeout: timeoutMs, agent: false, headers: { 'user-agent': 'bottega-sim-media-fetcher' } }, (res) => {
      const chunks = [];
      let size = 0;
      res.on('data', (c) => {
        size += c.length;
        if (size > maxBytes) {
          req.destroy(new Error(`larger than ${maxBytes} bytes`));
        } else chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * A multipart/form-data body: {fields: {name: string}, files: {name: {filename, mime_type, bytes,
 * sha256, size}}}, or null when it is not one (parsed by the platform's own reader: undici's
 * Request.formData()).
 */
export async function parseMultipart(contentType, raw) {
  if (!/^multipart\/form-data;\s*boundary=/i.test(String(contentType ?? ''))) return null;
  let form;
  try {
    form = await new Request('http://sim.local/', { method: 'POST', headers: { 'content-type': contentType }, body: raw }).formData();
  } catch {
    return null;
  }
  const fields = {};
  const files = {};
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') fields[name] = value;
    else {
      const bytes = Buffer.from(await value.arrayBuffer());
      files[name] = { filename: value.name, mime_type: value.type || 'application/octet-stream', bytes, sha256: sha256(bytes), size: bytes.length };
    }
  }
  return { fields, files };
}

/** What entry.media records for a file. */
export function received(type, f, extra = {}) {
  return { type, filename: f.filename ?? null, mime_type: f.mime_type, size: f.size, sha256: f.sha256, ...extra };
}

// ----- per-provider rules

/** WhatsApp Cloud API: the media types and sizes a message of `type` takes. */
export const WHATSAPP_MEDIA = {
  image: { types: ['image/jpeg', 'image/png'], max: 5 * MB },
  video: { types: ['video/mp4', 'video/3gpp'], max: 16 * MB },
  audio: { types: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'], max: 16 * MB },
  document: {
    types: ['text/plain', 'application/pdf', 'application/msword', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.ms-excel', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'application/vnd.ms-powerpoint',
      'application/vnd.openxmlformats-officedocument.presentationml.presentation'],
    max: 100 * MB,
  },
  sticker: { types: ['image/webp'], max: 500 * 1024 },
};

/** Messenger / Instagram attachment types and their limits. */
export function metaAttachmentError(provider, type, f) {
  if (!['image', 'video', 'audio', 'file'].includes(type)) return `(#100) Param message[attachment][type] must be one of {IMAGE, VIDEO, AUDIO, FILE, TEMPLATE} - got "${type}".`;
  if (f.size > 25 * MB) return '(#100) Attachment size exceeds allowable limit (25 MB)';
  if (provider === 'instagram') {
    const ok = {
      image: ['image/png', 'image/jpeg', 'image/gif'],
      video: ['video/mp4', 'video/ogg', 'video/x-msvideo', 'video/quicktime', 'video/webm'],
      audio: ['audio/aac', 'audio/mp4', 'audio/x-m4a', 'audio/wav', 'audio/x-wav', 'audio/vnd.wave'],
      file: ['application/pdf'],
    }[type];
    if (!ok.includes(f.mime_type)) return `(#100) Unsupported ${type} format: ${f.mime_type}`;
    if (type === 'image' && f.size > 8 * MB) return '(#100) Image size exceeds allowable limit (8 MB)';
  } else if (type !== 'file' && !f.mime_type.startsWith(`${type}/`)) {
    return `(#100) Attachment type ${type} does not match the file's type ${f.mime_type}`;
  }
  return null;
}

/** Telegram Bot API upload limits: photo 10 MB, any other file 50 MB. */
export function telegramFileError(kind, f) {
  if (kind === 'photo') {
    if (!['image/jpeg', 'image/png', 'image/webp'].includes(f.mime_type)) return 'Bad Request: IMAGE_PROCESS_FAILED';
    if (f.size > 10 * MB) return 'Bad Request: PHOTO_INVALID_DIMENSIONS';
  }
  if (f.size > 50 * MB) return 'Request Entity Too Large';
  return null;
}
