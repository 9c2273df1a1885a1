// dom.js — building the page without innerHTML: every text from the engine goes in as
// text, never as markup.

// h('a', {href: '#/', class: 'x', onclick: fn, 'aria-label': 'y'}, 'text', child, ...)
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

// "2026-11-21T23:31:59.039Z" -> the reader's local time, with the exact time on hover.
export function time(iso) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  const d = new Date(iso);
  const text = isNaN(d) ? iso : d.toLocaleString(undefined, {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
  return h('time', { datetime: iso, title: iso }, text);
}

export function bytes(n) {
  if (typeof n !== 'number') return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i ? n.toFixed(1) : n} ${units[i]}`;
}

// A health colour as a dot *and* a word (never colour alone).
export function health(colour) {
  const c = colour || 'Grey';
  return h('span', { class: `health health-${c.toLowerCase()}` },
    h('span', { class: 'dot', 'aria-hidden': 'true' }), c);
}

export function statusBadge(status) {
  const s = status || 'UNKNOWN';
  return h('span', { class: `badge badge-${s.toLowerCase()}` }, s);
}

// A table inside a scrolling wrapper (narrow windows scroll it sideways).
export function table(caption, headers, rows) {
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption },
    h('table', {},
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows)));
}

export function announce(text) {
  const s = document.getElementById('status');
  s.textContent = '';
  setTimeout(() => { s.textContent = text; }, 30);
}

export function showAlert(text) {
  const a = document.getElementById('alert');
  if (!text) { a.hidden = true; a.textContent = ''; return; }
  clear(a);
  a.append(h('span', {}, text), ' ',
    h('button', { type: 'button', class: 'quiet', onclick: () => showAlert(null) }, 'Dismiss'));
  a.hidden = false;
}
