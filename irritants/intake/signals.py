"""Signals sent after a report is committed (clustering and notifications subscribe to them)."""

from blinker import Namespace

_signals = Namespace()

#: Sent with ``report_id`` once a new report is committed (never for a replay).
report_accepted = _signals.signal("report-accepted")
