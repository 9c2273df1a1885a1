// deploy.js — the Deploy confirmation: which environment, and the task definition
// difference between what it runs and the chosen version.
import { h, clear, announce, showAlert } from './dom.js';
import { confirmDialog } from './dialog.js';
import { jsonLines, diffLines, hunks } from './diff.js';
import { deployVersion, versionTaskdef } from './environments-api.js';

export function diffView(before, after) {
  const lines = hunks(diffLines(jsonLines(before), jsonLines(after)));
  const changed = lines.some((l) => l.op === '+' || l.op === '-');
  if (!changed) return h('p', { class: 'muted diff-none' }, 'The task definition does not change.');
  return h('pre', { class: 'diff', tabindex: '0', 'aria-label': 'Task definition changes' },
    lines.map((l) => h('span', { class: `diff-line ${{ '+': 'add', '-': 'del', ' ': 'same', '…': 'skip' }[l.op]}` },
      h('span', { class: 'visually-hidden' }, { '+': 'added: ', '-': 'removed: ', ' ': '', '…': '' }[l.op]),
      `${l.op === '…' ? '…' : l.op} ${l.text}\n`)));
}

// The comparison, for one environment and one version.
async function comparison(app, env, label) {
  const [before, after] = await Promise.all([
    env.version ? versionTaskdef(app, env.version, env.name) : Promise.resolve(null),
    versionTaskdef(app, label, env.name),
  ]);
  return h('div', { class: 'stack' },
    h('p', {}, env.version
      ? ['Environment ', h('strong', {}, env.name), ' runs ', h('strong', {}, env.version), '; it will run ', h('strong', {}, label), '.']
      : ['Environment ', h('strong', {}, env.name), ' runs no version yet; it will run ', h('strong', {}, label), '.']),
    h('h3', {}, 'Task definition changes'),
    after === null ? h('p', { class: 'error' }, `The task definition of ${label} cannot be computed.`) : diffView(before, after));
}

// Asks, then deploys label to one of envs (or to `only`, an environment object).
export async function openDeploy(ctx, app, label, envs, opts = {}) {
  const choices = envs.filter((e) => !['Terminating', 'Terminated'].includes(e.status));
  if (choices.length === 0) { showAlert('No environment can take a deployment now.'); return false; }
  let env = opts.only || choices[0];
  const compareBox = h('div', { class: 'compare' }, h('p', { class: 'muted' }, 'Comparing task definitions…'));
  const show = async () => {
    clear(compareBox).append(h('p', { class: 'muted' }, 'Comparing task definitions…'));
    try { clear(compareBox).append(await comparison(app, env, label)); } catch (e) { clear(compareBox).append(h('p', { class: 'error' }, e.message)); }
  };
  const body = [];
  if (!opts.only && choices.length > 1) {
    const select = h('select', { id: 'deploy-env' }, choices.map((e) => h('option', { value: e.name }, `${e.name} (${e.health || 'Grey'}, ${e.version || 'no version'})`)));
    select.addEventListener('change', () => { env = choices.find((e) => e.name === select.value); show(); });
    body.push(h('div', { class: 'field' }, h('label', { for: 'deploy-env' }, 'Environment'), select));
  }
  body.push(compareBox);
  show();
  const ok = await confirmDialog({ title: opts.title || `Deploy ${label}?`, body, confirm: opts.confirm || `Deploy ${label}` });
  if (!ok) return false;
  try {
    await deployVersion(env.name, label);
    announce(`Deploying ${label} to ${env.name}`);
    if (opts.after) opts.after(); else ctx.navigate(`#/apps/${encodeURIComponent(app)}/envs/${encodeURIComponent(env.name)}`);
    return true;
  } catch (e) {
    showAlert(`Deploy refused: ${e.message}`);
    return false;
  }
}
