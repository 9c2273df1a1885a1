// environments-api.js — the environments endpoints (docs/api.md, "Environments").
import * as api from './api.js';

// The environments of app (all when app is null); null when this engine has no
// environments endpoint at all (an older engine), so pages can say so instead of guessing.
export async function listEnvironments(app) {
  try {
    const q = app ? `?application=${api.enc(app)}` : '';
    return await api.getAll(`/environments${q}`, 'environments');
  } catch (e) {
    if (e.status === 404 && e.code === 'API_NOT_FOUND') return null;
    throw e;
  }
}
