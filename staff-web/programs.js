// Programs: Hanamaru classes (create, edit with capacity, roster, waitlist, enrolment,
// attendance, cancelling a session) and consultations (assigning an expert, moving the status,
// case notes for consultants and admins only; the API refuses others).
import * as api from "./api.js";
import { attempt, choice, field, formValues, h, say, table } from "./dom.js";
import { formatTime, t } from "./i18n.js";

const NOTE_ROLES = ["admin", "consultant"];
const CANCEL_REASONS = ["weather", "venue_unavailable", "tutor_unavailable", "holiday", "other"];

function classList() {
  const out = h("div", { id: "classes" });
  const load = async () => {
    const list = await attempt(() => api.get("/api/classes"));
    if (!list) return;
    out.replaceChildren(table([t("title"), t("venue"), t("schedule"), t("capacity"), t("seats_left"), t("waitlist")],
      list.classes.map((c) => [h("a", { href: `#/programs/class/${c.id}` }, c.title), c.venue, c.schedule,
        String(c.capacity), String(c.seats_left), String(c.waitlist_length)]), t("classes")));
  };
  load();
  const form = h("form", { class: "form", id: "class-form" },
    field("title", "text", { required: true }, t("title")), field("venue", "text", { required: true }, t("venue")),
    field("schedule", "text", { required: true }, t("schedule")), field("level", "text", { required: true }, t("level")),
    field("capacity", "number", { required: true, min: 1, value: 10 }, t("capacity")),
    field("sessions", "text", { required: true, placeholder: "2026-06-07T14:00+09:00, 2026-06-14T14:00+09:00" }, t("sessions_help")),
    h("button", { type: "submit" }, t("create_class")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const v = formValues(form);
    const sessions = v.sessions.split(",").map((s) => s.trim()).filter(Boolean).map((s) => ({ starts_at: s.length === 22 ? s.replace(/(\+|-)(\d\d:\d\d)$/, ":00$1$2") : s }));
    const created = await attempt(() => api.post("/api/staff/classes", { title: v.title, venue: v.venue, schedule: v.schedule,
      level: v.level, capacity: Number(v.capacity), sessions }), t("class_created"));
    if (created) { form.reset(); load(); }
  });
  return h("div", {}, h("section", { "aria-labelledby": "classes-title" }, h("h2", { id: "classes-title" }, t("classes")), out),
    h("section", { "aria-labelledby": "new-class-title" }, h("h2", { id: "new-class-title" }, t("new_class")), form));
}

function classDetail(classId) {
  const out = h("div", { id: "class-detail" });
  const load = async () => {
    const roster = await attempt(() => api.get(`/api/staff/classes/${classId}`));
    if (roster) out.replaceChildren(renderRoster(roster, load));
  };
  load();
  return h("div", {}, h("p", {}, h("a", { href: "#/programs" }, t("back_to_classes"))), out);
}

function renderRoster(roster, reload) {
  const enrolled = roster.enrollments.filter((e) => e.status === "confirmed");
  const waiting = roster.enrollments.filter((e) => e.status === "waitlisted");
  const edit = editForm(roster, reload);
  const enrol = h("form", { class: "form", id: "enrol-form" },
    field("child_first_name", "text", { required: true }, t("child_first_name")),
    field("child_last_name", "text", { required: true }, t("child_last_name")),
    field("child_grade", "text", {}, t("child_grade")),
    field("child_age", "number", { min: 0, max: 18 }, t("child_age")),
    field("languages", "text", { required: true, value: "ja" }, t("languages_codes")),
    field("guardian_name", "text", { required: true }, t("guardian_name")),
    field("guardian_email", "email", { required: true }, t("guardian_email")),
    field("guardian_locale", "text", { required: true, value: "ja" }, t("guardian_locale")),
    h("label", {}, h("span", {}, t("participation_consent")), h("input", { type: "checkbox", name: "participation_consent", required: true })),
    h("label", {}, h("span", {}, t("photo_consent")), h("input", { type: "checkbox", name: "photo_consent" })),
    h("button", { type: "submit" }, t("enrol")));
  enrol.addEventListener("submit", async (event) => {
    event.preventDefault();
    const v = formValues(enrol);
    const body = { child_first_name: v.child_first_name, child_last_name: v.child_last_name,
      child_grade: v.child_grade || null, child_age: v.child_age ? Number(v.child_age) : null,
      languages: v.languages.split(",").map((x) => x.trim()).filter(Boolean), guardian_name: v.guardian_name,
      guardian_email: v.guardian_email, guardian_locale: v.guardian_locale,
      participation_consent: enrol.participation_consent.checked, photo_consent: enrol.photo_consent.checked };
    const done = await attempt(() => api.post(`/api/classes/${roster.id}/enrollments`, body),
      (r) => t(r.status === "waitlisted" ? "enrolled_waitlisted" : "enrolled_confirmed"));
    if (done) { enrol.reset(); reload(); }
  });
  const person = (e) => [`${e.child_first_name} ${e.child_last_name}`, e.guardian_name, e.guardian_email, formatTime(e.created_at)];
  const sessions = roster.sessions.map((s) => [String(s.number), formatTime(s.starts_at), sessionState(s),
    s.held || s.cancelled ? "" : sessionActions(roster.id, s, reload)]);
  return h("div", {},
    h("h2", {}, roster.title),
    h("p", {}, `${roster.venue} · ${roster.schedule} · ${t("capacity")} ${roster.capacity} · ${t("seats_left")} ${roster.seats_left}`),
    h("details", {}, h("summary", {}, t("edit_class")), edit),
    h("h3", { id: "roster-title" }, t("roster", { n: enrolled.length })),
    table([t("present"), t("child"), t("guardian_name"), t("guardian_email"), t("enrolled_at")],
      enrolled.map((e) => [h("input", { type: "checkbox", name: "present", value: e.id, "aria-label": `${t("present")}: ${e.child_first_name}` }), ...person(e)]), t("roster", { n: enrolled.length })),
    h("h3", { id: "waitlist-title" }, t("waitlist_heading", { n: waiting.length })),
    h("ol", { id: "waitlist" }, waiting.map((e) => h("li", {}, person(e).slice(0, 2).join(" · ")))),
    h("h3", {}, t("sessions")),
    h("div", { id: "sessions" }, table([t("number"), t("starts_at"), t("status"), ""], sessions, t("sessions"))),
    h("h3", {}, t("enrol_child")), enrol);
}

