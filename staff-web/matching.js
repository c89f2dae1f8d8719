// Matching: screen applications, run a batch proposal and approve offers from it (each pair's
// score breakdown and alternatives shown), pairings with check-ins and closure, spot requests.
import * as api from "./api.js";
import { attempt, choice, field, formValues, h, say, table } from "./dom.js";
import { formatTime, t } from "./i18n.js";

const REJECT_REASONS = ["not_eligible", "duplicate", "unreachable", "safeguarding", "other"];
const CLOSE_REASONS = ["moved", "lack_of_contact", "needs_changed", "safeguarding", "other"];

function breakdown(terms = {}) {
  return h("span", { class: "breakdown" },
    Object.entries(terms).map(([term, value]) => `${t(`term_${term}`)} ${Number(value).toFixed(2)}`).join(" · "));
}

function languages(list) { return (list || []).map((l) => `${l.code || l.language}${l.level ? `(${l.level})` : ""}`).join(", "); }

function screening() {
  const body = h("div", { id: "applications" });
  const load = async () => {
    const page = await attempt(() => api.get("/api/staff/participants", { status: "applied", limit: 100 }));
    if (!page) return;
    body.replaceChildren(page.participants.length ? table(
      [t("name"), t("role"), t("area"), t("languages"), t("applied"), ""],
      page.participants.map((p) => [p.name, t(`role_${p.role}`), p.area, languages(p.languages), formatTime(p.applied_at), screenActions(p, load)]),
      t("applications")) : h("p", {}, t("nothing_to_screen")));
  };
  load();
  return h("section", { "aria-labelledby": "screen-title" }, h("h2", { id: "screen-title" }, t("applications")), body);
}

function screenActions(participant, reload) {
  const reject = h("form", { class: "row-actions" },
    choice("reason", REJECT_REASONS.map((r) => [r, t(`reject_${r}`)]), {}, t("reason")),
    field("note", "text", { maxlength: 500 }, t("note")),
    h("button", { type: "submit", class: "danger" }, t("reject")));
  reject.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { reason, note } = formValues(reject);
    if (await attempt(() => api.post(`/api/staff/participants/${participant.id}/reject`, { reason, note: note || null }), t("rejected"))) reload();
  });
  return h("div", { class: "row-actions" },
    h("button", { type: "button", onclick: async () => {
      if (await attempt(() => api.post(`/api/staff/participants/${participant.id}/approve`), t("approved"))) reload();
    } }, t("approve")),
    reject);
}

function proposals() {
  const out = h("div", { id: "proposals" });
  const show = (run) => {
    out.replaceChildren(h("div", {},
      h("p", {}, t("run_summary", { residents: run.residents, partners: run.partners, proposals: run.proposals.length })),
      run.proposals.length ? table([t("resident"), t("partner"), t("score"), t("alternatives"), ""],
        run.proposals.map((p) => [
          p.resident.name, p.partner.name,
          h("div", {}, h("strong", {}, Number(p.score).toFixed(3)), h("br"), breakdown(p.breakdown)),
          h("ul", {}, p.alternatives.map((a) => h("li", {}, `${a.partner.name} ${Number(a.score).toFixed(3)} `, breakdown(a.breakdown)))),
          p.state === "proposed" ? h("button", { type: "button", onclick: async (event) => {
            const done = await attempt(() => api.post(`/api/staff/pairings/${p.pairing_id}/approve`));
            if (done) { event.target.replaceWith(h("span", { class: "badge" }, t(`state_${done.state}`))); say(t("offer_sent")); }
          } }, t("approve_offer")) : h("span", { class: "badge" }, t(`state_${p.state}`)),
        ]), t("proposals")) : h("p", {}, t("no_proposals")),
      run.unmatched?.length ? h("p", {}, t("unmatched", { names: run.unmatched.map((u) => u.name || u).join(", ") })) : null));
  };
  const run = h("button", { type: "button", id: "run-matching", onclick: async () => {
    const created = await attempt(() => api.post("/api/staff/matching/runs"));
    if (!created) return;
    const view = await attempt(() => api.get(`/api/staff/matching/runs/${created.run_id}`));
    if (view) show(view);
  } }, t("run_proposal"));
  return h("section", { "aria-labelledby": "run-title" }, h("h2", { id: "run-title" }, t("matching_run")), run, out);
}

