"""The triage domain's public face: what other domains (the API, the citizen pages, later squads) call.

Triage is product owners' decisions over irritants: the workflow of statuses (``workflow.py``), one-irritant
decisions (``decisions.py``), merges (``merges.py``), merge suggestions (``suggestions.py``), splits and moves
(``splits.py``), bulk actions (``bulk.py``), reply templates (``templates.py``), the back-office listing
(``backlog.py``) and the citizen's view of an irritant's history (``tracking.py``). Modules of other domains import
this module (and ``triage.schemas``, the one schema per input shared with the API), never those modules one by one,
so that triage can reshape its inside freely. Every function takes the session first and never commits.
"""

from __future__ import annotations

from irritants.triage.backlog import (
    LEGACY_SORTS,
    REPORT_SORTS,
    SORT_FIELDS,
    BacklogFilters,
    BacklogQuerySchema,
    backlog,
    cluster_detail,
    cluster_reports,
    clusters_by_ids,
    list_squads,
    territorial_breakdown,
)
from irritants.triage.bulk import BulkResult
from irritants.triage.bulk import apply as apply_bulk
from irritants.triage.decisions import TransferNotConfirmed, assign_squad, change_status, edit_label, set_pinned
from irritants.triage.fixes import awaiting_fix, declare_fix, reopened_after_fix
from irritants.triage.merges import merge, unmerge
from irritants.triage.propagation import link_problems
from irritants.triage.splits import move_report, split
from irritants.triage.suggestions import Suggestion, backlog_suggestions, dismiss_pair, suggestions_for
from irritants.triage.templates import (
    TEMPLATE_SORTS,
    create_template,
    delete_template,
    get_template,
    list_templates,
    reason_with_template,
    update_template,
)
from irritants.triage.tracking import INFLOW_DAYS, SquadIrritant, Step, public_steps, squad_irritants
from irritants.triage.workflow import STALE_MESSAGE, duplicates_of

__all__ = [
    "INFLOW_DAYS",
    "LEGACY_SORTS",
    "REPORT_SORTS",
    "SORT_FIELDS",
    "STALE_MESSAGE",
    "TEMPLATE_SORTS",
    "BacklogFilters",
    "BacklogQuerySchema",
    "BulkResult",
    "SquadIrritant",
    "Step",
    "Suggestion",
    "TransferNotConfirmed",
    "apply_bulk",
    "assign_squad",
    "awaiting_fix",
    "backlog",
    "backlog_suggestions",
    "change_status",
    "cluster_detail",
    "cluster_reports",
    "clusters_by_ids",
    "create_template",
    "declare_fix",
    "delete_template",
    "dismiss_pair",
    "duplicates_of",
    "edit_label",
    "get_template",
    "link_problems",
    "list_squads",
    "list_templates",
    "merge",
    "move_report",
    "public_steps",
    "reason_with_template",
    "reopened_after_fix",
    "set_pinned",
    "split",
    "squad_irritants",
    "suggestions_for",
    "territorial_breakdown",
    "unmerge",
    "update_template",
]
