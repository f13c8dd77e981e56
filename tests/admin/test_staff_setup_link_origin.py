"""`manage.py staff_setup_link` prints a link on the site's real origin (issue 18, point 15)."""

from io import StringIO

from django.core.management import call_command


def test_the_command_prints_a_link_on_the_sites_origin(settings, make_staff, merchant):
    """The link's origin is SITE_URL, which follows HOST and PORT (tests/test_configuration_
    defaults.py): run on port 9000, the printed link must not point at :8000."""
    settings.SITE_URL = "http://127.0.0.1:9000"
    user = make_staff(merchant, "viewer", device=False)
    out = StringIO()

    call_command("staff_setup_link", user.username, stdout=out)

    assert out.getvalue().strip().startswith("http://127.0.0.1:9000/admin/")
