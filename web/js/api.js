// api.js — the engine's API (docs/api.md) as the console uses it: the session cookie
// goes with every request by itself (same origin); the CSRF token, kept only in this
// page's memory, goes in X-CSRF-Token on every change.

let csrf = null;
const listeners = new Set();

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || `HTTP_${status}`;
    this.details = e.details || [];
  }
}

// Called with no argument when the session ends (401 from any request).
export function onSignedOut(fn) { listeners.add(fn); }
function signedOut() { csrf = null; for (const fn of listeners) fn(); }

export const enc = encodeURIComponent;

export async function request(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  let data;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    data = JSON.stringify(body);
  }
  const r = await fetch(`/api/v1${path}`, { method, headers, body: data, credentials: 'same-origin', cache: 'no-store' });
  let json = null;
  const text = await r.text();
  if (text) { try { json = JSON.parse(text); } catch { json = null; } }
  if (!r.ok) {
    const err = new ApiError(r.status, json);
    if (r.status === 401 && path !== '/session') signedOut();
    throw err;
  }
  return json;
}

export const get = (p) => request('GET', p);
export const post = (p, b) => request('POST', p, b === undefined ? {} : b);
export const del = (p) => request('DELETE', p);
export const patch = (p, b) => request('PATCH', p, b);

// Every page of a list endpoint ({key: [...], next_token}).
export async function getAll(path, key, max = 1000) {
  const out = [];
  let token = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await get(`${path}${sep}limit=100${token ? `&next_token=${enc(token)}` : ''}`);
    out.push(...(page[key] || []));
    token = page.next_token;
  } while (token && out.length < max);
  return out;
}

export async function resumeSession() {
  try {
    const s = await request('GET', '/session');
    csrf = s.csrf_token;
    return s;
  } catch (e) {
    if (e.status === 401 || e.status === 404) return null;
    throw e;
  }
}

export async function signIn(token) {
  const s = await request('POST', '/session', { token });
  csrf = s.csrf_token;
  return s;
}

export async function signOut() {
  try { await request('DELETE', '/session'); } finally { csrf = null; }
}

// Uploads a bundle as the request body (docs/api.md); XMLHttpRequest because fetch
// cannot report upload progress. onProgress(sent, total).
export function uploadVersion(app, label, description, file, onProgress) {
  return new Promise((resolve, reject) => {
    const q = `label=${enc(label)}&source=console${description ? `&description=${enc(description)}` : ''}`;
    const x = new XMLHttpRequest();
    x.open('POST', `/api/v1/applications/${enc(app)}/versions?${q}`);
    x.setRequestHeader('Content-Type', file.type === 'application/zip' ? 'application/zip' : 'application/octet-stream');
    x.setRequestHeader('X-Sprout-Source', 'console');
    if (csrf) x.setRequestHeader('X-CSRF-Token', csrf);
    x.upload.onprogress = (ev) => onProgress(ev.loaded, ev.lengthComputable ? ev.total : file.size);
    x.onload = () => {
      let json = null;
      try { json = JSON.parse(x.responseText); } catch { json = null; }
      if (x.status >= 200 && x.status < 300) resolve(json);
      else {
        if (x.status === 401) signedOut();
        reject(new ApiError(x.status, json));
      }
    };
    x.onerror = () => reject(new ApiError(0, { error: { message: 'the upload failed (connection lost)' } }));
    x.send(file);
  });
}

// Live events (Server-Sent Events, the cookie goes along). filter: {application, environment}.
export function eventStream(filter, onEvent, onState) {
  const q = new URLSearchParams(Object.entries(filter).filter(([, v]) => v));
  const es = new EventSource(`/api/v1/events/stream?${q}`, { withCredentials: true });
  es.addEventListener('event', (m) => {
    try { onEvent(JSON.parse(m.data)); } catch { /* a malformed event is skipped */ }
  });
  es.onopen = () => onState && onState('open');
  es.onerror = () => onState && onState(es.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
  return es;
}
