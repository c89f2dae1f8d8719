// Building the page from data without ever parsing data as HTML.
import { t } from "./i18n.js";

/** h("button", {type: "button", onclick: fn}, "text", child...) */
export function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A labelled field: field("amount", "number", {required: true}) */
export function field(name, type = "text", attributes = {}, label = t(`field_${name}`)) {
  const input = type === "textarea" ? h("textarea", { name, ...attributes }) : h("input", { name, type, ...attributes });
  return h("label", {}, h("span", {}, label), input);
}

export function choice(name, options, attributes = {}, label = t(`field_${name}`)) {
  return h("label", {}, h("span", {}, label),
    h("select", { name, ...attributes }, options.map(([value, text]) => h("option", { value }, text))));
}

export function table(headings, rows, caption) {
  return h("table", {},
    caption ? h("caption", { class: "visually-hidden" }, caption) : null,
    h("thead", {}, h("tr", {}, headings.map((text) => h("th", { scope: "col" }, text)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell) => h("td", {}, cell))))));
}

/** Hand a downloaded Blob to the browser as a file named `filename`. */
export function saveBlob(blob, filename) {
  const link = h("a", { href: URL.createObjectURL(blob), download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

export function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}

let statusTimer = null;
export function say(message, bad = false) {
  const status = document.getElementById("status");
  status.textContent = message;
  status.classList.toggle("bad", bad);
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => { status.textContent = ""; }, 8000);
}

/** Run an action, saying what went wrong in the status line (field errors included). */
export async function attempt(action, done) {
  try {
    const result = await action();
    if (done) say(typeof done === "function" ? done(result) : done);
    return result;
  } catch (error) {
    const fields = error.problem?.errors ? Object.entries(error.problem.errors).map(([k, v]) => `${k}: ${v.join(" ")}`).join("; ") : "";
    say(`${error.message}${fields ? ` (${fields})` : ""}`, true);
    return undefined;
  }
}
