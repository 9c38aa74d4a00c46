"""A throwaway Samba server on 127.0.0.1 for tests: private smb.conf under a temp dir, Windows ACLs stored in
xattrs (``vfs objects = acl_xattr``, Debian samba-vfs-modules), real Unix and Samba accounts.

Accounts: ``admin`` (an ``admin users`` login used only to set up DACLs) and the people of the sample council;
file owners are set by ``chown`` on the Unix side, DACLs over SMB2 SET_INFO, as Windows tools would.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from server_process import start_server, stop_helpers, stop_server

PASSWORD = "Passw0rd!"
READ = 0x1200A9  # FILE_GENERIC_READ | FILE_EXECUTE
MODIFY = 0x1301BF
FULL = 0x1F01FF
EVERYONE = "S-1-1-0"
AUTHENTICATED_USERS = "S-1-5-11"
BUILTIN_USERS = "S-1-5-32-545"
OBJECT_INHERIT, CONTAINER_INHERIT = 0x1, 0x2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def have_samba() -> bool:
    return all(shutil.which(tool) for tool in ("smbd", "smbpasswd", "pdbedit", "useradd")) and os.geteuid() == 0


@dataclass
class SambaServer:
    base: Path
    port: int
    share: str = "council"
    accounts: dict[str, str] = field(default_factory=dict)  # account -> SID
    domain_sid: str = ""
    process: subprocess.Popen[bytes] | None = None

    @property
    def root(self) -> Path:
        return self.base / "share"

    def unc(self, rel: str = "") -> str:
        tail = rel.replace("/", "\\")
        return rf"\\127.0.0.1\{self.share}" + (f"\\{tail}" if tail else "")

    def conf(self) -> Path:
        return self.base / "smb.conf"

    # -- lifecycle -----------------------------------------------------------------------------------------
    def write_conf(self, admin: str, scanner: str, users: list[str], shares: dict[str, str] | None = None) -> None:
        """``shares``: more shares beside the main one, name -> extra smb.conf lines (each under shares/NAME)."""
        for sub in ("private", "lock", "state", "cache", "pid", "log", "share"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        self.base.chmod(0o755)  # smbd changes into the share as each user
        (self.base / "share").chmod(0o755)
        base = self.base
        self.conf().write_text(f"""[global]
   workgroup = COUNCIL
   netbios name = STEWARDTEST
   server role = standalone server
   smb ports = {self.port}
   interfaces = lo
   bind interfaces only = yes
   disable netbios = yes
   private dir = {base}/private
   lock directory = {base}/lock
   state directory = {base}/state
   cache directory = {base}/cache
   pid directory = {base}/pid
   ncalrpc dir = {base}/state/ncalrpc
   log file = {base}/log/log.%m
   passdb backend = tdbsam:{base}/private/passdb.tdb
   load printers = no
   printing = bsd
   printcap name = /dev/null
   disable spoolss = yes
   server min protocol = SMB2_10
   map to guest = never
[{self.share}]
   path = {base}/share
   read only = no
   vfs objects = acl_xattr
   acl_xattr:ignore system acls = yes
   admin users = {admin}
   valid users = {admin} {scanner} {" ".join(users)}
