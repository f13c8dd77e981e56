"""Files of dispute evidence: PDF, PNG or JPEG by their content, within limits, listed with the
dispute and downloaded only by the merchant's API key or admin."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

pytestmark = pytest.mark.django_db

FRAUD_CARD = "4000000000000259"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def dispute(api, pay_from):
    from risk.services.disputes import disputes_open_due

    payment = pay_from(amount=5000, number=FRAUD_CARD)
    disputes_open_due(now=timezone.now() + timedelta(minutes=3))
    (found,) = api.get("/api/v1/disputes", {"payment": payment["id"]}).json()["data"]
    return found


def send(api, dispute, **fields):
    url = f"/api/v1/disputes/{dispute['id']}/evidence"
    return api.post(url, fields, format="multipart")


def test_files_are_sniffed_stored_listed_and_downloaded(api, dispute):
    # The client's types lie: the PDF claims HTML, the PNG claims PDF.
    response = send(
        api,
        dispute,
        files=[upload("../../receipt.pdf", PDF, "text/html"), upload("photo.png", PNG, "a/pdf")],
        uncategorized_text="Receipt and photo attached.",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["evidence"]["uncategorized_text"] == "Receipt and photo attached."
    files = body["evidence_files"]
    assert [(f["name"], f["size"], f["type"]) for f in files] == [
        ("receipt.pdf", len(PDF), "application/pdf"),
        ("photo.png", len(PNG), "image/png"),
    ]
    assert not any("url" in key for f in files for key in f)
    listed = api.get("/api/v1/disputes").json()["data"][0]["evidence_files"]
    assert [f["id"] for f in listed] == [f["id"] for f in files]

    download = api.get(f"/api/v1/disputes/{dispute['id']}/evidence/files/{files[0]['id']}")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download.content == PDF
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"<html><script>alert(1)</script></html>", "receipt.pdf"),  # HTML named as a PDF
        (b"GIF89a" + b"\x00" * 20, "a.gif"),
        (b"PK\x03\x04" + b"\x00" * 20, "a.docx"),
        (b"", "empty.pdf"),
    ],
)
def test_a_file_that_is_not_pdf_png_or_jpeg_by_its_content_is_refused(api, dispute, content, name):
    response = send(
        api,
        dispute,
        files=[upload("ok.jpg", JPEG), upload(name, content, "application/pdf")],
        uncategorized_text="changed",
    )

    assert response.status_code == 400, response.content
    error = response.json()["errors"][0]
    assert error["field"] == "files.1"
    assert error["code"] in {"file_type_unsupported", "file_empty"}
    shown = api.get(f"/api/v1/disputes/{dispute['id']}").json()
    assert shown["evidence_files"] == [] and shown["evidence"] == {}  # nothing was stored


def test_a_file_over_5_mb_is_refused(api, dispute):
    big = PDF + b"0" * (5 * 1024 * 1024 + 1 - len(PDF))

    response = send(api, dispute, files=[upload("big.pdf", big)])

    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "field": "files.0",
        "code": "file_too_large",
        "message": f"A file is at most {5 * 1024 * 1024} bytes.",
    }
    exactly = PDF + b"0" * (5 * 1024 * 1024 - len(PDF))
    assert send(api, dispute, files=[upload("max.pdf", exactly)]).status_code == 200


def test_a_dispute_holds_at_most_ten_files(api, dispute):
    first = send(api, dispute, files=[upload(f"{i}.png", PNG) for i in range(6)])
    assert first.status_code == 200
    too_many = send(api, dispute, files=[upload(f"{i}.jpg", JPEG) for i in range(5)])
    assert too_many.status_code == 400
    assert too_many.json()["errors"][0]["code"] == "too_many_files"
    assert send(api, dispute, files=[upload(f"{i}.jpg", JPEG) for i in range(4)]).status_code == 200
    assert len(api.get(f"/api/v1/disputes/{dispute['id']}").json()["evidence_files"]) == 10


def test_a_file_under_another_name_or_files_in_json_are_refused(api, dispute):
    other = send(api, dispute, attachment=upload("a.pdf", PDF))
    as_json = api.post(
        f"/api/v1/disputes/{dispute['id']}/evidence", {"files": ["a.pdf"]}, format="json"
    )

    assert other.status_code == 400 and other.json()["errors"][0]["field"] == "attachment"
    assert as_json.status_code == 400 and as_json.json()["errors"][0]["field"] == "files"


def test_files_alone_are_evidence_and_none_can_be_added_once_submitted(api, dispute):
    send(api, dispute, files=[upload("a.pdf", PDF)])
    submitted = api.post(f"/api/v1/disputes/{dispute['id']}/submit", format="json")
    assert submitted.status_code == 200 and submitted.json()["status"] == "under_review"

    late = send(api, dispute, files=[upload("b.pdf", PDF)])

    assert late.status_code == 409
    assert len(api.get(f"/api/v1/disputes/{dispute['id']}").json()["evidence_files"]) == 1


def test_files_are_the_merchants_own(
    api, other_api, other_merchant, dispute, manager, login, make_staff
):
    from risk.models import Dispute

    (added,) = send(api, dispute, files=[upload("a.pdf", PDF)]).json()["evidence_files"]
    path = f"/api/v1/disputes/{dispute['id']}/evidence/files/{added['id']}"
    row = Dispute.objects.get(public_id=dispute["id"])
    admin_url = f"/admin/risk/dispute/{row.pk}/evidence/{added['id']}/"

    assert other_api.get(path).status_code == 404
    assert api.get(f"/api/v1/disputes/{dispute['id']}/evidence/files/dpf_nope").status_code == 404
    assert login(manager).get(admin_url).content == PDF
    page = login(manager).get(f"/admin/risk/dispute/{row.pk}/change/").content.decode()
    assert admin_url in page and "a.pdf" in page
    stranger = make_staff(other_merchant)
    assert login(stranger).get(admin_url).status_code == 404


def test_a_field_named_with_a_nul_is_a_400_and_its_answer_is_kept_for_replay(api, dispute):
    """Found by schemathesis on PostgreSQL: the answer naming the field (kept for the
    Idempotency-Key in a jsonb column) could not be stored, and the request ended in a 500."""
    url = f"/api/v1/disputes/{dispute['id']}/evidence"
    fields = {"uncategorized_text": "x", "\x00name": "y"}

    first = api.post(url, fields, format="multipart", HTTP_IDEMPOTENCY_KEY="k-nul")
    again = api.post(url, fields, format="multipart", HTTP_IDEMPOTENCY_KEY="k-nul")

    assert first.status_code == 400, first.content
    assert "\ufffdname" in [error["field"] for error in first.json()["errors"]]
    assert (again.status_code, again.json()) == (400, first.json())
