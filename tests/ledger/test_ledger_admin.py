import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import RequestFactory

from ledger.models import JournalEntry, LedgerAccount
from ledger.services import Line, journal_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_request():
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    request = RequestFactory().get("/admin/")
    request.user = user
    # What django-otp's middleware adds once the staff user has entered a TOTP code.
    user.is_verified = lambda: True
    return request


@pytest.fixture
def entry():
    return journal_post(
        kind="capture",
        reference="pay_1",
        lines=[
            Line("bank_sandbox", LedgerAccount.Kind.INSTITUTION_RECEIVABLE, "USD", 1000),
            Line("mer_abc123", LedgerAccount.Kind.MERCHANT_PENDING, "USD", -1000),
        ],
    )


@pytest.mark.parametrize("model", [LedgerAccount, JournalEntry])
def test_ledger_admin_is_read_only(model, staff_request, entry):
    model_admin = admin.site.get_model_admin(model)
    obj = model.objects.first()

    assert model_admin.has_view_permission(staff_request, obj)
    assert not model_admin.has_add_permission(staff_request)
    assert not model_admin.has_change_permission(staff_request, obj)
    assert not model_admin.has_delete_permission(staff_request, obj)


def test_account_list_shows_derived_balances(staff_request, entry):
    model_admin = admin.site.get_model_admin(LedgerAccount)
    accounts = model_admin.get_queryset(staff_request)

    balances = {account.owner: model_admin.balance(account) for account in accounts}

    assert balances == {"bank_sandbox": "$10.00", "mer_abc123": "-$10.00"}
    response = model_admin.changelist_view(staff_request)
    assert "mer_abc123" in response.rendered_content


def test_entry_page_shows_its_postings_inline(staff_request, entry):
    model_admin = admin.site.get_model_admin(JournalEntry)

    response = model_admin.change_view(staff_request, str(entry.pk))

    content = response.rendered_content
    assert "mer_abc123 merchant_pending USD" in content
    assert "-$10.00" in content  # readable, signed: debit +, credit -
    assert "-1000" in content  # and the minor units the books hold


def test_amounts_use_each_currencys_decimals_and_the_staff_language(staff_request):
    from django.utils import translation

    journal_post(
        kind="capture",
        reference="pay_2",
        lines=[
            Line("bank_sandbox", LedgerAccount.Kind.INSTITUTION_RECEIVABLE, "KWD", 12500),
            Line("mer_kw", LedgerAccount.Kind.MERCHANT_PENDING, "KWD", -12500),
            Line("bank_sandbox", LedgerAccount.Kind.INSTITUTION_RECEIVABLE, "JPY", 1200),
            Line("mer_jp", LedgerAccount.Kind.MERCHANT_PENDING, "JPY", -1200),
        ],
    )
    model_admin = admin.site.get_model_admin(LedgerAccount)
    accounts = {a.owner: a for a in model_admin.get_queryset(staff_request)}

    assert "12.500" in model_admin.balance(accounts["mer_kw"])
    assert model_admin.balance(accounts["mer_jp"]) == "-¥1,200"
    with translation.override("de"):
        assert model_admin.balance(accounts["mer_jp"]) == "-1.200\xa0¥"
