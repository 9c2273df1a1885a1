// environment.js — one environment: health and its causes, status, URL, running version,
// instances, listeners, security group rules, the task definition, deployment history,
// live events; Deploy, Roll back, Scale and Terminate.
import { h, clear, time, health, table, announce, showAlert } from './dom.js';
import * as api from './api.js';
import { describeEnvironment, listDeployments, scaleEnvironment, terminateEnvironment, versionTaskdef } from './environments-api.js';
import { confirmDialog } from './dialog.js';
import { liveEvents } from './events.js';
import { openDeploy } from './deploy.js';

const POLL_MS = 3000; // while an operation runs, health is re-read this often

function asArray(v) {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') { try { const p = JSON.parse(v); return Array.isArray(p) ? p : []; } catch { return []; } }
  return [];
}

function dl(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

const none = (text = '—') => h('span', { class: 'muted' }, text);

export async function renderEnvironment(ctx, appName, envName) {
  ctx.setCrumbs([{ text: 'Applications', href: '#/' }, { text: appName, href: `#/apps/${api.enc(appName)}` }, { text: envName }]);
  document.title = `${envName} · ${appName} · sprout`;
  const head = h('section', { class: 'card env-head', 'aria-labelledby': 'env-title' });
  const actions = h('section', { class: 'card', 'aria-labelledby': 'env-actions-title' });
  const details = h('div', { class: 'env-details' });
  const deploymentsBox = h('section', { class: 'card', 'aria-labelledby': 'deployments-title' });
  const taskdefBox = h('section', { class: 'card', 'aria-labelledby': 'taskdef-title' });
  ctx.main.append(head, actions, details, deploymentsBox, taskdefBox);
  const state = { env: null, deployments: [], versions: [], taskdefFor: undefined, gone: false };

  let pending = null, poll = null;
  const refresh = () => {
    if (pending || state.gone) return;
    pending = setTimeout(async () => {
      pending = null;
      try { await load(); } catch (e) { if (e.status !== 401) showAlert(e.message); }
    }, 200);
  };
  // A terminated environment is described for an hour (status Terminated, no
  // instances); after that it is 404. Either way nothing more can be done to it.
  const gone = (env) => {
    state.gone = true;
    if (poll) { clearInterval(poll); poll = null; }
    clear(head).append(h('h1', { id: 'env-title' }, envName), h('p', {}, 'This environment is terminated.'));
    if (env) {
      head.append(dl([
        ['Status', h('span', { id: 'env-status' }, env.status)],
        ['Environment id', env.environment_id || none()],
        ['Last version', env.version || none()],
        ['Terminated', time(env.updated)],
      ]));
    }
    clear(actions); clear(details); clear(deploymentsBox); clear(taskdefBox);
  };
  const load = async () => {
    let env;
    try {
      env = await describeEnvironment(envName);
    } catch (e) {
      if (e.status === 404 && state.env) { gone(null); return; } // gone while we watched
      throw e;
    }
    if (env.status === 'Terminated') { gone(env); return; }
    const [deployments, versions] = await Promise.all([
      listDeployments(envName).catch(() => []),
      api.getAll(`/applications/${api.enc(appName)}/versions`, 'versions').catch(() => []),
    ]);
    state.env = env;
    state.deployments = deployments;
    state.versions = versions;
    drawHead(head, env);
    drawActions(ctx, actions, state, refresh);
    drawDetails(details, env);
    drawDeployments(deploymentsBox, deployments);
    await drawTaskdef(taskdefBox, state, appName);
    const busy = !['Ready', 'Terminated'].includes(env.status);
    if (busy && !poll) poll = setInterval(refresh, POLL_MS);
    if (!busy && poll) { clearInterval(poll); poll = null; }
  };
  await load();
  const events = liveEvents('Events', { environment: envName }, () => refresh());
  ctx.main.append(events.element);
  ctx.setCleanup(() => { events.close(); if (pending) clearTimeout(pending); if (poll) clearInterval(poll); });
}

function drawHead(box, env) {
  clear(box);
  const causes = asArray(env.causes);
  box.append(
    h('div', { class: 'title-row' },
      h('h1', { id: 'env-title' }, env.name),
      h('span', { class: 'big-health', id: 'env-health', dataset: { health: env.health || 'Grey' } }, health(env.health))),
    dl([
      ['Status', h('span', { id: 'env-status' }, env.status || '—')],
      ['URL', env.url ? h('a', { href: env.url, target: '_blank', rel: 'noopener noreferrer', id: 'env-url' }, env.url) : none()],
      ['Running version', h('span', { id: 'env-version' }, env.version || 'none')],
      ['Last good version', env.last_good_version || none()],
      ['Environment id', env.environment_id || none()],
      ['Task definition', env.task_definition ? h('code', {}, env.task_definition) : none()],
      env.cluster ? ['Cluster', h('code', {}, env.cluster)] : null,
      env.description ? ['Description', env.description] : null,
      ['Updated', time(env.updated)],
    ]),
    h('h2', { class: 'small-title' }, 'Health causes'),
    causes.length
      ? h('ul', { class: 'causes', id: 'env-causes' }, causes.map((c) => h('li', {}, typeof c === 'string' ? c : JSON.stringify(c))))
      : h('p', { class: 'muted', id: 'env-causes' }, 'No causes reported.'));
}

function lastDeployment(state) {
  return state.deployments.find((d) => d.kind !== 'terminate') || null;
}

function drawActions(ctx, box, state, refresh) {
  clear(box);
  const env = state.env;
  box.append(h('h2', { id: 'env-actions-title' }, 'Actions'));
  const last = lastDeployment(state);
  const failed = last && last.status === 'Failed';
  const good = env.last_good_version;
  const ready = env.status === 'Ready';
  const row = h('div', { class: 'action-row' });
  if ((env.health === 'Red' || failed) && good) {
    row.append(h('button', { type: 'button', class: 'danger', id: 'rollback', disabled: !ready || undefined,
      onclick: () => openDeploy(ctx, env.application, good, [env], {
        only: env, title: `Roll back ${env.name} to ${good}?`, confirm: `Roll back to ${good}`, after: refresh,
      }) }, `Roll back to ${good}`));
  }
  const processed = state.versions.filter((v) => v.status === 'PROCESSED');
  if (processed.length) {
    const select = h('select', { id: 'deploy-version' }, processed.map((v) => h('option', { value: v.label }, v.label + (v.label === env.version ? ' (running)' : ''))));
    row.append(h('div', { class: 'inline-field' },
      h('label', { for: 'deploy-version' }, 'Version'), select,
      h('button', { type: 'button', class: 'primary', id: 'deploy', disabled: !ready || undefined,
        onclick: () => openDeploy(ctx, env.application, select.value, [env], { only: env, after: refresh }) }, 'Deploy…')));
  }
  const count = h('input', { id: 'scale-count', type: 'number', min: '1', max: '100', value: String(env.desired_instances || (env.instances && env.instances.length) || 1), inputmode: 'numeric' });
  row.append(h('div', { class: 'inline-field' },
    h('label', { for: 'scale-count' }, 'Instances'), count,
    h('button', { type: 'button', class: 'quiet', disabled: !ready || undefined, onclick: async () => {
      const n = Number(count.value);
      if (!Number.isInteger(n) || n < 1) { showAlert('Instances must be a whole number of at least 1.'); return; }
      try { await scaleEnvironment(env.name, n); announce(`Scaling ${env.name} to ${n}`); refresh(); } catch (e) { showAlert(e.message); }
    } }, 'Scale')));
  row.append(h('button', { type: 'button', class: 'danger quiet', id: 'terminate', onclick: async () => {
    const ok = await confirmDialog({
      title: `Terminate ${env.name}?`, danger: true, typed: env.name, confirm: 'Terminate',
      body: [h('p', {}, 'Every instance, container and load balancer frontend of this environment is removed. Its versions and events stay.')],
    });
    if (!ok) return;
    try { await terminateEnvironment(env.name); announce(`Terminating ${env.name}`); refresh(); } catch (e) { showAlert(e.message); }
  } }, 'Terminate…'));
  if (!ready) box.append(h('p', { class: 'muted' }, `The environment is ${env.status}; changes wait until it is Ready.`));
  box.append(row);
}

function drawDetails(box, env) {
  clear(box);
  const instances = asArray(env.instances);
  const listeners = asArray(env.listeners);
  const rules = asArray(env.security_group_rules);
  box.append(
    h('section', { class: 'card', 'aria-labelledby': 'instances-title' },
      h('h2', { id: 'instances-title' }, `Instances (${instances.length})`),
      instances.length ? table('Instances', ['Instance', 'Address', 'Health', 'Task', 'Containers'], instances.map((i) => h('tr', {},
        h('th', { scope: 'row' }, h('code', {}, i.id || '?'), i.leaving ? h('span', { class: 'tag' }, 'leaving') : null),
        h('td', {}, i.address || '—'),
        h('td', {}, health(i.health)),
        h('td', {}, i.task ? [i.task.state || '—', i.task.version ? ` (${i.task.version})` : '', i.task.stoppedReason ? h('div', { class: 'muted' }, i.task.stoppedReason) : null] : none()),
        h('td', {}, i.task && i.task.containers && i.task.containers.length
          ? h('ul', { class: 'plain' }, i.task.containers.map((c) => h('li', {}, h('code', {}, c.name || '?'), ` ${c.state || ''}`,
            c.exitCode !== undefined && c.exitCode !== null && c.state !== 'running' ? ` (exit ${c.exitCode})` : '', c.essential === false ? ' · not essential' : '')))
          : none())))) : h('p', { class: 'muted' }, 'No instances.')),
    h('section', { class: 'card', 'aria-labelledby': 'listeners-title' },
      h('h2', { id: 'listeners-title' }, 'Listeners'),
      listeners.length ? table('Listeners', ['Port', 'Protocol', 'Instance port', 'Instance protocol'], listeners.map((l) => h('tr', {},
        h('td', {}, String(l.port ?? '—')),
        h('td', {}, l.protocol || '—'),
        h('td', {}, String(l.instancePort ?? '—')),
        h('td', {}, l.instanceProtocol || '—')))) : h('p', { class: 'muted' }, 'No load balancer listeners (a single-instance environment).')),
    h('section', { class: 'card', 'aria-labelledby': 'rules-title' },
      h('h2', { id: 'rules-title' }, 'Security group rules'),
      rules.length ? table('Security group rules', ['Group', 'Protocol', 'Ports', 'Source'], rules.map((r) => h('tr', {},
        h('td', {}, r.group || '—', r.default ? h('span', { class: 'tag' }, 'default') : null),
        h('td', {}, r.protocol || '—'),
        h('td', {}, r.fromPort === r.toPort ? String(r.fromPort ?? '—') : `${r.fromPort}–${r.toPort}`),
        h('td', {}, r.source || '—')))) : h('p', { class: 'muted' }, 'No ingress rules.')));
}

function drawDeployments(box, deployments) {
  clear(box);
  box.append(h('h2', { id: 'deployments-title' }, 'Deployment history'));
  if (!deployments.length) { box.append(h('p', { class: 'muted' }, 'No deployments yet.')); return; }
  box.append(table('Deployments, newest first', ['Id', 'What', 'Version', 'Policy', 'Result', 'Started', 'Ended', 'Cause', 'Request (who)'],
    deployments.map((d) => h('tr', { class: `deploy-${(d.status || '').toLowerCase()}` },
      h('th', { scope: 'row' }, String(d.id ?? '—')),
      h('td', {}, d.kind || '—'),
      h('td', {}, d.version || none()),
      h('td', {}, d.policy || none()),
      h('td', {}, h('span', { class: `badge badge-${(d.status || '').toLowerCase()}` }, d.status || '—')),
      h('td', {}, time(d.start || d.created)),
      h('td', {}, time(d.end)),
      h('td', { class: 'cause' }, d.cause || none()),
      h('td', {}, d.source ? `${d.source} ` : '', d.request_id ? h('code', { class: 'reqid', title: d.request_id }, d.request_id.slice(0, 8)) : none())))));
}

async function drawTaskdef(box, state, appName) {
  const env = state.env;
  // The running version's task definition, as a deploy of it registers it.
  let td = null;
  if (env.version) {
    if (state.taskdefFor !== env.version) {
      state.taskdefCache = await versionTaskdef(appName, env.version, env.name).catch(() => null);
      state.taskdefFor = env.version;
    }
    td = state.taskdefCache;
  }
  clear(box);
  box.append(h('h2', { id: 'taskdef-title' }, 'Task definition'),
    env.task_definition ? h('p', {}, 'Registered as ', h('code', {}, env.task_definition), env.version ? ` from version ${env.version}` : '') : null,
    td ? h('pre', { class: 'json', tabindex: '0', 'aria-label': 'Task definition JSON' }, JSON.stringify(td, null, 2))
      : h('p', { class: 'muted' }, 'None yet.'));
}
