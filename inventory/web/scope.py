"""Who may see what, enforced for every page and API route: an Information Asset Owner sees the assets they own
or are proposed for (matched through their directory key or e-mail address) and what hangs off them; the SIRO
sees everything; an administrator manages accounts and scans but reads no asset. Anything out of scope is
answered exactly as if it did not exist."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.orm import Session

from inventory.findings.models import Finding
from inventory.owners.models import AssetOwnership
from inventory.risks.models import Risk
from inventory.store.models import Asset
from inventory.web.models import DisposalApproval, User


class NotVisible(LookupError):
    """The thing does not exist, or this account may not see it: the two are never told apart."""


class Forbidden(PermissionError):
    """The account's role does not allow this page or action."""


@dataclass(frozen=True)
class Viewer:
    id: int
    name: str
    role: str
    email: str
    person_key: str | None

    @classmethod
    def of(cls, user: User) -> Viewer:
        return cls(user.id, user.name, user.role, user.email.lower(), (user.person_key or "").lower() or None)

    @property
    def sees_everything(self) -> bool:
        return self.role == "siro"

    def require(self, *roles: str) -> None:
        if self.role not in roles:
            raise Forbidden(f"this needs the {' or '.join(roles)} role")


def _mine(viewer: Viewer) -> ColumnElement[bool]:
    if viewer.sees_everything:
        return true()
    if viewer.role != "iao":
        return false()
    names = [n for n in (viewer.email, viewer.name, viewer.person_key) if n]
    clauses = [func.lower(AssetOwnership.owner_email) == viewer.email, func.lower(Asset.owner).in_(names)]
    if viewer.person_key:
        clauses.append(func.lower(AssetOwnership.owner_key) == viewer.person_key)
    return or_(*clauses)


def visible_assets(db: Session, viewer: Viewer) -> list[Asset]:
    query = (
        select(Asset)
        .outerjoin(AssetOwnership, AssetOwnership.asset_id == Asset.id)
        .where(Asset.deleted_at.is_(None), _mine(viewer))
        .order_by(Asset.source, Asset.key)
    )
    return list(db.scalars(query))


def visible_asset_ids(db: Session, viewer: Viewer) -> set[int]:
    query = (
        select(Asset.id)
        .outerjoin(AssetOwnership, AssetOwnership.asset_id == Asset.id)
        .where(Asset.deleted_at.is_(None), _mine(viewer))
    )
    return set(db.scalars(query))


MAX_ROW_ID = 2**63 - 1  # the largest id any store can hold (a signed 64-bit integer)


def row_id(value: int, what: str) -> int:
    """An id a row could have; any other number names nothing and answers 404 like a missing row (never a 500
    from the database driver)."""
    if not 1 <= value <= MAX_ROW_ID:
        raise NotVisible(f"{what} {value}")
    return value


def asset(db: Session, viewer: Viewer, asset_id: int) -> Asset:
    row_id(asset_id, "asset")
    found = db.scalars(
        select(Asset)
        .outerjoin(AssetOwnership, AssetOwnership.asset_id == Asset.id)
        .where(Asset.id == asset_id, Asset.deleted_at.is_(None), _mine(viewer))
    ).first()
    if found is None:
        raise NotVisible(f"asset {asset_id}")
    return found


def finding(db: Session, viewer: Viewer, finding_id: int) -> tuple[Finding, Asset]:
    found = db.get(Finding, row_id(finding_id, "finding"))
    if found is None or found.asset_id is None:
        raise NotVisible(f"finding {finding_id}")
    return found, asset(db, viewer, found.asset_id)


def risk(db: Session, viewer: Viewer, risk_id: int) -> Risk:
    found = db.get(Risk, row_id(risk_id, "risk"))
    if found is None:
        raise NotVisible(f"risk {risk_id}")
    if viewer.sees_everything:
        return found
    if found.asset_id is not None:
        asset(db, viewer, found.asset_id)
        return found
    raise NotVisible(f"risk {risk_id}")


def approval(db: Session, viewer: Viewer, asset_id: int, approval_id: int) -> tuple[DisposalApproval, Asset]:
    """An approved disposal list, only through an asset the viewer may see."""
    a = asset(db, viewer, asset_id)
    found = db.get(DisposalApproval, row_id(approval_id, "approval"))
    if found is None or found.asset_id != a.id:
        raise NotVisible(f"approval {approval_id}")
    return found, a


def is_proposed_to(row: AssetOwnership | None, a: Asset, viewer: Viewer) -> bool:
    """Whether the asset's owner is only proposed, and proposed to this person."""
    if a.owner_status != "proposed" or row is None:
        return False
    return bool(
        (viewer.person_key and (row.owner_key or "").lower() == viewer.person_key)
        or (row.owner_email or "").lower() == viewer.email
    )
