// Ask for a fresh link to one's pledge: the answer is the same whether or not the address is
// known, so the page tells no one who gives.
import { api, clearErrors, fieldErrorsOf, problemMessage, showFieldErrors } from './api.js';
import { lang, start, t } from './i18n.js';

const form = document.getElementById('link-form');

form.addEventListener('submit', async event => {
  event.preventDefault();
  clearErrors(form);
  const alertBox = document.getElementById('page-alert');
  const notice = document.getElementById('page-notice');
  alertBox.textContent = '';
  notice.textContent = '';
  const result = await api('/api/pledges/link-requests', {
    method: 'POST', body: { email: document.getElementById('email').value.trim(), locale: lang },
  });
  if (result.ok) { notice.textContent = t('link.sent'); return; }
  if (showFieldErrors(form, fieldErrorsOf(result))) return;
  alertBox.textContent = problemMessage(result);
});

start();
document.body.dataset.ready = 'true';
