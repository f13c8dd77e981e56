import os

import django
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "merchant_portal.settings")
django.setup(set_prefix=False)

from .tracing import tracing_setup  # noqa: E402 - needs the settings loaded above

# In the process that serves (gunicorn loads this module in each worker, after the fork), and
# before the handler below loads the middleware: the Django instrumentation adds its own.
tracing_setup("web")
application = get_wsgi_application()

from .database import timeouts_apply  # noqa: E402

timeouts_apply("web")
