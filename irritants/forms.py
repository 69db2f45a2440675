"""One schema for a form and a JSON body: ``InputSchema``.

A JSON body is loaded as sent, and a field the schema does not know is an error. A posted form (a ``MultiDict``) is
first read into the same fields (``pre_load``): under its own field names where they differ (French, ``FORM_NAMES``),
lists from repeated fields, numbers typed as text, blank fields as absent. The same rules then give the same French
messages, keyed by field; a form shows each next to its own field (``form_name``).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import marshmallow as ma
from marshmallow import fields
from werkzeug.datastructures import MultiDict

# Ten digits at most: more is no identifier (and Python refuses to read thousands of digits as an int).
_DIGITS = re.compile(r"^\d{1,10}$", re.ASCII)


def typed_number(text: str) -> int | str:
    """A number typed in a form, as the integer JSON would carry; anything else is left for the field to refuse."""
    return int(text) if _DIGITS.match(text) else text


class InputSchema(ma.Schema):
    """A JSON object or a posted form; a field the schema does not know is an error (422) in JSON, never ignored."""

    error_messages: ClassVar[dict[str, str]] = {"unknown": "Champ inconnu.", "type": "Un objet JSON est attendu."}
    #: Field → name of the back-office form's field, where they differ.
    FORM_NAMES: ClassVar[dict[str, str]] = {}

    @classmethod
    def form_name(cls, field: str) -> str:
        """The form field that shows the messages of ``field``."""
        return cls.FORM_NAMES.get(field, field)

    @ma.pre_load
    def _from_form(self, data: Any, **_: Any) -> Any:
        return self.read_form(data) if isinstance(data, MultiDict) else data

    def read_form(self, form: MultiDict) -> dict[str, Any]:
        """The schema's fields from a posted form: blank is absent, numbers are read, repeated fields are lists."""
        data: dict[str, Any] = {}
        for name, field in self.load_fields.items():
            key = self.form_name(name)
            if isinstance(field, fields.List):
                values = [v.strip() for v in form.getlist(key) if v.strip()]
                if values:
                    data[name] = [typed_number(v) if isinstance(field.inner, fields.Integer) else v for v in values]
            elif form.get(key, "").strip():
                value = form.get(key, "").strip()
                data[name] = typed_number(value) if isinstance(field, fields.Integer) else value
        return data
