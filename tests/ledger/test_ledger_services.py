import pytest
from django.db import IntegrityError, transaction

from ledger.errors import IdempotencyMismatch, InvalidEntry, UnbalancedEntry
from ledger.models import JournalEntry, LedgerAccount, Posting
from ledger.selectors import account_balance, ledger_violations
from ledger.services import Line, journal_post

pytestmark = pytest.mark.django_db

Kind = LedgerAccount.Kind


def capture_lines(amount=1000, currency="USD", merchant="mer_abc123"):
    return [
        Line("bank_sandbox", Kind.INSTITUTION_RECEIVABLE, currency, amount),
        Line(merchant, Kind.MERCHANT_PENDING, currency, -amount),
    ]


def nothing_written():
    return not (
        JournalEntry.objects.exists() or Posting.objects.exists() or LedgerAccount.objects.exists()
    )


@pytest.fixture(autouse=True)
def _sound_ledger():
    yield
    assert ledger_violations() == []


def test_balanced_entry_is_written_with_its_postings_and_accounts():
    entry = journal_post(
        kind=JournalEntry.Kind.CAPTURE,
        reference="pay_1",
        lines=capture_lines(),
        description="capture pay_1",
    )

    assert (entry.kind, entry.reference, entry.description) == ("capture", "pay_1", "capture pay_1")
    postings = sorted(entry.postings.values_list("account__owner", "account__kind", "amount"))
    assert postings == [
        ("bank_sandbox", "institution_receivable", 1000),
        ("mer_abc123", "merchant_pending", -1000),
    ]
    assert set(entry.postings.values_list("currency", flat=True)) == {"USD"}
    assert LedgerAccount.objects.count() == 2


def test_accounts_are_reused_across_entries():
    journal_post(kind="capture", reference="pay_1", lines=capture_lines())
    journal_post(kind="capture", reference="pay_2", lines=capture_lines(amount=500))

    assert LedgerAccount.objects.count() == 2
    assert Posting.objects.count() == 4


def test_entry_may_span_currencies_when_each_balances():
    journal_post(
        kind="adjustment",
        reference="adj_fx",
        lines=capture_lines(1000, "USD") + capture_lines(150_000, "JPY"),
    )

    assert account_balance(owner="mer_abc123", kind="merchant_pending", currency="JPY") == -150_000


def test_unbalanced_entry_is_rejected_and_nothing_written():
    lines = [*capture_lines(), Line("platform", Kind.PLATFORM_FEES, "USD", -30)]

    with pytest.raises(UnbalancedEntry) as excinfo:
        journal_post(kind="capture", reference="pay_1", lines=lines)

    assert excinfo.value.totals == {"USD": -30}
    assert excinfo.value.code == "unbalanced_entry"
    assert nothing_written()


def test_entry_balanced_overall_but_not_per_currency_is_rejected():
    lines = [
        Line("bank_sandbox", Kind.INSTITUTION_RECEIVABLE, "USD", 1000),
        Line("mer_abc123", Kind.MERCHANT_PENDING, "EUR", -1000),
    ]

    with pytest.raises(UnbalancedEntry):
        journal_post(kind="capture", reference="pay_1", lines=lines)

    assert nothing_written()


NOT_INT = "A posting amount is a non-zero int, not"


@pytest.mark.parametrize(
    ("kind", "lines", "message"),
    [
        ("capture", [], "A journal entry needs postings."),
        ("teleport", capture_lines(), "Unknown journal entry kind: 'teleport'."),
        ("capture", [Line("a", Kind.PLATFORM_CASH, "USD", 0), Line("b", Kind.PLATFORM_CASH, "USD", 0)], f"{NOT_INT} 0."),
        ("capture", [Line("a", "cash", "USD", 5), Line("b", Kind.PLATFORM_CASH, "USD", -5)], "Unknown ledger account kind: 'cash'."),
        ("capture", [Line("", Kind.PLATFORM_CASH, "USD", 5), Line("b", Kind.PLATFORM_CASH, "USD", -5)], "A ledger account needs an owner."),
        ("capture", capture_lines(currency="usd"), "Not an ISO 4217 currency code: 'usd'."),
        ("capture", [Line("a", Kind.PLATFORM_CASH, "USD", 5.0), Line("b", Kind.PLATFORM_CASH, "USD", -5.0)], f"{NOT_INT} 5.0."),
        ("capture", [Line("a", Kind.PLATFORM_CASH, "USD", True), Line("b", Kind.PLATFORM_CASH, "USD", -1)], f"{NOT_INT} True."),
    ],
)  # fmt: skip
def test_malformed_entries_are_rejected_saying_why_and_nothing_written(kind, lines, message):
    with pytest.raises(InvalidEntry) as rejected:
        journal_post(kind=kind, reference="pay_1", lines=lines)

    assert rejected.value.message == message
    assert nothing_written()


