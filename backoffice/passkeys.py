"""The staff's passkeys page: list, add (with a fresh code or passkey), remove (stepped up and
audited); and the options a page's script asks for before ``navigator.credentials``.

Mounted by the admin site (``merchant_portal.admin_site``) under ``/admin/passkeys/``.
"""

from __future__ import annotations

from types import SimpleNamespace

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from .audit import audit_record
from .models import WebAuthnDevice
from .step_up import StepUpForm, step_up_page
from .webauthn import (
    MAX_CREDENTIAL_CHARS,
    WebAuthnRefused,
    staff_authentication_options,
    staff_device_register,
    staff_registration_options,
)


class PasskeyAddForm(StepUpForm):
    name = forms.CharField(
        label="Name", max_length=64, help_text="Which device this is, e.g. “work laptop”."
    )
    credential = forms.CharField(
        widget=forms.HiddenInput, max_length=MAX_CREDENTIAL_CHARS, required=False
    )
    step_up_action = "passkey.add"


def _json(body: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


def passkeys_view(request, admin_site):
    """The signed-in user's passkeys and the form adding one."""
    form = PasskeyAddForm(request.POST or None)
    form.step_up_request = request
    if request.method == "POST" and form.is_valid():
        if not form.cleaned_data["credential"]:
            form.add_error(None, "Your browser did not create a passkey; try again.")
        else:
            try:
                device = staff_device_register(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    token=form.cleaned_data["credential"],
                )
            except WebAuthnRefused as exc:
                form.add_error(None, exc.message)
            else:
                audit_record(
                    request=request,
                    action="passkey.added",
                    obj=device,
                    details={"device": device.name},
                )
                messages.success(request, f"Passkey “{device.name}” added.")
                return HttpResponseRedirect(reverse("admin:passkeys", current_app=admin_site.name))
    context = {
        **admin_site.each_context(request),
        "title": "Your passkeys",
        "devices": WebAuthnDevice.objects.filter(user=request.user).order_by("created_at"),
        "form": form,
    }
    response = TemplateResponse(request, "admin/backoffice/passkeys.html", context)
    response["Cache-Control"] = "no-store"
    return response


def passkey_remove_view(request, admin_site, pk: int):
    """Remove one of the signed-in user's passkeys: with a fresh code, audited."""
    device = get_object_or_404(WebAuthnDevice, pk=pk, user=request.user)
    if request.method != "POST":
        return HttpResponseRedirect(reverse("admin:passkeys", current_app=admin_site.name))
    page = step_up_page(
        request,
        SimpleNamespace(admin_site=admin_site, model=WebAuthnDevice),
        action="passkey.remove",
        what=f"Removing the passkey “{device.name}”",
    )
    if page is not None:
        return page
    audit_record(
        request=request, action="passkey.removed", obj=device, details={"device": device.name}
    )
    device.delete()
    messages.success(request, f"Passkey “{device.name}” removed.")
    return HttpResponseRedirect(reverse("admin:passkeys", current_app=admin_site.name))


def registration_options_view(request):
    """POST: the options to create a passkey for the signed-in user."""
    if request.method != "POST":
        return HttpResponse(status=405)
    return _json(staff_registration_options(user=request.user))


def authentication_options_view(request):
    """POST: the options to answer with a passkey (sign-in: any of this site's; signed in:
    the user's own)."""
    if request.method != "POST":
        return HttpResponse(status=405)
    return _json(staff_authentication_options(user=request.user))