function editForm(roster, reload) {
  const form = h("form", { class: "form", id: "class-edit-form" },
    field("title", "text", { required: true, value: roster.title, maxlength: 200 }, t("title")),
    field("venue", "text", { required: true, value: roster.venue, maxlength: 200 }, t("venue")),
    field("schedule", "text", { required: true, value: roster.schedule, maxlength: 500 }, t("schedule")),
    field("level", "text", { required: true, value: roster.level, maxlength: 100 }, t("level")),
    field("capacity", "number", { required: true, min: 1, max: 500, value: roster.capacity }, t("capacity")),
    h("button", { type: "submit" }, t("save_class")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const v = formValues(form);
    // Only what changed: an unchanged capacity is not a capacity change.
    const body = Object.fromEntries(["title", "venue", "schedule", "level"].filter((k) => v[k] !== roster[k]).map((k) => [k, v[k]]));
    if (Number(v.capacity) !== roster.capacity) body.capacity = Number(v.capacity);
    if (!Object.keys(body).length) { say(t("nothing_changed")); return; }
    const done = await attempt(() => api.patch(`/api/staff/classes/${roster.id}`, body),
      (r) => t(r.promoted.length ? "class_saved_promoted" : "class_saved", { n: r.promoted.length }));
    if (done) reload();
  });
  return form;
}

function sessionState(session) {
  if (session.cancelled) return h("span", { class: "badge alert" }, `${t("session_cancelled")} · ${t(`cancel_${session.cancel_reason}`)}`);
  return session.held ? t("held") : t("session_planned");
}

function sessionActions(classId, session, reload) {
  const attendance = h("button", { type: "button", class: "secondary", onclick: async () => {
    const present = [...document.querySelectorAll("input[name=present]:checked")].map((box) => box.value);
    if (await attempt(() => api.post(`/api/staff/classes/${classId}/sessions/${session.id}/attendance`, { present }), t("attendance_recorded"))) reload();
  } }, t("record_attendance"));
  const which = `${t("session")} ${session.number}`;
  const cancel = h("form", { class: "row-actions", "aria-label": `${t("cancel_session")}: ${which}` },
    choice("reason", CANCEL_REASONS.map((r) => [r, t(`cancel_${r}`)]), {}, t("cancel_reason")),
    field("note", "text", { maxlength: 500 }, t("cancel_note")),
    h("button", { type: "submit", class: "danger" }, t("cancel_session")));
  cancel.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { reason, note } = formValues(cancel);
    const done = await attempt(() => api.post(`/api/staff/classes/${classId}/sessions/${session.id}/cancel`, { reason, note: note || null }),
      (r) => t("session_cancelled_told", { n: r.families_told }));
    if (done) reload();
  });
  return h("div", { class: "row-actions" }, attendance, cancel);
}

