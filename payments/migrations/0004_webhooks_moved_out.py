"""The webhook models moved to the webhooks app: removed from this app's state only.

Their tables stay; ``webhooks.0001_initial`` takes them over and ``webhooks.0002`` renames them.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0003_payment_indexes_unused_dropped"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="WebhookAttempt"),
                migrations.DeleteModel(name="WebhookDelivery"),
                migrations.DeleteModel(name="WebhookEndpoint"),
            ],
            database_operations=[],
        ),
    ]
