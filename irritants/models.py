"""Import every domain's models so ``Base.metadata`` is complete (Alembic, tests)."""

from irritants.answers.models import AdministrationAnswer
from irritants.audit.models import Event
from irritants.auth.models import ApiToken, PasswordReset, User
from irritants.background.models import BackgroundJob
from irritants.clusters.models import Cluster, ReportVector, Support, SupportContact
from irritants.conversations.models import ReportMessage
from irritants.db import Base
from irritants.exports.models import ExportRequest
from irritants.feedback.models import ResolutionAnswer
from irritants.insights.rollup import ClusterDay, ReportDay, TerritoryDay
from irritants.intake.models import AbuseFlag, Report, ReportContact
from irritants.notify.models import DigestSubscription, PendingNotice
from irritants.outbox.models import OutboxAttempt, OutboxMessage
from irritants.partners.models import Partner, PartnerRequest
from irritants.periodic import PeriodicRun
from irritants.referential.models import Administration, Channel, Procedure, Territory
from irritants.squads.models import Squad, SquadMember, SquadPhaseChange
from irritants.squads.sprints import BacklogItem, BacklogItemChange, BacklogItemCluster, Sprint
from irritants.triage.models import DismissedPair, ReplyTemplate
from irritants.webhooks.models import WebhookEndpoint

__all__ = [
    "AbuseFlag",
    "Administration",
    "AdministrationAnswer",
    "ApiToken",
    "BackgroundJob",
    "BacklogItem",
    "BacklogItemChange",
    "BacklogItemCluster",
    "Base",
    "Channel",
    "Cluster",
    "ClusterDay",
    "DigestSubscription",
    "DismissedPair",
    "Event",
    "ExportRequest",
    "OutboxAttempt",
    "OutboxMessage",
    "Partner",
    "PartnerRequest",
    "PasswordReset",
    "PendingNotice",
    "PeriodicRun",
    "Procedure",
    "ReplyTemplate",
    "Report",
    "ReportContact",
    "ReportDay",
    "ReportMessage",
    "ReportVector",
    "ResolutionAnswer",
    "Sprint",
    "Squad",
    "SquadMember",
    "SquadPhaseChange",
    "Support",
    "SupportContact",
    "Territory",
    "TerritoryDay",
    "User",
    "WebhookEndpoint",
]
