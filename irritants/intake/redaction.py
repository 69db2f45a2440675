"""Redaction of personal data in report texts before they appear on a public page or API."""

from __future__ import annotations

import re

_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)+", re.UNICODE), "[courriel masqué]"),
    (re.compile(r"(?:https?://|www\.)\S+"), "[lien masqué]"),
    # IBAN: country code, check digits, then 11 to 30 alphanumerics possibly grouped by 4.
    (re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b", re.IGNORECASE), "[IBAN masqué]"),
    # NIR (numéro de sécurité sociale): 13 digits + optional 2-digit key, often spaced.
    (
        re.compile(r"\b[12][\s.]?\d{2}[\s.]?\d{2}[\s.]?(?:\d{2}|2[AB])[\s.]?\d{3}[\s.]?\d{3}(?:[\s.]?\d{2})?\b"),
        "[numéro masqué]",
    ),
    (
        re.compile(r"(?<![\w+])(?:(?:\+|00)\s?\d{2,3}\s?\(?0?\)?|0)\s?[1-9](?:[\s.\-]?\d{2}){4}(?!\w)"),
        "[téléphone masqué]",
    ),
    # Any remaining long number (allocataire, dossier, fiscal numbers…).
    (re.compile(r"(?<!\w)\d(?:[\s.\-]?\d){6,}(?!\w)"), "[numéro masqué]"),
]


def redact(text: str) -> str:
    """Mask emails, links, IBANs, social security, phone and long identifying numbers."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


def excerpt(text: str, limit: int = 280) -> str:
    """A redacted excerpt cut on a word boundary."""
    text = redact(" ".join(text.split()))
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return f"{cut}…"
