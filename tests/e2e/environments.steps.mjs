// environments.steps.mjs — the console on a real environment (Docker, HAProxy, a local
// registry; run.sh prepares them): deploy with the task definition difference shown,
// health turning Green live, a failing deploy and its ERROR event, roll back to Green.
const ENV = 'e2e-web';
const GREEN_MS = 180000; // a deployment's bound here: pulls, starts, health checks

export async function environmentSteps({ step, assert, shot, page, URL_, TOKEN, APP }) {
  const bearer = { Authorization: `Bearer ${TOKEN}` };
  const apiCall = async (method, p, body, type) => {
    const r = await fetch(`${URL_}/api/v1${p}`, {
      method, headers: { ...bearer, 'Content-Type': type || 'application/json' },
      body: body === undefined ? undefined : (type ? body : JSON.stringify(body)),
    });
    const text = await r.text();
    return { status: r.status, json: text ? JSON.parse(text) : null };
  };
  const fs = await import('node:fs');
  const upload = async (label, file) => {
    const r = await apiCall('POST', `/applications/${APP}/versions?label=${label}`, fs.readFileSync(file), 'application/zip');
    assert(r.status === 202, `upload ${label}: ${r.status} ${JSON.stringify(r.json)}`);
    for (let i = 0; i < 100; i++) {
      const v = await apiCall('GET', `/applications/${APP}/versions/${label}`);
      if (v.json.status !== 'PROCESSING') { assert(v.json.status === 'PROCESSED', `${label} is ${v.json.status}: ${JSON.stringify(v.json.diagnostics)}`); return; }
      await new Promise((res) => setTimeout(res, 200));
    }
    throw new Error(`${label} is still PROCESSING`);
  };
  const healthIs = (colour, timeout = GREEN_MS) => page.locator(`#env-health[data-health="${colour}"]`).waitFor({ timeout });
  const work = process.env.E2E_WORK;

  await step('an environment launched with a first version turns Green on its page without reloading', async () => {
    await upload('env-v1', `${work}/env-v1.zip`);
    await upload('env-v2', `${work}/env-v2.zip`);
    await upload('env-bad', `${work}/env-bad.zip`);
    const r = await apiCall('POST', '/environments', { application: APP, name: ENV, version_label: 'env-v1' });
    assert(r.status === 201 || r.status === 202, `create: ${r.status} ${JSON.stringify(r.json)}`);
    await page.goto(`${URL_}/#/apps/${APP}/envs/${ENV}`);
    await page.getByRole('heading', { name: ENV, level: 1 }).waitFor();
    await page.evaluate(() => { window.__sameDocument = true; });
    await healthIs('Green');
    assert((await page.textContent('#env-version')) === 'env-v1', 'the running version is not env-v1');
    assert(await page.evaluate(() => window.__sameDocument === true), 'the page was reloaded');
    const instances = await page.locator('section[aria-labelledby="instances-title"] tbody tr').count();
    assert(instances >= 1, 'no instances listed');
    await shot(page, '06-environment');
  });

  await step('Deploy on a PROCESSED version shows the task definition difference, then the environment turns Green on the new version', async () => {
    await page.goto(`${URL_}/#/apps/${APP}`);
    await page.getByRole('button', { name: 'Deploy env-v2' }).click();
    const dlg = page.getByRole('dialog', { name: 'Deploy env-v2?' });
    await dlg.waitFor();
    const diff = dlg.locator('pre.diff');
    await diff.waitFor();
    const added = await diff.locator('.diff-line.add').allTextContents();
    const removed = await diff.locator('.diff-line.del').allTextContents();
    assert(added.some((l) => l.includes('v2')) && removed.some((l) => l.includes('v1')), `diff: +${added.join('|')} -${removed.join('|')}`);
    await shot(page, '07-deploy-dialog');
    await dlg.getByRole('button', { name: 'Deploy env-v2' }).click();
    await page.getByRole('heading', { name: ENV, level: 1 }).waitFor();
    await page.evaluate(() => { window.__sameDocument = true; });
    await page.locator('#env-version', { hasText: 'env-v2' }).waitFor({ timeout: GREEN_MS });
    await page.locator('#env-status', { hasText: 'Ready' }).waitFor({ timeout: GREEN_MS });
    await healthIs('Green');
    assert(await page.evaluate(() => window.__sameDocument === true), 'the page was reloaded');
    const hist = await page.locator('section[aria-labelledby="deployments-title"] tbody tr').first().textContent();
    assert(hist.includes('env-v2') && hist.includes('Succeeded'), `history: ${hist}`);
  });

  await step('a failing version deployed from the environment page ends in a failure event', async () => {
    await page.selectOption('#deploy-version', 'env-bad');
    await page.getByRole('button', { name: 'Deploy…' }).click();
    const dlg = page.getByRole('dialog', { name: 'Deploy env-bad?' });
    await dlg.getByRole('button', { name: 'Deploy env-bad' }).click();
    await dlg.waitFor({ state: 'detached' });
    await page.locator('.events .sev-error', { hasText: /fail/i }).first().waitFor({ timeout: GREEN_MS });
    await page.locator('section[aria-labelledby="deployments-title"] tbody tr').first().locator('.badge', { hasText: 'Failed' }).waitFor({ timeout: GREEN_MS });
    await page.getByRole('button', { name: 'Roll back to env-v2' }).waitFor({ timeout: GREEN_MS });
    await shot(page, '08-environment-failed');
  });

  await step('Roll back to the last good version turns the environment Green again', async () => {
    await page.locator('#env-status', { hasText: 'Ready' }).waitFor({ timeout: GREEN_MS });
    await page.getByRole('button', { name: 'Roll back to env-v2' }).click();
    const dlg = page.getByRole('dialog', { name: `Roll back ${ENV} to env-v2?` });
    await dlg.getByRole('button', { name: 'Roll back to env-v2' }).click();
    await page.locator('#env-version', { hasText: 'env-v2' }).waitFor({ timeout: GREEN_MS });
    await page.locator('#env-status', { hasText: 'Ready' }).waitFor({ timeout: GREEN_MS });
    await healthIs('Green');
    await shot(page, '08b-environment-rolled-back');
  });

  await step('terminate asks for the name typed, then the environment shows Terminated', async () => {
    await page.getByRole('button', { name: 'Terminate…' }).click();
    const dlg = page.getByRole('dialog', { name: `Terminate ${ENV}?` });
    const confirm = dlg.getByRole('button', { name: 'Terminate' });
    assert(await confirm.isDisabled(), 'Terminate is enabled before the name is typed');
    await dlg.getByLabel(`Type ${ENV} to confirm`).fill(ENV);
    await confirm.click();
    await page.getByText('This environment is terminated.').waitFor({ timeout: GREEN_MS });
    await page.locator('#env-status', { hasText: 'Terminated' }).waitFor({ timeout: GREEN_MS });
    assert(await page.getByRole('button', { name: 'Terminate…' }).count() === 0, 'a terminated environment still offers Terminate');
  });
}
