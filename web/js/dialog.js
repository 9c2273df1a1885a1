// dialog.js — a modal confirmation on <dialog> (focus is kept inside by the browser,
// Escape cancels). Resolves true when confirmed.
import { h } from './dom.js';

// opts: {title, body (nodes), confirm: 'Deploy', danger: bool, typed: 'text to type'}
export function confirmDialog(opts) {
  return new Promise((resolve) => {
    const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
    const ok = h('button', { type: 'submit', class: opts.danger ? 'danger' : 'primary', value: 'ok' }, opts.confirm || 'OK');
    const cancel = h('button', { type: 'button', class: 'quiet' }, 'Cancel');
    let typed = null;
    if (opts.typed) {
      typed = h('input', { id: `${titleId}-typed`, autocomplete: 'off', spellcheck: 'false' });
      ok.disabled = true;
      typed.addEventListener('input', () => { ok.disabled = typed.value !== opts.typed; });
    }
    const form = h('form', { method: 'dialog', class: 'stack' },
      h('h2', { id: titleId }, opts.title),
      opts.body || [],
      typed ? [h('label', { for: typed.id }, 'Type ', h('strong', {}, opts.typed), ' to confirm'), typed] : [],
      h('div', { class: 'actions' }, cancel, ok));
    const dlg = h('dialog', { 'aria-labelledby': titleId, class: 'dialog' }, form);
    let result = false;
    form.addEventListener('submit', () => { result = true; });
    cancel.addEventListener('click', () => dlg.close());
    dlg.addEventListener('close', () => { dlg.remove(); resolve(result); });
    document.body.append(dlg);
    dlg.showModal();
    (typed || cancel).focus();
  });
}
