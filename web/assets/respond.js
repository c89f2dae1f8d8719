// A Family Friend offer, by the accept or decline link in its e-mail. Opening the page changes
// nothing (mail scanners open links too): the person presses the button. The token is kept for
// this tab only and taken out of the address bar.
import { api, problemMessage } from './api.js';
import { start, t } from './i18n.js';

const KEY = 'jii.offer';
const alertBox = document.getElementById('page-alert');
const result = document.getElementById('result');

function offerLink() {
  const params = new URLSearchParams(location.search);
  if (params.get('token')) {
    const link = { token: params.get('token'), answer: params.get('answer') };
    sessionStorage.setItem(KEY, JSON.stringify(link));
    params.delete('token');
    params.delete('answer');
    const rest = params.toString();
    history.replaceState(null, '', location.pathname + (rest ? `?${rest}` : ''));
    return link;
  }
  try { return JSON.parse(sessionStorage.getItem(KEY) || 'null'); } catch (e) { return null; }
}

async function respond(link, answer) {
  alertBox.textContent = '';
  document.querySelectorAll('#choice button').forEach(button => { button.disabled = true; });
  const body = { token: link.token, answer };
  // Consent to pass one's name and e-mail to the other side goes only with an acceptance.
  if (answer === 'accept') body.share_contact = document.getElementById('share-contact').checked;
  const sent = await api('/api/pairing-responses', { method: 'POST', body });
  document.querySelectorAll('#choice button').forEach(button => { button.disabled = false; });
  if (sent.ok) {
    document.getElementById('choice').hidden = true;
    const state = sent.data.state;
    result.textContent = t(answer === 'decline' ? 'respond.declined'
      : state === 'active' ? 'respond.started' : 'respond.accepted');
    return;
  }
  if (sent.status === 400) alertBox.textContent = t('respond.invalid');
  else if (sent.status === 409) alertBox.textContent = t(String(sent.data && sent.data.detail).includes('expired') ? 'respond.expired' : 'respond.closed');
  else alertBox.textContent = problemMessage(sent);
}

function main() {
  start();
  const link = offerLink();
  if (!link || !link.token) {
    alertBox.textContent = t('respond.invalid');
  } else {
    document.getElementById('choice').hidden = false;
    const preferred = link.answer === 'decline' ? 'decline' : 'accept';
    document.getElementById('accept').addEventListener('click', () => respond(link, 'accept'));
    document.getElementById('decline').addEventListener('click', () => respond(link, 'decline'));
    document.getElementById(preferred).focus();
  }
  document.body.dataset.ready = 'true';
}

main();
