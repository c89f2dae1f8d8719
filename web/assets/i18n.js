// Languages of the public site: the person's choice (?lang= in a link, or the switch; either is
// remembered in this browser), else the browser's Accept-Language order, else Japanese.
import { MESSAGES } from './messages.js';

export const LANGS = ['ja', 'en', 'ne'];
const STORAGE_KEY = 'jii.lang';
const listeners = [];

function remembered() {
  try { return localStorage.getItem(STORAGE_KEY); } catch (e) { return null; }
}

function remember(chosen) {
  try { localStorage.setItem(STORAGE_KEY, chosen); } catch (e) { /* private browsing */ }
}

function primary(tag) { return String(tag || '').toLowerCase().split(/[-_]/)[0]; }

export function chooseLanguage() {
  const asked = primary(new URLSearchParams(location.search).get('lang'));
  if (LANGS.includes(asked)) { remember(asked); return asked; }
  const kept = remembered();
  if (LANGS.includes(kept)) return kept;
  for (const tag of navigator.languages || [navigator.language]) {
    if (LANGS.includes(primary(tag))) return primary(tag);
  }
  return 'ja';
}

export let lang = chooseLanguage();

export function t(key, vars) {
  const text = MESSAGES[lang][key] ?? MESSAGES.en[key] ?? key;
  return vars ? text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? '')) : text;
}

export function has(key) { return key in MESSAGES[lang] || key in MESSAGES.en; }

export function yen(amount) {
  const locale = { ja: 'ja-JP', en: 'en-JP', ne: 'ne-NP' }[lang];
  return new Intl.NumberFormat(locale, { style: 'currency', currency: 'JPY' }).format(amount);
}

export function number(value) {
  return new Intl.NumberFormat({ ja: 'ja-JP', en: 'en-JP', ne: 'ne-NP' }[lang]).format(value);
}

/** Fill every [data-t] (text), [data-t-label] (aria-label) and [data-t-placeholder]. */
export function translate(root = document) {
  document.documentElement.lang = lang;
  root.querySelectorAll('[data-t]').forEach(el => { el.textContent = t(el.dataset.t); });
  root.querySelectorAll('[data-t-label]').forEach(el => {
    el.setAttribute('aria-label', t(el.dataset.tLabel));
  });
  root.querySelectorAll('[data-t-placeholder]').forEach(el => {
    el.setAttribute('placeholder', t(el.dataset.tPlaceholder));
  });
  if (document.body.dataset.title) document.title = t(document.body.dataset.title);
  document.querySelectorAll('nav.langs button[data-lang]').forEach(button => {
    button.setAttribute('aria-pressed', String(button.dataset.lang === lang));
  });
}

export function onLanguage(listener) { listeners.push(listener); }

export function setLanguage(chosen) {
  if (!LANGS.includes(chosen)) return;
  lang = chosen;
  remember(chosen);
  translate();
  listeners.forEach(listener => listener(chosen));
}

/** Wire the language switch and translate the page once. */
export function start() {
  document.querySelectorAll('nav.langs button[data-lang]').forEach(button => {
    button.addEventListener('click', () => setLanguage(button.dataset.lang));
  });
  translate();
}
