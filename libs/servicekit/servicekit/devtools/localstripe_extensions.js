/*
 * Appended to localstripe's Stripe.js stand-in by servicekit.devtools.localstripe_browser:
 * what the public site calls that the stand-in lacks. Local runs and tests only.
 */
(function () {
  const base = LOCALSTRIPE_BASE_API;
  const standIn = Stripe;
  const labels = {
    number: 'Card number', exp_month: 'Expiry month (MM)', exp_year: 'Expiry year (YY)',
    cvc: 'Security code (CVC)', postal_code: 'Postal code',
  };
  const autocomplete = {
    number: 'cc-number', exp_month: 'cc-exp-month', exp_year: 'cc-exp-year', cvc: 'cc-csc',
    postal_code: 'off',
  };

  function labelled(element) {
    const mount = element.mount;
    element.mount = function (target) {
      mount.call(this, target);
      Object.keys(this._inputs || {}).forEach(field => {
        const input = this._inputs[field];
        input.setAttribute('aria-label', labels[field]);
        input.setAttribute('autocomplete', autocomplete[field]);
        input.setAttribute('inputmode', 'numeric');
        input.setAttribute('name', 'localstripe-' + field);
      });
    };
    return element;
  }

  Stripe = function (key, options) {
    const stripe = standIn(key, options);
    const makeElements = stripe.elements;
    stripe.elements = function () {
      const elements = makeElements.apply(this, arguments);
      const create = elements.create;
      elements.create = function () {
        return labelled(create.apply(this, arguments));
      };
      return elements;
    };
    stripe.createPaymentMethod = async function (params) {
      const element = params.card;
      if (!element || !element.value) {
        return {error: {type: 'validation_error', code: 'incomplete_number',
                        message: 'Your card number is incomplete.'}};
      }
      try {
        const response = await fetch(base + '/js.stripe.com/v3/payment_methods', {
          method: 'POST',
          body: JSON.stringify({
            key: key,
            card: element.value.card,
            billing_details: params.billing_details,
          }),
        });
        const body = await response.json().catch(() => ({}));
        if (response.status !== 200 || body.error) {
          return {error: body.error || {type: 'validation_error', code: 'invalid_number',
                                        message: 'Your card number is invalid.'}};
        }
        return {paymentMethod: body};
      } catch (err) {
        return {error: {type: 'api_connection_error', message: String(err)}};
      }
    };
    return stripe;
  };
})();
