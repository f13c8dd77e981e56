"""`journal_post_many`: many journal entries with `journal_post`'s guarantees, in few queries."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from ledger.errors import IdempotencyMismatch, InvalidEntry, UnbalancedEntry
from ledger.models import JournalEntry, LedgerAccount, Posting
from ledger.selectors import account_balance, ledger_violations
from ledger.services import EntryInput, Line, journal_post, journal_post_many

Kind = LedgerAccount.Kind


def settlement(merchant, amount=1000, fee=30, key=None, reference=None):
    """A balanced entry: the merchant's pending pays the fees and the payable."""
    return EntryInput(
        kind="settlement",
        reference=reference or f"stl_{merchant}",
        description=f"Settlement of {merchant}",
        idempotency_key=key,
        lines=[
            Line(merchant, Kind.MERCHANT_PENDING, "USD", amount),
            Line(merchant, Kind.PLATFORM_FEES, "USD", -fee),
            Line(merchant, Kind.MERCHANT_PAYABLE, "USD", fee - amount),
        ],
    )


def nothing_written():
    return not (
        JournalEntry.objects.exists() or Posting.objects.exists() or LedgerAccount.objects.exists()
    )


@pytest.mark.django_db
class TestOnEveryDatabase:
    @pytest.fixture(autouse=True)
    def _sound_ledger(self):
        yield
        assert ledger_violations() == []

    def test_balanced_entries_are_written_with_their_postings_in_the_order_given(self):
        entries = [settlement("mer_a", 1000), settlement("mer_b", 500, fee=15)]

        written = journal_post_many(entries)

        assert [(e.kind, e.reference) for e in written] == [
            ("settlement", "stl_mer_a"),
            ("settlement", "stl_mer_b"),
        ]
        assert written[0].description == "Settlement of mer_a"
        assert JournalEntry.objects.count() == 2
        assert sorted(written[1].postings.values_list("account__kind", "amount")) == [
            ("merchant_payable", -485),
            ("merchant_pending", 500),
            ("platform_fees", -15),
        ]
        assert account_balance(owner="mer_a", kind="merchant_payable", currency="USD") == -970

    def test_new_accounts_are_created_once_and_existing_ones_reused(self):
        journal_post_many([settlement("mer_a")])  # mer_a's three accounts exist from here on

        journal_post_many([settlement("mer_a"), settlement("mer_b"), settlement("mer_b", 700)])

        assert LedgerAccount.objects.count() == 6
        assert LedgerAccount.objects.filter(owner="mer_b").count() == 3
        assert account_balance(owner="mer_a", kind="merchant_pending", currency="USD") == 2000
        assert account_balance(owner="mer_b", kind="merchant_pending", currency="USD") == 1700

    def test_an_unbalanced_entry_is_named_and_nothing_of_the_call_is_written(self):
        lopsided = EntryInput(
            kind="settlement",
            reference="stl_bad",
            lines=[Line("mer_b", Kind.MERCHANT_PENDING, "USD", 1000)],
        )

        with pytest.raises(UnbalancedEntry) as excinfo:
            journal_post_many([settlement("mer_a"), lopsided, settlement("mer_c")])

        assert excinfo.value.totals == {"USD": 1000}
        assert excinfo.value.entry == 1
        assert "Entry 1 ('stl_bad')" in excinfo.value.message
        assert nothing_written()

    def test_a_malformed_entry_is_named_and_nothing_of_the_call_is_written(self):
        bad = EntryInput(kind="teleport", reference="stl_odd", lines=settlement("mer_b").lines)

        with pytest.raises(InvalidEntry) as excinfo:
            journal_post_many([settlement("mer_a"), bad])

        assert excinfo.value.entry == 1
        assert "stl_odd" in excinfo.value.message
        assert nothing_written()

    def test_an_entry_whose_key_was_used_returns_the_entry_written_then(self):
        first = journal_post(
            kind="settlement",
            reference="stl_mer_a",
            lines=settlement("mer_a").lines,
            idempotency_key="settlement:a",
        )

        written = journal_post_many(
            [settlement("mer_b", key="settlement:b"), settlement("mer_a", key="settlement:a")]
        )

        assert written[1].pk == first.pk
        assert written[0].reference == "stl_mer_b"
        assert JournalEntry.objects.count() == 2
        assert account_balance(owner="mer_a", kind="merchant_pending", currency="USD") == 1000

    def test_replaying_a_whole_call_writes_nothing_again(self):
        entries = [settlement(m, key=f"settlement:{m}") for m in ("mer_a", "mer_b", "mer_c")]
        first = journal_post_many(entries)

        again = journal_post_many(entries)

        assert [e.pk for e in again] == [e.pk for e in first]
        assert JournalEntry.objects.count() == 3
        assert Posting.objects.count() == 9

    def test_the_same_key_twice_in_one_call_is_written_once(self):
        entry = settlement("mer_a", key="settlement:a")

        written = journal_post_many([entry, settlement("mer_b"), entry])

        assert written[0].pk == written[2].pk
        assert JournalEntry.objects.count() == 2

    def test_a_used_key_for_another_movement_is_refused_and_nothing_of_the_call_written(self):
        journal_post_many([settlement("mer_a", 1000, key="settlement:a")])

        with pytest.raises(IdempotencyMismatch):
            journal_post_many(
                [
                    settlement("mer_b", key="settlement:b"),
                    settlement("mer_a", 999, key="settlement:a"),
                ]
            )

        assert JournalEntry.objects.count() == 1
        assert not LedgerAccount.objects.filter(owner="mer_b").exists()

    def test_one_key_for_two_movements_in_one_call_is_refused_before_writing(self):
        with pytest.raises(IdempotencyMismatch) as excinfo:
            journal_post_many(
                [settlement("mer_a", 1000, key="k"), settlement("mer_a", 999, key="k")]
            )

        assert excinfo.value.entry == 1
        assert excinfo.value.message == (
            "Entry 1 ('stl_mer_a'): Idempotency key 'k' is given to two different movements"
            " (entries 0 and 1)."
        )
        assert nothing_written()

    def test_entries_are_inserted_in_key_order_keyless_last_and_returned_as_given(self):
        """Every caller inserts its keys in one order, so two calls waiting on each other's
        uncommitted keys cannot deadlock (the insertion order shows in the ids)."""
        written = journal_post_many(
            [
                settlement("mer_b", key="k:b"),
                settlement("mer_c"),
                settlement("mer_a", key="k:a"),
                settlement("mer_d"),
            ]
        )

        assert [e.reference for e in written] == [
            "stl_mer_b",
            "stl_mer_c",
            "stl_mer_a",
            "stl_mer_d",
        ]
        inserted = sorted(written, key=lambda entry: entry.pk)
        assert [e.reference for e in inserted] == [
            "stl_mer_a",
            "stl_mer_b",
            "stl_mer_c",
            "stl_mer_d",
        ]

    def test_a_refused_call_leaves_the_callers_transaction_usable(self):
        journal_post_many([settlement("mer_a", key="settlement:a")])

        with transaction.atomic():
            with pytest.raises(IdempotencyMismatch):
                journal_post_many([settlement("mer_a", 5, fee=1, key="settlement:a")])
            journal_post_many([settlement("mer_b")])

        assert JournalEntry.objects.count() == 2

    def test_the_entries_roll_back_with_the_callers_transaction(self):
        class Boom(Exception):
            pass

        def post_then_fail():
            with transaction.atomic():
                journal_post_many([settlement("mer_a"), settlement("mer_b")])
                raise Boom

        with pytest.raises(Boom):
            post_then_fail()

        assert nothing_written()

    def test_no_entries_write_nothing(self):
        assert journal_post_many([]) == []
        assert nothing_written()

    @pytest.mark.parametrize("used", [False, True], ids=["fresh keys", "used keys"])
    def test_the_number_of_queries_does_not_depend_on_the_number_of_entries(self, used):
        def queries(merchants: list[str]) -> int:
            entries = [settlement(m, key=f"settlement:{m}") for m in merchants]
            if used:
                journal_post_many(entries[::2])  # every other key was used by an earlier call
            with CaptureQueriesContext(connection) as captured:
                journal_post_many(entries)
            return len(captured)

        few = queries([f"mer_{i}" for i in range(2)])
        many = queries([f"mer_{i}" for i in range(100, 140)])

        assert few == many
        # The entries (used keys skipped), the postings finding their accounts; new accounts:
        # their INSERT, a DELETE of the postings found short and the postings again; used keys:
        # two lookups of the entries written then.
        assert many <= (7 if used else 5)

    def test_an_entry_on_known_accounts_takes_two_statements_and_no_savepoint(self):
        journal_post_many([settlement("mer_a", key="first")])

        with CaptureQueriesContext(connection) as captured:
            journal_post_many([settlement("mer_a", key="second")])

        statements = [q["sql"].split()[0] for q in captured]
        assert statements == ["INSERT", "INSERT"]
        assert account_balance(owner="mer_a", kind="merchant_pending", currency="USD") == 2000


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_calls_with_the_same_keys_write_each_entry_once():
    entries = [settlement(f"mer_{i}", key=f"settlement:{i}") for i in range(20)]
    barrier = threading.Barrier(4)

    def post(i):
        barrier.wait()
        try:
            # Each caller in its own order; the keys are inserted sorted, so none deadlocks.
            with transaction.atomic():
                return [e.pk for e in journal_post_many(entries[i:] + entries[:i])]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(post, range(4)))

    assert JournalEntry.objects.count() == 20
    assert Posting.objects.count() == 60
    assert LedgerAccount.objects.count() == 60
    assert all(sorted(pks) == sorted(results[0]) for pks in results)
    assert ledger_violations() == []
