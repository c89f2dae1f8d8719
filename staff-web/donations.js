// Donations: find a supporter, browse payments, open a supporter (pledges and payments, also
// from the live feed); record a bank transfer, grant or membership fee; refunds; the report
// with charts and its CSV.
import * as api from "./api.js";
import { attempt, choice, field, formValues, h, saveBlob, say, svg, table } from "./dom.js";
import { formatTime, formatYen, t } from "./i18n.js";

const SOURCES = ["bank_transfer", "grant", "membership_fee"];
const ALL_SOURCES = ["card_one_time", "monthly", ...SOURCES];
const PAGE = 20;
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
      say(t("payment_recorded", { receipt: receiptOf(payment) }));
      recorded(payment);
    }
  });
  return form;
}

// A payment is numbered moments after it is recorded; until then the API says null.
function receiptOf(payment) {
  return payment.receipt_number || t("receipt_pending");
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
  return [h("span", { class: "receipt" }, receiptOf(payment)), t(`source_${payment.source}`), formatYen(payment.amount),
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
  if (blob) saveBlob(blob, `donations-${from}-${to}.csv`);
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

function supporterLink(id, text) {
  return h("a", { href: `#/donations/supporter/${id}` }, text);
}

function searchSection() {
  const out = h("div", { id: "supporters" });
  const form = h("form", { class: "form", role: "search", id: "supporter-search", "aria-labelledby": "search-title" },
    field("q", "search", { required: true, minlength: 2, maxlength: 200, autocomplete: "off" }),
    h("button", { type: "submit" }, t("search")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const found = await attempt(() => api.get("/api/staff/supporters", formValues(form)));
    if (!found) return;
    out.replaceChildren(found.results.length ? table(
      [t("name"), t("email"), t("matched_by"), t("payments")],
      found.results.map((s) => [supporterLink(s.supporter_id, s.name || t("anonymised")), s.email || "",
        s.matched_by.map((m) => t(`matched_${m}`)).join(", "),
        s.payments.map(receiptOf).join(", ")]), t("search_results"))
      : h("p", {}, t("none")));
  });
  return h("section", { "aria-labelledby": "search-title" },
    h("h2", { id: "search-title" }, t("find_supporter")), form, out);
}

function paymentCells(payment, { withSupporter = true } = {}) {
  return [h("span", { class: "receipt" }, receiptOf(payment)), t(`source_${payment.source}`),
    formatYen(payment.amount), formatYen(payment.refunded_amount), formatTime(payment.paid_at),
    [payment.reference || "", payment.voided ? ` (${t("voided")})` : "", payment.disputed ? ` (${t("disputed")})` : ""].join(""),
    withSupporter ? supporterLink(payment.supporter_id, t("open_supporter")) : null].filter((c) => c !== null);
}

const PAYMENT_HEADINGS = () => [t("receipt"), t("field_source"), t("field_amount"), t("refunded"), t("paid_at"), t("field_reference")];

function paymentsSection() {
  const out = h("div", { id: "payments" });
  const filter = { offset: 0 };
  const form = h("form", { class: "form", id: "payments-filter", "aria-labelledby": "payments-title" },
    choice("source", [["", t("all_sources")], ...ALL_SOURCES.map((s) => [s, t(`source_${s}`)])]),
    field("from", "date"), field("to", "date"),
    h("button", { type: "submit" }, t("show_payments")));
  async function load() {
    const page = await attempt(() => api.get("/api/staff/payments", { ...filter, limit: PAGE }));
    if (!page) return;
    const first = page.total ? page.offset + 1 : 0;
    const last = page.offset + page.payments.length;
    out.replaceChildren(
      page.payments.length ? table([...PAYMENT_HEADINGS(), t("supporter")], page.payments.map((p) => paymentCells(p)), t("payments"))
        : h("p", {}, t("none")),
      h("nav", { class: "row-actions", "aria-label": t("payments_pages") },
        h("button", { type: "button", class: "secondary", disabled: page.offset === 0,
          onclick: () => { filter.offset = Math.max(0, page.offset - PAGE); load(); } }, t("previous")),
        h("span", { id: "payments-range", "aria-live": "polite" }, t("range_of", { first, last, total: page.total })),
        h("button", { type: "button", class: "secondary", disabled: last >= page.total,
          onclick: () => { filter.offset = page.offset + PAGE; load(); } }, t("next"))));
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const { source, from, to } = formValues(form);
    Object.assign(filter, { source, from, to, offset: 0 });
    load();
  });
  return h("section", { "aria-labelledby": "payments-title" },
    h("h2", { id: "payments-title" }, t("payments")), form, out);
}

function supporterDetail(view, detail) {
  const pledges = detail.pledges.length ? table(
    [t("field_amount"), t("status"), t("started_at"), t("canceled_at")],
    detail.pledges.map((p) => [formatYen(p.amount), t(`pledge_${p.status}`), formatTime(p.started_at || p.created_at),
      p.canceled_at ? `${formatTime(p.canceled_at)} ${p.cancel_reason || ""}` : ""]), t("pledges"))
    : h("p", {}, t("none"));
  const payments = h("tbody", { id: "supporter-payments" },
    detail.payments.map((p) => h("tr", { dataset: { payment: p.id } }, [...paymentCells(p, { withSupporter: false }), paymentRow(p).at(-1)].map((c) => h("td", {}, c)))));
  view.replaceChildren(
    h("p", {}, h("a", { href: "#/donations" }, t("back_to_donations"))),
    h("h1", { id: "supporter-name" }, detail.name || t("anonymised")),
    h("dl", { class: "facts" },
      h("dt", {}, t("email")), h("dd", {}, detail.email || ""),
      h("dt", {}, t("field_locale")), h("dd", {}, detail.locale),
      h("dt", {}, t("donor_kind")), h("dd", {}, t(`donor_${detail.donor_kind}`))),
    h("h2", {}, t("pledges")), pledges,
    h("h2", {}, t("payments")),
    h("table", {}, h("caption", { class: "visually-hidden" }, t("payments")),
      h("thead", {}, h("tr", {}, [...PAYMENT_HEADINGS(), t("refund")].map((x) => h("th", { scope: "col" }, x)))), payments));
}

function supporterView(kind, id) {
  const view = h("div", { id: "supporter" }, h("p", {}, t("loading")));
  (async () => {
    const supporterId = kind === "payment"
      ? (await attempt(() => api.get(`/api/staff/payments/${id}`)))?.supporter_id : id;
    const detail = supporterId && await attempt(() => api.get(`/api/staff/supporters/${supporterId}`));
    if (detail) supporterDetail(view, detail);
    else view.replaceChildren(h("p", {}, h("a", { href: "#/donations" }, t("back_to_donations"))));
    if (detail && kind === "payment") view.querySelector(`[data-payment="${id}"]`)?.classList.add("highlight");
  })();
  return view;
}

export function donationsView() {
  const [, kind, id] = location.hash.match(/^#\/donations\/(supporter|payment)\/([\w-]+)/) || [];
  if (kind) return supporterView(kind, id);
  const recent = h("tbody", { id: "recorded" });
  const recordedTable = h("table", {},
    h("thead", {}, h("tr", {}, [t("receipt"), t("field_source"), t("field_amount"), t("refunded"), t("field_reference"), ""].map((x) => h("th", { scope: "col" }, x)))),
    recent);
  const view = h("div", {},
    h("h1", {}, t("nav_donations")),
    searchSection(),
    paymentsSection(),
    h("section", { "aria-labelledby": "payment-title" },
      h("h2", { id: "payment-title" }, t("record_payment_title")),
      paymentForm((payment) => recent.prepend(h("tr", {}, paymentRow(payment).map((c) => h("td", {}, c)))))),
    h("h3", {}, t("recorded_now")), recordedTable,
    reportSection());
  return view;
}
