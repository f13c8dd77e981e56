"""The checkout speaks the shopper's language (Accept-Language, as its amounts already do):
English, German, French and Spanish, from committed catalogues that are compiled and complete."""

import pytest
from babel.messages.pofile import read_po

from scripts.compile_messages import LOCALE, compiled

from .conftest import pay_path

LANGUAGES = ("de", "fr", "es")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_checkout_message_is_translated(language):
    with (LOCALE / language / "LC_MESSAGES" / "django.po").open("rb") as po:
        catalog = read_po(po, locale=language)

    untranslated = [
        m.id
        for m in catalog
        if m.id and not all(m.string if isinstance(m.string, tuple) else (m.string,))
    ]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]

    assert untranslated == [] and fuzzy == []
    assert len(catalog) > 100


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_committed_mo_files_are_compiled_from_the_po_files(language):
    """The .mo files are committed (no gettext tools needed): after editing a .po file, run
    ``.venv/bin/python scripts/compile_messages.py``."""
    po_path = LOCALE / language / "LC_MESSAGES" / "django.po"

    assert po_path.with_suffix(".mo").read_bytes() == compiled(po_path)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "words", "amount"),
    [
        ("de-DE,de;q=0.9", ["Kartennummer", "Prüfnummer", "Sicherer Bezahlvorgang"], "1.234,50"),
        ("fr-FR,fr;q=0.9", ["Numéro de carte", "Cryptogramme", "Paiement sécurisé"], "234,50"),
        ("es-ES,es;q=0.9", ["Número de tarjeta", "Código de seguridad", "Pago seguro"], "234,50"),
    ],
)
def test_the_pay_page_is_in_the_language_its_amounts_follow(
    client, make_order, language, words, amount
):
    order = make_order(amount=123450, currency="EUR")

    response = client.get(pay_path(order), HTTP_ACCEPT_LANGUAGE=language)

    html = response.content.decode()
    assert response["Content-Language"] == language[:2]
    assert f'<html lang="{language[:2]}">' in html
    for word in words:
        assert word in html
    assert amount in html
    assert "Card number" not in html and "Secure checkout" not in html


@pytest.mark.django_db
def test_a_server_side_card_error_is_shown_in_german(client, make_order):
    order = make_order()

    response = client.post(
        pay_path(order),
        {
            "method": "card",
            "number": "4242424242424242",
            "exp": "12/35",
            "cvc": "",
            "holder_name": "A",
        },
        HTTP_ACCEPT_LANGUAGE="de",
    )

    assert "Geben Sie die Prüfnummer Ihrer Karte ein." in response.content.decode()


@pytest.mark.django_db
def test_a_decline_is_explained_in_french(client, make_order, submit_card):
    from tests.conftest import NO_FUNDS

    order = make_order()
    location = submit_card(order, number=NO_FUNDS)["Location"]

    html = client.get(location, HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert "Paiement refusé" in html
    assert "Les fonds de ce compte ne suffisent pas" in html