function consultations() {
  const out = h("div", { id: "consultations" });
  (async () => {
    const page = await attempt(() => api.get("/api/staff/consultations", { limit: 50 }));
    if (!page) return;
    out.replaceChildren(table([t("opened"), t("topic"), t("urgency"), t("status"), t("resident"), t("expert")],
      page.consultations.map((c) => [formatTime(c.opened_at), t(`topic_${c.topic}`),
        c.urgency === "urgent" ? h("span", { class: "badge alert" }, t("urgency_urgent")) : t(`urgency_${c.urgency}`),
        t(`status_${c.status}`), h("a", { href: `#/programs/consultation/${c.id}` }, c.resident_name), c.expert?.name || ""]), t("consultations")));
  })();
  return h("section", { "aria-labelledby": "consultations-title" }, h("h2", { id: "consultations-title" }, t("consultations")), out);
}

function consultationDetail(id, session) {
  const out = h("div", { id: "consultation" });
  const load = async () => {
    const c = await attempt(() => api.get(`/api/staff/consultations/${id}`));
    if (!c) return;
    out.replaceChildren(h("div", {}, h("h2", {}, `${t(`topic_${c.topic}`)} · ${c.resident?.name || c.resident_name || ""}`),
      h("p", { id: "case-state" }, `${t("status")}: ${t(`status_${c.status}`)} · ${t("urgency")}: ${t(`urgency_${c.urgency}`)} · ${t("expert")}: ${c.expert?.name || "-"}`),
      c.summary ? h("p", {}, c.summary) : null,
      await caseActions(c, load),
      notes(id, session)));
  };
  load();
  return h("div", {}, h("p", {}, h("a", { href: "#/programs" }, t("back_to_programs"))), out);
}

const OPEN_STATUSES = ["intake", "assigned", "in_progress"];

async function caseActions(c, reload) {
  const parts = [];
  if (OPEN_STATUSES.includes(c.status)) {
    const list = await attempt(() => api.get("/api/staff/experts"));
    const experts = (list?.experts || []).filter((e) => e.active);
    const assign = h("form", { class: "row-actions", id: "assign-form", "aria-labelledby": "assign-title" },
      choice("expert_id", [["", t("best_expert")], ...experts.map((e) => [e.id, `${e.name} (${e.languages.join(", ")}) · ${t("open_cases", { n: e.open_cases ?? 0 })}`])], {}, t("expert")),
      h("button", { type: "submit" }, t("assign_expert")));
    assign.addEventListener("submit", async (event) => {
      event.preventDefault();
      const { expert_id } = formValues(assign);
      const done = await attempt(() => api.post(`/api/staff/consultations/${c.id}/assign`, { expert_id: expert_id || null }),
        (r) => t("expert_assigned", { name: r.expert?.name || "" }));
      if (done) reload();
    });
    parts.push(h("h3", { id: "assign-title" }, t("assign_expert")), assign);
  }
  if (c.next_statuses?.length) {
    const move = h("form", { class: "row-actions", id: "status-form", "aria-labelledby": "status-title" },
      choice("status", c.next_statuses.map((s) => [s, t(`status_${s}`)]), {}, t("new_status")),
      field("note", "text", { maxlength: 2000 }, t("note")),
      h("button", { type: "submit" }, t("change_status")));
    move.addEventListener("submit", async (event) => {
      event.preventDefault();
      const { status, note } = formValues(move);
      const done = await attempt(() => api.post(`/api/staff/consultations/${c.id}/status`, { status, note: note || null }),
        (r) => t("status_changed", { status: t(`status_${r.status}`) }));
      if (done) reload();
    });
    parts.push(h("h3", { id: "status-title" }, t("change_status")), move);
  }
  return h("section", { "aria-label": t("case_actions") }, parts);
}

function notes(id, session) {
  if (!NOTE_ROLES.includes(session.role)) return h("p", { id: "notes-refused" }, t("notes_not_for_role"));
  const list = h("ul", { id: "notes" });
  const load = async () => {
    const answer = await attempt(() => api.get(`/api/staff/consultations/${id}/notes`));
    if (answer) list.replaceChildren(...answer.notes.map((n) => h("li", {}, `${formatTime(n.created_at)} — ${n.body}`)));
  };
  const form = h("form", { class: "form" }, field("body", "textarea", { required: true, maxlength: 20000 }, t("case_note")),
    h("button", { type: "submit" }, t("add_note")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (await attempt(() => api.post(`/api/staff/consultations/${id}/notes`, formValues(form)), t("note_added"))) { form.reset(); load(); }
  });
  load();
  return h("section", { "aria-labelledby": "notes-title" }, h("h3", { id: "notes-title" }, t("case_notes")), list, form);
}

export function programsView(session) {
  const [, kind, id] = location.hash.match(/^#\/programs\/(class|consultation)\/([\w-]+)/) || [];
  if (kind === "class") return h("div", {}, h("h1", {}, t("nav_programs")), classDetail(id));
  if (kind === "consultation") return h("div", {}, h("h1", {}, t("nav_programs")), consultationDetail(id, session));
  const parts = [h("h1", {}, t("nav_programs"))];
  if (session.role !== "consultant") parts.push(classList());
  parts.push(consultations());
  return h("div", {}, parts);
}
