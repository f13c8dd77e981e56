"""Error reports (the DEBUG page, error e-mails) that never show card data or secrets."""

from __future__ import annotations

from django.views.debug import SafeExceptionReporterFilter

from backoffice.redaction import CARD_NUMBER

# Variables that hold card data, codes or secrets under these names anywhere in the code.
SENSITIVE_NAMES = frozenset(
    {
        "pan",
        "number",
        "card_number",
        "digits",
        "cvc",
        "checked_cvc",
        "code",
        "otp_token",
        "raw",
        "raw_key",
        "secret",
        "plaintext",
    }
)


class CardDataSafeExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's filter, and in every frame: variables named as card data or secrets, and any
    variable whose value holds a card number, are replaced by stars.

    ``sensitive_variables`` covers only the frames of the functions it decorates; a card number
    passes through many more (validation, routing, the vault, the connector). Active with DEBUG
    on too (Django's filter is not): ``make run`` serves the demo's shoppers with DEBUG on.
    """

    def is_active(self, request):
        return True

    def get_traceback_frame_variables(self, request, tb_frame):
        cleansed = []
        for name, value in super().get_traceback_frame_variables(request, tb_frame):
            if name in SENSITIVE_NAMES or _holds_card_number(value):
                value = self.cleansed_substitute
            cleansed.append((name, value))
        return cleansed


def _holds_card_number(value) -> bool:
    try:
        text = repr(value)
    except Exception:  # the report shows its own placeholder for an unprintable value
        return False
    return bool(CARD_NUMBER.search(text))
