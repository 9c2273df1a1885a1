// application.js — one application: its environments, an upload form, its versions
// (with each FAILED version's diagnostics, Deploy and Delete), live events.
import { h, clear, time, bytes, health, statusBadge, table, announce, showAlert } from './dom.js';
import * as api from './api.js';
import { listEnvironments } from './environments-api.js';
import { diagnosticsList } from './diagnostics.js';
import { confirmDialog } from './dialog.js';
import { liveEvents } from './events.js';
import { openDeploy } from './deploy.js';

export async function renderApplication(ctx, name) {
  const app = await api.get(`/applications/${api.enc(name)}`);
  ctx.setCrumbs([{ text: 'Applications', href: '#/' }, { text: app.name }]);
  document.title = `${app.name} · sprout`;
  const state = { app, envs: null, versions: [], open: new Set(), diags: new Map(), seen: new Map(), firstRender: true };

  const envBox = h('section', { class: 'card', 'aria-labelledby': 'envs-title' });
  const versionsBox = h('section', { class: 'card', 'aria-labelledby': 'versions-title' });
  ctx.main.append(
    h('div', { class: 'title-row' }, h('h1', {}, app.name)),
    app.description ? h('p', { class: 'lead' }, app.description) : null,
    envBox, uploadCard(ctx, state, () => refresh()), versionsBox);

  let pending = null;
  const refresh = () => {
    if (pending) return;
    pending = setTimeout(async () => {
      pending = null;
      try { await load(); } catch (e) { if (e.status !== 401) showAlert(e.message); }
    }, 250);
  };
  const load = async () => {
    const [versions, envs] = await Promise.all([
      api.getAll(`/applications/${api.enc(name)}/versions`, 'versions'),
      listEnvironments(name),
    ]);
    state.versions = versions;
    state.envs = envs;
    drawEnvs(envBox, state);
    drawVersions(ctx, versionsBox, state, refresh);
  };
  await load();

  const events = liveEvents('Events', { application: name }, () => refresh());
  ctx.main.append(events.element);
  ctx.setCleanup(() => { events.close(); if (pending) clearTimeout(pending); });
}

function drawEnvs(box, state) {
  clear(box);
  box.append(h('h2', { id: 'envs-title' }, 'Environments'));
  if (state.envs === null) {
    box.append(h('p', { class: 'muted' }, 'This engine has no environments endpoint.'));
    return;
  }
  if (state.envs.length === 0) {
    box.append(h('p', { class: 'muted' }, 'No environments. Create one with ', h('code', {}, 'sprout create'), '.'));
    return;
  }
  box.append(table('Environments', ['Name', 'Health', 'Status', 'Version', 'URL'], state.envs.map((e) => h('tr', {},
    h('th', { scope: 'row' }, h('a', { href: `#/apps/${api.enc(state.app.name)}/envs/${api.enc(e.name)}` }, e.name)),
    h('td', {}, health(e.health)),
    h('td', {}, e.status || '—'),
    h('td', {}, e.version || h('span', { class: 'muted' }, 'none')),
    h('td', {}, e.url ? h('a', { href: e.url, rel: 'noopener noreferrer', target: '_blank' }, e.url) : '—')))));
}

function sourceOf(v) {
  const s = v.source || null;
  if (!s) return h('span', { class: 'muted', title: 'the engine does not record where this version came from' }, '—');
  return { cli: 'CLI', console: 'console', git: 'git' }[s] || s;
}

function drawVersions(ctx, box, state, refresh) {
  const focusKey = document.activeElement && box.contains(document.activeElement) ? document.activeElement.dataset.key : null;
  clear(box);
  box.append(h('h2', { id: 'versions-title' }, 'Versions'));
  if (state.versions.length === 0) {
    box.append(h('p', { class: 'muted' }, 'No versions yet. Upload a source bundle above, or run ', h('code', {}, 'sprout deploy'), '.'));
    return;
  }
  // The newest FAILED version shows its diagnostics at once, and so does any version
  // seen failing while the page is open.
  const firstFailed = state.versions.find((v) => v.status === 'FAILED');
  if (state.firstRender && firstFailed) state.open.add(firstFailed.label);
  for (const v of state.versions) {
    const before = state.seen.get(v.label);
    if (!state.firstRender && before !== 'FAILED' && v.status === 'FAILED') state.open.add(v.label);
    state.seen.set(v.label, v.status);
  }
  state.firstRender = false;
  const rows = [];
  for (const v of state.versions) {
    const actions = h('td', { class: 'actions' });
    const deployable = v.status === 'PROCESSED' && state.envs && state.envs.length > 0;
    if (deployable) {
      actions.append(h('button', { type: 'button', class: 'primary small', dataset: { key: `deploy:${v.label}` },
        'aria-label': `Deploy ${v.label}`, onclick: () => openDeploy(ctx, state.app.name, v.label, state.envs) }, 'Deploy'));
    }
    actions.append(h('button', { type: 'button', class: 'quiet small', dataset: { key: `delete:${v.label}` },
      'aria-label': `Delete ${v.label}`, disabled: v.deployed || undefined,
      title: v.deployed ? 'an environment runs this version' : undefined,
      onclick: () => deleteVersion(state.app.name, v.label, refresh) }, 'Delete'));
    const counts = v.errors || v.warnings
      ? h('span', { class: 'counts' }, v.errors ? `${v.errors} error${v.errors > 1 ? 's' : ''}` : '', v.errors && v.warnings ? ', ' : '', v.warnings ? `${v.warnings} warning${v.warnings > 1 ? 's' : ''}` : '')
      : null;
    rows.push(h('tr', { dataset: { label: v.label } },
      h('th', { scope: 'row' }, v.label, v.deployed ? h('span', { class: 'tag' }, 'deployed') : null),
      h('td', {}, v.description || h('span', { class: 'muted' }, '—')),
      h('td', {}, time(v.created)),
      h('td', {}, sourceOf(v)),
      h('td', {}, statusBadge(v.status), ' ', counts),
      h('td', {}, bytes(v.bundle && v.bundle.size)),
      actions));
    if (v.status === 'FAILED' || v.warnings > 0) rows.push(diagnosticsRow(state, v));
  }
  box.append(table('Versions, newest first', ['Label', 'Description', 'Created', 'Source', 'Status', 'Size', 'Actions'], rows));
  if (focusKey) {
    const el = box.querySelector(`[data-key="${CSS.escape(focusKey)}"]`);
    if (el) el.focus();
  }
}

