// The public applications the API takes: Family Friend (resident and partner), a Spot
// Otonari-san request, a Hanamaru Class sign-up and a consultation. Each form is built from
// the fields below; the API's field errors appear beside the fields they name.
import { api, clearErrors, fieldErrorsOf, problemMessage, showFieldErrors } from './api.js';
import { lang, onLanguage, start, t } from './i18n.js';

const LANGUAGES = ['ja', 'en', 'ne', 'zh', 'vi', 'ko', 'tl', 'pt', 'es'];
const LEVELS = ['basic', 'conversational', 'fluent', 'native'];
const SLOTS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].flatMap(
  day => ['morning', 'afternoon', 'evening'].map(part => `${day}-${part}`));
const KINDS = ['city_hall', 'nursery_enrolment', 'hospital', 'school', 'language_support', 'other'];
const TOPICS = ['residence_visa', 'work', 'housing', 'child_rearing_education', 'medical', 'tax_pension', 'other'];
const URGENCIES = ['low', 'normal', 'high', 'urgent'];

const PERSON = [['name', 'text'], ['email', 'email']];
const FAMILY_FRIEND = [...PERSON, ['area', 'area'], ['languages', 'levels'], ['slots', 'checks', SLOTS]];
const FORMS = {
  resident: { path: '/api/applications/residents', fields: [...FAMILY_FRIEND, ['household_size', 'number'], ['children_ages', 'numbers']] },
  partner: { path: '/api/applications/partners', fields: [...FAMILY_FRIEND, ['experience_ages', 'numbers']] },
  spot: { path: '/api/spot-requests', fields: [...PERSON, ['kind', 'select', KINDS], ['starts_at', 'datetime'], ['area', 'area'], ['languages', 'checks', LANGUAGES], ['note', 'textarea']] },
  hanamaru: { path: null, fields: [['class_id', 'class'], ['child_first_name', 'text'], ['child_last_name', 'text'], ['child_age', 'number'], ['languages', 'checks', LANGUAGES], ['guardian_name', 'text'], ['guardian_email', 'email'], ['participation_consent', 'checkbox'], ['photo_consent', 'checkbox']] },
  consultation: { path: '/api/consultations', fields: [...PERSON, ['topic', 'select', TOPICS], ['language', 'select', LANGUAGES], ['urgency', 'select', URGENCIES], ['summary', 'textarea']] },
};
const LOCALE_FIELD = { hanamaru: 'guardian_locale' };

const which = document.getElementById('which');
const form = document.getElementById('apply-form');
let classes = [];
// The areas matching understands (GET /api/areas), grouped by kind in the list's order.
let areas = [];

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function optionLabel(value) {
  const slot = /^(mon|tue|wed|thu|fri|sat|sun)-(morning|afternoon|evening)$/.exec(value);
  if (slot) return `${t(`apply.day.${slot[1]}`)} ${t(`apply.part.${slot[2]}`)}`;
  return t(`apply.option.${value}`);
}

