"""SMB walk speed against a throwaway Samba server on 127.0.0.1: entries per second for a listing-only walk
(smb_info from the directory listing) and for Steward's walk (plus the owner SID and DACL of every entry, one
READ_CONTROL open and one QUERY_INFO each). Needs root, samba and samba-vfs-modules (scripts/setup.sh test).

    python benchmarks/smb_walk.py                 # 2,000 files in 40 folders
    python benchmarks/smb_walk.py --files 10000
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[1] / "tests")]

from samba_server import PASSWORD, SambaServer, free_port  # noqa: E402

from scanner.config import SmbSource  # noqa: E402
from scanner.crawlers.smb import SmbCrawler  # noqa: E402


def listing_only(server: SambaServer) -> int:
    import smbclient

    cache: dict[str, object] = {}
    kw = {"port": server.port, "connection_cache": cache}
    smbclient.register_session("127.0.0.1", username="stwscan", password=PASSWORD, **kw)
    count, stack = 0, [server.unc()]
    while stack:
        with smbclient.scandir(stack.pop(), **kw) as listing:
            for item in listing:
                count += 1
                _ = item.smb_info
                if item.is_dir():
                    stack.append(item.path)
    smbclient.reset_connection_cache(connection_cache=cache)
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="steward-smb-bench-"))
    server = SambaServer(base, free_port())
    try:
        server.write_conf("stwadmin", "stwscan", [])
        for account in ("stwadmin", "stwscan"):
            server.add_account(account)
        for i in range(args.files):
            server.write(f"Service {i // 500:02d}/Team {i // 50 % 10}/file {i}.txt", b"x" * 100, "stwscan")
        server.start()
        t0 = time.perf_counter()
        listed = listing_only(server)
        t1 = time.perf_counter()
        source = SmbSource(
            id="bench",
            kind="smb",
            server="127.0.0.1",
            port=server.port,
            share=server.share,
            username="stwscan",
            password=PASSWORD,
        )
        walked = sum(1 for _ in SmbCrawler(source).iter_entries())
        t2 = time.perf_counter()
        print(f"listing only:          {listed:,} entries in {t1 - t0:.2f} s = {listed / (t1 - t0):,.0f} entries/s")
        print(f"with owner and DACL:   {walked:,} entries in {t2 - t1:.2f} s = {walked / (t2 - t1):,.0f} entries/s")
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
