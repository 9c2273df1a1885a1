// console.test.mjs — the console end to end in headless Chromium (tests/e2e/run.sh sets
// the E2E_* variables and starts the engine). One TAP line per step.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const URL_ = process.env.E2E_URL;
const TOKEN = process.env.E2E_TOKEN;
const WORK = process.env.E2E_WORK;
const SHOTS = process.env.E2E_SHOTS;
const APP = 'shop';
let failures = 0;

async function step(name, fn) {
  try {
    await fn();
    console.log(`ok - ${name}`);
  } catch (e) {
    failures++;
    console.log(`not ok - ${name}`);
    for (const line of String((e && e.stack) || e).split('\n').slice(0, 8)) console.log(`#   ${line}`);
  }
}

function assert(cond, msg) { if (!cond) throw new Error(msg); }

// A raw GET (the path is sent as written: fetch() would normalise "..").
function rawGet(p, headers = {}) {
  const u = new URL(URL_);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: p, method: 'GET', headers }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

// A fresh profile folder for every run (run.sh makes a new temporary one).
const context = await chromium.launchPersistentContext(process.env.E2E_PROFILE, {
  executablePath: process.env.E2E_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
    '--no-first-run', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 860 },
  acceptDownloads: false,
});
const page = await context.newPage();
page.setDefaultTimeout(15000);
const consoleErrors = [];
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
page.on('pageerror', (e) => consoleErrors.push(String(e)));

await step('the console is served at / with a strict CSP, nosniff, X-Frame-Options DENY and revalidation', async () => {
  const r = await rawGet('/');
  assert(r.status === 200, `status ${r.status}`);
  assert(r.headers['content-type'] === 'text/html; charset=utf-8', `content-type ${r.headers['content-type']}`);
  const csp = r.headers['content-security-policy'] || '';
  for (const want of ["default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"]) {
    assert(csp.includes(want), `CSP lacks ${want}: ${csp}`);
  }
  assert(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'), 'CSP allows inline code');
  assert(r.headers['x-content-type-options'] === 'nosniff', 'no nosniff');
  assert(r.headers['x-frame-options'] === 'DENY', 'no X-Frame-Options DENY');
  assert(r.headers['cache-control'] === 'no-cache' && r.headers.etag, 'no revalidation headers');
  const again = await rawGet('/', { 'If-None-Match': r.headers.etag });
  assert(again.status === 304, `If-None-Match gave ${again.status}`);
  const js = await rawGet('/js/main.js');
  assert(js.status === 200 && js.headers['content-type'] === 'text/javascript; charset=utf-8', `js: ${js.status} ${js.headers['content-type']}`);
  const css = await rawGet('/css/console.css');
  assert(css.status === 200 && css.headers['content-type'] === 'text/css; charset=utf-8', 'css content type');
});

await step('paths that leave the web folder or name hidden files are 404', async () => {
  for (const p of ['/../Makefile', '/%2e%2e/Makefile', '/js/../../Makefile', '/.git/config', '/js/.hidden', '/nope.html', '//etc/passwd']) {
    const r = await rawGet(p);
    assert(r.status === 404, `${p} gave ${r.status}`);
    assert(!r.body.includes('PREFIX'), `${p} leaked a file`);
  }
});

await step('the sign-in page is shown first, its field labelled and focused', async () => {
  await page.goto(`${URL_}/`);
  const field = page.getByLabel('Admin token');
  await field.waitFor();
  assert(await field.evaluate((el) => el === document.activeElement), 'the token field is not focused');
  assert((await field.getAttribute('type')) === 'password', 'the token is not a password field');
  await shot(page, '01-sign-in');
});

await step('a wrong token is refused with a message', async () => {
  await page.getByLabel('Admin token').fill('0'.repeat(64));
  await page.keyboard.press('Enter');
  await page.getByText('That is not the admin token.').waitFor();
});

await step('sign in with the admin token: HttpOnly SameSite=Strict session cookie, applications page', async () => {
  await page.getByLabel('Admin token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Applications', level: 1 }).waitFor();
  const cookies = await context.cookies();
  const c = cookies.find((x) => x.name === 'sprout_session');
  assert(c, 'no sprout_session cookie');
  assert(c.httpOnly, 'the cookie is not HttpOnly');
  assert(c.sameSite === 'Strict', `SameSite is ${c.sameSite}`);
  assert(c.path === '/', `path ${c.path}`);
  assert(!(await page.evaluate(() => document.cookie)).includes('sprout_session'), 'page scripts can read the cookie');
});

