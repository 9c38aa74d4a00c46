"""Which disk shares an SMB server offers: the srvsvc NetrShareEnum call (MS-SRVS 3.1.4.8), made with impacket.

smbprotocol has no DCE/RPC, so the listing uses impacket's (Apache 1.1-style licence; a separate, short-lived
connection to IPC$ with the same credentials). impacket is the optional extra ``steward[discovery]``: it also
installs some seventy scripts beside ``steward`` (one is ``smbclient.py``, which is why the crawler does not import
smbclient), and endpoint security may flag them; without it, name the shares in ``shares:``. Only disk shares are
kept; administrative shares only when asked for: those Windows marks STYPE_SPECIAL, and the names Windows gives its
own (C$ and the other drive letters, ADMIN$, PRINT$, FAX$), since Samba lists an "administrative share" as a plain
disk share. A hidden share a person made ("HR$") is an ordinary disk share and is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STYPE_MASK, STYPE_DISKTREE, STYPE_SPECIAL = 0xFF, 0x0, 0x80000000
WINDOWS_ADMINISTRATIVE = re.compile(r"^(?:[A-Za-z]|ADMIN|PRINT|FAX)\$$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Share:
    name: str
    kind: int  # STYPE_* (MS-SRVS 2.2.2.4)
    remark: str = ""

    @property
    def disk(self) -> bool:
        return self.kind & STYPE_MASK == STYPE_DISKTREE

    @property
    def administrative(self) -> bool:
        return bool(self.kind & STYPE_SPECIAL) or bool(WINDOWS_ADMINISTRATIVE.match(self.name))


class ShareListError(OSError):
    """The server would not list its shares; ``denied`` when the login was refused."""

    def __init__(self, message: str, denied: bool = False) -> None:
        super().__init__(message)
        self.denied = denied


def list_shares(
    server: str, port: int, username: str, password: str, domain: str | None, timeout: float
) -> list[Share]:
    """Every share ``server`` lists to this login, in the server's order."""
    try:
        from impacket.smbconnection import SessionError, SMBConnection
    except ImportError:
        raise ShareListError(
            "listing shares needs impacket (pip install 'steward[discovery]'); or name them in shares:"
        ) from None

    try:
        connection = SMBConnection(server, server, sess_port=port, timeout=int(max(timeout, 1)))
    except Exception as exc:  # socket errors arrive as impacket's NetBIOSError
        raise ShareListError(f"cannot connect ({type(exc).__name__})") from None
    try:
        try:
            connection.login(username, password, domain or "")
        except SessionError:
            raise ShareListError("the login was refused", denied=True) from None
        rows = connection.listShares()
    except Exception as exc:  # impacket raises its own NetBIOS, SMB and DCE/RPC errors
        raise ShareListError(f"the share list could not be read ({type(exc).__name__})") from None
    finally:
        connection.close()
    return [
        Share(str(r["shi1_netname"]).rstrip("\x00"), int(r["shi1_type"]), str(r["shi1_remark"]).rstrip("\x00"))
        for r in rows
    ]


def disk_shares(shares: list[Share], admin: bool = False) -> list[str]:
    """The names worth scanning: disk shares, administrative ones only when ``admin``; sorted."""
    return sorted((s.name for s in shares if s.disk and (admin or not s.administrative)), key=str.lower)
