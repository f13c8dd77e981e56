"""Webhook fan-out (filled in by the webhooks work): create one delivery per subscribed endpoint."""


def deliveries_create_for_event(*, event_pk: int) -> list:
    return []
