"""Files of dispute evidence: PDF, PNG or JPEG, at most 5 MB each and 10 per dispute.

The type is read from the file's first bytes (its magic number), never from the name or the
type the client sent; the name is kept only as a label (its last path part, printable, at most
100 characters). Files are stored in the database with their dispute (``DisputeEvidenceFile``)
and served only to the merchant's API key or admin, as an attachment.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from typing import IO

from django.http import HttpResponse
from django.utils.http import content_disposition_header

from payments.errors import ValidationFailed
from payments.validation import FieldError

from ..models import Dispute, DisputeEvidenceFile

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILES = 10
#: Magic numbers → the type stored and served.
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


@dataclass(frozen=True)
class Upload:
    """A file as the client sent it: its name, its size in bytes and a stream of its content."""

    name: str
    size: int
    stream: IO[bytes]


def sniff(head: bytes) -> str:
    """Return the type the first bytes announce, or "" when it is not an accepted type."""
    return next((kind for magic, kind in SIGNATURES if head.startswith(magic)), "")


def clean_name(name: str) -> str:
    """The file name as a label: its last path part, without control characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    return base[:100] or "evidence"


def _checked(index: int, upload: Upload) -> tuple[str, bytes]:
    field = f"files.{index}"
    if upload.size > MAX_FILE_BYTES:
        raise ValidationFailed(
            [FieldError(field, "file_too_large", f"A file is at most {MAX_FILE_BYTES} bytes.")]
        )
    content = upload.stream.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        raise ValidationFailed(
            [FieldError(field, "file_too_large", f"A file is at most {MAX_FILE_BYTES} bytes.")]
        )
    if not content:
        raise ValidationFailed([FieldError(field, "file_empty", "The file is empty.")])
    kind = sniff(content[:16])
    if not kind:
        raise ValidationFailed(
            [
                FieldError(
                    field,
                    "file_type_unsupported",
                    "Evidence files are PDF, PNG or JPEG (read from the file's content).",
                )
            ]
        )
    return kind, content


def evidence_files_add(*, dispute: Dispute, uploads: list[Upload]) -> None:
    """Check every upload, then store them all with ``dispute`` (the caller holds its lock);
    nothing is stored when one is refused."""
    if not uploads:
        return
    held = dispute.files.count()
    if held + len(uploads) > MAX_FILES:
        raise ValidationFailed(
            [
                FieldError(
                    "files",
                    "too_many_files",
                    f"A dispute holds at most {MAX_FILES} files; it has {held}.",
                )
            ]
        )
    checked = [_checked(i, upload) for i, upload in enumerate(uploads)]
    DisputeEvidenceFile.objects.bulk_create(
        DisputeEvidenceFile(
            dispute=dispute,
            name=clean_name(upload.name),
            content_type=kind,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
        )
        for upload, (kind, content) in zip(uploads, checked, strict=True)
    )


def evidence_file_response(found: DisputeEvidenceFile) -> HttpResponse:
    """The file as an attachment of its sniffed type, never cached by a shared cache."""
    response = HttpResponse(bytes(found.content), content_type=found.content_type)
    response["Content-Disposition"] = content_disposition_header(True, found.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
