"""Sign-in against the LDAP / Active Directory directory Steward already reads people from.

The service account (or an anonymous bind) finds the one person entry whose logon name is the account typed in;
a second, fresh connection then binds as that entry's DN with the password typed in. The password goes to the
directory and nowhere else: it is never logged nor kept.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from inventory.owners.config import LdapDirectory
from inventory.owners.directory import DirectoryError, ldap_people

log = logging.getLogger(__name__)

# what ldap3 raises while decoding a reply that is not LDAP at all (an HTTP server on the port, say)
NOT_LDAP = (KeyError, IndexError, ValueError, TypeError)


def ldap_authenticate(cfg: LdapDirectory, account: str, password: str) -> str | None:
    """The directory key (the logon name in lower case) of ``account`` if ``password`` is its password and the
    account is enabled, else None. Raises DirectoryError (a StewardError) when the directory cannot be used."""
    from ldap3 import BASE, NONE, SUBTREE, Connection, Server
    from ldap3.core.exceptions import LDAPBindError, LDAPCommunicationError, LDAPException
    from ldap3.utils.conv import escape_filter_chars

    account = account.strip()
    if not password or not account:  # an empty password is an unauthenticated bind: it proves nothing
        return None
    attrs = cfg.attributes
    wait = max(1, math.ceil(cfg.timeout))  # ldap3 sets SO_RCVTIMEO from a whole number of seconds; 0 would not wait
    server = Server(cfg.url, get_info=NONE, connect_timeout=cfg.timeout)
    service_password = cfg.password.get_secret_value() if cfg.password else None
    people = cfg.filter if cfg.filter.startswith("(") else f"({cfg.filter})"
    query = f"(&{people}({attrs.account}={escape_filter_chars(account)}))"
    try:
        conn = Connection(
            server, user=cfg.bind_dn, password=service_password, auto_bind=True, read_only=True, receive_timeout=wait
        )
    except LDAPCommunicationError as exc:
        raise _unreachable(cfg, exc) from None
    except LDAPBindError:
        raise DirectoryError(
            f"the directory at {cfg.url} refused the bind as {cfg.bind_dn or 'anonymous'} (wrong DN or password)"
        ) from None
    except LDAPException as exc:
        raise DirectoryError(f"the directory at {cfg.url} failed: {type(exc).__name__}") from None
    except NOT_LDAP as exc:
        raise _not_ldap(cfg, exc) from None
    try:
        conn.search(
            cfg.base, query, SUBTREE, attributes=[a for a in (attrs.account, attrs.account_control) if a], size_limit=2
        )
        entries: list[dict[str, Any]] = [e for e in conn.response or [] if e.get("type") == "searchResEntry"]
        if len(entries) != 1:
            log.info("sign-in refused for %r: %d directory entries match", account, len(entries))
            return None
        dn = str(entries[0]["dn"])
        disabled: set[str] = set()
        if cfg.disabled_filter:
            conn.search(dn, cfg.disabled_filter, BASE, attributes=[])
            if any(e.get("type") == "searchResEntry" for e in conn.response or []):
                disabled.add(dn.lower())
    except LDAPCommunicationError as exc:
        raise _unreachable(cfg, exc) from None
    except LDAPException as exc:
        raise DirectoryError(
            f"the directory at {cfg.url} failed the search under {cfg.base!r}: {type(exc).__name__}"
        ) from None
    except NOT_LDAP as exc:
        raise _not_ldap(cfg, exc) from None
    finally:
        conn.unbind()
    found = ldap_people(entries, attrs, disabled)  # the same key and "enabled" as the directory Steward reads
    if not found or not found[0].enabled:
        log.info("sign-in refused for %r: no usable account or the account is disabled", account)
        return None
    user = Connection(server, user=dn, password=password, auto_bind=False, read_only=True, receive_timeout=wait)
    try:
        accepted = user.bind()
    except LDAPCommunicationError as exc:
        raise _unreachable(cfg, exc) from None
    except LDAPException as exc:
        log.info("sign-in refused for %r: %s", account, type(exc).__name__)
        return None
    except NOT_LDAP as exc:
        raise _not_ldap(cfg, exc) from None
    finally:
        user.unbind()
    if not accepted:
        log.info("sign-in refused for %r: wrong password", account)
        return None
    return found[0].key


def _unreachable(cfg: LdapDirectory, exc: Exception) -> DirectoryError:
    return DirectoryError(f"the directory at {cfg.url} did not answer: {exc}")


def _not_ldap(cfg: LdapDirectory, exc: Exception) -> DirectoryError:
    return DirectoryError(f"the directory at {cfg.url} did not answer as an LDAP server ({type(exc).__name__})")
