"""The Stripe adapter as a Nameko dependency: one client per service, built at set-up."""

from __future__ import annotations

from nameko.extensions import DependencyProvider

from donations.stripe_client import StripeClient


class Stripe(DependencyProvider):
    def setup(self) -> None:
        config = self.container.config
        self.client = StripeClient(
            config["STRIPE_API_KEY"], api_base=config.get("STRIPE_API_BASE") or None
        )
        self.webhook_secret = config["STRIPE_WEBHOOK_SECRET"]

    def get_dependency(self, worker_ctx) -> Stripe:
        return self
