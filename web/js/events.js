// events.js — an event list that fills itself live over Server-Sent Events.
import { h, clear, time } from './dom.js';
import * as api from './api.js';

const MAX_SHOWN = 100;

function eventItem(e) {
  return h('li', { class: `event sev-${(e.severity || 'INFO').toLowerCase()}`, dataset: { id: String(e.id) } },
    time(e.time), ' ',
    h('span', { class: 'sev' }, e.severity), ' ',
    e.environment ? h('span', { class: 'tag' }, e.environment) : null,
    e.version ? h('span', { class: 'tag' }, e.version) : null,
    ' ', h('span', { class: 'msg' }, e.message));
}

// filter: {application, environment}; onEvent(e) is also told of each live event.
// Returns {element, close}.
export function liveEvents(title, filter, onEvent) {
  const list = h('ol', { class: 'events', 'aria-live': 'polite', 'aria-relevant': 'additions' });
  const state = h('span', { class: 'stream-state muted' }, 'connecting…');
  const seen = new Set();
  const add = (e, live) => {
    if (seen.has(e.id)) return;
    seen.add(e.id);
    const item = eventItem(e);
    if (live) list.prepend(item); else list.append(item);
    while (list.children.length > MAX_SHOWN) list.lastChild.remove();
  };
  const section = h('section', { class: 'card', 'aria-labelledby': 'events-title' },
    h('div', { class: 'title-row' }, h('h2', { id: 'events-title' }, title), state), list);
  let es = null;
  (async () => {
    try {
      const q = new URLSearchParams(Object.entries(filter).filter(([, v]) => v));
      const page = await api.get(`/events?${q}&limit=30`);
      for (const e of page.events || []) add(e, false);
      if ((page.events || []).length === 0) list.append(h('li', { class: 'muted empty' }, 'No events yet.'));
    } catch { /* the stream still starts */ }
    es = api.eventStream(filter, (e) => {
      const empty = list.querySelector('.empty');
      if (empty) empty.remove();
      add(e, true);
      if (onEvent) onEvent(e);
    }, (s) => {
      state.textContent = s === 'open' ? 'live' : s === 'reconnecting' ? 'reconnecting…' : 'disconnected';
      state.className = `stream-state ${s === 'open' ? 'live' : 'muted'}`;
    });
  })();
  return { element: section, close: () => { if (es) es.close(); clear(list); } };
}