function diagnosticsRow(state, v) {
  const body = h('div', { class: 'diag-body' });
  const details = h('details', { class: 'diag-details', dataset: { label: v.label } },
    h('summary', { dataset: { key: `diag:${v.label}` } }, `Diagnostics of ${v.label}`), body);
  const fill = async () => {
    if (!state.diags.has(v.label)) {
      try {
        const full = await api.get(`/applications/${api.enc(state.app.name)}/versions/${api.enc(v.label)}`);
        state.diags.set(v.label, full.diagnostics || []);
      } catch (e) {
        clear(body).append(h('p', { class: 'error' }, e.message));
        return;
      }
    }
    clear(body).append(diagnosticsList(state.diags.get(v.label)));
  };
  details.addEventListener('toggle', () => {
    if (details.open) { state.open.add(v.label); fill(); } else state.open.delete(v.label);
  });
  if (state.open.has(v.label)) { details.open = true; fill(); }
  return h('tr', { class: 'diag-row' }, h('td', { colspan: '7' }, details));
}

async function deleteVersion(app, label, refresh) {
  const ok = await confirmDialog({
    title: `Delete version ${label}?`,
    body: [h('p', {}, 'The version and its diagnostics go; the bundle goes too when no other version uses it.')],
    confirm: 'Delete', danger: true,
  });
  if (!ok) return;
  try {
    await api.del(`/applications/${api.enc(app)}/versions/${api.enc(label)}`);
    announce(`Deleted version ${label}`);
    refresh();
  } catch (e) {
    showAlert(e.message);
  }
}

function defaultLabel(file) {
  const stem = file.name.replace(/\.(zip|tar|tar\.gz|tgz)$/i, '').replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 60);
  const d = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `${stem || 'bundle'}-${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
}

function uploadCard(ctx, state, refresh) {
  let file = null;
  const input = h('input', { type: 'file', id: 'bundle-file', accept: '.zip,application/zip', class: 'file-input' });
  const chosen = h('span', { class: 'chosen muted', id: 'bundle-chosen' }, 'No file chosen');
  const zone = h('div', { class: 'dropzone', id: 'dropzone' },
    h('p', {}, 'Drop a source bundle (.zip) here, or'),
    h('label', { for: 'bundle-file', class: 'button' }, 'Choose a file…'), input, ' ', chosen);
  const label = h('input', { id: 'version-label', required: true, maxlength: '100', autocomplete: 'off' });
  const desc = h('input', { id: 'version-desc', maxlength: '200', autocomplete: 'off' });
  const progress = h('progress', { id: 'upload-progress', max: '100', value: '0', 'aria-label': 'Upload progress', hidden: true });
  const progressText = h('span', { class: 'muted', id: 'upload-progress-text' });
  const err = h('p', { class: 'error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'upload-button' }, 'Upload');

  const pick = (f) => {
    file = f || null;
    chosen.textContent = file ? `${file.name} (${bytes(file.size)})` : 'No file chosen';
    chosen.className = file ? 'chosen' : 'chosen muted';
    if (file && !label.value) label.value = defaultLabel(file);
  };
  input.addEventListener('change', () => pick(input.files[0]));
  zone.addEventListener('dragover', (ev) => { ev.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (ev) => {
    ev.preventDefault();
    zone.classList.remove('over');
    if (ev.dataTransfer.files.length) pick(ev.dataTransfer.files[0]);
  });

  const form = h('form', { class: 'card stack', 'aria-labelledby': 'upload-title', id: 'upload-form' },
    h('h2', { id: 'upload-title' }, 'Upload a version'),
    zone,
    h('div', { class: 'fields' },
      h('div', { class: 'field' }, h('label', { for: 'version-label' }, 'Version label'), label),
      h('div', { class: 'field' }, h('label', { for: 'version-desc' }, 'Description (optional)'), desc)),
    h('div', { class: 'progress-row' }, progress, progressText),
    err, h('div', {}, submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    if (!file) { err.textContent = 'Choose a bundle first.'; input.focus(); return; }
    submit.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    try {
      const v = await api.uploadVersion(state.app.name, label.value.trim(), desc.value.trim(), file, (sent, total) => {
        const pct = total ? Math.round((sent / total) * 100) : 0;
        progress.value = pct;
        progressText.textContent = `${bytes(sent)} of ${bytes(total)} (${pct}%)`;
      });
      progress.value = 100;
      progressText.textContent = `Uploaded ${v.label}; the engine is checking it.`;
      announce(`Uploaded ${v.label}; processing`);
      label.value = '';
      desc.value = '';
      input.value = '';
      pick(null);
      refresh();
    } catch (e) {
      err.textContent = e.message;
      progressText.textContent = '';
      progress.hidden = true;
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
