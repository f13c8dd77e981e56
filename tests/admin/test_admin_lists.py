"""The back office's change lists and detail pages: counts, money and columns read right."""

from django.urls import reverse

from merchant_portal.audit import audit_record


def test_the_audit_log_counts_its_entries_in_words(login, platform_user, rf):
    client = login(platform_user)
    request = rf.get("/")
    request.user = platform_user
    for _ in range(2):
        audit_record(request=request, action="orders.exported")

    page = client.get(reverse("admin:merchant_portal_auditlog_changelist")).content.decode()

    assert "2 audit log entries" in page
    assert "2 audit log<" not in page
