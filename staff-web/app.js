// The staff console: sign-in, the sections, and the live feed running while signed in.
import * as api from "./api.js";
import { h, say } from "./dom.js";
import { language, loadMessages, setLanguage, t, translatePage } from "./i18n.js";
import { activityView, startFeed, stopFeed } from "./activity.js";
import { donationsView } from "./donations.js";
import { matchingView } from "./matching.js";
import { programsView } from "./programs.js";
import { operationsView } from "./operations.js";
import { receiptsView } from "./receipts.js";

const VIEWS = { activity: activityView, donations: donationsView, matching: matchingView,
  programs: programsView, operations: operationsView, receipts: receiptsView };
const $ = (id) => document.getElementById(id);

function allowed(link, role) {
  const roles = link.dataset.roles;
  return !roles || roles.split(" ").includes(role);
}

function render() {
  const session = api.currentSession();
  const signedIn = api.signedIn();
  $("sign-in").hidden = signedIn;
  $("view").hidden = !signedIn;
  $("nav").hidden = !signedIn;
  $("sign-out").hidden = !signedIn;
  $("who").textContent = signedIn ? `${session.email} (${t(`role_${session.role}`)})` : "";
  if (!signedIn) return;
  const name = (location.hash.match(/^#\/(\w+)/) || [])[1] || "activity";
  const links = [...document.querySelectorAll("#nav a")];
  links.forEach((link) => {
    link.hidden = !allowed(link, session.role);
    if (link.getAttribute("href") === `#/${name}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  });
  const link = links.find((item) => item.getAttribute("href") === `#/${name}`);
  const view = $("view");
  view.replaceChildren();
  if (!VIEWS[name] || (link && !allowed(link, session.role))) {
    view.append(h("h1", {}, t("not_allowed")));
    return;
  }
  view.append(VIEWS[name](session));
}

async function main() {
  await loadMessages();
  $("lang").value = language();
  translatePage();
  $("lang").addEventListener("change", (event) => { setLanguage(event.target.value); translatePage(); render(); });
  $("sign-in-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    $("sign-in-error").textContent = "";
    try {
      await api.signIn(form.email.value, form.password.value);
      form.reset();
    } catch (error) {
      $("sign-in-error").textContent = error.message;
    }
  });
  $("sign-out").addEventListener("click", async () => { await api.signOut(); say(t("signed_out")); });
  api.onSessionChange((session) => {
    if (session && session.role !== "consultant") startFeed(); else stopFeed();
    render();
    if (session) $("main").focus();
  });
  window.addEventListener("hashchange", render);
  // A reload keeps the session: the refresh cookie buys a new token without the password.
  try { await api.refresh(); } catch { render(); }
}

main();
