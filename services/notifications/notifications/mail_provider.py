"""The SMTP mailer as a Nameko dependency, configured from the service's config at set-up."""

from __future__ import annotations

from nameko.extensions import DependencyProvider

from notifications.mailer import Mailer, SmtpSettings


def _flag(value) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


class MailerProvider(DependencyProvider):
    def setup(self) -> None:
        config = self.container.config
        self.mailer = Mailer(SmtpSettings(
            host=str(config.get("SMTP_HOST", "127.0.0.1")),
            port=int(config.get("SMTP_PORT", 1025)),
            starttls=_flag(config.get("SMTP_STARTTLS", False)),
            ca_file=config.get("SMTP_CA_FILE") or None,
            username=config.get("SMTP_USERNAME") or None,
            password=config.get("SMTP_PASSWORD") or None,
            timeout=float(config.get("SMTP_TIMEOUT_SECONDS", 30)),
            from_addr=str(config.get("MAIL_FROM", "info@j-ii.org")),
            from_name=str(config.get("MAIL_FROM_NAME", "Japan Intercultural Intelligence")),
            # A connection kept per worker: an event's mail then needs no handshake of its own.
        ), keep=int(config.get("max_workers", 10)))

    def stop(self) -> None:
        self.mailer.close()

    def kill(self) -> None:
        self.mailer.close()

    def get_dependency(self, worker_ctx) -> Mailer:
        return self.mailer