await step('create an application from the console', async () => {
  await page.getByLabel('Name').fill(APP);
  await page.getByLabel('Description (optional)').fill('the shop');
  await page.getByRole('button', { name: 'Create application' }).click();
  await page.getByRole('heading', { name: APP, level: 1 }).waitFor();
  await page.goto(`${URL_}/#/`);
  await page.getByRole('link', { name: APP }).waitFor();
  await shot(page, '02-applications');
  await page.getByRole('link', { name: APP }).click();
  await page.getByRole('heading', { name: APP, level: 1 }).waitFor();
});

await step('upload a bundle by picking a file, with a progress bar, and watch it reach PROCESSED without reloading', async () => {
  await page.evaluate(() => { window.__sameDocument = true; });
  await page.setInputFiles('#bundle-file', path.join(WORK, 'good.zip'));
  const label = page.getByLabel('Version label');
  assert((await label.inputValue()).startsWith('good-'), 'no label was proposed from the file name');
  await label.fill('v1');
  await page.getByLabel('Description (optional)').fill('first version');
  await page.getByRole('button', { name: 'Upload' }).click();
  await page.getByText('Uploaded v1; the engine is checking it.').waitFor();
  assert(await page.$eval('#upload-progress', (p) => p.value === 100 && !p.hidden), 'the progress bar did not reach 100');
  const row = page.locator('tr[data-label="v1"]');
  await row.locator('.badge', { hasText: 'PROCESSED' }).waitFor({ timeout: 30000 });
  assert((await row.textContent()).includes('first version'), 'the description is not shown');
  assert((await row.textContent()).includes('console'), 'the source (console) is not shown');
  assert(await row.locator('time').count() === 1, 'no time shown');
  assert(await page.evaluate(() => window.__sameDocument === true), 'the page was reloaded');
});

const badZip = fs.readFileSync(path.join(WORK, 'bad.zip')).toString('base64');
await step('upload an invalid bundle by dropping it and see its diagnostics with file:line:column', async () => {
  await page.evaluate((b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'bad.zip', { type: 'application/zip' }));
    const zone = document.getElementById('dropzone');
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, badZip);
  assert((await page.textContent('#bundle-chosen')).startsWith('bad.zip'), 'the dropped file was not taken');
  await page.getByLabel('Version label').fill('v2-bad');
  await page.getByRole('button', { name: 'Upload' }).click();
  await page.locator('tr[data-label="v2-bad"] .badge', { hasText: 'FAILED' }).waitFor({ timeout: 30000 });
  const diag = page.locator('details[data-label="v2-bad"] .diag').first();
  await diag.waitFor();
  const text = await diag.textContent();
  assert(/Dockerrun\.aws\.json:\d+:\d+/.test(text), `no file:line:column in "${text}"`);
  assert(text.includes('DOCKERRUN_LINK_UNKNOWN'), `no code in "${text}"`);
  assert(text.includes('hint:'), 'no hint');
  await shot(page, '03-application');
});

