"""Recording Alertmanager alerts about a project: one row per alert (fingerprint and start), firing → resolved."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import insert_or_ignore
from bot.models import ProductionAlert, Project

NO_TIME = datetime(1970, 1, 2, tzinfo=UTC)  # Alertmanager sends 0001-01-01 for "no end yet"


@dataclass(frozen=True)
class AlertIn:
    status: str  # firing, resolved
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None
    fingerprint: str
    generator_url: str = ""

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")


def fingerprint_of(labels: dict[str, str]) -> str:
    """Alertmanager always sends one; this is for hand-made payloads that do not."""
    return hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]


def _when(value: datetime | None) -> datetime | None:
    return None if value is None or value < NO_TIME else value.astimezone(UTC)


async def record_alert(session: AsyncSession, project: Project, alert: AlertIn, now: datetime) -> bool:
    """Insert the alert, or update the stored one (status, end, annotations). One row per fingerprint and start
    (uq_production_alerts_start). True when something was new; False for a repeat that changes nothing."""
    starts = _when(alert.starts_at) or now
    values = dict(status=alert.status, ends_at=_when(alert.ends_at) if alert.status == "resolved" else None,
                  name=alert.name[:200], summary=alert.annotations.get("summary", "")[:500],
                  description=alert.annotations.get("description", "")[:10000],
                  annotations=json.dumps(alert.annotations, ensure_ascii=False),
                  labels=json.dumps(alert.labels, ensure_ascii=False), generator_url=alert.generator_url[:500])
    inserted = await insert_or_ignore(session, ProductionAlert, ["project_id", "fingerprint", "starts_at"],
                                      team_id=project.team_id, project_id=project.id,
                                      fingerprint=alert.fingerprint[:64], starts_at=starts, received_at=now,
                                      updated_at=now, **values)
    if inserted:
        return True
    row = (await session.exec(select(ProductionAlert).where(
        ProductionAlert.project_id == project.id, ProductionAlert.fingerprint == alert.fingerprint[:64],
        ProductionAlert.starts_at == starts).execution_options(populate_existing=True))).one()
    if all(_same(getattr(row, name), value) for name, value in values.items()):
        return False
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = now
    session.add(row)
    await session.flush()
    return True


def _same(stored: object, new: object) -> bool:
    """SQLite gives datetimes back without their zone (they are stored in UTC)."""
    if isinstance(stored, datetime) and isinstance(new, datetime) and stored.tzinfo is None:
        return stored.replace(tzinfo=UTC) == new
    return stored == new
