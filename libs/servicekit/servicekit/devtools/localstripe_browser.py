"""What localstripe's Stripe.js stand-in lacks for the public site, added at run time.

localstripe serves a small Stripe.js (`/js.stripe.com/v3/`) whose `createPaymentMethod` does
nothing, whose card inputs have no accessible names, and whose API refuses to create a
PaymentMethod with a publishable key. The site needs all three, so `install(app)` puts a
middleware in front of localstripe's own:

* `GET /js.stripe.com/v3/` answers localstripe's script (read from the installed package) with
  `localstripe_extensions.js` appended, which implements `createPaymentMethod` and labels the
  card inputs;
* `POST /js.stripe.com/v3/payment_methods` creates a card PaymentMethod for a `pk_` key, as
  Stripe's API does for Stripe.js (localstripe exempts the `/js.stripe.com/` paths from its
  secret-key check, so nothing else is opened).

Only ever used with localstripe; production pages load Stripe's own Stripe.js.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EXTENSIONS = Path(__file__).with_name("localstripe_extensions.js")
SCRIPT_PATH = "/js.stripe.com/v3/"
PAYMENT_METHODS_PATH = "/js.stripe.com/v3/payment_methods"


def script() -> str:
    import localstripe

    original = Path(localstripe.__file__).with_name("localstripe-v3.js").read_text()
    return original + "\n" + EXTENSIONS.read_text()


def install(app: Any) -> None:
    """Add the middleware to localstripe's aiohttp `app` (before it starts)."""
    from aiohttp import web
    from localstripe.errors import UserError
    from localstripe.resources import PaymentMethod

    @web.middleware
    async def browser_extensions(request, handler):
        if request.path == SCRIPT_PATH and request.method == "GET":
            return web.Response(text=script(), content_type="application/javascript",
                                headers={"Cache-Control": "no-cache"})
        if request.path == PAYMENT_METHODS_PATH and request.method == "POST":
            try:
                body = json.loads(await request.text() or "{}")
            except ValueError:
                body = None
            if not isinstance(body, dict) or not str(body.get("key", "")).startswith("pk_"):
                return web.json_response({"error": {"message": "a publishable key is needed",
                                                    "type": "invalid_request_error"}},
                                         status=401)
            try:
                method = PaymentMethod._api_create(
                    type="card", card=body.get("card"),
                    billing_details=body.get("billing_details") or None)
            except UserError as exc:
                return exc.to_response()
            return web.json_response(method._export())
        return await handler(request)

    app.middlewares.insert(0, browser_extensions)
