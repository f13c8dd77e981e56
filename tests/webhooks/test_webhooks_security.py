"""URL safety at registration and delivery, secret storage and rotation."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from payments.errors import ValidationFailed
from payments.models import Event
from payments.vault import secret_decrypt
from tests.conftest import event_deliveries
from webhooks.services import webhook_endpoint_rotate_secret
from webhooks.tasks import webhook_deliver_task

REFUSED_URLS = [
    "http://93.184.216.34/hooks",  # plain http
    "https://127.0.0.1/hooks",
    "https://localhost/hooks",
    "https://10.1.2.3/hooks",
    "https://172.16.0.1/hooks",
    "https://192.168.1.1/hooks",
    "https://100.64.0.1/hooks",  # carrier-grade NAT
    "https://169.254.169.254/latest/meta-data",
    "https://0.0.0.0/hooks",
    "https://224.0.0.1/hooks",
    "https://240.0.0.1/hooks",
    "https://[::1]/hooks",
    "https://[::]/hooks",
    "https://[fe80::1]/hooks",
    "https://[fc00::1]/hooks",
    "https://[ff02::1]/hooks",
    "https://[::ffff:127.0.0.1]/hooks",
    "https://[::ffff:10.0.0.1]/hooks",
    "https://[2002:7f00:1::]/hooks",  # 6to4 wrapping 127.0.0.1
    "https://user:secret@93.184.216.34/hooks",
    "ftp://93.184.216.34/hooks",
    "not a url",
]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_private_or_unsafe_urls_are_refused_at_registration(make_endpoint, settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False

    with pytest.raises(ValidationFailed) as caught:
        make_endpoint(url=url)

    assert [(e.field, e.code) for e in caught.value.errors] == [("url", "invalid_url")]


@pytest.mark.parametrize(
    "url", ["https://93.184.216.34/hooks", "https://[2606:4700:4700::1111]:8443/hooks?x=1"]
)
def test_public_https_urls_are_accepted(make_endpoint, settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False

    endpoint, secret = make_endpoint(url=url)

    assert endpoint.url == url
    assert secret.startswith("whsec_")


def test_local_http_receivers_are_accepted_when_the_setting_allows(make_endpoint, receiver):
    endpoint, _ = make_endpoint()

    assert endpoint.url == receiver.url


@pytest.mark.parametrize(
    "scheme_host", ["https://127.0.0.1", "https://localhost", "http://127.0.0.1"]
)
def test_private_address_is_refused_again_at_delivery(
    make_endpoint, receiver, order, settings, scheme_host
):
    port = receiver.url.split(":")[2].split("/")[0]
    endpoint, _ = make_endpoint(url=f"{scheme_host}:{port}/hooks")  # allowed when registered
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    event = Event.objects.get(object_id=order.public_id, type="order.created")
    (delivery,) = event_deliveries(event.pk)

    webhook_deliver_task(delivery.pk)

    attempt = delivery.attempts.get()
    assert attempt.error.startswith("Refused:")
    assert attempt.status_code is None
    assert receiver.requests == []


def test_secret_is_stored_encrypted_and_bound_to_its_endpoint(make_endpoint):
    endpoint, secret = make_endpoint()
    other, _ = make_endpoint()

    assert secret not in endpoint.secret_encrypted
    assert secret_decrypt(endpoint.secret_encrypted, context=endpoint.public_id) == secret
    with pytest.raises(Exception):  # noqa: B017,PT011 - AES-GCM's InvalidTag
        secret_decrypt(endpoint.secret_encrypted, context=other.public_id)


def test_a_delivery_logs_neither_the_urls_query_nor_the_secret(
    make_endpoint, receiver, make_order, caplog
):
    """A receiver's URL may carry a token in its query (as the audit log assumes): the HTTP
    client's own request lines, which print the whole URL, stay out of the logs."""
    import logging

    caplog.set_level(logging.DEBUG)
    _, secret = make_endpoint(url=receiver.url + "?token=tok_receiver_only")

    _deliver(make_order())

    assert receiver.requests, "the event should have been delivered"
    assert "tok_receiver_only" not in caplog.text
    assert secret.removeprefix("whsec_") not in caplog.text


def _deliver(order):
    event = Event.objects.get(object_id=order.public_id, type="order.created")
    (delivery,) = event_deliveries(event.pk)
    webhook_deliver_task(delivery.pk)


def test_rotation_sends_both_signatures_for_24_hours_then_only_the_new(
    make_endpoint, receiver, make_order
):
    endpoint, old_secret = make_endpoint()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        endpoint, new_secret = webhook_endpoint_rotate_secret(endpoint=endpoint)
        _deliver(make_order())
        during = receiver.requests[-1]
        assert len(during.headers["webhook-signature"].split(" ")) == 2
        Webhook(old_secret).verify(during.body, during.headers)
        Webhook(new_secret).verify(during.body, during.headers)

    with time_machine.travel(start + timedelta(hours=24, minutes=1), tick=False):
        _deliver(make_order())
        after = receiver.requests[-1]
        assert len(after.headers["webhook-signature"].split(" ")) == 1
        Webhook(new_secret).verify(after.body, after.headers)
        with pytest.raises(WebhookVerificationError):
            Webhook(old_secret).verify(after.body, after.headers)

    assert new_secret != old_secret


def test_connection_goes_to_the_resolved_address_keeping_the_host_name(
    make_endpoint, receiver, order
):
    port = receiver.url.split(":")[2].split("/")[0]
    make_endpoint(url=f"http://localhost:{port}/hooks")

    _deliver(order)

    (request,) = receiver.requests
    assert request.headers["host"] == f"localhost:{port}"
