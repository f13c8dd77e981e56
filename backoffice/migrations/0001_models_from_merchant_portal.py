"""Take over ``AuditLog`` and ``StaffSetupLink`` from ``merchant_portal`` on their tables.

State only: the rows stay where they are; ``0002`` renames the tables to this app's names.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("merchant_portal", "0003_staff_setup_link"),
        ("payments", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="AuditLog",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("actor_username", models.CharField(help_text="Kept if the user is deleted", max_length=150)),
                        ("action", models.CharField(db_index=True, max_length=64)),
                        ("object_type", models.CharField(blank=True, max_length=64)),
                        ("object_id", models.CharField(blank=True, db_index=True, max_length=64)),
                        ("details", models.JSONField(blank=True, default=dict)),
                        ("ip_address", models.GenericIPAddressField(blank=True, null=True)),
                        ("created", models.DateTimeField(auto_now_add=True, db_index=True)),
                        ("actor", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="audit_entries", to=settings.AUTH_USER_MODEL)),
                        ("merchant", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="audit_entries", to="payments.merchant")),
                    ],
                    options={
                        "verbose_name": "audit log entry",
                        "verbose_name_plural": "audit log entries",
                        "ordering": ["-created", "-id"],
                        "db_table": "merchant_portal_auditlog",
                    },
                ),
                migrations.CreateModel(
                    name="StaffSetupLink",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("token_hash", models.CharField(max_length=64, unique=True)),
                        ("issued_by_username", models.CharField(blank=True, max_length=150)),
                        ("created", models.DateTimeField(auto_now_add=True)),
                        ("expires_at", models.DateTimeField()),
                        ("used_at", models.DateTimeField(blank=True, null=True)),
                        ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="setup_links", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "ordering": ["-created", "-id"],
                        "db_table": "merchant_portal_staffsetuplink",
                    },
                ),
            ],
        ),
    ]
