// applications.js — the first page: every application with its environments' health.
import { h, clear, time, health, table, announce } from './dom.js';
import * as api from './api.js';
import { listEnvironments } from './environments-api.js';

export async function renderApplications(ctx) {
  ctx.setCrumbs([{ text: 'Applications' }]);
  document.title = 'Applications · sprout';
  const apps = await api.getAll('/applications', 'applications');
  const envs = await listEnvironments(null); // null: the engine has no environments endpoint
  const byApp = new Map();
  for (const e of envs || []) {
    if (!byApp.has(e.application)) byApp.set(e.application, []);
    byApp.get(e.application).push(e);
  }

  const section = h('section', { 'aria-labelledby': 'apps-title' },
    h('div', { class: 'title-row' }, h('h1', { id: 'apps-title' }, 'Applications')));
  if (apps.length === 0) {
    section.append(h('p', { class: 'muted' }, 'No applications yet. Create one below, or with ',
      h('code', {}, 'sprout init'), '.'));
  } else {
    const rows = apps.map((a) => {
      const mine = byApp.get(a.name) || [];
      const envCell = envs === null
        ? h('span', { class: 'muted' }, 'not available')
        : mine.length === 0 ? h('span', { class: 'muted' }, 'none')
          : h('ul', { class: 'inline-list' }, mine.map((e) => h('li', {},
            h('a', { href: `#/apps/${api.enc(a.name)}/envs/${api.enc(e.name)}` }, e.name), ' ', health(e.health))));
      return h('tr', {},
        h('th', { scope: 'row' }, h('a', { href: `#/apps/${api.enc(a.name)}` }, a.name)),
        h('td', {}, a.description || h('span', { class: 'muted' }, '—')),
        h('td', {}, envCell),
        h('td', {}, time(a.updated)));
    });
    section.append(table('Applications', ['Name', 'Description', 'Environments and health', 'Updated'], rows));
  }
  ctx.main.append(section, createForm(ctx));
}

function createForm(ctx) {
  const err = h('p', { class: 'error', id: 'create-app-error', role: 'alert' });
  const name = h('input', { id: 'new-app-name', name: 'name', required: true, maxlength: '100', autocomplete: 'off', 'aria-describedby': 'create-app-error' });
  const desc = h('input', { id: 'new-app-desc', name: 'description', maxlength: '200', autocomplete: 'off' });
  const form = h('form', { class: 'card stack', 'aria-labelledby': 'create-app-title' },
    h('h2', { id: 'create-app-title' }, 'Create an application'),
    h('div', { class: 'fields' },
      h('div', { class: 'field' }, h('label', { for: 'new-app-name' }, 'Name'), name),
      h('div', { class: 'field' }, h('label', { for: 'new-app-desc' }, 'Description (optional)'), desc)),
    err,
    h('div', {}, h('button', { type: 'submit', class: 'primary' }, 'Create application')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clear(err);
    try {
      const a = await api.post('/applications', { name: name.value, description: desc.value || undefined });
      announce(`Created application ${a.name}`);
      ctx.navigate(`#/apps/${api.enc(a.name)}`);
    } catch (e) {
      err.textContent = e.message;
    }
  });
  return form;
}
