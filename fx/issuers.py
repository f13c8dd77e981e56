"""The issuing country of a card, from its BIN (first six digits).

The sandbox cards are issued in the US unless a range below says otherwise. The country test
cards carry the ISO 3166 numeric code in their BIN: 4008 2600 0000 0004 is a Visa issued in the
United Kingdom (826), 4003 9200 0000 0008 one issued in Japan (392); JCB's test range is
Japanese. The first matching range wins.
"""

from __future__ import annotations

# (first BIN, last BIN, ISO 3166 country), inclusive, six digits.
BIN_COUNTRIES: tuple[tuple[int, int, str], ...] = (
    (400826, 400826, "GB"),
    (400392, 400392, "JP"),
    (352800, 358999, "JP"),  # JCB
)
# Where a BIN in no range is issued: the sandbox's home.
DEFAULT_COUNTRY = "US"


def card_country(first6: str) -> str:
    """Return the ISO 3166 country the card of BIN ``first6`` was issued in."""
    if len(first6) < 6 or not first6[:6].isdigit():
        return DEFAULT_COUNTRY
    bin_number = int(first6[:6])
    for low, high, country in BIN_COUNTRIES:
        if low <= bin_number <= high:
            return country
    return DEFAULT_COUNTRY


# The currency a card of each issuing country is billed in (DCC offers it to the shopper).
_EURO = "AT BE CY DE EE ES FI FR GR HR IE IT LT LU LV MT NL PT SI SK"
COUNTRY_CURRENCIES: dict[str, str] = {
    **dict.fromkeys(_EURO.split(), "EUR"),
    "US": "USD",
    "GB": "GBP",
    "JP": "JPY",
    "CA": "CAD",
    "AU": "AUD",
    "CH": "CHF",
    "SE": "SEK",
    "NO": "NOK",
    "DK": "DKK",
    "PL": "PLN",
}


def card_currency(first6: str) -> str:
    """Return the currency the card of BIN ``first6`` is billed in, or "" when unknown."""
    return COUNTRY_CURRENCIES.get(card_country(first6), "")
