"""Signals other apps connect to, so that payments never imports them."""

from django.dispatch import Signal

#: Sent once the transaction that recorded events has committed (at once for an event recorded
#: outside a transaction), with ``event_pks``: their ids, in the order they were recorded. Ids of
#: events whose savepoint rolled back may be among them: read the events back, and those are
#: not found.
events_committed = Signal()

#: Sent by ``event_record`` with ``event`` (just inserted), inside the transaction that recorded
#: it: what a receiver writes commits or rolls back with the event. Keep receivers cheap, they run
#: under the caller's row locks.
event_recorded = Signal()

#: Sent with ``events`` (just inserted by one statement, in the order recorded) before
#: ``event_recorded`` is sent for each: for a receiver whose work for many events is cheaper done
#: at once (one read and one write for a batch of renewals). Same rules as ``event_recorded``.
events_recorded = Signal()

#: Sent by the back office's order page with ``request``, ``order`` and ``object_ids`` (the public
#: ids of the order, its payments and refunds). A receiver returns HTML to show under the
#: order's events (or None).
order_page_sections = Signal()
