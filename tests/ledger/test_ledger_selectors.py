import pytest

from ledger.models import JournalEntry, LedgerAccount, Posting
from ledger.selectors import (
    account_balance,
    balances_for_owner,
    ledger_imbalance,
    ledger_violations,
)
from ledger.services import Line, journal_post

pytestmark = pytest.mark.django_db

Kind = LedgerAccount.Kind
MERCHANT = "mer_abc123"


@pytest.fixture
def captured_and_partly_refunded():
    """1000 USD captured with a 30 fee, then 400 refunded; 5000 JPY captured."""
    journal_post(
        kind="capture",
        reference="pay_1",
        lines=[
            Line("bank_sandbox", Kind.INSTITUTION_RECEIVABLE, "USD", 1000),
            Line(MERCHANT, Kind.MERCHANT_PENDING, "USD", -970),
            Line("platform", Kind.PLATFORM_FEES, "USD", -30),
        ],
    )
    journal_post(
        kind="refund",
        reference="ref_1",
        lines=[
            Line(MERCHANT, Kind.MERCHANT_PENDING, "USD", 400),
            Line("bank_sandbox", Kind.INSTITUTION_RECEIVABLE, "USD", -400),
        ],
    )
    journal_post(
        kind="capture",
        reference="pay_2",
        lines=[
            Line("wallet_sandbox", Kind.INSTITUTION_RECEIVABLE, "JPY", 5000),
            Line(MERCHANT, Kind.MERCHANT_PENDING, "JPY", -5000),
        ],
    )


def test_account_balance_is_the_sum_of_its_postings(captured_and_partly_refunded):
    assert account_balance(owner=MERCHANT, kind=Kind.MERCHANT_PENDING, currency="USD") == -570
    assert account_balance(owner="platform", kind=Kind.PLATFORM_FEES, currency="USD") == -30
    assert (
        account_balance(owner="bank_sandbox", kind=Kind.INSTITUTION_RECEIVABLE, currency="USD")
        == 600
    )


def test_unused_account_has_a_zero_balance(captured_and_partly_refunded):
    assert account_balance(owner=MERCHANT, kind=Kind.MERCHANT_PAYABLE, currency="USD") == 0
    assert account_balance(owner="mer_other", kind=Kind.MERCHANT_PENDING, currency="USD") == 0


def test_balances_for_owner_by_kind_and_currency(captured_and_partly_refunded):
    assert balances_for_owner(owner=MERCHANT) == {
        ("merchant_pending", "USD"): -570,
        ("merchant_pending", "JPY"): -5000,
    }
    assert balances_for_owner(owner="mer_other") == {}


def test_whole_ledger_sums_to_zero(captured_and_partly_refunded):
    for currency in ("USD", "JPY"):
        postings = Posting.objects.filter(currency=currency)
        assert sum(postings.values_list("amount", flat=True)) == 0


def test_sound_ledger_has_no_violations(captured_and_partly_refunded, django_assert_num_queries):
    with django_assert_num_queries(3):
        assert ledger_violations() == []


def test_corrupt_entry_written_around_the_service_is_detected(captured_and_partly_refunded):
    entry = JournalEntry.objects.get(reference="pay_1")
    fees = LedgerAccount.objects.get(owner="platform", kind=Kind.PLATFORM_FEES)
    Posting.objects.create(entry=entry, account=fees, amount=-5, currency="USD")

    assert ledger_violations() == [f"journal entry {entry.pk}: USD postings sum to -5, not 0"]


def test_entry_without_postings_is_detected():
    entry = JournalEntry.objects.create(kind="adjustment", reference="adj_1")

    assert ledger_violations() == [f"journal entry {entry.pk}: no postings"]


def test_posting_in_another_currency_than_its_account_is_detected(captured_and_partly_refunded):
    usd_account = LedgerAccount.objects.get(owner=MERCHANT, currency="USD")
    jpy_account = LedgerAccount.objects.get(owner=MERCHANT, currency="JPY")
    entry = JournalEntry.objects.create(kind="adjustment", reference="adj_1")
    wrong = Posting.objects.create(entry=entry, account=usd_account, amount=7, currency="EUR")
    Posting.objects.create(entry=entry, account=jpy_account, amount=-7, currency="EUR")

    violations = ledger_violations()

    assert len(violations) == 2
    assert violations[0] == (
        f"posting {wrong.pk} of journal entry {entry.pk}: currency EUR differs from its account's USD"
    )


def test_a_sound_ledger_is_imbalanced_by_nothing_in_each_of_its_currencies(
    captured_and_partly_refunded,
):
    assert ledger_imbalance() == {"USD": 0, "JPY": 0}


def test_imbalance_adds_up_each_unbalanced_entry_in_its_own_currency(captured_and_partly_refunded):
    fees = LedgerAccount.objects.get(owner="platform", kind=Kind.PLATFORM_FEES, currency="USD")
    pending = LedgerAccount.objects.get(owner=MERCHANT, kind=Kind.MERCHANT_PENDING, currency="USD")
    Posting.objects.create(
        entry=JournalEntry.objects.get(reference="pay_1"), account=fees, amount=-5, currency="USD"
    )
    Posting.objects.create(
        entry=JournalEntry.objects.get(reference="ref_1"), account=pending, amount=3, currency="USD"
    )

    # -5 on one entry and +3 on another do not cancel out: each entry is off on its own
    assert ledger_imbalance() == {"USD": 8, "JPY": 0}


def test_an_entry_off_by_one_minor_unit_is_imbalanced(captured_and_partly_refunded):
    fees = LedgerAccount.objects.get(owner="platform", kind=Kind.PLATFORM_FEES, currency="USD")
    entry = JournalEntry.objects.get(reference="pay_1")
    Posting.objects.create(entry=entry, account=fees, amount=1, currency="USD")

    assert ledger_imbalance() == {"USD": 1, "JPY": 0}


def test_an_entry_is_balanced_per_currency_not_across_currencies(captured_and_partly_refunded):
    """+5 USD and -5 JPY in one entry add up to 0, yet each currency is off by 5."""
    usd = LedgerAccount.objects.get(owner="platform", kind=Kind.PLATFORM_FEES, currency="USD")
    jpy = LedgerAccount.objects.get(owner=MERCHANT, kind=Kind.MERCHANT_PENDING, currency="JPY")
    entry = JournalEntry.objects.create(kind="adjustment", reference="adj_mixed")
    Posting.objects.create(entry=entry, account=usd, amount=5, currency="USD")
    Posting.objects.create(entry=entry, account=jpy, amount=-5, currency="JPY")

    assert ledger_imbalance() == {"USD": 5, "JPY": 5}


def test_an_empty_ledger_has_no_currency_to_report():
    assert ledger_imbalance() == {}


def test_unbalanced_entries_are_listed_in_entry_order(captured_and_partly_refunded):
    first, second = JournalEntry.objects.filter(kind="capture").order_by("pk")  # USD, then JPY
    merchant_usd = LedgerAccount.objects.get(owner=MERCHANT, currency="USD")
    merchant_jpy = LedgerAccount.objects.get(owner=MERCHANT, currency="JPY")
    Posting.objects.create(entry=first, account=merchant_usd, amount=3, currency="USD")
    Posting.objects.create(entry=second, account=merchant_jpy, amount=4, currency="JPY")

    assert ledger_violations() == [
        f"journal entry {first.pk}: USD postings sum to 3, not 0",
        f"journal entry {second.pk}: JPY postings sum to 4, not 0",
    ]
