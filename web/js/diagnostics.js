// diagnostics.js — a version's located diagnostics, the way the CLI prints them:
// file:line:column: severity[CODE]: message, then the JSON path and the hint.
import { h } from './dom.js';

export function diagnosticsList(diags) {
  if (!diags || diags.length === 0) return h('p', { class: 'muted' }, 'No diagnostics.');
  return h('ul', { class: 'diagnostics' }, diags.map((d) => {
    const where = [d.file || '?', d.line || 0, d.column || 0].join(':');
    return h('li', { class: `diag diag-${d.severity || 'error'}` },
      h('code', { class: 'where' }, where), ': ',
      h('span', { class: 'sev' }, `${d.severity || 'error'}[${d.code || '?'}]`), ': ',
      h('span', { class: 'msg' }, d.message || ''),
      d.path ? h('div', { class: 'path' }, 'at ', h('code', {}, d.path)) : null,
      d.hint ? h('div', { class: 'hint' }, 'hint: ', d.hint) : null);
  }));
}
