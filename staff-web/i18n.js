// One message catalogue (messages.json) for ja, en and ne; the choice is remembered.
const LANGS = ["ja", "en", "ne"];
const KEY = "jii.staff.lang";  // only the language is stored, never a token
let catalogue = { en: {} };
let lang = "en";

export async function loadMessages() {
  const response = await fetch("messages.json");
  catalogue = await response.json();
  lang = chosen();
}

function chosen() {
  const saved = localStorage.getItem(KEY);
  if (LANGS.includes(saved)) return saved;
  for (const tag of navigator.languages || []) {
    const base = tag.toLowerCase().split("-")[0];
    if (LANGS.includes(base)) return base;
  }
  return "ja";
}

export function language() { return lang; }

export function setLanguage(value) {
  if (!LANGS.includes(value)) return;
  lang = value;
  localStorage.setItem(KEY, value);
}

/** The message `key` in the chosen language (then English), with {name} filled from `values`. */
export function t(key, values = {}) {
  const text = catalogue[lang]?.[key] ?? catalogue.en?.[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

export function translatePage(root = document) {
  document.documentElement.lang = lang;
  root.querySelectorAll("[data-i18n]").forEach((node) => { node.textContent = t(node.dataset.i18n); });
}

export function formatYen(amount) {
  return new Intl.NumberFormat(lang, { style: "currency", currency: "JPY" }).format(amount);
}

export function formatTime(iso) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "medium", timeZone: "Asia/Tokyo" }).format(new Date(iso));
}
