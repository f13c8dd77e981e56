"""Figure 4: webhook deliveries per second (filled in when webhooks land)."""

from bench.context import Bench, Skip


def run(b: Bench, *, template: str) -> None:
    raise Skip("webhook delivery (payments/webhooks.py) has not landed yet")
