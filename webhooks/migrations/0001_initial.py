"""The webhook models as the payments app created them: state only, on its existing tables.

``0002_tables_renamed`` then gives the tables and indexes this app's names.
"""

import django.db.models.deletion
import django_fsm
from django.db import migrations, models

import webhooks.models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("payments", "0004_webhooks_moved_out"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='WebhookEndpoint',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('public_id', models.CharField(default=webhooks.models.new_webhook_endpoint_id, editable=False, max_length=32, unique=True)),
                        ('livemode', models.BooleanField(default=False)),
                        ('url', models.URLField(max_length=2000)),
                        ('description', models.CharField(blank=True, max_length=500)),
                        ('enabled_events', models.JSONField(default=list, help_text='Event types, or ["*"] for all')),
                        ('enabled', models.BooleanField(default=True)),
                        ('disabled_reason', models.CharField(blank=True, max_length=300)),
                        ('disabled_at', models.DateTimeField(blank=True, null=True)),
                        ('secret_encrypted', models.TextField(editable=False)),
                        ('previous_secret_encrypted', models.TextField(blank=True, editable=False)),
                        ('previous_secret_expires_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('failing_since', models.DateTimeField(blank=True, help_text='First failed attempt since the last success', null=True)),
                        ('created', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('updated', models.DateTimeField(auto_now=True)),
                        ('merchant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='webhook_endpoints', to='payments.merchant')),
                    ],
                    options={
                        'db_table': 'payments_webhookendpoint',
                        'ordering': ['-created', '-id'],
                        'indexes': [models.Index(fields=['merchant', 'livemode', 'enabled'], name='payments_we_merchan_b10387_idx')],
                    },
                ),
                migrations.CreateModel(
                    name='WebhookDelivery',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('public_id', models.CharField(default=webhooks.models.new_webhook_delivery_id, editable=False, max_length=32, unique=True)),
                        ('livemode', models.BooleanField(default=False)),
                        ('status', django_fsm.FSMField(choices=[('pending', 'Pending'), ('retrying', 'Retrying'), ('succeeded', 'Succeeded'), ('failed', 'Failed')], db_index=True, default='pending', max_length=50, protected=True)),
                        ('attempt_count', models.PositiveIntegerField(default=0, help_text='Attempts made, in all')),
                        ('schedule_step', models.PositiveSmallIntegerField(default=0, help_text='Failed attempts since the delivery was (re)started')),
                        ('next_attempt_at', models.DateTimeField(blank=True, db_index=True, null=True)),
                        ('last_status_code', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('last_error', models.CharField(blank=True, max_length=500)),
                        ('created', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('updated', models.DateTimeField(auto_now=True)),
                        ('completed_at', models.DateTimeField(blank=True, db_index=True, null=True)),
                        ('event', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='webhook_deliveries', to='payments.event')),
                        ('merchant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='webhook_deliveries', to='payments.merchant')),
                        ('endpoint', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='webhooks.webhookendpoint')),
                    ],
                    options={
                        'db_table': 'payments_webhookdelivery',
                        'verbose_name_plural': 'webhook deliveries',
                        'ordering': ['-created', '-id'],
                        'indexes': [models.Index(fields=['endpoint', 'status', '-created'], name='payments_we_endpoin_e58bfb_idx')],
                        'constraints': [models.UniqueConstraint(fields=('event', 'endpoint'), name='one_delivery_per_event_endpoint')],
                    },
                    bases=(django_fsm.FSMModelMixin, models.Model),
                ),
                migrations.CreateModel(
                    name='WebhookAttempt',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.PositiveIntegerField(help_text='1 for the first attempt of the delivery')),
                        ('started_at', models.DateTimeField()),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('url', models.URLField(max_length=2000)),
                        ('status_code', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('latency_ms', models.PositiveIntegerField(blank=True, null=True)),
                        ('response_body', models.TextField(blank=True, help_text='The first 1 KB of the answer')),
                        ('error', models.CharField(blank=True, max_length=500)),
                        ('succeeded', models.BooleanField(default=False)),
                        ('retry_in', models.PositiveIntegerField(blank=True, help_text='Seconds until the next attempt, if one is scheduled', null=True)),
                        ('delivery', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='attempts', to='webhooks.webhookdelivery')),
                    ],
                    options={
                        'db_table': 'payments_webhookattempt',
                        'ordering': ['delivery', 'number'],
                        'constraints': [models.UniqueConstraint(fields=('delivery', 'number'), name='webhook_attempt_number_unique')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
