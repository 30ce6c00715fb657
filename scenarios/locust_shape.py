"""Locust's LoadTestShape adapter for the pure shapes of scenarios/shapes.py (imports Locust, so kept apart)."""
from __future__ import annotations

from locust import LoadTestShape

from scenarios.shapes import Shape, Tick


class DinerushShape(LoadTestShape):
    """Locust adapter: the shape named by --dinerush-shape (the locustfile drops it when the shape is `none`)."""

    use_common_options = True  # -u/-r/-t stay meaningful when --dinerush-shape none

    def __init__(self) -> None:
        super().__init__()
        self._shape: Shape | None = None

    def select(self, shape: Shape) -> None:
        self._shape = shape

    def tick(self) -> Tick:
        if self._shape is None:
            return None
        return self._shape(self.get_run_time())
