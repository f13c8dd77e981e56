"""Give the webhook tables and indexes this app's names, and move the models' content types.

The content types move (rather than new ones being made) so that permissions granted on the
models, and admin log entries about them, stay attached. On a new database there is nothing to
move yet: the content types are created after the migrations.
"""

from django.db import migrations

MODELS = ("webhookendpoint", "webhookdelivery", "webhookattempt")


def _content_types_move(apps, schema_editor, *, source: str, target: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    taken = set(
        content_type.objects.using(db)
        .filter(app_label=target, model__in=MODELS)
        .values_list("model", flat=True)
    )
    content_type.objects.using(db).filter(app_label=source, model__in=MODELS).exclude(
        model__in=taken
    ).update(app_label=target)


def content_types_forwards(apps, schema_editor):
    _content_types_move(apps, schema_editor, source="payments", target="webhooks")


def content_types_backwards(apps, schema_editor):
    _content_types_move(apps, schema_editor, source="webhooks", target="payments")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("webhooks", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelTable(name="webhookendpoint", table=None),
        migrations.AlterModelTable(name="webhookdelivery", table=None),
        migrations.AlterModelTable(name="webhookattempt", table=None),
        migrations.RenameIndex(
            model_name="webhookendpoint",
            new_name="webhooks_endpoint_scope_idx",
            old_name="payments_we_merchan_b10387_idx",
        ),
        migrations.RenameIndex(
            model_name="webhookdelivery",
            new_name="webhooks_delivery_log_idx",
            old_name="payments_we_endpoin_e58bfb_idx",
        ),
        migrations.RunPython(content_types_forwards, content_types_backwards),
    ]
