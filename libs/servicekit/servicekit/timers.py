"""A Nameko timer whose interval is read from the service's config when it is set up."""

from __future__ import annotations

from typing import Any

from nameko.timer import Timer


class ConfiguredTimer(Timer):
    """`@every("SOME_TICK_SECONDS", 60)`: the interval is `config[key]`, else `default`."""

    def __init__(self, key: str, default: float, **kwargs: Any):
        super().__init__(interval=default, **kwargs)
        self.key = key

    def setup(self) -> None:
        self.interval = float(self.container.config.get(self.key, self.interval))
        super().setup()


every = ConfiguredTimer.decorator