function pairings() {
  const out = h("div", { id: "pairings" });
  const stateSelect = choice("state", [["active", t("state_active")], ["offered", t("state_offered")], ["inactive", t("state_inactive")],
    ["proposed", t("state_proposed")], ["completed", t("state_completed")], ["closed_early", t("state_closed_early")]], {}, t("state"));
  const load = async () => {
    const state = stateSelect.querySelector("select").value;
    const page = await attempt(() => api.get("/api/staff/pairings", { state, limit: 100 }));
    if (!page) return;
    out.replaceChildren(page.pairings.length ? table([t("resident"), t("partner"), t("state"), t("last_contact"), ""],
      page.pairings.map((p) => [p.resident.name, p.partner.name, t(`state_${p.state}`), formatTime(p.last_contact_at), pairingActions(p, load)]),
      t("pairings")) : h("p", {}, t("none")));
  };
  stateSelect.querySelector("select").addEventListener("change", load);
  load();
  return h("section", { "aria-labelledby": "pairings-title" }, h("h2", { id: "pairings-title" }, t("pairings")), stateSelect, out);
}

function pairingActions(pairing, reload) {
  if (!["active", "inactive"].includes(pairing.state)) return "";
  const checkin = h("form", { class: "row-actions" },
    field("met_on", "date", {}, t("met_on")), field("note", "text", { maxlength: 2000 }, t("note")),
    h("button", { type: "submit", class: "secondary" }, t("log_checkin")));
  checkin.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { met_on, note } = formValues(checkin);
    if (await attempt(() => api.post(`/api/staff/pairings/${pairing.id}/checkins`, { met_on: met_on || null, note: note || null }), t("checkin_logged"))) reload();
  });
  const close = h("form", { class: "row-actions" },
    choice("reason", CLOSE_REASONS.map((r) => [r, t(`close_${r}`)]), {}, t("reason")),
    h("button", { type: "submit", class: "danger" }, t("close_early")));
  close.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (await attempt(() => api.post(`/api/staff/pairings/${pairing.id}/close`, formValues(close)), t("closed"))) reload();
  });
  return h("div", {}, checkin, close);
}

function spotRequests() {
  const out = h("div", { id: "spot-requests" });
  const load = async () => {
    const page = await attempt(() => api.get("/api/staff/spot-requests", { status: "open", limit: 50 }));
    if (!page) return;
    out.replaceChildren(page.spot_requests.length ? table([t("kind"), t("when"), t("area"), t("languages"), t("requester"), ""],
      page.spot_requests.map((r) => [t(`kind_${r.kind}`), formatTime(r.starts_at), r.area, r.languages.join(", "), r.requester_name, candidates(r, load)]),
      t("spot_requests")) : h("p", {}, t("none")));
  };
  load();
  return h("section", { "aria-labelledby": "spot-title" }, h("h2", { id: "spot-title" }, t("spot_requests")), out);
}

function candidates(request, reload) {
  const box = h("div", {});
  box.append(h("button", { type: "button", class: "secondary", onclick: async () => {
    const found = await attempt(() => api.get(`/api/staff/spot-requests/${request.id}/candidates`));
    if (!found) return;
    box.replaceChildren(h("ol", {}, (found.candidates || []).map((c) => h("li", {},
      `${c.name ?? c.volunteer?.name ?? ""} ${Number(c.score ?? 0).toFixed(2)} `,
      h("button", { type: "button", onclick: async () => {
        if (await attempt(() => api.post(`/api/staff/spot-requests/${request.id}/accept`, { volunteer_id: c.id ?? c.volunteer_id ?? c.volunteer?.id }), t("assigned"))) reload();
      } }, t("assign"))))));
  } }, t("candidates")));
  return box;
}

export function matchingView() {
  return h("div", {}, h("h1", {}, t("nav_matching")), screening(), proposals(), pairings(), spotRequests());
}
