// Loading Stripe.js (Stripe's in production, localstripe's stand-in locally), as the gateway's
// /api/site-config says, and the card field in the page's language.
import { api } from './api.js';
import { lang } from './i18n.js';

function load(src) {
  return new Promise((resolve, reject) => {
    if (window.Stripe) { resolve(); return; }
    const script = document.createElement('script');
    script.src = src;
    script.onload = () => resolve();
    script.onerror = () => reject(new Error('Stripe.js did not load'));
    document.head.appendChild(script);
  });
}

/** {stripe, card} with the card field mounted in `target`. */
export async function cardField(target) {
  const config = await api('/api/site-config');
  if (!config.ok) throw new Error('no site configuration');
  await load(config.data.stripe.js_url);
  const stripe = window.Stripe(config.data.stripe.publishable_key);
  // Stripe's own field speaks ja and en; Nepali readers get English there.
  const elements = stripe.elements({ locale: lang === 'ja' ? 'ja' : 'en' });
  const card = elements.create('card', { hidePostalCode: true });
  card.mount(target);
  return { stripe, card };
}
