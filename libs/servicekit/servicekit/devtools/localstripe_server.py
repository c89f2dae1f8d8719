"""Run localstripe (a stateful Stripe emulator) for tests and local development.

`python -m servicekit.devtools.localstripe_server --host 127.0.0.1 --port 8420
[--webhook-url URL --webhook-secret SECRET]`

Differences from localstripe's own `start()`: binds to the given host only (its `start()` binds
to `::`, every interface), always starts from an empty store, never reads or writes
`/tmp/localstripe.pickle` (a file shared by every localstripe on the machine), and its
Stripe.js stand-in can do what the public site asks of it (`localstripe_browser`).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import logging
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import IO

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8420
# localstripe accepts any key that starts with sk_; real Stripe test keys look the same.
TEST_API_KEY = "sk_test_localstripe"
WEBHOOK_ID = "jii"
# Under /_config/, where localstripe asks for no key. Used by the tests, which share one
# localstripe between tests instead of starting one each.
RESET_PATH = "/_config/jii/reset"


def stripe_signature(body: str | bytes, secret: str, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header for `body`, as Stripe signs webhooks:
    t=<ts>,v1=hex(hmac_sha256(secret, "<ts>.<body>")). For events localstripe never sends."""
    t = int(timestamp or time.time())
    raw = body.encode() if isinstance(body, str) else body
    digest = hmac.new(secret.encode(), f"{t}.".encode() + raw, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def serve(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
) -> None:
    """Serve localstripe in this process until interrupted (SIGINT/SIGTERM)."""
    from aiohttp import web
    from localstripe.resources import store
    from localstripe.server import app
    from localstripe.webhooks import register_webhook

    try:
        from servicekit.devtools import localstripe_browser
    except ImportError:  # the localstripe image holds these two files side by side
        import localstripe_browser  # type: ignore[no-redef]

    # The store pickles itself to /tmp on every write; an instance attribute shadows the method.
    store.dump_to_disk = lambda: None
    store.clear()

    if webhook_url:
        if not webhook_secret:
            raise SystemExit("--webhook-secret is required with --webhook-url")
        register_webhook(WEBHOOK_ID, webhook_url, webhook_secret, None)

    localstripe_browser.install(app)
    app.router.add_post(RESET_PATH, _reset)

    access_log = logging.getLogger("aiohttp.access")
    access_log.setLevel(logging.INFO)
    access_log.addHandler(logging.StreamHandler())
    web.run_app(app, host=host, port=port, access_log=access_log, print=None)


async def _reset(request):  # type: ignore[no-untyped-def]
    """Start over as if just started: no objects, no webhook, and none of the webhooks still
    waiting to be sent (localstripe sends each a second after its event, to whatever webhook is
    registered then; one left over would reach the next user). Takes the new webhook, if any,
    as JSON {"webhook_url", "webhook_secret"}."""
    import asyncio

    from aiohttp import web
    from localstripe.resources import store
    from localstripe.webhooks import _webhooks, register_webhook

    data = await request.json() if request.can_read_body else {}
    for task in asyncio.all_tasks():
        if getattr(task.get_coro(), "__name__", "") == "_send_webhook":
            task.cancel()
    store.clear()
    _webhooks.clear()
    if data.get("webhook_url"):
        register_webhook(WEBHOOK_ID, data["webhook_url"], data["webhook_secret"], None)
    return web.Response(text="reset")


def reset_localstripe(api_base: str, webhook_url: str | None = None,
                      webhook_secret: str | None = None) -> None:
    """Empty a running localstripe (see `_reset`) and point its webhook at `webhook_url`."""
    if webhook_url and not webhook_secret:
        raise ValueError("a webhook secret is required with a webhook URL")
    body = json.dumps({"webhook_url": webhook_url, "webhook_secret": webhook_secret}).encode()
    request = urllib.request.Request(api_base.rstrip("/") + RESET_PATH, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--webhook-url")
    parser.add_argument("--webhook-secret")
    args = parser.parse_args(argv)
    serve(args.host, args.port, args.webhook_url, args.webhook_secret)


def start_localstripe(
    port: int = DEFAULT_PORT,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
    *,
    host: str = DEFAULT_HOST,
    log: IO[bytes] | int | None = None,
    timeout: float = 20.0,
) -> subprocess.Popen[bytes]:
    """Start localstripe as a subprocess and return once it answers HTTP.

    `log` is where its output goes (a file, `subprocess.DEVNULL`, or None to inherit).
    """
    cmd = [sys.executable, "-m", "servicekit.devtools.localstripe_server",
           "--host", host, "--port", str(port)]
    if webhook_url:
        cmd += ["--webhook-url", webhook_url, "--webhook-secret", webhook_secret or ""]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    url = f"http://{host}:{port}/v1/customers"
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"localstripe exited with code {proc.returncode} during start-up")
        try:
            with urllib.request.urlopen(url, timeout=1):
                pass
            return proc
        except urllib.error.HTTPError as exc:
            exc.close()
            return proc  # 401 without a key: it is up
        except OSError:
            if time.monotonic() > deadline:
                stop(proc)
                raise RuntimeError(
                    f"localstripe did not answer on {url} within {timeout}s"
                ) from None
            time.sleep(0.1)


def stop(proc: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


def create_card_payment_method(
    api_base: str,
    number: str,
    *,
    api_key: str = TEST_API_KEY,
    exp_month: int = 12,
    exp_year: int = 2034,
    cvc: str = "123",
) -> str:
    """Create a card PaymentMethod from a raw test card number and return its id.

    Stands in for Stripe.js in tests and local runs; localstripe accepts raw numbers (real Stripe
    does not without special permission, so this is for localstripe only).
    """
    body = urllib.parse.urlencode({
        "type": "card",
        "card[number]": number,
        "card[exp_month]": str(exp_month),
        "card[exp_year]": str(exp_year),
        "card[cvc]": cvc,
    }).encode()
    req = urllib.request.Request(
        api_base.rstrip("/") + "/v1/payment_methods",
        data=body,
        headers={"Authorization": f"Bearer {api_key}"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.load(resp)["id"]


if __name__ == "__main__":
    main()