function field(name, type, options) {
  const id = `f-${name}`;
  const label = el('label', { htmlFor: id, textContent: t(`apply.field.${name}`) });
  const error = el('p', { className: 'field-error' });
  error.dataset.errorFor = name;
  let control;
  if (type === 'select' || type === 'class') {
    const values = type === 'class' ? classes.map(c => [c.id, `${c.title} — ${c.schedule}`]) : options.map(v => [v, optionLabel(v)]);
    control = el('select', { id, name }, ...values.map(([value, text]) => el('option', { value, textContent: text })));
  } else if (type === 'area') {
    control = el('select', { id, name }, el('option', { value: '', textContent: t('apply.choose') }),
      ...[...new Set(areas.map(a => a.kind))].map(kind => el('optgroup', { label: t(`apply.area.${kind}`) },
        ...areas.filter(a => a.kind === kind).map(a => el('option', { value: a.code, textContent: a.name[lang] })))));
  } else if (type === 'textarea') {
    control = el('textarea', { id, name });
  } else if (type === 'checkbox') {
    const box = el('input', { type: 'checkbox', id, name });
    return el('div', {}, el('label', { className: 'choice', htmlFor: id }, box, el('span', { textContent: t(`apply.field.${name}`) })), error);
  } else if (type === 'checks' || type === 'levels') {
    const set = el('fieldset', {}, el('legend', { textContent: t(`apply.field.${name}`) }));
    const values = type === 'levels' ? LANGUAGES : options;
    const row = el('div', { className: 'row' });
    values.forEach(value => {
      const boxId = `${id}-${value}`;
      if (type === 'levels') {
        const select = el('select', { id: boxId }, el('option', { value: '', textContent: '—' }),
          ...LEVELS.map(level => el('option', { value: level, textContent: optionLabel(level) })));
        select.dataset.language = value;
        row.append(el('div', {}, el('label', { htmlFor: boxId, textContent: optionLabel(value) }), select));
      } else {
        const box = el('input', { type: 'checkbox', id: boxId, value });
        box.dataset.group = name;
        row.append(el('label', { className: 'choice', htmlFor: boxId }, box, el('span', { textContent: optionLabel(value) })));
      }
    });
    set.append(row, error);
    set.dataset.field = name;
    return set;
  } else {
    const input = { text: 'text', email: 'email', number: 'number', numbers: 'text', datetime: 'datetime-local' }[type];
    control = el('input', { type: input, id, name });
    if (type === 'numbers') control.setAttribute('inputmode', 'numeric');
  }
  const hintKey = `apply.hint.${name}`;
  const hint = t(hintKey) === hintKey ? '' : t(hintKey);
  return el('div', {}, label, control, ...(hint ? [el('p', { className: 'hint', textContent: hint })] : []), error);
}

function render() {
  const spec = FORMS[which.value];
  document.getElementById('which-hint').textContent = t(`apply.about.${which.value}`);
  document.getElementById('fields').replaceChildren(...spec.fields.map(([name, type, options]) => field(name, type, options)));
}

function bodyOf(spec) {
  const body = {};
  for (const [name, type] of spec.fields) {
    const control = form.querySelector(`[name="${name}"]`);
    if (type === 'checks') {
      body[name] = [...form.querySelectorAll(`input[data-group="${name}"]:checked`)].map(box => box.value);
    } else if (type === 'levels') {
      body[name] = [...form.querySelectorAll('select[data-language]')].filter(s => s.value)
        .map(s => ({ code: s.dataset.language, level: s.value }));
    } else if (type === 'checkbox') {
      body[name] = control.checked;
    } else if (type === 'number') {
      if (control.value !== '') body[name] = parseInt(control.value, 10);
    } else if (type === 'numbers') {
      body[name] = control.value.split(/[,\s、]+/).filter(Boolean).map(v => parseInt(v, 10));
    } else if (type === 'datetime') {
      if (control.value) body[name] = new Date(control.value).toISOString();
    } else if (control.value.trim() !== '' || !['textarea', 'area'].includes(type)) {
      body[name] = control.value.trim();
    }
  }
  body[LOCALE_FIELD[which.value] || 'locale'] = lang;
  return body;
}

form.addEventListener('submit', async event => {
  event.preventDefault();
  clearErrors(form);
  const alertBox = document.getElementById('page-alert');
  const notice = document.getElementById('page-notice');
  alertBox.textContent = '';
  notice.textContent = '';
  const spec = FORMS[which.value];
  const body = bodyOf(spec);
  let path = spec.path;
  if (!path) {
    path = `/api/classes/${encodeURIComponent(body.class_id || 'none')}/enrollments`;
    delete body.class_id;
  }
  const result = await api(path, { method: 'POST', body });
  if (result.ok) {
    notice.textContent = t(result.data && result.data.status === 'waitlisted' ? 'apply.waitlisted' : 'apply.done');
    form.reset();
    return;
  }
  if (showFieldErrors(form, fieldErrorsOf(result))) {
    alertBox.textContent = t('error.check_form');
    return;
  }
  alertBox.textContent = problemMessage(result);
});

async function main() {
  start();
  const asked = new URLSearchParams(location.search).get('form');
  if (asked in FORMS) which.value = asked;
  const [listed, known] = await Promise.all([api('/api/classes'), api('/api/areas')]);
  classes = listed.ok ? listed.data.classes : [];
  areas = known.ok ? known.data.areas : [];
  which.addEventListener('change', render);
  onLanguage(render);
  render();
  document.body.dataset.ready = 'true';
}

main();
