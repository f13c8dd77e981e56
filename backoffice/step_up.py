"""Step-up: a fresh authenticator code for every back-office action that moves money or data out.

A signed-in session, even a verified one, is not enough to refund, create an API key, send
customer data to a new webhook URL, grant access or export customers: a hijacked session could.
Each such action asks for a current TOTP code of the signed-in staff user, checked by django-otp
(a code is accepted once, so a code seen over a shoulder or spent at sign-in does not pass).

Three shapes, one check (``step_up_verify``):

- forms (add and change pages, the refund and API-key pages): ``StepUpForm`` adds the code
  field and checks it last, so a typo elsewhere does not spend the code;
- admin pages of ``StepUpAdminMixin``: their add and change forms get the mixin, and deleting
  (one object or the bulk action) passes the confirmation page first;
- admin actions and plain views: ``step_up_action`` and ``step_up_page`` answer with a
  confirmation page that sends the same request again with the code.

A refused code is written to the audit log (``step_up.refused``) with the action it guarded.
"""

from __future__ import annotations

from functools import wraps

from django import forms
from django.template.response import TemplateResponse
from django_otp import match_token

from .audit import audit_record

FIELD = "otp_token"
#: A code is 6 digits; a passkey's answer (JSON, ``backoffice.webauthn``) is longer.
TOKEN_MAX_LENGTH = 16_000
REFUSED = "That authenticator code is not valid. Enter the current code from your app."
_NOT_RESENT = {"csrfmiddlewaretoken", FIELD}


class OneTimeCodeInput(forms.TextInput):
    """A text input for a one-time code that never writes the code back into the page: a form
    shown again after an error asks for a fresh code, and the old one is not left on screen."""

    def get_context(self, name, value, attrs):
        return super().get_context(name, None, attrs)


def code_field(
    help_text: str = "A fresh code from your authenticator app confirms this.",
) -> forms.CharField:
    """Return the authenticator-code field every step-up form shows."""
    return forms.CharField(
        label="Authenticator code",
        max_length=TOKEN_MAX_LENGTH,
        help_text=help_text,
        widget=OneTimeCodeInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "data-passkey": "1"}
        ),
    )


def step_up_verify(request, token: str, *, action: str) -> bool:
    """Return True if ``token`` is a current code of the signed-in user's devices (and spend it).

    A device is a TOTP app or a passkey (``backoffice.models.WebAuthnDevice``, whose token is
    the browser's assertion, filled in by ``static/backoffice/passkeys.js``).

    A refusal is audited with the guarded ``action``; the code itself is never recorded.
    """
    token = (token or "").strip()
    user = getattr(request, "user", None)
    if token and getattr(user, "is_authenticated", False) and match_token(user, token):
        return True
    audit_record(request=request, action="step_up.refused", details={"action": action})
    return False


class StepUpForm(forms.Form):
    """A form that ends with the authenticator code; set ``step_up_request`` before validating.

    The code is checked after every other field, only if they are valid: a form sent back for a
    wrong amount or URL has not spent the staff member's code. Mixed into model forms as well
    (``class F(StepUpForm, forms.ModelForm)``).
    """

    otp_token = code_field()
    step_up_request = None
    step_up_action = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[FIELD] = self.fields.pop(FIELD)  # last, whatever the form declares

    @property
    def changed_data(self):
        # The code is no change to the record (audit entries and admin history list changes).
        return [name for name in super().changed_data if name != FIELD]

    def clean(self):
        data = super().clean()
        if not self.errors:
            if self.step_up_request is None:
                raise RuntimeError("step_up_request is not set on this form")
            token = self.cleaned_data.get(FIELD, "")
            if not step_up_verify(self.step_up_request, token, action=self.step_up_action):
                self.add_error(FIELD, REFUSED)
        return data


class _CodeForm(forms.Form):
    otp_token = code_field()


def step_up_page(request, model_admin, *, action: str, what: str):
    """Return None if ``request`` carries a valid fresh code; otherwise the confirmation page.

    The page sends the same request again (same address, same posted fields) with the code, so
    an admin action, a delete confirmation or a plain view goes on as if it had been asked once.
    """
    form = _CodeForm(request.POST if FIELD in request.POST else None)
    if form.is_bound and form.is_valid():
        if step_up_verify(request, form.cleaned_data[FIELD], action=action):
            return None
        form.add_error(FIELD, REFUSED)
    resent = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in _NOT_RESENT
        for value in values
    ]
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Confirm with your authenticator",
        "opts": model_admin.model._meta,
        "what": what,
        "form": form,
        "resent": resent,
        "action_url": request.get_full_path(),
    }
    response = TemplateResponse(request, "admin/step_up.html", context)
    response["Cache-Control"] = "no-store"
    return response


def step_up_action(action: str, what: str):
    """Decorate an admin action: it runs only with a fresh code, asked on a confirmation page."""

    def decorate(func):
        @wraps(func)
        def wrapper(model_admin, request, queryset):
            page = step_up_page(request, model_admin, action=action, what=what)
            if page is not None:
                return page
            return func(model_admin, request, queryset)

        return wrapper

    return decorate


class StepUpAdminMixin:
    """A ModelAdmin whose adding, changing and deleting all ask for a fresh code.

    ``step_up_label`` names the records in the audit log (``<label>.add`` and so on);
    ``step_up_delete = False`` leaves deleting as it is (deleting an endpoint sends nothing out).
    """

    step_up_label = ""
    step_up_delete = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form = self.stepped_up_form(self.form)

    @staticmethod
    def stepped_up_form(form):
        """Return ``form`` with the code field (the form the admin builds its pages from)."""
        if issubclass(form, StepUpForm):
            return form
        return type(form.__name__, (StepUpForm, form), {})

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        label = self.step_up_label or self.opts.label_lower
        attrs = {
            "step_up_request": request,
            "step_up_action": f"{label}.{'change' if obj else 'add'}",
        }
        return type(form.__name__, (form,), attrs)

    def get_fields(self, request, obj=None):
        fields = [f for f in super().get_fields(request, obj) if f != FIELD]
        return [*fields, FIELD]

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if not any(FIELD in options.get("fields", ()) for _name, options in fieldsets):
            fieldsets.append((None, {"fields": [FIELD]}))
        return fieldsets

    def delete_view(self, request, object_id, extra_context=None):
        if self.step_up_delete and request.method == "POST" and request.POST.get("post"):
            page = self._delete_step_up(request)
            if page is not None:
                return page
        return super().delete_view(request, object_id, extra_context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.step_up_delete and "delete_selected" in actions:
            func, name, description = actions["delete_selected"]
            actions["delete_selected"] = (self._stepped_up_delete(func), name, description)
        return actions

    def _stepped_up_delete(self, func):
        @wraps(func)
        def delete_selected(model_admin, request, queryset):
            # Django's action asks first (a page), then deletes when "post" comes back.
            if request.POST.get("post"):
                page = self._delete_step_up(request)
                if page is not None:
                    return page
            return func(model_admin, request, queryset)

        return delete_selected

    def _delete_step_up(self, request):
        label = self.step_up_label or self.opts.label_lower
        return step_up_page(
            request, self, action=f"{label}.delete", what=f"Delete {self.opts.verbose_name}"
        )
