"""The inputs of the merge suggestions (« Irritants qui se ressemblent »), for the back-office forms and the API,
with the same French messages as the other decisions (``triage.schemas``, kept apart to keep modules short)."""

from __future__ import annotations

from typing import ClassVar

from irritants.triage.schemas import NUMBER, _Decision, _id


class TriageSuggestedMergeSchema(_Decision):
    """« Fusionner » on a suggestion: the irritant merged into the one kept, each at the version the agent saw."""

    keep_id = _id("Irritant conservé", invalid=NUMBER, required="Indiquez l'irritant conservé.")
    merge_id = _id("Irritant fusionné dans le premier", invalid=NUMBER, required="Indiquez l'irritant à fusionner.")
    keep_version = _id("Version vue de l'irritant conservé", invalid="Version invalide.", load_default=None)
    merge_version = _id("Version vue de l'irritant fusionné", invalid="Version invalide.", load_default=None)

    FORM_NAMES: ClassVar[dict[str, str]] = {
        **_Decision.FORM_NAMES,
        "keep_id": "garde",
        "merge_id": "fusionne",
        "keep_version": "version_garde",
        "merge_version": "version_fusionne",
    }


class TriageDismissBodySchema(_Decision):
    """« Ce ne sont pas les mêmes » : the other irritant of the pair (the first is in the address or the form)."""

    other_id = _id(
        "L'autre irritant de la paire, qui ne sera plus proposé à la fusion avec celui-ci",
        invalid=NUMBER,
        required="Indiquez l'autre irritant.",
    )

    FORM_NAMES: ClassVar[dict[str, str]] = {**_Decision.FORM_NAMES, "other_id": "autre"}
