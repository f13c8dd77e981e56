"""The bulk-charge figure's Django side, at a small size: it only runs in `make bench`, so a
change of the services it drives would otherwise show up at the end of a long run."""

import pytest

from bench import b2b_side
from merchant_portal.invariants import all_violations

pytestmark = pytest.mark.django_db


def test_the_b2b_figure_validates_charges_and_checks_a_small_batch(
    django_capture_on_commit_callbacks,
):
    seeded = b2b_side.seed(customers=4)
    made = b2b_side.create(merchant=seeded["merchant"])
    assert (made["rows"], made["rejected"], made["items"]) == (4, b2b_side.BAD_ROWS, 4)
    assert made["validate_s"] > 0

    ran = b2b_side.run(batch=made["batch"], start_at=0)
    assert ran["done"] == 4

    check = b2b_side.check(batch=made["batch"])
    assert check == {
        "status": "completed",
        "items": {"succeeded": 4},
        "captured_payments": 4,
        "double_charges": 0,
    }
    assert all_violations() == []
