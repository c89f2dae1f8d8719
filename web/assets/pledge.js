// A supporter's pledge, by the signed link in their e-mails: see it, change the amount, pause,
// resume, cancel with a reason, and change the card (a SetupIntent confirmed by Stripe.js).
// The token is kept for this tab only and taken out of the address bar.
import { api, clearErrors, fieldErrorsOf, problemMessage, showFieldErrors } from './api.js';
import { has, lang, onLanguage, start, t, yen } from './i18n.js';
import { cardField } from './stripe.js';

const TOKEN_KEY = 'jii.pledge-token';
const alertBox = document.getElementById('page-alert');
const notice = document.getElementById('page-notice');
let pledge = null;
let payment = null;

function linkToken() {
  const params = new URLSearchParams(location.search);
  const fromLink = params.get('token');
  if (fromLink) {
    sessionStorage.setItem(TOKEN_KEY, fromLink);
    params.delete('token');
    const rest = params.toString();
    history.replaceState(null, '', location.pathname + (rest ? `?${rest}` : ''));
    return fromLink;
  }
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

const token = linkToken();

async function act(action, extra = {}) {
  return api('/api/pledges/self-service', { method: 'POST', body: { token, action, ...extra } });
}

function say(result, form) {
  if (result.status === 403) return t('pledge.invalid_link');
  if (result.status === 409) return t('pledge.conflict');
  if (result.status === 402) {
    const key = `decline.${result.data && result.data.reason}`;
    return has(key) ? t(key) : t('decline.generic');
  }
  if (form && showFieldErrors(form, fieldErrorsOf(result))) {
    return t('error.check_form');
  }
  return problemMessage(result);
}

function render() {
  if (!pledge) return;
  document.getElementById('summary').hidden = false;
  document.getElementById('pledge-amount').textContent = t('pledge.per_month', { amount: yen(pledge.amount) });
  document.getElementById('pledge-status').textContent = t(`pledge.state.${pledge.status}`);
  document.getElementById('pledge-since').textContent = pledge.started_at
    ? new Intl.DateTimeFormat({ ja: 'ja-JP', en: 'en-GB', ne: 'ne-NP' }[lang],
      { dateStyle: 'long', timeZone: 'Asia/Tokyo' }).format(new Date(pledge.started_at))
    : '—';
  const live = ['active', 'paused', 'past_due'].includes(pledge.status);
  document.getElementById('past-due').hidden = pledge.status !== 'past_due';
  document.getElementById('card-section').hidden = !live;
  document.getElementById('amount-section').hidden = !live;
  document.getElementById('pause-section').hidden = !['active', 'paused'].includes(pledge.status);
  document.getElementById('pause').hidden = pledge.status !== 'active';
  document.getElementById('resume').hidden = pledge.status !== 'paused';
  document.getElementById('cancel-section').hidden = !live;
  const input = document.getElementById('new-amount');
  if (!input.value) input.value = String(pledge.amount);
}

async function load() {
  const result = await act('view');
  if (!result.ok) { alertBox.textContent = say(result); return false; }
  pledge = result.data;
  render();
  return true;
}

async function change(event, action, form, extra, done) {
  event.preventDefault();
  alertBox.textContent = '';
  notice.textContent = '';
  if (form) clearErrors(form);
  const result = await act(action, extra());
  if (!result.ok) { alertBox.textContent = say(result, form); return; }
  pledge = result.data;
  render();
  notice.textContent = t(done);
}

async function updateCard(event) {
  event.preventDefault();
  alertBox.textContent = '';
  notice.textContent = '';
  const form = document.getElementById('card-form');
  clearErrors(form);
  const button = form.querySelector('button');
  button.disabled = true;
  try {
    const started = await act('start_card_update');
    if (!started.ok) { alertBox.textContent = say(started); return; }
    const confirmed = await payment.stripe.confirmCardSetup(started.data.setup_client_secret, {
      payment_method: { card: payment.card },
    });
    if (confirmed.error) { document.getElementById('card-errors').textContent = t('card.invalid'); return; }
    const finished = await act('finish_card_update', { setup_intent: confirmed.setupIntent.id });
    if (!finished.ok) { alertBox.textContent = say(finished, form); return; }
    pledge = finished.data;
    render();
    notice.textContent = t(finished.data.retried_invoices ? 'pledge.card_done_retried' : 'pledge.card_done');
    // Stripe's webhook makes the pledge active again a moment later.
    for (let i = 0; i < 10 && pledge.status === 'past_due'; i += 1) {
      await new Promise(resolve => setTimeout(resolve, 1000));
      await load();
    }
  } finally {
    button.disabled = false;
  }
}

async function main() {
  start();
  onLanguage(render);
  if (!token) {
    alertBox.textContent = t('pledge.no_link');
    document.body.dataset.ready = 'true';
    return;
  }
  const amountForm = document.getElementById('amount-form');
  amountForm.addEventListener('submit', event => change(event, 'change_amount', amountForm,
    () => ({ amount: parseInt(document.getElementById('new-amount').value, 10) || null }), 'pledge.amount_done'));
  const cancelForm = document.getElementById('cancel-form');
  cancelForm.addEventListener('submit', event => change(event, 'cancel', cancelForm,
    () => ({ reason: document.getElementById('reason').value.trim() || null }), 'pledge.cancel_done'));
  document.getElementById('pause').addEventListener('click',
    event => change(event, 'pause', null, () => ({}), 'pledge.pause_done'));
  document.getElementById('resume').addEventListener('click',
    event => change(event, 'resume', null, () => ({}), 'pledge.resume_done'));
  document.getElementById('card-form').addEventListener('submit', updateCard);
  if (await load() && ['active', 'paused', 'past_due'].includes(pledge.status)) {
    try {
      payment = await cardField('#card-element');
    } catch (e) {
      alertBox.textContent = t('error.card_unavailable');
    }
  }
  document.body.dataset.ready = 'true';
}

main();
