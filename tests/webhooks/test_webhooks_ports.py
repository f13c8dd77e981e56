"""Webhook URLs reach web ports only (issue 17, point 8): 443 and 8443 in production."""

from __future__ import annotations

import pytest

from payments.errors import ValidationFailed
from webhooks.admin import EndpointForm
from webhooks.models import WebhookEndpoint
from webhooks.transport import post

pytestmark = pytest.mark.django_db

BASE = "/api/v1/webhook-endpoints"


@pytest.fixture
def production_urls(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False


@pytest.mark.parametrize(
    "url",
    ["https://1.1.1.1:22/", "https://1.1.1.1:25/x", "https://1.1.1.1:6379/", "https://1.1.1.1:80/"],
)
def test_a_url_on_another_port_is_refused_with_its_own_code(make_endpoint, production_urls, url):
    with pytest.raises(ValidationFailed) as caught:
        make_endpoint(url=url)

    [error] = caught.value.errors
    assert (error.field, error.code) == ("url", "port_not_allowed")
    assert "443" in error.message and "8443" in error.message


@pytest.mark.parametrize(
    "url", ["https://1.1.1.1/hooks", "https://1.1.1.1:443/hooks", "https://1.1.1.1:8443/hooks"]
)
def test_web_ports_are_accepted(make_endpoint, production_urls, url):
    endpoint, _ = make_endpoint(url=url)

    assert endpoint.url == url


def test_any_port_is_accepted_when_private_urls_are_allowed(make_endpoint, receiver):
    endpoint, _ = make_endpoint()  # the local receiver listens on a random high port

    assert endpoint.url == receiver.url


def test_the_api_refuses_a_port_beside_the_url_field(api, production_urls):
    response = api.post(
        BASE, {"url": "https://1.1.1.1:22/", "enabled_events": ["*"]}, format="json"
    )

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("url", "port_not_allowed")
    assert not WebhookEndpoint.objects.exists()


def test_the_admin_form_shows_the_port_refusal_beside_the_url(merchant, production_urls):
    form = EndpointForm(
        data={
            "merchant": merchant.pk,
            "url": "https://1.1.1.1:22/",
            "enabled_events": ["*"],
            "enabled": "on",
        }
    )

    assert not form.is_valid()
    assert "443" in form.errors["url"][0]


def test_a_stored_url_on_another_port_is_refused_at_delivery(production_urls):
    outcome = post("https://1.1.1.1:22/", body=b"{}", headers={})

    assert outcome.status_code is None
    assert outcome.error.startswith("Refused:") and "port" in outcome.error
