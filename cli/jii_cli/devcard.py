"""`jii dev card`: a fresh PaymentMethod id on localstripe, standing in for Stripe.js locally."""

from __future__ import annotations

import os
import urllib.error

from servicekit.devtools.localstripe_server import TEST_API_KEY, create_card_payment_method

from jii_cli.workspace import CliError

# Stripe's documented test card that always succeeds.
DEFAULT_CARD = "4242424242424242"


def local_api_base() -> str:
    return os.environ.get("STRIPE_API_BASE") or (
        f"http://127.0.0.1:{os.environ.get('LOCALSTRIPE_PORT', '8420')}"
    )


def run(args) -> int:
    base = args.api_base or local_api_base()
    if "api.stripe.com" in base:
        # Real Stripe refuses raw card numbers from servers; PaymentMethods come from Stripe.js.
        raise CliError("`jii dev card` works with localstripe only, not real Stripe")
    key = os.environ.get("STRIPE_API_KEY") or TEST_API_KEY
    try:
        print(create_card_payment_method(base, args.number, api_key=key))
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:300].decode("utf-8", "replace")
        raise CliError(f"localstripe refused the card: HTTP {exc.code} {detail}") from None
    except OSError as exc:
        raise CliError(
            f"localstripe does not answer at {base} ({exc}): is `make run` running?"
        ) from None
    return 0