def test_an_entry_posted_without_a_description_has_none():
    entry = journal_post(kind="capture", reference="pay_1", lines=capture_lines())

    entry.refresh_from_db()
    assert entry.description == ""


def test_same_idempotency_key_posts_once():
    first = journal_post(
        kind="capture", reference="pay_1", lines=capture_lines(), idempotency_key="capture:pay_1"
    )
    second = journal_post(
        kind="capture", reference="pay_1", lines=capture_lines(), idempotency_key="capture:pay_1"
    )

    assert second.pk == first.pk
    assert JournalEntry.objects.count() == 1
    assert Posting.objects.count() == 2
    assert account_balance(owner="mer_abc123", kind="merchant_pending", currency="USD") == -1000


def test_idempotency_key_reused_for_another_movement_is_refused():
    journal_post(
        kind="capture", reference="pay_1", lines=capture_lines(), idempotency_key="capture:pay_1"
    )

    with pytest.raises(IdempotencyMismatch, match="'capture:pay_1' was already used"):
        journal_post(
            kind="capture",
            reference="pay_1",
            lines=capture_lines(amount=999),
            idempotency_key="capture:pay_1",
        )

    assert Posting.objects.count() == 2


def test_a_retry_with_a_repeated_line_posted_once_is_another_movement():
    """Two identical lines move twice the money: a retry with one of each is not the same."""
    twice = capture_lines(amount=50) * 2
    journal_post(kind="capture", reference="pay_1", lines=twice, idempotency_key="k")

    with pytest.raises(IdempotencyMismatch):
        journal_post(
            kind="capture", reference="pay_1", lines=capture_lines(50), idempotency_key="k"
        )
    assert Posting.objects.count() == 4


def test_entries_without_idempotency_key_may_repeat():
    journal_post(kind="capture", reference="pay_1", lines=capture_lines())
    journal_post(kind="capture", reference="pay_1", lines=capture_lines())

    assert JournalEntry.objects.count() == 2


def test_a_used_key_stopped_by_the_unique_index_leaves_the_callers_transaction_usable():
    """No pre-check: the key's unique index stops the second write, inside a savepoint."""
    first = journal_post(
        kind="capture", reference="pay_1", lines=capture_lines(), idempotency_key="k1"
    )

    with transaction.atomic():
        again = journal_post(
            kind="capture", reference="pay_1", lines=capture_lines(), idempotency_key="k1"
        )
        # The failed insert was rolled back to its savepoint: the outer transaction goes on.
        assert JournalEntry.objects.count() == 1
        LedgerAccount.objects.get_or_create(owner="m_x", kind="merchant_pending", currency="EUR")

    assert again.pk == first.pk
    assert Posting.objects.count() == 2


def test_entry_rolls_back_with_the_callers_transaction():
    class Boom(Exception):
        pass

    def capture_then_fail():
        with transaction.atomic():
            journal_post(kind="capture", reference="pay_1", lines=capture_lines())
            raise Boom

    with pytest.raises(Boom):
        capture_then_fail()

    assert nothing_written()


def test_rejected_entry_leaves_the_callers_transaction_usable():
    with transaction.atomic():
        journal_post(kind="capture", reference="pay_1", lines=capture_lines())
        with pytest.raises(UnbalancedEntry):
            journal_post(kind="refund", reference="ref_1", lines=capture_lines()[:1])
        journal_post(kind="capture", reference="pay_2", lines=capture_lines())

    assert JournalEntry.objects.count() == 2


def test_database_refuses_a_lower_case_currency():
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerAccount.objects.create(owner="platform", kind=Kind.PLATFORM_CASH, currency="usd")


def test_database_refuses_a_zero_posting():
    entry = journal_post(kind="capture", reference="pay_1", lines=capture_lines())
    account = LedgerAccount.objects.first()

    with pytest.raises(IntegrityError), transaction.atomic():
        Posting.objects.create(entry=entry, account=account, amount=0, currency="USD")


def test_database_refuses_a_second_account_for_the_same_owner_kind_and_currency():
    LedgerAccount.objects.create(owner="platform", kind=Kind.PLATFORM_CASH, currency="USD")

    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerAccount.objects.create(owner="platform", kind=Kind.PLATFORM_CASH, currency="USD")
