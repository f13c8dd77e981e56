"""The guides at /docs/: rendered, CSP-clean, and kept true by comparing them with the code."""

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings

from developers.guides import GUIDES, guide_markdown, guides_dir
from developers.problem_codes import PROBLEM_CODES
from institutions.catalogue import SEED_ACCOUNTS
from payments.api.exceptions import _DRF_CODES
from payments.errors import DomainError

pytestmark = pytest.mark.django_db

APPS = [
    "payments",
    "webhooks",
    "settlement",
    "billing",
    "invoicing",
    "payouts",
    "risk",
    "fx",
    "developers",
]


def test_the_index_lists_every_guide(client):
    response = client.get("/docs/")

    assert response.status_code == 200
    for slug, title in GUIDES:
        assert f'href="/docs/{slug}/"' in response.content.decode()
        assert title in response.content.decode()


@pytest.mark.parametrize("slug", [slug for slug, _ in GUIDES])
def test_each_guide_is_served_with_the_checkouts_look_and_no_inline_script(client, slug):
    response = client.get(f"/docs/{slug}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "checkout/checkout" in html and "developers/guides" in html
    assert "<script" not in html and "style=" not in html and " on" + "click" not in html
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_an_unknown_guide_is_404(client):
    assert client.get("/docs/nope/").status_code == 404


def test_raw_html_in_a_guide_is_escaped_not_rendered(client, monkeypatch, tmp_path):
    for slug, _ in GUIDES:
        (tmp_path / f"{slug}.md").write_text(
            '# T\n\n<script>alert(1)</script>\n<img src=x onerror="x">'
        )
    monkeypatch.setattr("developers.guides.guides_dir", lambda: tmp_path)

    html = client.get("/docs/refunds/").content.decode()

    assert "<script>alert" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


# --- the errors page against the code's own codes ---------------------------------------------


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _raised_codes() -> set[str]:
    """Codes passed where domain errors are raised (``OtpError(..., code="otp_expired")``)."""
    names = {cls.__name__ for cls in _subclasses(DomainError)} | {"DomainError"}
    found, dynamic = set(), []
    root = Path(settings.BASE_DIR)
    for app in APPS:
        for path in (root / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = getattr(func, "id", None) or getattr(func, "attr", None)
                for keyword in node.keywords if name in names else ():
                    if keyword.arg != "code":
                        continue
                    if isinstance(keyword.value, ast.Constant):
                        found.add(keyword.value.value)
                    else:
                        dynamic.append(f"{path.relative_to(root)}:{ast.unparse(keyword.value)}")
    # The one code passed on from another error: fx's RateUnavailable, answered as a 404.
    assert dynamic == ["payments/api/fx.py:err.code"]
    from fx.errors import RateUnavailable

    return found | {RateUnavailable.code}


def _handler_codes() -> set[str]:
    """Codes the API's exception handler and 404 view write themselves."""
    root = Path(settings.BASE_DIR)
    text = (root / "payments/api/exceptions.py").read_text()
    return set(re.findall(r'code="([a-z_]+)"', text)) | {code for _cls, code in _DRF_CODES}


def api_problem_codes() -> set[str]:
    """Every problem code the API can answer, read from the code."""
    import importlib
    import pkgutil

    for app in APPS:  # every module, so that every error class is defined
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" not in module.name:
                importlib.import_module(module.name)
    classes = {cls.code for cls in _subclasses(DomainError)}
    return classes | _raised_codes() | _handler_codes()


def test_the_registry_holds_every_code_the_api_can_answer_and_no_other():
    registry = [p.code for p in PROBLEM_CODES]

    assert len(registry) == len(set(registry))
    assert set(registry) == api_problem_codes()


def test_the_errors_page_lists_every_code_of_the_registry(client):
    html = client.get("/docs/errors/").content.decode()

    listed = set(re.findall(r"<td><code>([a-z_]+)</code></td>", html))
    assert listed == {p.code for p in PROBLEM_CODES}
    for problem in PROBLEM_CODES:
        assert f"<td>{problem.status}</td>" in html


def test_the_errors_guide_has_no_hand_written_table():
    text = (guides_dir() / "errors.md").read_text()

    assert "| `" not in text
    assert "`validation_failed` | 400" in guide_markdown("errors")


# --- the testing page against the sandbox catalogue -------------------------------------------


def test_the_testing_guide_lists_every_sandbox_card_and_wallet_with_its_behaviour():
    text = guide_markdown("testing")

    rows = set(re.findall(r"^\| `([^`]+)` \| (.+) \|$", text, re.MULTILINE))
    assert rows == {(a.pan or a.phone, a.label) for a in SEED_ACCOUNTS}
