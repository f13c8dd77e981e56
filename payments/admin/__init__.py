"""The back office's payment pages: scoped to the user's merchants, changed only by services.

Merchant staff see their own merchants' records; platform staff see all. Refunds, new API keys,
membership changes and order exports ask for a fresh code from the staff member's authenticator
(``backoffice.step_up``); every change is written to the audit log. One module
per concern registers its admins; importing this package registers them all.
"""

from . import events, merchants, orders, payments, refunds  # noqa: F401
