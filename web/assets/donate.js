// The donation page: monthly (JII Partners) or once, a tier or a free amount, card by Stripe.js
// (3-D Secure completed here), the funding mix, public impact figures and the bank transfer.
import { api, clearErrors, fieldErrorsOf, problemMessage, showFieldErrors } from './api.js';
import { has, lang, number, onLanguage, start, t, yen } from './i18n.js';
import { cardField } from './stripe.js';

const form = document.getElementById('donate-form');
const alertBox = document.getElementById('form-alert');
const submit = document.getElementById('submit');
let catalogue = null;
let impact = null;
let payment = null;

function selected(name) {
  const input = form.querySelector(`input[name="${name}"]:checked`);
  return input ? input.value : null;
}

function field(id) { return document.getElementById(id).value.trim(); }

function monthly() { return selected('frequency') === 'monthly'; }

function amount() {
  const tier = selected('tier');
  if (tier) return catalogue.tiers.find(item => item.id === tier).amount;
  const free = parseInt(document.getElementById('free-amount').value, 10);
  return Number.isFinite(free) ? free : null;
}

function renderTiers() {
  const box = document.getElementById('tiers');
  const chosen = selected('tier') ?? 'connect';
  box.replaceChildren(...catalogue.tiers.map(tier => {
    const label = document.createElement('label');
    label.className = 'choice';
    const input = document.createElement('input');
    Object.assign(input, { type: 'radio', name: 'tier', value: tier.id, checked: tier.id === chosen });
    const text = document.createElement('span');
    const strong = document.createElement('strong');
    strong.textContent = yen(tier.amount);
    const impactText = document.createElement('span');
    impactText.className = 'impact';
    impactText.textContent = tier.impact[lang];
    text.append(strong, impactText);
    label.append(input, text);
    return label;
  }));
  const bounds = catalogue.free_amount;
  document.getElementById('free-amount-hint').textContent =
    t('donate.amount_bounds', { min: yen(bounds.min), max: yen(bounds.max) });
  const select = document.getElementById('designation');
  const current = select.value || 'general';
  select.replaceChildren(...catalogue.designations.map(item => {
    const option = document.createElement('option');
    option.value = item.id;
    option.textContent = item.name[lang];
    option.selected = item.id === current;
    return option;
  }));
}

/** The transfer account as the organisation's settings give it (GET /api/donation-tiers). */
function renderBank() {
  const account = catalogue.bank_account;
  const list = document.getElementById('bank-account');
  list.hidden = !account;
  if (!account) return;
  const latin = lang !== 'ja';
  const shown = {
    bank: t('bank.bank_value', { name: latin ? account.bank_en || account.bank : account.bank, code: account.bank_code }),
    branch: t('bank.branch_value', { name: latin ? account.branch_en || account.branch : account.branch, code: account.branch_code }),
    type: t(`bank.type.${account.type}`), number: account.number,
    holder: account.holder, holder_kana: account.holder_kana,
  };
  list.querySelectorAll('[data-bank]').forEach(dd => {
    const value = shown[dd.dataset.bank];
    dd.textContent = value;
    // A setting left empty (e.g. no kana yet) leaves out its row, not an empty line.
    dd.hidden = !value;
    dd.previousElementSibling.hidden = !value;
  });
}

function renderImpact() {
  if (!impact) return;
  const shown = ['residents_supported', 'pairings_completed', 'spot_requests_done',
    'children_enrolled', 'sessions_held', 'consultations_resolved'];
  document.getElementById('figures').replaceChildren(...shown.map(key => {
    const row = document.createElement('div');
    const dt = document.createElement('dt');
    dt.textContent = t(`impact.${key}`);
    const dd = document.createElement('dd');
    dd.textContent = number(impact.totals[key]);
    row.append(dt, dd);
    return row;
  }));
}

function refresh() {
  const once = !monthly();
  document.getElementById('designation-box').hidden = !once;
  document.getElementById('free-amount-box').hidden = selected('tier') !== '';
  document.getElementById('receipt-box').hidden = !document.getElementById('wants-receipt').checked;
  const value = catalogue ? amount() : null;
  submit.textContent = value
    ? t(once ? 'donate.submit_once' : 'donate.submit_monthly', { amount: yen(value) })
    : t('donate.submit');
}

function declineMessage(reason) {
  const key = `decline.${reason}`;
  return has(key) ? t(key) : t('decline.generic');
}

function requestBody(paymentMethod) {
  const body = {
    amount: amount(), name: field('name'), email: field('email'),
    locale: lang, payment_method: paymentMethod,
  };
  if (document.getElementById('wants-receipt').checked) {
    body.donor_kind = selected('donor_kind');
    const part = field;
    body.postal_address = {
      postal_code: part('postal_code'), prefecture: part('prefecture'), city: part('city'),
      line1: part('line1'), line2: part('line2') || null,
    };
  }
  if (!monthly()) {
    body.designation = document.getElementById('designation').value;
    if (selected('tier')) body.tier = selected('tier');
  }
  return body;
}

