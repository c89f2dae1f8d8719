// The thank-you page after a card gift: the amount the donation page left for this tab only.
import { onLanguage, start, t, yen } from './i18n.js';

function render() {
  let gift = null;
  try { gift = JSON.parse(sessionStorage.getItem('jii.thanks') || 'null'); } catch (e) { gift = null; }
  const line = document.getElementById('thanks-amount');
  if (gift && Number.isInteger(gift.amount)) {
    line.textContent = t(gift.monthly ? 'thanks.monthly' : 'thanks.once', { amount: yen(gift.amount) });
    document.getElementById('thanks-manage').hidden = !gift.monthly;
  } else {
    line.textContent = t('thanks.plain');
  }
}

start();
render();
onLanguage(render);
document.body.dataset.ready = 'true';
