"""The audit log and staff set-up links moved to the ``backoffice`` app: state only, no rows move.

``backoffice.0001`` takes the models over on the same tables, then renames them.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("merchant_portal", "0003_staff_setup_link"),
        ("backoffice", "0001_models_from_merchant_portal"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="StaffSetupLink"),
                migrations.DeleteModel(name="AuditLog"),
            ],
            database_operations=[],
        ),
    ]
