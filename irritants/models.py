"""Import every domain's models so ``Base.metadata`` is complete (Alembic, tests)."""

from irritants.db import Base
from irritants.intake.models import Report, ReportContact
from irritants.referential.models import Administration, Channel, Procedure, Territory
from irritants.triage.models import Cluster, ReportVector, Support

__all__ = [
    "Administration",
    "Base",
    "Channel",
    "Cluster",
    "Procedure",
    "Report",
    "ReportContact",
    "ReportVector",
    "Support",
    "Territory",
]
