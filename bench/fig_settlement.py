"""Figure 3: settlement of 1,000,000 captured payments (filled in when settlement lands)."""

from bench.context import Bench, Skip


def run(b: Bench, *, template: str) -> None:
    raise Skip("settlement (settlement/bench_support.py, run_settlement) has not landed yet")
