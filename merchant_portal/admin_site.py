"""The back office: Django's admin behind a password and a TOTP code, with a dashboard."""

from __future__ import annotations

import base64

import segno
from django import forms
from django.contrib import messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django_otp import devices_for_user, match_token
from django_otp import login as otp_login
from django_otp.admin import OTPAdminSite
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from backoffice import passkeys
from backoffice.admin_mixins import AuditedChangesMixin, LookupSafeAdminMixin
from backoffice.audit import audit_record
from backoffice.enrolment import setup_link_find, setup_link_use, setup_link_valid_for
from backoffice.step_up import TOKEN_MAX_LENGTH, OneTimeCodeInput, StepUpAdminMixin

from .admin_nav import nav_groups
from .dashboard import DEFAULT_DAYS, RANGE_PRESETS, dashboard_for, date_range_from


def confirmed_devices(user) -> list:
    return list(devices_for_user(user, confirmed=True))


class StaffLoginForm(AdminAuthenticationForm):
    """Username, password and the current code of the user's authenticator app.

    A staff user with no confirmed device passes with the password alone and is sent to enrol
    one, which needs a set-up link from platform staff; the admin stays closed until then.
    """

    otp_token = forms.CharField(
        label="Authenticator code",
        required=False,
        max_length=TOKEN_MAX_LENGTH,  # or a passkey's answer
        widget=OneTimeCodeInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "data-passkey": "1"}
        ),
    )
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        # One answer for a wrong password, a missing code and a wrong code: whoever guesses
        # passwords must not learn which one was right.
        "invalid_login": (
            "That username, password and authenticator code do not match. Enter your password "
            "and the current 6-digit code from your authenticator app."
        ),
    }

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is None or not confirmed_devices(user):
            return cleaned
        token = (cleaned.get("otp_token") or "").strip()
        device = match_token(user, token) if token else None
        if device is None:
            # Counted as a failed sign-in, so axes throttles code guessing too.
            user_login_failed.send(
                sender=__name__,
                credentials={"username": cleaned.get("username")},
                request=self.request,
            )
            raise self.get_invalid_login_error()
        # django_otp's user_logged_in handler marks the session verified by this device.
        user.otp_device = device
        return cleaned