""")
        with self.conf().open("a") as conf:
            for name, options in (shares or {}).items():
                path = self.share_root(name)
                path.mkdir(parents=True, exist_ok=True)
                path.chmod(0o755)
                (path.parent).chmod(0o755)
                conf.write(f"[{name}]\n   path = {path}\n   read only = yes\n   vfs objects = acl_xattr\n")
                conf.write(f"   acl_xattr:ignore system acls = yes\n   admin users = {admin}\n{options}\n")

    def share_root(self, name: str) -> Path:
        return self.base / "shares" / name.replace("$", "_dollar")

    def add_account(self, name: str, password: str = PASSWORD) -> None:
        if subprocess.run(["id", name], capture_output=True).returncode != 0:
            added = subprocess.run(["useradd", "-M", "-s", "/usr/sbin/nologin", name], capture_output=True)
            if added.returncode != 0 and subprocess.run(["id", name], capture_output=True).returncode != 0:
                raise RuntimeError(f"useradd {name} failed: {added.stderr.decode(errors='replace').strip()}")
        subprocess.run(
            ["smbpasswd", "-c", str(self.conf()), "-s", "-a", name],
            input=f"{password}\n{password}\n".encode(),
            check=True,
            capture_output=True,
        )

    def read_sids(self) -> None:
        out = subprocess.run(
            ["pdbedit", "-s", str(self.conf()), "-L", "-v"], check=True, capture_output=True, text=True
        ).stdout
        for block in out.split("---------------"):
            user = re.search(r"Unix username:\s+(\S+)", block)
            sid = re.search(r"User SID:\s+(S-[\d-]+)", block)
            if user and sid:
                self.accounts[user.group(1)] = sid.group(1)
        any_sid = next(iter(self.accounts.values()))
        self.domain_sid = any_sid.rpartition("-")[0]

    def start(self) -> None:
        self.process = start_server(
            ["smbd", "-s", str(self.conf()), "--foreground", "--no-process-group", "--debug-stdout", "-d", "1"],
            self.port,
            self.base / "log" / "smbd.out",
        )

    def stop(self) -> None:
        stop_server(self.process)
        self.process = None
        stop_helpers(f"--configfile={self.conf()}")

    # -- content ---------------------------------------------------------------------------------------------
    def write(self, rel: str, data: bytes, owner: str, mtime: float | None = None) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        shutil.chown(path, user=owner)
        path.chmod(0o644)
        if mtime is not None:
            os.utime(path, (mtime, mtime))
        return path

    def folder(self, rel: str, owner: str) -> Path:
        path = self.root / rel
        path.mkdir(parents=True, exist_ok=True)
        shutil.chown(path, user=owner)
        path.chmod(0o755)
        return path

    def set_dacl(self, rel: str, aces: list[tuple[str, int, bool]], inherit: bool = False) -> None:
        """Replace the DACL of ``rel`` (as the admin login): aces = [(SID, access mask, allow?)]."""
        import smbclient
        from smbprotocol.file_info import InfoType
        from smbprotocol.open import FilePipePrinterAccessMask, SMB2SetInfoRequest, SMB2SetInfoResponse
        from smbprotocol.security_descriptor import (
            AccessAllowedAce,
            AccessDeniedAce,
            AclPacket,
            SDControl,
            SIDPacket,
        )

        acl = AclPacket()
        entries = []
        for sid_text, mask, allow in aces:
            ace = AccessAllowedAce() if allow else AccessDeniedAce()
            sid = SIDPacket()
            sid.from_string(sid_text)
            ace["sid"] = sid
            ace["mask"] = mask
            if inherit:
                ace["ace_flags"] = OBJECT_INHERIT | CONTAINER_INHERIT
            entries.append(ace)
        acl["aces"] = entries
        sd = self._sd_buffer()
        sd["control"].set_flag(SDControl.SELF_RELATIVE)
        sd.set_dacl(acl)
        smbclient.register_session("127.0.0.1", username="stwadmin", password=PASSWORD, port=self.port)
        access = FilePipePrinterAccessMask.READ_CONTROL | FilePipePrinterAccessMask.WRITE_DAC
        with smbclient.open_file(
            self.unc(rel),
            mode="rb",
            buffering=0,
            port=self.port,
            desired_access=access,
            file_type="dir" if (self.root / rel).is_dir() else "file",
            username="stwadmin",
            password=PASSWORD,
        ) as fh:
            fd = fh.fd
            req = SMB2SetInfoRequest()
            req["info_type"] = InfoType.SMB2_0_INFO_SECURITY
            req["additional_information"] = 0x4
            req["file_id"] = fd.file_id
            req["buffer"] = sd
            request = fd.connection.send(
                req, sid=fd.tree_connect.session.session_id, tid=fd.tree_connect.tree_connect_id
            )
            SMB2SetInfoResponse().unpack(fd.connection.receive(request)["data"].get_value())

    @staticmethod
    def _sd_buffer():  # type: ignore[no-untyped-def]
        from smbprotocol.security_descriptor import SMB2CreateSDBuffer

        return SMB2CreateSDBuffer()
