// Calls to the gateway's API on this origin, and showing its problem documents in a form.
import { lang, t } from './i18n.js';

/** {ok, status, data}: data is the JSON body (a problem document when not ok), or null. */
export async function api(path, { method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit', referrerPolicy: 'no-referrer', cache: 'no-store',
    });
  } catch (e) {
    return { ok: false, status: 0, data: null };
  }
  let data = null;
  try { data = await response.json(); } catch (e) { data = null; }
  return { ok: response.ok, status: response.status, data };
}

export function clearErrors(form) {
  form.querySelectorAll('[data-error-for]').forEach(el => { el.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach(el => el.removeAttribute('aria-invalid'));
}

/** Put the API's field errors (dotted paths) beside their fields; true if any was placed. */
export function showFieldErrors(form, errors) {
  let placed = false;
  let first = null;
  for (const [field, messages] of Object.entries(errors || {})) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
    if (!slot) continue;
    // The API speaks English; other readers get a sentence in their language before it.
    const detail = (messages || []).join(' ');
    slot.textContent = lang === 'en' ? detail : `${t('error.field')} (${detail})`;
    const input = form.querySelector(`[name="${CSS.escape(field)}"]`);
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      first = first || input;
    }
    placed = true;
  }
  if (first) first.focus();
  return placed;
}

/** The message for a failed call that is not about one field. */
export function problemMessage(result) {
  if (result.status === 0) return t('error.network');
  if (result.status === 429) return t('error.rate_limited');
  if (result.status >= 500) return t('error.unavailable');
  return t('error.generic');
}

export function token() {
  return new URLSearchParams(location.search).get('token') || '';
}
