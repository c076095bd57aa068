"""What the web server records of its use: which dashboards were opened, when and by whom.

Views are telemetry, not state changes, so they are not put on the audit chain (a chain entry per page
view would drown the decisions it exists to protect).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from vigil.store.base import Base
from vigil.store.types import UTCTimestamp


class DashboardView(Base):
    __tablename__ = "dashboard_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id"), index=True)
    dashboard: Mapped[str] = mapped_column(String(50))  # overview | release | business | infrastructure
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    at: Mapped[datetime] = mapped_column(UTCTimestamp)
