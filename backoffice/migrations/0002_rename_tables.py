"""Rename the moved tables to this app's names; move their content types (and so the
permissions granted on them) from ``merchant_portal`` to ``backoffice``."""

from django.db import migrations

MODELS = ["auditlog", "staffsetuplink"]


def content_types_move(apps, schema_editor, *, old="merchant_portal", new="backoffice"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.using(schema_editor.connection.alias).filter(
        app_label=old, model__in=MODELS
    ).update(app_label=new)


def content_types_move_back(apps, schema_editor):
    content_types_move(apps, schema_editor, old="backoffice", new="merchant_portal")


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0001_models_from_merchant_portal"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelTable(name="auditlog", table=None),
        migrations.AlterModelTable(name="staffsetuplink", table=None),
        migrations.RunPython(content_types_move, content_types_move_back),
    ]
