"""Figures, their goals, the printed table and ``bench/results.json``."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Goal:
    """A target for a figure.

    ``kind`` is one of ``ratio_min`` (value / baseline >= bound), ``ratio_max`` (value / baseline
    <= bound), ``min`` (value > bound), ``max`` (value < bound) and ``equal`` (value == bound).
    """

    kind: str
    bound: float

    def check(self, value: float | None, ratio: float | None) -> bool | None:
        """Return whether the goal is met, ``None`` when the figure could not be measured."""
        if value is None:
            return None
        if self.kind == "ratio_min":
            return None if ratio is None else ratio >= self.bound
        if self.kind == "ratio_max":
            return None if ratio is None else ratio <= self.bound
        if self.kind == "min":
            return value > self.bound
        if self.kind == "max":
            return value < self.bound
        if self.kind == "equal":
            return value == self.bound
        raise ValueError(f"unknown goal kind {self.kind!r}")

    def describe(self, unit: str = "") -> str:
        suffix = f" {unit}" if unit else ""
        return {
            "ratio_min": f">= {self.bound:g}x baseline",
            "ratio_max": f"<= {self.bound:g}x baseline",
            "min": f"> {self.bound:g}{suffix}",
            "max": f"< {self.bound:g}{suffix}",
            "equal": f"= {self.bound:g}{suffix}",
        }[self.kind]


@dataclass
class Figure:
    """One measured figure beside its baseline; ``ratio`` is value / baseline value."""

    name: str
    value: float | None
    unit: str
    baseline: str | None = None
    baseline_value: float | None = None
    baseline_unit: str | None = None
    goal: Goal | None = None
    details: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline_value:
            return None
        return self.value / self.baseline_value

    @property
    def met(self) -> bool | None:
        return None if self.goal is None else self.goal.check(self.value, self.ratio)

    def as_json(self) -> dict:
        ratio = self.ratio
        return {
            "name": self.name,
            "value": _round(self.value),
            "unit": self.unit,
            "baseline": self.baseline,
            "baseline_value": _round(self.baseline_value),
            "baseline_unit": self.baseline_unit or (self.unit if self.baseline else None),
            "ratio": None if ratio is None else round(ratio, 4),
            "goal": None if self.goal is None else self.goal.describe(self.unit),
            "goal_spec": None if self.goal is None else asdict(self.goal),
            "met": self.met,
            "details": self.details,
        }


def _round(value: float | None) -> float | None:
    if value is None or isinstance(value, int):
        return value
    return round(value, 4 if abs(value) < 10 else 2)


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def table(figures: list[Figure], skipped: list[dict]) -> str:
    """Return the figures as a fixed-width text table, then the skipped figures with reasons."""
    header = ("figure", "value", "baseline", "base value", "ratio", "goal", "met")
    rows = []
    for f in figures:
        rows.append(
            (
                f.name,
                f"{_fmt(f.value)} {f.unit}".strip(),
                f.baseline or "-",
                f"{_fmt(f.baseline_value)} {f.baseline_unit or f.unit}".strip()
                if f.baseline
                else "-",
                "-" if f.ratio is None else f"{f.ratio:.2f}x",
                "-" if f.goal is None else f.goal.describe(f.unit),
                {True: "yes", False: "NO", None: "-"}[f.met],
            )
        )
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
    for item in skipped:
        lines.append(f"SKIPPED {item['name']}: {item['reason']}")
    return "\n".join(lines)


def write_results(
    path: Path, *, figures: list[Figure], skipped: list[dict], environment: dict, extra: dict
) -> None:
    """Write the report atomically (a reader never sees half a file)."""
    document = {
        "environment": environment,
        **extra,
        "figures": [f.as_json() for f in figures],
        "skipped": skipped,
        "goals_met": sum(1 for f in figures if f.met is True),
        "goals_missed": sum(1 for f in figures if f.met is False),
    }
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
    os.replace(tmp, path)
