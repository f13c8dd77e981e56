from django.db import migrations, models
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def from_attempts(apps, schema_editor):
    """Payments verified before the field existed take the method of their authenticated attempt
    (one verified before passkeys existed recorded none: it was a code)."""
    Payment = apps.get_model("payments", "Payment")
    PaymentAttempt = apps.get_model("payments", "PaymentAttempt")
    method = (
        PaymentAttempt.objects.filter(payment=OuterRef("pk"), authenticated=True)
        .exclude(authentication_method="")
        .order_by("-id")
        .values("authentication_method")[:1]
    )
    Payment.objects.filter(attempts__authenticated=True).update(
        authentication_method=Coalesce(Subquery(method), Value("otp"))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0015_merchant_config_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="authentication_method",
            field=models.CharField(blank=True, max_length=16),
        ),
        migrations.RunPython(from_attempts, migrations.RunPython.noop),
    ]
