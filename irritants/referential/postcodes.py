"""Which département a French postcode belongs to (a first rule: its leading digits)."""

from __future__ import annotations

import re

_POSTCODE = re.compile(r"(?<!\d)(\d{5})(?!\d)")


def departement_of_postcode(text: str) -> str | None:
    """The département code of the first 5-digit postcode in ``text``; None if there is none or it is unknown."""
    match = _POSTCODE.search(text or "")
    if match is None:
        return None
    code = match.group(1)
    if code.startswith("97"):
        return code[:3] if code[:3] in {"971", "972", "973", "974", "976"} else None
    if code.startswith("20"):
        return "2A" if int(code) < 20200 else "2B"
    head = code[:2]
    return head if head != "00" and head <= "95" else None
