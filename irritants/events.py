"""Domain events: the one seam through which what happens in a domain reaches whoever must hear of it.

The mail outbox, webhooks, dashboards' caches (later issues) subscribe here; triage, squads and intake never import
them. Each event is a blinker signal; a receiver connects to any sender (``event.connect(receiver)``) or, for one
app, filters on what it is given. Two kinds:

- **in the transaction** (every event but ``report_accepted`` and ``reports_imported``): sent by the service that
  made the change, once it is flushed, with ``session`` as the sender. A receiver that writes (an outbox row, say)
  writes in that session: committed with the change, or rolled back with it — never a mail about a decision that did
  not happen. Receivers must not commit, and should not do slow work (a request waits): record it and let a job do
  it.
- **after the commit**: ``report_accepted`` (sent by intake's boundary, ``intake/accept.py``) and
  ``reports_imported`` (sent by ``irritants import``), with the app as the sender, because their receiver
  (clustering) does or wakes work that must find the committed rows.

Arguments are plain ids and values (never ORM objects, which a receiver could change behind the service's back);
``agent`` is the acting ``auth.policy.Agent`` (None for the system).
"""

from __future__ import annotations

from blinker import Namespace

_events = Namespace()

#: A new report inserted by the form or the API (never a replay, never an import), in its transaction: ``report_id``,
#: ``reference`` and ``tracking_token`` (the secret of its tracking link: never log it). The acknowledgement mail
#: listens (``irritants.notify``), so it is queued with the report or not at all.
report_submitted = _events.signal("report-submitted")

#: After the commit of a new report (never for a replay): sender the app; ``report_id``, ``source`` (the door it came
#: through: ``web``, ``api``, ``open311``, an ``intake.models.Source`` value).
report_accepted = _events.signal("report-accepted")

#: After the commit of a CSV import (``irritants import``): sender the app; ``count`` (reports inserted) and
#: ``progress(stage, done, total)`` for a command-line progress bar. Clustering computes their vectors in bulk
#: (resumable, ``clusters/vectors.py``) and returns how many it computed.
reports_imported = _events.signal("reports-imported")

#: An irritant's status changed by a decision (alone or in a bulk action): ``cluster_id``, ``before`` and ``after``
#: (``StatusKind``), ``agent``, ``public_note`` (what citizens read on their tracking page, or None).
status_changed = _events.signal("status-changed")

#: An irritant handed to a squad, or taken back: ``cluster_id``, ``before`` and ``after`` (squad ids or None),
#: ``agent``.
squad_assigned = _events.signal("squad-assigned")

#: Irritants merged into another: ``target_id``, ``source_ids`` (now its duplicates), ``agent``.
clusters_merged = _events.signal("clusters-merged")

#: A merge undone: ``source_id`` (an irritant of its own again), ``target_id`` (it had been merged into), ``agent``.
merge_undone = _events.signal("merge-undone")

#: Reports taken out of an irritant into a new one: ``cluster_id``, ``new_cluster_id``, ``report_ids``, ``agent``.
cluster_split = _events.signal("cluster-split")

#: One report put in another irritant by hand: ``report_id``, ``from_cluster_id`` (or None), ``to_cluster_id``,
#: ``agent``.
report_moved = _events.signal("report-moved")

#: One change of a backlog item (created, state, sprint, points, rank, title, description, an irritant linked or
#: unlinked), sent by ``squads.backlog`` for each row of its change log: ``item_id``, ``squad_id``, ``field`` (an
#: ``ItemField`` value), ``before`` and ``after`` (as logged: strings or None), ``agent``. Triage listens to carry an
#: item's progress to its irritants (``planned``, ``in_progress``) in the same transaction, whatever the door.
backlog_item_changed = _events.signal("backlog-item-changed")

#: A new report put in an irritant by clustering (incremental placement, ``clusters.engine.place_report``), once
#: flushed: ``report_id``, ``cluster_id``, ``new_cluster`` (True when the report started a new irritant). A
#: re-clustering of every report sends nothing: it reshapes irritants, it adds no report.
report_placed = _events.signal("report-placed")
#: An agent asked a report's author a question (``conversations.services.ask``), in the transaction: ``message_id``,
#: ``report_id``, ``agent``. The mail that tells the author (with their tracking link) is queued by a receiver.
question_asked = _events.signal("question-asked")

#: A citizen asked for their tracking links again and the address is known, in the transaction: ``report_ids`` (every
#: report followed by that address, oldest first). One mail listing them is queued by a receiver; nothing is sent,
#: and nothing else differs, for an unknown address.
tracking_links_requested = _events.signal("tracking-links-requested")

#: An administration's public answer on an irritant written or changed (``answers.services.publish``), in the
#: transaction: ``answer_id``, ``cluster_id``, ``administration`` (its slug), ``first`` (True when the administration
#: answers this irritant for the first time), ``agent``. The irritant's reporters and supporters are told by mail of a
#: first answer (``irritants.notify``); a later correction only changes the page.
administration_answered = _events.signal("administration-answered")
