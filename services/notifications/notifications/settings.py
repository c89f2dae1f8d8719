"""Settings beyond SMTP, as a Nameko dependency: staff alert address, unsubscribe links and
the dead-letter queue watch."""

from __future__ import annotations

from dataclasses import dataclass

from nameko.extensions import DependencyProvider

from notifications.dead_letters import Watch
from notifications.deliveries import DeliveryTiming
from notifications.messages import Audience
from notifications.unsubscribe import UnsubscribeLinks


@dataclass(frozen=True)
class Settings:
    audience: Audience
    links: UnsubscribeLinks
    dead_letters: Watch
    delivery: DeliveryTiming


class SettingsProvider(DependencyProvider):
    def setup(self) -> None:
        config = self.container.config
        self.settings = Settings(
            audience=Audience(
                staff_email=str(config.get("STAFF_ALERT_EMAIL", "info@j-ii.org")),
                staff_locale=str(config.get("STAFF_ALERT_LOCALE", "ja")),
            ),
            links=UnsubscribeLinks(
                secret=str(config.get("UNSUBSCRIBE_SECRET",
                                      "local-development-unsubscribe-secret-0123456789")),
                base_url=str(config.get("PUBLIC_SITE_URL", "http://127.0.0.1:8000")),
            ),
            dead_letters=Watch.from_config(config),
            delivery=DeliveryTiming(
                outcome_grace_seconds=float(config.get("DELIVERY_OUTCOME_GRACE_SECONDS", 180)),
                outcome_write_seconds=float(config.get("DELIVERY_OUTCOME_WRITE_SECONDS", 60)),
            ),
        )

    def get_dependency(self, worker_ctx) -> Settings:
        return self.settings
