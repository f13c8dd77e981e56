import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "merchant_portal.settings")
application = get_wsgi_application()

from .database import timeouts_apply  # noqa: E402 - needs the settings loaded above

timeouts_apply("web")
