// Donations: record a bank transfer, grant or membership fee; refunds; the report with charts
// and its CSV.
import * as api from "./api.js";
import { attempt, choice, field, formValues, h, say, svg } from "./dom.js";
import { formatYen, t } from "./i18n.js";

const SOURCES = ["bank_transfer", "grant", "membership_fee"];
const DESIGNATIONS = ["general", "family_friend", "spot_otonari", "hanamaru_class", "life_consultation"];

function today() { return new Date().toISOString().slice(0, 10); }
function monthsAgo(n) { const d = new Date(); d.setMonth(d.getMonth() - n, 1); return d.toISOString().slice(0, 10); }

function paymentForm(recorded) {
  const form = h("form", { class: "form", id: "payment-form", "aria-labelledby": "payment-title" },
    choice("source", SOURCES.map((s) => [s, t(`source_${s}`)])),
    field("amount", "number", { min: 1, step: 1, required: true }),
    field("paid_on", "date", { required: true, value: today() }),
    field("payer_name", "text", { required: true, autocomplete: "off" }),
    field("payer_email", "email", { required: true, autocomplete: "off" }),
    choice("locale", [["ja", "日本語"], ["en", "English"], ["ne", "नेपाली"]]),
    field("reference", "text", { required: true }),
    choice("designation", DESIGNATIONS.map((d) => [d, t(`designation_${d}`)])),
    h("button", { type: "submit" }, t("record_payment")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = formValues(form);
    body.amount = Number(body.amount);
    const payment = await attempt(() => api.post("/api/staff/payments", body));
    if (payment) {
      form.reset();
      say(t("payment_recorded", { receipt: payment.receipt_number }));
      recorded(payment);
    }
  });
  return form;
}

function paymentRow(payment) {
  const refund = h("form", { class: "row-actions" },
    h("label", {}, h("span", { class: "visually-hidden" }, t("field_amount")),
      h("input", { name: "amount", type: "number", min: 1, placeholder: String(payment.amount - payment.refunded_amount) })),
    h("button", { type: "submit", class: "secondary" }, t("refund")));
  refund.addEventListener("submit", async (event) => {
    event.preventDefault();
    const amount = refund.amount.value ? Number(refund.amount.value) : null;
    const updated = await attempt(() => api.post(`/api/staff/payments/${payment.id}/refund`, { amount }), t("refunded"));
    if (updated) { payment.refunded_amount = updated.refunded_amount; }
  });
  return [h("span", { class: "receipt" }, payment.receipt_number), t(`source_${payment.source}`), formatYen(payment.amount),
    formatYen(payment.refunded_amount), payment.reference || "", refund];
}

function barChart(title, entries, { alt = false } = {}) {
  const width = 560, rowHeight = 26, labelWidth = 150;
  const max = Math.max(1, ...entries.map(([, value]) => value));
  const height = entries.length * rowHeight + 10;
  return h("figure", { class: "chart" },
    h("figcaption", {}, title),
    svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `${title}: ${entries.map(([k, v]) => `${k} ${v}`).join(", ")}` },
      entries.map(([label, value], i) => {
        const y = 5 + i * rowHeight;
        const w = Math.round(((width - labelWidth - 110) * value) / max);
        return svg("g", {},
          svg("text", { x: 0, y: y + 16 }, label),
          svg("rect", { class: alt ? "bar-rect alt" : "bar-rect", x: labelWidth, y, width: Math.max(w, 1), height: rowHeight - 8 }),
          svg("text", { x: labelWidth + w + 6, y: y + 14 }, formatYen(value)));
      })));
}

function reportSection() {
  const out = h("div", { id: "report" });
  const form = h("form", { class: "form", id: "report-form" },
    field("from", "date", { required: true, value: monthsAgo(11) }),
    field("to", "date", { required: true, value: today() }),
    h("button", { type: "submit" }, t("show_report")),
    h("button", { type: "button", class: "secondary", id: "report-csv", onclick: () => downloadCsv(form) }, t("download_csv")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { from, to } = formValues(form);
    const report = await attempt(() => api.get("/api/staff/reports/donations", { from, to }));
    if (report) out.replaceChildren(renderReport(report));
  });
  return h("section", { "aria-labelledby": "report-title" }, h("h2", { id: "report-title" }, t("donation_report")), form, out);
}

async function downloadCsv(form) {
  const { from, to } = formValues(form);
  const blob = await attempt(() => api.download(`/api/staff/reports/donations?${new URLSearchParams({ from, to, format: "csv" })}`));
  if (!blob) return;
  const link = h("a", { href: URL.createObjectURL(blob), download: `donations-${from}-${to}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

function renderReport(report) {
  const mix = report.income_mix;
  const share = (mix.membership_fee_share * 100).toFixed(1);
  return h("div", {},
    h("div", { class: "cards" },
      h("div", { class: "card" }, t("total_net"), h("strong", {}, formatYen(report.total.net))),
      h("div", { class: "card" }, t("recurring_total"), h("strong", {}, formatYen(report.monthly_recurring_total))),
      h("div", { class: "card" }, t("active_partners"), h("strong", {}, String(report.active_partners))),
      h("div", { class: "card" }, t("churn"), h("strong", {}, `${(report.churn.rate * 100).toFixed(1)}%`),
        t("churn_detail", { canceled: report.churn.canceled, start: report.churn.active_at_start })),
      h("div", { class: "card" }, t("income_mix"), h("strong", {}, `${share}% / ${(100 - share).toFixed(1)}%`),
        t("income_mix_detail"))),
    barChart(t("income_by_month"), report.by_month.map((m) => [m.month, m.net])),
    barChart(t("income_by_source"), Object.entries(report.by_source).map(([s, b]) => [t(`source_${s}`), b.net]), { alt: true }),
    barChart(t("income_mix"), [[t("mix_membership"), mix.membership_fees], [t("mix_grants_donations"), mix.grants_and_donations]]));
}

export function donationsView() {
  const recent = h("tbody", { id: "recorded" });
  const recordedTable = h("table", {},
    h("thead", {}, h("tr", {}, [t("receipt"), t("field_source"), t("field_amount"), t("refunded"), t("field_reference"), ""].map((x) => h("th", { scope: "col" }, x)))),
    recent);
  const view = h("div", {},
    h("h1", {}, t("nav_donations")),
    h("section", { "aria-labelledby": "payment-title" },
      h("h2", { id: "payment-title" }, t("record_payment_title")),
      paymentForm((payment) => recent.prepend(h("tr", {}, paymentRow(payment).map((c) => h("td", {}, c)))))),
    h("h3", {}, t("recorded_now")), recordedTable,
    reportSection());
  return view;
}
