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

// The kinds of field error the API gives (marshmallow's own messages and our schemas' wording,
// which are English and stable), each with the message key it is shown as in the reader's
// language. The first that matches wins; captured numbers fill the message.
const KINDS = [
  [/^(Missing data for required field|Field may not be null|Must not be blank|must not be blank)\.?$/i, 'error.required'],
  [/^Shorter than minimum length 1\.$/, 'error.required'],
  // said of an empty field too: showFieldErrors tells the two apart
  [/^Length must be between 1 and (?<max>\d+)\.$/, 'error.too_long'],
  [/^Not a valid email address\.$/, 'error.email'],
  [/^Longer than maximum length (?<max>\d+)\.$/, 'error.too_long'],
  [/^Shorter than minimum length (?<min>\d+)\.$/, 'error.too_short'],
  [/^Length must be between (?<min>\d+) and (?<max>\d+)\.$/, 'error.length'],
  [/^Must be greater than or equal to (?<min>[\d.]+) and less than or equal to (?<max>[\d.]+)\.$/, 'error.range'],
  [/^Ages are (?<min>\d+) to (?<max>\d+)\.$/, 'error.range'],
  [/^Must be greater than or equal to (?<min>[\d.]+)\.$/, 'error.min'],
  [/^Must be less than or equal to (?<max>[\d.]+)\.$/, 'error.max'],
  [/^(Must be one of: |unknown \w+[:;] )/, 'error.choice'],
  [/^Not a valid (date|datetime)\.$|^Must be (a date|an ISO 8601 date)|^Not a day of the calendar/, 'error.date'],
  [/^Must carry a time zone/, 'error.date'],
  [/^Must be at most (?<max>\d+) months ahead/, 'error.too_far_ahead'],
  [/^Not a valid (integer|number)\.$/, 'error.number'],
  [/^Must be a Japanese postal code|^a postal code is seven digits/, 'error.postal_code'],
  [/^a \w+ is listed twice$/, 'error.twice'],
  [/^Unknown field\.$/, 'error.unknown_field'],
  [/^This payment method is not usable/, 'card.invalid'],
];

// Kinds that, said of a field left empty, mean it must be filled in.
const EMPTY_MEANS_REQUIRED = ['error.too_long', 'error.too_short', 'error.length'];

/** One API field message in the reader's language; an unknown kind keeps the API's text
 * after a sentence in the reader's language. */
export function fieldMessage(message, empty = false) {
  const text = String(message);
  for (const [pattern, key] of KINDS) {
    const found = pattern.exec(text);
    if (found) return t(empty && EMPTY_MEANS_REQUIRED.includes(key) ? 'error.required' : key, found.groups);
  }
  return lang === 'en' ? text : `${t('error.field')} (${text})`;
}

/** Whether the person left `field` empty: its input, its group of boxes or its selects. */
function leftEmpty(form, field) {
  const name = CSS.escape(field);
  const controls = [...form.querySelectorAll(
    `[name="${name}"], [data-group="${name}"], [data-field="${name}"] select`)];
  return controls.length > 0 && controls.every(
    c => (c.type === 'checkbox' || c.type === 'radio' ? !c.checked : !String(c.value).trim()));
}

/** The field errors of a refused request: the input was invalid (400) or could not be used
 * (422, e.g. a card the payment provider will not take). */
export function fieldErrorsOf(result) {
  return [400, 422].includes(result.status) && result.data ? result.data.errors : null;
}

/** Put the API's field errors (dotted paths) beside their fields; true if any was placed. */
export function showFieldErrors(form, errors) {
  let placed = false;
  let first = null;
  for (const [field, messages] of Object.entries(errors || {})) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
    if (!slot) continue;
    const empty = leftEmpty(form, field);
    slot.textContent = [...new Set((messages || []).map(m => fieldMessage(m, empty)))].join(' ');
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
