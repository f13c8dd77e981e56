"""The project's settings plus the baseline endpoints, for the processes ``make bench`` starts.

Selected by ``DJANGO_SETTINGS_MODULE=bench.settings`` (``bench.context.Bench.env``); the
project itself never installs the baseline app.
"""

from merchant_portal.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "bench.baseline"]  # noqa: F405
ROOT_URLCONF = "bench.urls"
