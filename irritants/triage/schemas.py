"""What each decision over irritants takes: one schema per input, for the back-office forms and the API alike
(``irritants.forms.InputSchema``: a posted form is read into the same fields, under its French field names). The
same rules give the same French messages whichever door the input came through; the decisions service checks the
same limits again.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import marshmallow as ma
from marshmallow import fields, validate
from werkzeug.datastructures import MultiDict

from irritants.forms import InputSchema, typed_number
from irritants.status import StatusKind
from irritants.triage.decisions import BULK_MAX, BULK_OPERATIONS, KEYWORD_MAX_CHARS, KEYWORDS_MAX, ROUTED_TO_MAX
from irritants.triage.merges import MERGE_MAX
from irritants.triage.schema_fields import (
    CHOOSE_SQUAD,
    MAX_ID,
    NO_SQUAD,
    NUMBER,
    REQUIRED,
)
from irritants.triage.schema_fields import Decision as _Decision
from irritants.triage.schema_fields import Versioned as _Versioned
from irritants.triage.schema_fields import confirm_transfer_field as _confirm_transfer
from irritants.triage.schema_fields import id_field as _id
from irritants.triage.schema_fields import ids_field as _ids
from irritants.triage.schema_fields import text_field as _text
from irritants.triage.splits import SPLIT_MAX
from irritants.triage.templates import BODY_MAX, TITLE_MAX
from irritants.triage.tracking import PUBLIC_NOTE_MAX
from irritants.triage.workflow import LABEL_MAX, LABEL_MIN


class _SquadChoice(InputSchema):
    """The part of a decision that hands irritants to a start-up d'État (or takes them back: null, the form's
    « Aucune »), with the confirmation a hand-over to a squad the agent is not in needs. Each decision declares its
    own ``squad_id``: whether it must be given depends on the decision."""

    confirm_transfer = _confirm_transfer()

    FORM_NAMES: ClassVar[dict[str, str]] = {"squad_id": "squad", "confirm_transfer": "confirm"}

    def read_form(self, form: MultiDict) -> dict[str, Any]:
        data = super().read_form(form)
        if form.get("squad", "").strip() == NO_SQUAD:
            data["squad_id"] = None
        return data


class TriageReasonBodySchema(_Decision):
    """Unmerge: nothing but the reason."""


class TriageStatusBodySchema(_Versioned):
    """A status change: any status of the circuit (and on the back-office's own forms: duplicate, not our scope,
    spam, the view setting ``to``)."""

    to = fields.Enum(
        StatusKind,
        by_value=True,
        required=True,
        error_messages={"required": "Choisissez le nouveau statut.", "null": REQUIRED, "unknown": "Statut inconnu."},
        metadata={"description": "Nouveau statut (voir `allowed_transitions` du détail)"},
    )
    routed_to = _text("Service à qui l'irritant a été transmis (obligatoire pour not_our_scope)", ROUTED_TO_MAX)
    duplicate_of = _id(
        "Irritant dont celui-ci est le doublon (obligatoire pour duplicate)",
        invalid=NUMBER,
        allow_none=True,
        load_default=None,
    )
    public_note = _text(
        "Note publique, montrée aux usagers sur la page de suivi de leurs signalements (le motif ne l'est jamais) ; "
        "sans donnée personnelle",
        PUBLIC_NOTE_MAX,
    )

    FORM_NAMES: ClassVar[dict[str, str]] = {
        **_Versioned.FORM_NAMES,
        "public_note": "note_publique",
        "duplicate_of": "number",
    }

    def read_form(self, form: MultiDict) -> dict[str, Any]:
        data = super().read_form(form)
        # The duplicate form: a typed number wins over the candidate ticked in the list.
        candidate = form.get("candidate", "").strip()
        if "duplicate_of" not in data and candidate:
            data["duplicate_of"] = typed_number(candidate)
        return data


class TriageFixBodySchema(_Versioned):
    """« Correctif livré »: the day the fix was delivered and what citizens are told (the one way to « fixed »)."""

    fixed_on = fields.Date(
        required=True,
        error_messages={
            "required": "Indiquez la date de livraison du correctif.",
            "null": "Indiquez la date de livraison du correctif.",
            "invalid": "Date invalide : AAAA-MM-JJ attendu.",
        },
        metadata={
            "description": "Jour de livraison du correctif (heure de Paris) : ni futur, ni avant le premier "
            "signalement de l'irritant"
        },
    )
    public_note = _text(
        "Note publique, montrée aux usagers sur la page de suivi de leurs signalements ; sans donnée personnelle",
        PUBLIC_NOTE_MAX,
        required="Rédigez la note publique : c'est ce que les usagers liront du correctif.",
    )

    FORM_NAMES: ClassVar[dict[str, str]] = {
        **_Versioned.FORM_NAMES,
        "fixed_on": "date_livraison",
        "public_note": "note_publique",
    }


class TriageMergeBodySchema(_Versioned):
    source_ids = _ids(
        "Irritants fusionnés dans celui-ci (ils deviennent ses doublons)",
        least="Choisissez au moins un irritant à fusionner dans celui-ci.",
        most=MERGE_MAX,
        too_many=f"{MERGE_MAX} irritants au plus par fusion.",
        invalid=NUMBER,
    )
    expected_versions = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^\d{1,10}$", error="Identifiant invalide.")),
        values=fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID, error="Version invalide.")),
        load_default=None,
        allow_none=True,
        error_messages={"invalid": "Un objet {{ identifiant : version }} est attendu."},  # format() braces
        metadata={"description": "Version vue de chaque irritant fusionné, par identifiant"},
    )

    # The form: irritants ticked among the candidates (« sources ») and numbers typed (« others »).
    FORM_NAMES: ClassVar[dict[str, str]] = {**_Versioned.FORM_NAMES, "source_ids": "others"}

    def read_form(self, form: MultiDict) -> dict[str, Any]:
        data = super().read_form(MultiDict([(k, v) for k, v in form.items(multi=True) if k != "others"]))
        typed = form.get("others", "")
        if re.search(r"[^\d\s,;n°º#]", typed):  # « 12, 34 ; n° 56 »: numbers and separators only
            raise ma.ValidationError("Séparez les numéros d'irritants par des virgules (ex. 12, 34).", "source_ids")
        ticked = [typed_number(v.strip()) for v in form.getlist("sources") if v.strip()]
        ids = list(dict.fromkeys([*ticked, *(typed_number(n) for n in re.findall(r"\d+", typed))]))
        if ids:
            data["source_ids"] = ids
        return data


def _report_ids(description: str) -> fields.List:
    return _ids(
        description,
        least="Sélectionnez au moins un signalement.",
        most=SPLIT_MAX,
        too_many=f"{SPLIT_MAX} signalements au plus.",
    )


class TriageSplitBodySchema(_Versioned):
    report_ids = _report_ids("Signalements qui forment le nouvel irritant")
    label = _text(
        "Libellé du nouvel irritant (sinon, calculé)",
        LABEL_MAX,
        least=LABEL_MIN,
        too_long=f"Le libellé doit compter entre {LABEL_MIN} et {LABEL_MAX} caractères.",
        short=f"Le libellé doit compter entre {LABEL_MIN} et {LABEL_MAX} caractères.",
    )

    FORM_NAMES: ClassVar[dict[str, str]] = {**_Versioned.FORM_NAMES, "report_ids": "reports", "label": "new_label"}


class TriageMoveBodySchema(_Decision):
    to_cluster_id = _id(
        "Irritant qui reçoit le signalement",
        invalid=NUMBER,
        required="Indiquez le numéro de l'irritant de destination.",
    )
    # The API names the report in the address; the back-office moves those ticked (MoveReportsSchema).

    FORM_NAMES: ClassVar[dict[str, str]] = {**_Decision.FORM_NAMES, "to_cluster_id": "to_cluster"}


class MoveReportsSchema(TriageMoveBodySchema):
    """The back-office's move: the reports ticked on the irritant's page, each moved as the API moves one."""

    report_ids = _report_ids("Signalements déplacés")

    FORM_NAMES: ClassVar[dict[str, str]] = {**TriageMoveBodySchema.FORM_NAMES, "report_ids": "reports"}


class TriageAssignBodySchema(_SquadChoice, _Versioned):
    squad_id = _id(
        "Start-up d'État (null : plus aucune)",
        invalid="Start-up d'État inconnue.",
        required=CHOOSE_SQUAD,
        allow_none=True,
    )

    FORM_NAMES: ClassVar[dict[str, str]] = {**_Versioned.FORM_NAMES, **_SquadChoice.FORM_NAMES}


class TriagePinBodySchema(_Versioned):
    pinned = fields.Boolean(
        required=True,
        error_messages={
            "required": "Choix d'épinglage manquant.",
            "null": REQUIRED,
            "invalid": "true ou false attendu.",
        },
        metadata={"description": "Épinglé : le regroupement automatique garde ses signalements ensemble"},
    )


class TriageLabelBodySchema(_Versioned):
    label = _text(
        "Nouveau libellé (verrouillé ensuite)",
        LABEL_MAX,
        required="Indiquez le libellé de l'irritant.",
        least=LABEL_MIN,
        too_long=f"Le libellé doit compter entre {LABEL_MIN} et {LABEL_MAX} caractères.",
        short=f"Le libellé doit compter entre {LABEL_MIN} et {LABEL_MAX} caractères.",
    )
    keywords = fields.List(
        fields.String(
            validate=validate.Length(
                min=1, max=KEYWORD_MAX_CHARS, error=f"Chaque mot-clé compte {KEYWORD_MAX_CHARS} caractères au plus."
            ),
            error_messages={"invalid": "Un texte est attendu."},
        ),
        load_default=list,
        validate=validate.Length(max=KEYWORDS_MAX, error=f"{KEYWORDS_MAX} mots-clés au plus."),
        error_messages={"invalid": "Une liste de mots-clés est attendue."},
    )

    def read_form(self, form: MultiDict) -> dict[str, Any]:
        data = super().read_form(MultiDict([(k, v) for k, v in form.items(multi=True) if k != "keywords"]))
        # One text box: keywords separated by commas, semicolons or lines, each once.
        words = [w.strip() for w in re.split(r"[,;\n]", form.get("keywords", "")) if w.strip()]
        if words:
            data["keywords"] = list(dict.fromkeys(words))
        return data


class TriageBulkBodySchema(_SquadChoice, _Decision):
    cluster_ids = _ids(
        "Irritants concernés : la décision s'applique à ceux qui peuvent la recevoir",
        least="Sélectionnez au moins un irritant.",
        most=BULK_MAX,
        too_many=f"{BULK_MAX} irritants au plus par action groupée.",
    )
    operation = fields.String(
        required=True,
        validate=validate.OneOf(BULK_OPERATIONS, error="Action inconnue : " + ", ".join(BULK_OPERATIONS) + "."),
        error_messages={"required": "Choisissez l'action à appliquer.", "null": REQUIRED},
    )
    to = fields.Enum(
        StatusKind, by_value=True, load_default=None, allow_none=True, error_messages={"unknown": "Statut inconnu."}
    )
    squad_id = _id(
        "Start-up d'État (assign ; null : plus aucune)", invalid="Start-up d'État inconnue.", allow_none=True
    )
    routed_to = _text("Service destinataire (status → not_our_scope)", ROUTED_TO_MAX)

    FORM_NAMES: ClassVar[dict[str, str]] = {**_Decision.FORM_NAMES, **_SquadChoice.FORM_NAMES, "cluster_ids": "ids"}

    @ma.validates_schema
    def _assign_says_to_whom(self, data: dict[str, Any], **_: Any) -> None:
        # As for one irritant, taking irritants back from their squad is said (null), never implied by an omission.
        if data["operation"] == "assign" and "squad_id" not in data:
            raise ma.ValidationError(CHOOSE_SQUAD, "squad_id")


# --- reply templates --------------------------------------------------------------------------------------


def _title(**kwargs: Any) -> fields.String:
    return _text(
        "Titre du modèle",
        TITLE_MAX,
        least=1,
        short="Donnez un titre au modèle.",
        too_long=f"Le titre ne doit pas dépasser {TITLE_MAX} caractères.",
        **kwargs,
    )


def _body(**kwargs: Any) -> fields.String:
    return _text(
        "Texte du modèle",
        BODY_MAX,
        least=1,
        short="Rédigez le texte du modèle.",
        too_long=f"Le texte ne doit pas dépasser {BODY_MAX} caractères.",
        **kwargs,
    )


class _TemplateText(InputSchema):
    def read_form(self, form: MultiDict) -> dict[str, Any]:
        data = super().read_form(form)
        if "title" in data:
            data["title"] = " ".join(data["title"].split())  # one line, as the service stores it
        return data


class TriageTemplateCreateSchema(_TemplateText):
    """A new reply template: for everyone (``squad_id`` absent or null; the form's « partage ») or for one squad."""

    title = _title(required="Donnez un titre au modèle.")
    body = _body(required="Rédigez le texte du modèle.")
    squad_id = _id(
        "Start-up d'État (absent ou null : modèle partagé)",
        invalid="Choisissez les destinataires dans la liste.",
        allow_none=True,
        load_default=None,
    )

    SHARED: ClassVar[str] = "partage"
    FORM_NAMES: ClassVar[dict[str, str]] = {"squad_id": "squad"}

    def read_form(self, form: MultiDict) -> dict[str, Any]:
        data = super().read_form(form)
        if form.get("squad", "").strip() == self.SHARED:
            data["squad_id"] = None
        return data

    @ma.validates_schema(pass_original=True, skip_on_field_errors=False)
    def _form_says_for_whom(self, data: dict[str, Any], original: Any, **_: Any) -> None:
        # The form always offers whom the template is for (no blank choice); JSON may leave it out: shared. (The edit
        # form loads this schema with only=("title", "body"): a template keeps whom it was written for.)
        if "squad_id" in self.fields and isinstance(original, MultiDict) and not original.get("squad", "").strip():
            raise ma.ValidationError("Choisissez à qui le modèle est destiné.", "squad_id")


class TriageTemplatePatchSchema(_TemplateText):
    """A template's new title or text (each optional in JSON: absent, unchanged; the form sends both)."""

    title = _title()
    body = _body()


# --- merge suggestions (« Irritants qui se ressemblent ») ---------------------------------------------------


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
