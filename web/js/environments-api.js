// environments-api.js — the environments endpoints (docs/api.md, "Environments").
import * as api from './api.js';

// The environments of app (all when app is null); null when this engine has no
// environments endpoint at all (an older engine), so pages can say so instead of guessing.
export async function listEnvironments(app) {
  try {
    const q = app ? `?application=${api.enc(app)}` : '';
    return (await api.getAll(`/environments${q}`, 'environments')).map(norm);
  } catch (e) {
    if (e.status === 404 && e.code === 'API_NOT_FOUND') return null;
    throw e;
  }
}

// The API names things as Elastic Beanstalk does (environment_name, version_label);
// the pages use short names too.
function norm(e) {
  return { ...e, name: e.environment_name, version: e.version_label };
}

export async function describeEnvironment(env) {
  return norm(await api.get(`/environments/${api.enc(env)}`));
}

export async function listDeployments(env) {
  const r = await api.get(`/environments/${api.enc(env)}/deployments`);
  return (r.deployments || []).map((d) => ({ ...d, id: d.deployment_id, version: d.version_label }));
}

// Deploys a version label of the environment's application.
export function deployVersion(env, label) {
  return api.patch(`/environments/${api.enc(env)}`, { version_label: label });
}

export function scaleEnvironment(env, instances) {
  return api.patch(`/environments/${api.enc(env)}`, { instances });
}

export function terminateEnvironment(env) {
  return api.del(`/environments/${api.enc(env)}`);
}

// A version's task definition (null when it has none, e.g. not PROCESSED).
export async function versionTaskdef(app, label, env) {
  try {
    const q = env ? `?environment=${api.enc(env)}` : '';
    const r = await api.get(`/applications/${api.enc(app)}/versions/${api.enc(label)}/taskdef${q}`);
    return r.task_definition;
  } catch (e) {
    if (e.status === 404 || e.status === 409) return null;
    throw e;
  }
}