await step('a change made with the session cookie but without the CSRF token is refused (403)', async () => {
  const r = await page.evaluate(async () => {
    const out = {};
    let x = await fetch('/api/v1/applications', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"name":"evil"}' });
    out.none = [x.status, (await x.json()).error.code];
    x = await fetch('/api/v1/applications', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': 'f'.repeat(64) }, body: '{"name":"evil"}' });
    out.wrong = x.status;
    x = await fetch('/api/v1/applications/shop/versions/v1', { method: 'DELETE' });
    out.del = x.status;
    x = await fetch('/api/v1/applications');
    out.get = x.status;
    return out;
  });
  assert(r.none[0] === 403 && r.none[1] === 'API_CSRF_REFUSED', `without: ${r.none}`);
  assert(r.wrong === 403, `wrong token: ${r.wrong}`);
  assert(r.del === 403, `delete without: ${r.del}`);
  assert(r.get === 200, `a read with the cookie: ${r.get}`);
  // and from outside the browser, with the stolen cookie alone
  const c = (await context.cookies()).find((x) => x.name === 'sprout_session');
  const res = await fetch(`${URL_}/api/v1/applications`, { method: 'POST', headers: { Cookie: `sprout_session=${c.value}`, 'Content-Type': 'application/json' }, body: '{"name":"evil2"}' });
  assert(res.status === 403, `curl-like POST with the cookie: ${res.status}`);
  const apps = await (await fetch(`${URL_}/api/v1/applications`, { headers: { Authorization: `Bearer ${TOKEN}` } })).json();
  assert(!apps.applications.some((a) => a.name.startsWith('evil')), 'a refused change happened anyway');
});

await step('a version is deleted after a confirmation', async () => {
  await page.getByRole('button', { name: 'Delete v2-bad' }).click();
  const dlg = page.getByRole('dialog', { name: 'Delete version v2-bad?' });
  await dlg.waitFor();
  await shot(page, '04-delete-dialog');
  await dlg.getByRole('button', { name: 'Delete' }).click();
  await page.locator('tr[data-label="v2-bad"]').waitFor({ state: 'detached' });
});

await step('readable in a 375 px window: nothing overflows the page sideways', async () => {
  await page.setViewportSize({ width: 375, height: 812 });
  await page.waitForTimeout(200);
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  assert(w <= 376, `the page is ${w}px wide`);
  await shot(page, '05-application-narrow');
  await page.setViewportSize({ width: 1280, height: 860 });
});

await step('every form control has a label and the page is usable from the keyboard', async () => {
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.textContent.trim())
    .map((el) => el.outerHTML.slice(0, 80)));
  assert(unlabelled.length === 0, `unlabelled: ${unlabelled.join(' | ')}`);
  await page.reload(); // the session survives a reload (GET /api/v1/session gives the CSRF token back)
  await page.getByRole('heading', { name: APP, level: 1 }).waitFor();
  await page.waitForFunction(() => document.activeElement.id === 'main', null, { timeout: 5000 }); // focus moves to the content
  const firstStop = await page.evaluate(() => document.querySelector('a[href], button, input, select')?.textContent);
  assert(firstStop === 'Skip to content', `the first focusable element is ${firstStop}`);
  // the file chooser is reachable by Tab
  let reached = false;
  for (let i = 0; i < 30 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement.id === 'bundle-file');
  }
  assert(reached, 'the bundle file input is not reachable with Tab');
  // a button works with Enter, the dialog takes the focus, Escape closes it
  await page.getByRole('button', { name: 'Delete v1' }).focus();
  await page.keyboard.press('Enter');
  const dlg = page.getByRole('dialog', { name: 'Delete version v1?' });
  await dlg.waitFor();
  assert(await page.evaluate(() => document.activeElement.closest('dialog') !== null), 'focus is not in the dialog');
  await page.keyboard.press('Escape');
  await dlg.waitFor({ state: 'detached' });
  assert(await page.locator('tr[data-label="v1"]').count() === 1, 'Escape deleted the version');
});

// --- environments (when the engine has them) -----------------------------------------
if (process.env.E2E_ENVIRONMENTS !== '1') {
  console.log('# environment steps skipped: this engine has no /api/v1/environments endpoint, or Docker is not ready');
} else {
  const { environmentSteps } = await import('./environments.steps.mjs');
  await environmentSteps({ step, assert, shot, page, context, URL_, TOKEN, WORK, APP });
}

await step('sign out: the sign-in form comes back and the old cookie is refused', async () => {
  const c = (await context.cookies()).find((x) => x.name === 'sprout_session');
  await page.goto(`${URL_}/#/apps/${APP}`);
  await page.getByRole('heading', { name: APP, level: 1 }).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Admin token').waitFor();
  await shot(page, '09-signed-out');
  const st = await page.evaluate(async () => (await fetch('/api/v1/applications')).status);
  assert(st === 401, `after sign-out the page's request got ${st}`);
  const res = await fetch(`${URL_}/api/v1/applications`, { headers: { Cookie: `sprout_session=${c.value}` } });
  assert(res.status === 401, `the old cookie got ${res.status}`);
  assert(!(await context.cookies()).some((x) => x.name === 'sprout_session' && x.value), 'the cookie was not cleared');
});

await step('no script errors in the browser console', async () => {
  const real = consoleErrors.filter((t) => !/status of 40[134]/.test(t));
  assert(real.length === 0, real.join(' | '));
});

await context.close();
process.exit(failures ? 1 : 0);
