// Matching: screen applications, run a batch proposal and approve offers from it (each pair's
// score breakdown and alternatives shown), pairings with check-ins and closure, spot requests
// (assign from the ranked candidates, reassign to another, complete with the hours given).
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

const UNASSIGN_REASONS = ["volunteer_unavailable", "volunteer_unreachable", "requester_request", "safeguarding", "other"];

function spotRequests() {
  const out = h("div", { id: "spot-requests" });
  const statusSelect = choice("status", [["open", t("spot_open")], ["assigned", t("spot_assigned")], ["completed", t("spot_completed")],
    ["cancelled", t("spot_cancelled")]], { id: "spot-status" }, t("status"));
  let latest = 0;
  const load = async () => {
    const status = statusSelect.querySelector("select").value;
    const asked = ++latest;
    const page = await attempt(() => api.get("/api/staff/spot-requests", { status, limit: 50 }));
    // A slower answer for a status no longer chosen must not replace the newer list.
    if (!page || asked !== latest) return;
    out.replaceChildren(page.spot_requests.length ? table([t("kind"), t("when"), t("area"), t("languages"), t("requester"), t("volunteer"), ""],
      page.spot_requests.map((r) => [t(`kind_${r.kind}`), formatTime(r.starts_at), r.area, r.languages.join(", "), r.requester_name,
        r.volunteer?.name || "", spotActions(r, load)]),
      t("spot_requests")) : h("p", {}, t("none")));
  };
  statusSelect.querySelector("select").addEventListener("change", load);
  load();
  return h("section", { "aria-labelledby": "spot-title" }, h("h2", { id: "spot-title" }, t("spot_requests")), statusSelect, out);
}

function spotActions(request, reload) {
  if (request.status === "open") return candidates(request, reload);
  if (request.status !== "assigned") return request.hours != null ? t("hours_done", { n: request.hours }) : "";
  return h("div", { class: "row-actions" }, reassignment(request, reload), completion(request, reload));
}

/** The ranked volunteers for a request, each with a button that does `act` with their id. */
function rankedList(request, skip, label, act) {
  const box = h("div", { class: "candidates" });
  box.append(h("button", { type: "button", class: "secondary", onclick: async () => {
    const found = await attempt(() => api.get(`/api/staff/spot-requests/${request.id}/candidates`));
    if (!found) return;
    const list = (found.candidates || []).filter((c) => c.volunteer_id !== skip);
    box.replaceChildren(list.length ? h("ol", {}, list.map((c) => h("li", {},
      `${c.name} ${Number(c.score).toFixed(2)} `, breakdown(c.breakdown), " ",
      h("button", { type: "button", "aria-label": `${label}: ${c.name}`, onclick: () => act(c.volunteer_id) }, label)))) : h("p", {}, t("no_candidates")));
    box.querySelector("button")?.focus();
  } }, t("candidates")));
  return box;
}

function candidates(request, reload) {
  return rankedList(request, null, t("assign"), async (volunteerId) => {
    if (await attempt(() => api.post(`/api/staff/spot-requests/${request.id}/accept`, { volunteer_id: volunteerId }), t("assigned"))) reload();
  });
}

function reassignment(request, reload) {
  const why = h("div", { class: "row-actions" },
    choice("reason", UNASSIGN_REASONS.map((r) => [r, t(`unassign_${r}`)]), {}, t("reassign_reason")),
    field("note", "text", { maxlength: 500 }, t("note")));
  const list = rankedList(request, request.volunteer?.id, t("reassign"), async (volunteerId) => {
    const body = { volunteer_id: volunteerId, reason: why.querySelector("select").value,
      note: why.querySelector("input").value || null, replacing: request.volunteer?.id };
    if (await attempt(() => api.post(`/api/staff/spot-requests/${request.id}/reassign`, body), t("reassigned"))) reload();
  });
  return h("fieldset", { class: "reassign" }, h("legend", {}, t("reassign_to")), why, list);
}

function completion(request, reload) {
  const form = h("form", { class: "row-actions" },
    field("hours", "number", { required: true, min: 0.25, max: 24, step: 0.25 }, t("hours")),
    h("button", { type: "submit" }, t("complete")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const hours = Number(formValues(form).hours);
    if (await attempt(() => api.post(`/api/staff/spot-requests/${request.id}/complete`, { hours }), t("completed_with_hours", { n: hours }))) reload();
  });
  return form;
}

export function matchingView() {
  return h("div", {}, h("h1", {}, t("nav_matching")), screening(), proposals(), pairings(), spotRequests());
}