class EnrolForm(forms.Form):
    otp_token = forms.CharField(
        label="Code from your authenticator app",
        max_length=8,
        widget=OneTimeCodeInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class PlatformAdminSite(OTPAdminSite):
    """Admin site for merchant and platform staff: password plus a TOTP code."""

    site_header = "Merchant Payments"
    site_title = "Merchant Payments back office"
    index_title = "Dashboard"
    login_form = StaffLoginForm
    login_template = "admin/login.html"
    index_template = "admin/index.html"
    enable_nav_sidebar = False

    def get_urls(self):
        # No content-type shortcut (/r/<ct>/<pk>/): no model of ours has a page on the site, and
        # its answers told staff whether another merchant's object existed.
        return [
            path("otp/enrol/", self.enrol_view, name="otp_enrol"),
            path("passkeys/", self.admin_view(self.passkeys_view), name="passkeys"),
            path(
                "passkeys/<int:pk>/remove/",
                self.admin_view(self.passkey_remove_view),
                name="passkey_remove",
            ),
            path(
                "passkeys/options/register/",
                self.admin_view(passkeys.registration_options_view),
                name="passkey_register_options",
            ),
            # Asked before sign-in too: the login page offers a passkey instead of a code.
            path(
                "passkeys/options/authenticate/",
                csrf_protect(never_cache(passkeys.authentication_options_view)),
                name="passkey_authenticate_options",
            ),
            path("otp/setup/<str:token>/", self.setup_view, name="otp_setup"),
            *(url for url in super().get_urls() if getattr(url, "name", "") != "view_on_site"),
        ]

    @method_decorator(csrf_protect)
    def passkeys_view(self, request):
        return passkeys.passkeys_view(request, self)

    @method_decorator(csrf_protect)
    def passkey_remove_view(self, request, pk):
        return passkeys.passkey_remove_view(request, self, pk)

    def _needs_enrolment(self, request) -> bool:
        user = request.user
        return (
            user.is_authenticated
            and user.is_active
            and user.is_staff
            # Right after sign-in request.user is the plain user, without is_verified().
            and getattr(user, "otp_device", None) is None
            and not confirmed_devices(user)
        )

    @method_decorator(never_cache)
    def login(self, request, extra_context=None):
        if self._needs_enrolment(request):
            return HttpResponseRedirect(reverse("admin:otp_enrol", current_app=self.name))
        response = super().login(request, extra_context)
        if request.method == "POST" and self._needs_enrolment(request):
            return HttpResponseRedirect(reverse("admin:otp_enrol", current_app=self.name))
        return response

    ENROL_SESSION_KEY = "otp_enrol_device"
    SETUP_LINK_SESSION_KEY = "otp_setup_link"

    @method_decorator(never_cache)
    def setup_view(self, request, token):
        """Open a set-up link: remember it in the session, then sign in and enrol."""
        link = setup_link_find(token)
        context = {**self.each_context(request), "title": "Set up your authenticator"}
        request.current_app = self.name
        if link is None:
            context["problem"] = "invalid"
            return render(request, "admin/otp_setup_problem.html", context, status=404)
        if request.user.is_authenticated and request.user.pk != link.user_id:
            context["problem"] = "other_user"
            return render(request, "admin/otp_setup_problem.html", context, status=403)
        request.session[self.SETUP_LINK_SESSION_KEY] = link.pk
        enrol_url = reverse("admin:otp_enrol", current_app=self.name)
        if request.user.is_authenticated:
            return HttpResponseRedirect(enrol_url)
        login_url = reverse("admin:login", current_app=self.name)
        return HttpResponseRedirect(f"{login_url}?{REDIRECT_FIELD_NAME}={enrol_url}")

    @method_decorator(never_cache)
    @method_decorator(csrf_protect)
    def enrol_view(self, request):
        """Enrol a first TOTP device: show its QR code and secret, confirm it with a code.

        Only a session that opened the user's set-up link (``setup_view``) gets this far.
        """
        login_url = reverse("admin:login", current_app=self.name)
        if not request.user.is_authenticated:
            return HttpResponseRedirect(f"{login_url}?{REDIRECT_FIELD_NAME}={request.path}")
        if not self._needs_enrolment(request):
            # A user who has a device signs in with it; enrolling another needs no bypass.
            if getattr(request.user, "otp_device", None) is not None:
                return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
            raise PermissionDenied
        request.current_app = self.name
        link = setup_link_valid_for(request.session.get(self.SETUP_LINK_SESSION_KEY), request.user)
        if link is None:
            # The password alone must not let its holder choose the second factor.
            context = {**self.each_context(request), "title": "Set up your authenticator"}
            context["problem"] = "no_link"
            return render(request, "admin/otp_setup_problem.html", context, status=403)
        device = self._enrolment_device(request)
        form = EnrolForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            if device.verify_token(form.cleaned_data["otp_token"].strip()):
                return self._enrolment_confirm(request, link, device)
            form.add_error("otp_token", "That code is not valid. Enter the current one.")
        qr = segno.make(device.config_url, micro=False)
        context = {
            **self.each_context(request),
            "title": "Set up your authenticator",
            "form": form,
            "qr_data_uri": qr.png_data_uri(scale=5, border=2),
            "secret": base64.b32encode(device.bin_key).decode().rstrip("="),
        }
        return render(request, "admin/otp_enrol.html", context)

    def _enrolment_device(self, request) -> TOTPDevice:
        """Return the user's unconfirmed device, with a secret only this session has seen."""
        device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(
                user=request.user, name="Authenticator app", confirmed=False
            )
        elif request.session.get(self.ENROL_SESSION_KEY) != device.pk:
            # Its secret was shown to another session, perhaps of someone who had the password
            # only: a new one, so the secret confirmed is one only this session has seen.
            device.key = default_key()
            device.save(update_fields=["key"])
        request.session[self.ENROL_SESSION_KEY] = device.pk
        return device

    def _enrolment_confirm(self, request, link, device: TOTPDevice):
        if not setup_link_use(link):
            raise PermissionDenied  # used by a concurrent request of the same session
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        request.session.pop(self.ENROL_SESSION_KEY, None)
        request.session.pop(self.SETUP_LINK_SESSION_KEY, None)
        otp_login(request, device)
        audit_record(
            request=request,
            action="otp_device.enrolled",
            obj=device,
            details={"device": device.name},
        )
        messages.success(request, "Your authenticator is set up. Welcome.")
        return HttpResponseRedirect(reverse("admin:index", current_app=self.name))

    def register(self, model_or_iterable, admin_class=None, **options):
        """Register as Django does, every admin (ours and third-party) with filter values from
        the address checked (``LookupSafeAdminMixin``), and the changes made on the pages of
        other apps' models written to the audit log (``AuditedChangesMixin``) and confirmed by
        a fresh authenticator code (``StepUpAdminMixin``): a group's permissions or a staff
        user's authenticator hand over accounts."""
        from django.contrib.admin import ModelAdmin
        from django.db.models.base import ModelBase

        admin_class = admin_class or ModelAdmin
        models = (
            [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else model_or_iterable
        )
        for model in models:
            mixins = []
            if not issubclass(admin_class, LookupSafeAdminMixin):
                mixins.append(LookupSafeAdminMixin)
            if model._meta.app_label not in self.AUDITED_BY_THEIR_ADMINS:
                mixins.append(AuditedChangesMixin)
                if not issubclass(admin_class, StepUpAdminMixin):
                    mixins.append(StepUpAdminMixin)
            model_admin = admin_class
            if mixins:
                model_admin = type(
                    admin_class.__name__,
                    (*mixins, admin_class),
                    {
                        "__module__": admin_class.__module__,
                        "__qualname__": admin_class.__qualname__,
                    },
                )
            super().register(model, model_admin, **options)

    #: Apps whose admins write the audit log themselves (through services and audit_record);
    #: other apps' admins (users, groups, authenticators, lockouts) are audited by the site.
    AUDITED_BY_THEIR_ADMINS = {
        "payments",
        "webhooks",
        "settlement",
        "fx",
        "ledger",
        "institutions",
        "backoffice",
    }

    def each_context(self, request):
        context = super().each_context(request)
        if context.get("has_permission"):
            context["nav_groups"] = nav_groups(
                context["available_apps"], user=request.user, path=request.path
            )
        return context

    def index(self, request, extra_context=None):
        # ?mode=live or ?mode=test picks the figures' mode; anything else, the default one.
        livemode = {"live": True, "test": False}.get(request.GET.get("mode"))
        period = date_range_from(request.GET)
        dashboard = dashboard_for(user=request.user, livemode=livemode, period=period)
        context = {
            "dashboard": dashboard,
            "dash_links": dashboard_links(dashboard),
            "today": timezone.localdate(),
        }
        context.update(extra_context or {})
        return super().index(request, context)


def dashboard_links(dashboard) -> dict:
    """Return the addresses of the dashboard's mode switch and range presets: each keeps the
    other choice (the mode keeps the range, a range keeps the mode)."""
    period = dashboard.period
    mode = "live" if dashboard.livemode else "test"
    if period.problem or (period.preset == DEFAULT_DAYS):
        range_query = ""
    elif period.preset:
        range_query = f"&days={period.preset}"
    else:
        range_query = f"&from={period.start.isoformat()}&to={period.end.isoformat()}"
    return {
        "test": f"?mode=test{range_query}",
        "live": f"?mode=live{range_query}",
        "presets": [(days, f"?mode={mode}&days={days}") for days in RANGE_PRESETS],
        "mode": mode,
    }
