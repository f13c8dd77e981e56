"""Saving the same fields of many rows in a few statements (the batch paths of billing)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import models


def rows_update(objs: Sequence[models.Model], fields: Sequence[str]) -> int:
    """Save ``fields`` of ``objs`` (instances of one model): one UPDATE per distinct set of values.

    A batch of renewals shares its periods, statuses and times, so a few UPDATEs save hundreds
    of rows; ``bulk_update`` would build a CASE branch per row and field, which costs more
    Python than the rows it saves. Return how many rows were updated.
    """
    if not objs:
        return 0
    model = type(objs[0])
    attnames = [model._meta.get_field(name).attname for name in fields]
    groups: dict[tuple, list] = {}
    alone: list[tuple[object, tuple]] = []  # rows with an unhashable value (JSON)
    for obj in objs:
        values = tuple(getattr(obj, attname) for attname in attnames)
        try:
            groups.setdefault(values, []).append(obj.pk)
        except TypeError:
            alone.append((obj.pk, values))
    updates = [(pks, values) for values, pks in groups.items()]
    updates += [([pk], values) for pk, values in alone]
    updated = 0
    for pks, values in updates:
        rows = model._default_manager.filter(pk__in=pks)
        updated += rows.update(**dict(zip(attnames, values, strict=True)))
    return updated
