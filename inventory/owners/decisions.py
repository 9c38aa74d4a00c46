"""People's decisions about an asset's owner, shared by `steward owner ...` and the web review: confirm (the
owner as proposed), correct (someone else: a reassignment), decline (not me) and revert (withdraw the decision
in force). Each is kept with who, when and why, and wins over inference on every later scan."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from inventory.config import StewardConfig
from inventory.owners.models import AssetOwnership, OwnerDecision
from inventory.owners.refresh import DirectoryState, active_decision, refresh_ownership
from inventory.store.models import Asset
from scanner.errors import StewardError


def decide_owner(
    session: Session,
    config: StewardConfig,
    state: DirectoryState,
    asset: Asset,
    action: str,
    person_ref: str | None,
    by: str,
    reason: str,
    now: datetime,
    account: tuple[str, str] | None = None,
    force: bool = False,
) -> str:
    """Record ACTION (set, decline or revert) on ASSET's owner and recompute its ownership; returns a sentence.

    Without a directory, a person named for ``set`` must be a known account (``account``: the e-mail address and
    name of the Steward account the caller matched), or the decision must be forced (an administrator's)."""
    if not by.strip() or not reason.strip():
        raise StewardError("a decision about an owner needs who decided and why (a reason)")
    if action == "revert":
        current = active_decision(session, asset.id)
        if current is None:
            raise StewardError(f"asset {asset.name!r} has no decision to revert")
        current.reverted_at = now
        session.add(
            OwnerDecision(
                asset_id=asset.id,
                action="revert",
                person_key=current.person_key,
                person_name=current.person_name,
                by=by,
                reason=reason,
                at=now,
            )
        )
        message = f"{asset.name}: decision for {current.person_name} reverted; the owner is inferred again"
    elif action == "decline":
        if not person_ref:
            raise StewardError("declining ownership needs the person who declines")
        person = state.directory.resolve(person_ref)
        session.add(
            OwnerDecision(
                asset_id=asset.id,
                action="decline",
                person_key=person.key if person else person_ref,
                person_name=person.name if person else person_ref,
                by=by,
                reason=reason,
                at=now,
                confidence=asset.owner_confidence,
            )
        )
        message = f"{asset.name}: {person.name if person else person_ref} declined ownership"
    elif action == "set":
        if not person_ref:
            raise StewardError("naming an owner needs a person (account name or e-mail address)")
        person = state.directory.resolve(person_ref)
        if person is None and len(state.directory):
            raise StewardError(f"{person_ref!r} is not in the directory; give an account name or e-mail address")
        if person is not None and not person.enabled:
            raise StewardError(f"{person.name} has left (account disabled); choose someone in post")
        named = person_ref
        if person is None and account is not None:
            person_ref, named = account
        elif person is None and not force:
            raise StewardError(
                f"no directory can tell who {person_ref!r} is, and it is no Steward account: add the account "
                "(steward user add) or, as an administrator, record the decision with --force"
            )
        row = session.get(AssetOwnership, asset.id)
        top = row.candidates[0]["key"] if row and row.candidates else None
        key = person.key if person else person_ref
        verb = "confirm" if key == top or key == (row.owner_key if row else None) else "correct"
        session.add(
            OwnerDecision(
                asset_id=asset.id,
                action=verb,
                person_key=key,
                person_name=person.name if person else named,
                by=by,
                reason=reason,
                at=now,
                confidence=asset.owner_confidence,
            )
        )
        message = f"{asset.name}: owner {verb}ed as {person.name if person else named}"
    else:
        raise StewardError(f"no owner decision {action!r}")
    session.commit()
    refresh_ownership(session, config, asset.source, state, {asset.id})
    return message
