"""Only the one-active-payment index reads as a payment in progress (issue 17, point 9)."""

import pytest
from django.db import IntegrityError

from payments.errors import PaymentInProgress
from payments.services import payments as payment_services

pytestmark = pytest.mark.django_db


def test_only_the_one_active_payment_index_reads_as_in_progress(order, monkeypatch):
    """Another integrity error is not reported as a payment in progress."""

    def broken_card_store(**kwargs):
        raise IntegrityError('null value in column "brand" violates not-null constraint')

    monkeypatch.setattr(payment_services, "card_store", broken_card_store)
    method = payment_services.MethodInput(
        type="card",
        number="4242424242424242",
        exp_month=12,
        exp_year=2035,
        cvc="123",
        holder_name="Ada Lovelace",
    )

    with pytest.raises(IntegrityError):
        payment_services.payment_create(order=order, method=method)


def test_a_concurrent_active_payment_still_reads_as_in_progress(order, monkeypatch):
    from payments.models import Payment

    real_save = Payment.save

    def save_twice(self, *args, **kwargs):
        # Another submit's payment got in first: the partial unique index refuses this one.
        if self.pk is None and not Payment.objects.filter(order=self.order).exists():
            twin = Payment(
                order=self.order,
                merchant=self.merchant,
                livemode=self.livemode,
                amount=self.amount,
                currency=self.currency,
                capture_method=self.capture_method,
                method_type=self.method_type,
                institution=self.institution,
            )
            twin.start()
            real_save(twin)
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Payment, "save", save_twice)
    method = payment_services.MethodInput(
        type="card",
        number="4242424242424242",
        exp_month=12,
        exp_year=2035,
        cvc="123",
        holder_name="Ada Lovelace",
    )

    with pytest.raises(PaymentInProgress):
        payment_services.payment_create(order=order, method=method)
