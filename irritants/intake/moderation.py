"""Screening at intake: a new report's text is held for moderation when personal data is detected in it, and is
shown redacted wherever it is public. What moderators then decide is the moderation domain's
(``irritants/moderation/``)."""

from __future__ import annotations

from typing import Any

from irritants.intake.models import Moderation
from irritants.intake.redaction import finding_kinds, redact


def initial_moderation(text: str) -> dict[str, Any]:
    """Column values of a new report: held (PENDING, with the kinds found) if personal data is detected."""
    kinds = finding_kinds(text)
    return {"moderation": Moderation.PENDING if kinds else Moderation.PUBLISHED, "moderation_reasons": kinds}


def public_text(text: str, reasons: list[str] | None) -> str:
    """A report's text fit for public keywords: redacted when personal data was found in it at intake (a report a
    moderator published is still shown redacted), as is, without the cost of a scan, otherwise."""
    return redact(text) if reasons else text