function localCheck() {
  const errors = {};
  const value = amount();
  const bounds = catalogue.free_amount;
  if (!value || value < bounds.min || value > bounds.max) {
    errors.amount = [t('donate.amount_bounds', { min: yen(bounds.min), max: yen(bounds.max) })];
  }
  if (!field('name')) errors.name = [t('error.required')];
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(field('email'))) errors.email = [t('error.email')];
  return errors;
}

function thank(value) {
  sessionStorage.setItem('jii.thanks', JSON.stringify({ amount: value, monthly: monthly() }));
  location.assign('/donate/thanks');
}

async function give(event) {
  event.preventDefault();
  clearErrors(form);
  alertBox.textContent = '';
  const local = localCheck();
  if (Object.keys(local).length) {
    // Messages already in the reader's language: shown as they are.
    for (const [field, messages] of Object.entries(local)) {
      form.querySelector(`[data-error-for="${field}"]`).textContent = messages.join(' ');
      const input = document.getElementById(field === 'amount' ? 'free-amount' : field);
      if (input) input.setAttribute('aria-invalid', 'true');
    }
    alertBox.textContent = t('error.check_form');
    return;
  }
  if (!payment) { alertBox.textContent = t('error.unavailable'); return; }
  submit.disabled = true;
  try {
    const made = await payment.stripe.createPaymentMethod({
      type: 'card', card: payment.card,
      billing_details: { name: field('name'), email: field('email') },
    });
    if (made.error) {
      document.getElementById('card-errors').textContent = t('card.invalid');
      return;
    }
    const value = amount();
    const result = await api(monthly() ? '/api/pledges' : '/api/donations',
      { method: 'POST', body: requestBody(made.paymentMethod.id) });
    if (result.status === 201) {
      if (result.data.client_secret) {
        const confirmed = await payment.stripe.confirmCardPayment(result.data.client_secret);
        if (confirmed.error || confirmed.paymentIntent.status !== 'succeeded') {
          alertBox.textContent = t('decline.authentication');
          return;
        }
      }
      thank(value);
      return;
    }
    if (result.status === 402) {
      alertBox.textContent = declineMessage(result.data && result.data.reason);
      return;
    }
    if (showFieldErrors(form, fieldErrorsOf(result))) {
      alertBox.textContent = t('error.check_form');
      return;
    }
    alertBox.textContent = problemMessage(result);
  } finally {
    submit.disabled = false;
  }
}

async function notifyTransfer(event) {
  event.preventDefault();
  const bankForm = document.getElementById('bank-form');
  const bankAlert = document.getElementById('bank-alert');
  const done = document.getElementById('bank-done');
  clearErrors(bankForm);
  bankAlert.textContent = '';
  done.textContent = '';
  const value = id => document.getElementById(id).value.trim();
  const body = {
    name: value('bank-name'), email: value('bank-email'), locale: lang,
    amount: parseInt(value('bank-amount'), 10) || null,
    transferred_on: value('bank-date') || null,
    payer_name: value('bank-payer') || null, message: value('bank-note') || null,
  };
  if (document.getElementById('wants-receipt').checked) {
    // The receipt details given above are for this transfer too.
    const gift = requestBody(null);
    body.donor_kind = gift.donor_kind;
    body.postal_address = gift.postal_address;
  }
  const button = bankForm.querySelector('button[type=submit]');
  button.disabled = true;
  const result = await api('/api/bank-transfer-notices', { method: 'POST', body });
  button.disabled = false;
  if (result.ok) {
    done.textContent = t('bank.done');
    bankForm.reset();
    return;
  }
  if (showFieldErrors(bankForm, fieldErrorsOf(result))) {
    bankAlert.textContent = t('error.check_form');
    return;
  }
  bankAlert.textContent = problemMessage(result);
}

async function main() {
  start();
  document.getElementById('bank-form').addEventListener('submit', notifyTransfer);
  form.addEventListener('change', refresh);
  form.addEventListener('input', refresh);
  form.addEventListener('submit', give);
  const [tiers, figures] = await Promise.all([api('/api/donation-tiers'), api('/api/impact')]);
  if (!tiers.ok) { alertBox.textContent = problemMessage(tiers); return; }
  catalogue = tiers.data;
  impact = figures.ok ? figures.data : null;
  document.getElementById('free-amount').min = String(catalogue.free_amount.min);
  renderTiers();
  renderBank();
  renderImpact();
  refresh();
  onLanguage(() => { renderTiers(); renderBank(); renderImpact(); refresh(); });
  try {
    payment = await cardField('#card-element');
  } catch (e) {
    alertBox.textContent = t('error.card_unavailable');
  }
  document.body.dataset.ready = 'true';
}

main();
