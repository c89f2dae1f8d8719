// Programs: Hanamaru classes (create, capacity, roster, waitlist, enrolment, attendance) and
// consultations with their case notes (consultants and admins only; the API refuses others).
import * as api from "./api.js";
import { attempt, field, formValues, h, table } from "./dom.js";
import { formatTime, t } from "./i18n.js";

const NOTE_ROLES = ["admin", "consultant"];

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
  const capacity = h("form", { class: "row-actions", id: "capacity-form" },
    field("capacity", "number", { min: 1, value: roster.capacity, required: true }, t("capacity")),
    h("button", { type: "submit", class: "secondary" }, t("change_capacity")));
  capacity.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (await attempt(() => api.post(`/api/staff/classes/${roster.id}/capacity`, { capacity: Number(capacity.capacity.value) }), t("capacity_changed"))) reload();
  });
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
  const sessions = roster.sessions.map((s) => {
    const button = h("button", { type: "button", class: "secondary", onclick: async () => {
      const present = [...document.querySelectorAll("input[name=present]:checked")].map((box) => box.value);
      if (await attempt(() => api.post(`/api/staff/classes/${roster.id}/sessions/${s.id}/attendance`, { present }), t("attendance_recorded"))) reload();
    } }, t("record_attendance"));
    return [String(s.number), formatTime(s.starts_at), s.held ? t("held") : "", button];
  });
  return h("div", {},
    h("h2", {}, roster.title),
    h("p", {}, `${roster.venue} · ${roster.schedule} · ${t("capacity")} ${roster.capacity} · ${t("seats_left")} ${roster.seats_left}`),
    capacity,
    h("h3", { id: "roster-title" }, t("roster", { n: enrolled.length })),
    table([t("present"), t("child"), t("guardian_name"), t("guardian_email"), t("enrolled_at")],
      enrolled.map((e) => [h("input", { type: "checkbox", name: "present", value: e.id, "aria-label": `${t("present")}: ${e.child_first_name}` }), ...person(e)]), t("roster", { n: enrolled.length })),
    h("h3", { id: "waitlist-title" }, t("waitlist_heading", { n: waiting.length })),
    h("ol", { id: "waitlist" }, waiting.map((e) => h("li", {}, person(e).slice(0, 2).join(" · ")))),
    h("h3", {}, t("sessions")),
    table([t("number"), t("starts_at"), "", ""], sessions, t("sessions")),
    h("h3", {}, t("enrol_child")), enrol);
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
  (async () => {
    const c = await attempt(() => api.get(`/api/staff/consultations/${id}`));
    if (!c) return;
    out.replaceChildren(h("div", {}, h("h2", {}, `${t(`topic_${c.topic}`)} · ${c.resident?.name || c.resident_name || ""}`),
      h("p", {}, `${t("status")}: ${t(`status_${c.status}`)} · ${t("urgency")}: ${t(`urgency_${c.urgency}`)} · ${t("expert")}: ${c.expert?.name || "-"}`),
      c.summary ? h("p", {}, c.summary) : null,
      notes(id, session)));
  })();
  return h("div", {}, h("p", {}, h("a", { href: "#/programs" }, t("back_to_programs"))), out);
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
