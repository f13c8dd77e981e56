"""What the payout and charge batch pages share: the CSV upload page and the refused rows."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from backoffice.access import merchant_ids_for
from backoffice.audit import audit_record
from payments.errors import ValidationFailed
from payments.models import Merchant

from ..csv_io import csv_rows
from ..forms import BatchUploadForm

SHOWN_ERRORS = 20


def managed_merchants(request):
    """The merchants the user may prepare batches for (a manager of, or all for the platform)."""
    ids = merchant_ids_for(request.user, role="manager")
    merchants = Merchant.objects.order_by("name")
    return merchants if ids is None else merchants.filter(pk__in=ids)


def rejected_table(rows: list[dict]):
    """The refused rows of a batch as an HTML table (row, field, code, message)."""
    if not rows:
        return "None"
    body = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
        ((r["row"], r["field"], r["code"], r["message"]) for r in rows),
    )
    return format_html(
        '<table class="rejected-rows"><thead><tr><th>row</th><th>field</th><th>code</th>'
        "<th>message</th></tr></thead><tbody>{}</tbody></table>",
        body,
    )


def error_list(err: ValidationFailed) -> str:
    shown = [f"{e.field}: {e.message}" for e in err.errors[:SHOWN_ERRORS]]
    more = len(err.errors) - len(shown)
    return "; ".join(shown) + (f"; and {more} more." if more > 0 else "")


def upload_view(model_admin, request, *, kind: str, columns, optional, create):
    """The CSV upload page: a batch from the file (``create(merchant, livemode, reference,
    items, user)`` returns ``(batch, created)``), then its page."""
    merchants = managed_merchants(request)
    form = BatchUploadForm(
        request.POST or None, request.FILES or None, merchants=merchants, kind=kind
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rows = csv_rows(data["file"], columns=columns, optional=optional)
            batch, created = create(
                data["merchant"], data["livemode"], data["reference"], rows, request.user
            )
        except ValidationFailed as err:
            form.add_error(None, error_list(err))
        else:
            _uploaded_message(model_admin, request, batch, created, kind)
            opts = model_admin.model._meta
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[batch.pk])
            return HttpResponseRedirect(url)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Upload a {model_admin.model._meta.verbose_name} (CSV)",
        "opts": model_admin.model._meta,
        "form": form,
    }
    return TemplateResponse(request, "admin/payouts/upload.html", context)


def _uploaded_message(model_admin, request, batch, created, kind: str) -> None:
    if not created:
        model_admin.message_user(
            request,
            f"A batch with the reference {batch.reference!r} exists already: nothing was created.",
            messages.WARNING,
        )
        return
    audit_record(
        request=request, action=f"payouts.{kind}_uploaded", obj=batch, merchant=batch.merchant
    )
    refused = len({r["row"] for r in batch.rejected})
    model_admin.message_user(
        request,
        f"Batch {batch.reference} prepared: {batch.rows_total - refused} rows accepted, "
        f"{refused} refused (listed below).",
        messages.SUCCESS if not refused else messages.WARNING,
    )
