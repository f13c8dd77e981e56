"""A merchant's configuration kept by other apps, read once per process and version.

Every payment reads its merchant's risk settings, rules and score model and its webhook
endpoints, which change a few times a month: four SELECTs per payment for rows that are nearly
always the ones read last time. Each writer of that configuration gives the merchant a new
``config_version`` (``merchant_config_changed``, from the owning app's save and delete
signals, in the writer's transaction); the merchant row, which every request loads anyway (the
API key's or the order's), carries it, so a payment finds the configuration here under the
current version, or reads it once.

The version is a random token, not a counter: a rolled-back change (or test) never brings back
a version whose configuration was different. Values kept here are shared by the process's
requests: callers only read them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from .models import Merchant
from .models.common import new_config_version

T = TypeVar("T")

# Enough for every merchant of a busy process several times over; the oldest go first.
_SIZE = 4096
_values: OrderedDict[tuple, object] = OrderedDict()
_lock = threading.Lock()


def merchant_config(merchant: Merchant, part: str, livemode: bool, load: Callable[[], T]) -> T:
    """Return ``part`` of ``merchant``'s configuration in ``livemode``, from ``load()`` the first
    time for the merchant's current version."""
    key = (merchant.pk, merchant.config_version, part, livemode)
    with _lock:
        if key in _values:
            _values.move_to_end(key)
            return _values[key]  # type: ignore[return-value]
    value = load()
    with _lock:
        _values[key] = value
        while len(_values) > _SIZE:
            _values.popitem(last=False)
    return value


def merchant_config_changed(merchant_id: int) -> str:
    """Give the merchant a new configuration version (in the caller's transaction); return it."""
    version = new_config_version()
    Merchant.objects.filter(pk=merchant_id).update(config_version=version)
    return version


def on_config_saved(sender, instance, **kwargs) -> None:
    """A ``post_save``/``post_delete`` receiver for configuration models with a ``merchant``."""
    version = merchant_config_changed(instance.merchant_id)
    if type(instance).merchant.is_cached(instance):
        # The caller's merchant object, if it passed one, sees the change too.
        instance.merchant.config_version = version
