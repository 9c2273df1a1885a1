// main.js — the console's entry: sign-in, sign-out, and the pages by URL fragment:
//   #/                          applications
//   #/apps/<app>                an application: versions, upload, environments
//   #/apps/<app>/envs/<env>     an environment: health, instances, deployments, events
import { h, clear, announce, showAlert } from './dom.js';
import * as api from './api.js';
import { renderApplications } from './applications.js';
import { renderApplication } from './application.js';
import { renderEnvironment } from './environment.js';

const main = document.getElementById('main');
const crumbs = document.getElementById('crumbs');
const signOutButton = document.getElementById('sign-out');
let cleanup = null; // the current page's teardown (event streams, timers)
let signedIn = false;

function setCrumbs(items) {
  clear(crumbs);
  items.forEach((it, i) => {
    const last = i === items.length - 1;
    crumbs.append(h('li', {}, last
      ? h('span', { 'aria-current': 'page' }, it.text)
      : h('a', { href: it.href }, it.text)));
  });
}

function leavePage() {
  if (cleanup) { try { cleanup(); } catch { /* nothing to keep */ } }
  cleanup = null;
}

function showSignIn(message) {
  leavePage();
  signedIn = false;
  signOutButton.hidden = true;
  setCrumbs([{ text: 'Sign in' }]);
  clear(main);
  const frag = document.getElementById('sign-in-template').content.cloneNode(true);
  main.append(frag);
  document.title = 'Sign in · sprout';
  const form = document.getElementById('sign-in-form');
  const input = document.getElementById('token');
  const err = document.getElementById('sign-in-error');
  if (message) err.textContent = message;
  input.focus();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      await api.signIn(input.value.trim());
      input.value = '';
      signedIn = true;
      signOutButton.hidden = false;
      announce('Signed in');
      route();
    } catch (e) {
      err.textContent = e.status === 401 ? 'That is not the admin token.' : `Sign-in failed: ${e.message}`;
      input.select();
    } finally {
      button.disabled = false;
    }
  });
}

function parseHash() {
  const parts = (location.hash.replace(/^#\/?/, '') || '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'apps' && parts[1] && parts[2] === 'envs' && parts[3]) return { page: 'env', app: parts[1], env: parts[3] };
  if (parts[0] === 'apps' && parts[1]) return { page: 'app', app: parts[1] };
  return { page: 'apps' };
}

async function route() {
  if (!signedIn) return;
  leavePage();
  showAlert(null);
  const r = parseHash();
  clear(main);
  const ctx = { main, setCrumbs, setCleanup: (fn) => { cleanup = fn; }, navigate: (hash) => { location.hash = hash; } };
  try {
    if (r.page === 'env') await renderEnvironment(ctx, r.app, r.env);
    else if (r.page === 'app') await renderApplication(ctx, r.app);
    else await renderApplications(ctx);
  } catch (e) {
    if (e.status === 401) return; // the sign-in form is already shown
    clear(main);
    main.append(h('section', { class: 'card' },
      h('h1', {}, e.status === 404 ? 'Not found' : 'Something went wrong'),
      h('p', {}, e.message),
      h('p', {}, h('a', { href: '#/' }, 'Back to the applications'))));
  }
  main.focus({ preventScroll: true });
}

api.onSignedOut(() => {
  if (signedIn) showSignIn('Your session ended. Sign in again.');
});

signOutButton.addEventListener('click', async () => {
  leavePage();
  try { await api.signOut(); } catch { /* the session is gone either way */ }
  showSignIn();
  announce('Signed out');
});

window.addEventListener('hashchange', route);

(async () => {
  try {
    const s = await api.resumeSession();
    if (s) {
      signedIn = true;
      signOutButton.hidden = false;
      await route();
    } else {
      showSignIn();
    }
  } catch (e) {
    clear(main);
    main.append(h('p', { class: 'error' }, `The engine does not answer: ${e.message}`));
  }
})();
