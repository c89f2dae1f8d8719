// The live feed: a long poll over GET /api/staff/events, kept running while signed in, shown
// newest first and filterable by service and type. Alerts stand out.
import * as api from "./api.js";
import { h } from "./dom.js";
import { formatTime, t } from "./i18n.js";

const KEEP = 500;
const SOURCES = ["donations", "matching", "programs", "notifications"];
const ALERTS = new Set(["payment_disputed", "pairing_closed_early", "dead_letters_growing"]);
const state = { events: [], after: null, running: false, generation: 0, filter: { source: "", type: "" } };
let list = null;

export function isAlert(event) {
  return ALERTS.has(event.type) || (event.type === "consultation_opened" && event.data?.urgency === "urgent")
    || event.type.endsWith("_alert");
}

/** Where an event leads in the console. */
function linkFor(event) {
  const { source, data = {} } = event;
  if (source === "donations") {
    if (data.supporter_id) return `#/donations/supporter/${data.supporter_id}`;
    if (data.payment_id) return `#/donations/payment/${data.payment_id}`;
    return "#/donations";
  }
  if (source === "matching") {
    if (data.pairing_id) return `#/matching/pairing/${data.pairing_id}`;
    if (data.participant_id) return `#/matching/participant/${data.participant_id}`;
    return "#/matching";
  }
  if (source === "programs") {
    const classId = data.class_id || data.class?.class_id;
    if (classId) return `#/programs/class/${classId}`;
    if (data.consultation_id) return `#/programs/consultation/${data.consultation_id}`;
    return "#/programs";
  }
  return "#/operations";
}

function summary(event) {
  const d = event.data || {};
  const parts = [];
  if (d.amount !== undefined) parts.push(`¥${Number(d.amount).toLocaleString()}`);
  for (const key of ["receipt_number", "status", "urgency", "reason", "queue", "kind", "role", "area"]) {
    if (d[key] !== undefined && d[key] !== null && typeof d[key] !== "object") parts.push(`${key}: ${d[key]}`);
  }
  return parts.join(" · ");
}

function item(event) {
  const alert = isAlert(event);
  return h("li", { class: alert ? "alert" : "", dataset: { type: event.type, source: event.source, id: event.id } },
    alert ? h("span", { class: "badge alert" }, t("alert")) : null,
    h("a", { class: "type", href: linkFor(event) }, event.type),
    h("span", { class: "badge" }, event.source),
    h("span", {}, summary(event)),
    h("time", { datetime: event.occurred_at }, formatTime(event.occurred_at)));
}

function visible(event) {
  const { source, type } = state.filter;
  return (!source || event.source === source) && (!type || event.type.includes(type));
}

function fill() {
  list.replaceChildren(...state.events.filter(visible).slice(0, 200).map(item));
}

function redraw() {
  if (list && list.isConnected) fill();
}

async function poll(generation) {
  // The first call reads where the feed is now, then we only wait for what comes next.
  if (state.after === null) {
    let page = await api.get("/api/staff/events", { after: 0, limit: 500 });
    let recent = page.events;
    while (page.events.length === 500) {
      page = await api.get("/api/staff/events", { after: page.next, limit: 500 });
      recent = [...recent, ...page.events].slice(-50);
    }
    state.after = page.next;
    state.events = recent.slice(-50).reverse();
    redraw();
  }
  while (state.running && generation === state.generation) {
    const page = await api.get("/api/staff/events", { after: state.after, wait: 20, limit: 200 });
    if (generation !== state.generation) return;
    state.after = page.next;
    if (page.events.length) {
      state.events = [...page.events.reverse(), ...state.events].slice(0, KEEP);
      const fresh = page.events.filter(visible);
      if (list && list.isConnected && fresh.length && list.children.length < 200) {
        list.prepend(...fresh.map(item));
      } else redraw();
    }
  }
}

export function startFeed() {
  if (state.running) return;
  state.running = true;
  const generation = ++state.generation;
  const loop = () => poll(generation).catch(() => {
    if (state.running && generation === state.generation) setTimeout(loop, 2000);
  });
  loop();
}

export function stopFeed() {
  state.running = false;
  state.generation += 1;
  state.events = [];
  state.after = null;
}

export function activityView(session) {
  if (session.role === "consultant") return h("div", {}, h("h1", {}, t("nav_activity")), h("p", {}, t("feed_not_for_role")));
  list = h("ul", { class: "feed", id: "feed", "aria-live": "polite", "aria-relevant": "additions" });
  const source = h("select", { name: "source", id: "feed-source", onchange: (e) => { state.filter.source = e.target.value; redraw(); } },
    h("option", { value: "" }, t("all_services")), SOURCES.map((s) => h("option", { value: s }, s)));
  source.value = state.filter.source;
  const type = h("input", { type: "search", name: "type", id: "feed-type", value: state.filter.type,
    oninput: (e) => { state.filter.type = e.target.value.trim(); redraw(); } });
  const view = h("div", {},
    h("h1", {}, t("live_activity")),
    h("div", { class: "form", role: "search" },
      h("label", { for: "feed-source" }, h("span", {}, t("service")), source),
      h("label", { for: "feed-type" }, h("span", {}, t("event_type")), type)),
    list);
  fill();  // not yet in the page (redraw would skip it): the events kept while elsewhere
  return view;
}
