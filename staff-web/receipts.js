// Receipts: the tax receipts issued, found by tax year, kind, status, supporter or number; each
// downloads as the Japanese original or its English translation, and is voided, or voided and
// reissued, with a reason (an issued receipt is never edited).
import * as api from "./api.js";
import { attempt, choice, field, formValues, h, saveBlob, say } from "./dom.js";
import { formatTime, formatYen, t } from "./i18n.js";

const KINDS = ["gift", "annual"];
const STATUSES = ["issued", "voided"];

function filterForm(show) {
  const any = ["", t("any")];
  const form = h("form", { class: "form", id: "receipt-filters", role: "search", "aria-label": t("receipt_filters") },
    field("year", "number", { min: 2000, max: 2100, step: 1 }, t("tax_year")),
    choice("kind", [any, ...KINDS.map((k) => [k, t(`receipt_kind_${k}`)])], {}, t("receipt_kind")),
    choice("status", [any, ...STATUSES.map((s) => [s, t(`receipt_status_${s}`)])], {}, t("receipt_status")),
    field("number", "search", { maxlength: 40, autocomplete: "off" }, t("receipt_number")),
    field("supporter_id", "text", { pattern: "[0-9a-fA-F-]{36}", autocomplete: "off" }, t("supporter_id")),
    h("button", { type: "submit" }, t("show_receipts")));
  form.addEventListener("submit", (event) => { event.preventDefault(); show(formValues(form)); });
  return form;
}

async function downloadPdf(receipt, lang) {
  const path = `/api/staff/receipts/${encodeURIComponent(receipt.number)}/pdf?lang=${lang}`;
  const blob = await attempt(() => api.download(path, "application/pdf"));
  if (blob) saveBlob(blob, lang === "ja" ? `${receipt.number}.pdf` : `${receipt.number}-${lang}.pdf`);
}

function correction(receipt, reload) {
  const form = h("form", { class: "row-actions" },
    field("reason", "text", { required: true, maxlength: 500, autocomplete: "off" }, t("reason")),
    h("button", { type: "submit", value: "reissue" }, t("void_and_reissue")),
    h("button", { type: "submit", value: "void", class: "danger" }, t("void_receipt")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const action = event.submitter?.value === "void" ? "void" : "reissue";
    const { reason } = formValues(form);
    const done = await attempt(() => api.post(`/api/staff/receipts/${encodeURIComponent(receipt.number)}/${action}`, { reason }));
    if (!done) return;
    say(action === "void" ? t("receipt_voided", { number: receipt.number })
      : t("receipt_reissued", { number: receipt.number, replacement: done.number }));
    reload();
  });
  return form;
}

function state(receipt) {
  if (!receipt.voided) return h("span", { class: "badge" }, t("receipt_status_issued"));
  return h("div", {},
    h("span", { class: "badge alert" }, t("receipt_status_voided")), " ",
    receipt.void_reason, h("br"),
    h("span", { class: "breakdown" }, [receipt.voided_by, formatTime(receipt.voided_at),
      receipt.replaced_by ? t("replaced_by", { number: receipt.replaced_by }) : ""].filter(Boolean).join(" · ")));
}

function row(receipt, reload) {
  const pdfs = h("div", { class: "row-actions" }, receipt.languages.map((lang) =>
    h("button", { type: "button", class: "secondary", onclick: () => downloadPdf(receipt, lang) }, t(`pdf_${lang}`))));
  const cells = [
    h("span", { class: "receipt-number" }, receipt.number),
    t(`receipt_kind_${receipt.kind}`), String(receipt.tax_year), receipt.donor_name || "",
    formatYen(receipt.amount), formatTime(receipt.issued_at), state(receipt), pdfs,
    receipt.voided ? "" : correction(receipt, reload)];
  return h("tr", { dataset: { number: receipt.number } }, cells.map((cell) => h("td", {}, cell)));
}

export function receiptsView() {
  const body = h("tbody");
  const more = h("div");
  const list = h("table", { id: "receipts" },
    h("caption", { class: "visually-hidden" }, t("receipts")),
    h("thead", {}, h("tr", {}, [t("receipt_number"), t("receipt_kind"), t("tax_year"), t("donor"), t("field_amount"),
      t("issued"), t("receipt_status"), t("pdf"), t("correction")].map((x) => h("th", { scope: "col" }, x)))),
    body);
  let filters = {};
  const load = async (after) => {
    const page = await attempt(() => api.get("/api/staff/receipts", { ...filters, after, limit: 50 }));
    if (!page) return;
    const reload = () => load();
    if (!after) body.replaceChildren();
    body.append(...page.receipts.map((receipt) => row(receipt, reload)));
    if (!after && !page.receipts.length) body.append(h("tr", {}, h("td", { colspan: 9 }, t("no_receipts"))));
    more.replaceChildren(page.next ? h("button", { type: "button", class: "secondary", onclick: () => load(page.next) }, t("more")) : "");
  };
  const show = (values) => { filters = values; load(); };
  show({});
  return h("div", {},
    h("h1", {}, t("nav_receipts")),
    filterForm(show), list, more);
}
