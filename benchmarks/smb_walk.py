"""SMB walk speed against the protocol, in one process on one throwaway Samba share on 127.0.0.1: `smbclient`'s
recursive listing and its listing with every ACL (`showacls`), then Steward's first walk (owner and DACL of
every entry) and its no-change re-scan walk, each as entries per second, with Steward's ratios.

`--latency 1,5` repeats the walks behind a small delaying TCP proxy on 127.0.0.1 (this kernel has no netem):
each direction is held back by half the latency, so every round trip costs that much more. The line
"one request at a time" is the ceiling a walk that waits for each reply could reach there (one round trip
per entry). Needs root, samba, smbclient and samba-vfs-modules (scripts/setup.sh test).

    python benchmarks/smb_walk.py                        # 3,000 files in 60 folders, no added latency
    python benchmarks/smb_walk.py --latency 1,5          # and again behind 1 ms and 5 ms
    python benchmarks/smb_walk.py --files 10000 --showacls-latency   # smbclient showacls behind latency too
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[1] / "tests")]

from samba_server import PASSWORD, SambaServer, free_port  # noqa: E402

from scanner.config import SmbSource  # noqa: E402
from scanner.crawlers.smb import SmbCrawler  # noqa: E402
from scanner.types import FileEntry, KnownAccess  # noqa: E402

LS_LINE = re.compile(r"^  (.+?)\s+[A-Z]*\s+\d+  \w{3} \w{3} [ \d]\d ", re.MULTILINE)


# -- the delaying proxy (a process of its own, so its work does not share Steward's interpreter) ----------------
def _proxy(listen: int, target: int, delay_ms: float, ready: multiprocessing.synchronize.Event) -> None:
    half = delay_ms / 2000

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                if not data:
                    writer.close()
                    return
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()

        task = asyncio.ensure_future(deliver())
        while data := await reader.read(1 << 20):
            queue.put_nowait((loop.time() + half, data))
        queue.put_nowait((0.0, b""))
        await task

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", target)
        await asyncio.gather(pipe(client_r, server_w), pipe(server_r, client_w), return_exceptions=True)

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", listen)
        ready.set()
        async with server:
            await server.serve_forever()

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(main())


# -- the walks ------------------------------------------------------------------------------------------------
def smbclient(port: int, commands: str) -> tuple[int, float]:
    """Entries listed by the smbclient command line and the seconds it took (start-up and login included)."""
    t0 = time.perf_counter()
    out = subprocess.run(
        ["smbclient", "//127.0.0.1/council", "-p", str(port), "-U", f"stwscan%{PASSWORD}", "-c", commands],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    seconds = time.perf_counter() - t0
    names = re.findall(r"^FILENAME:(.*)$", out, re.MULTILINE) if "showacls" in commands else LS_LINE.findall(out)
    return sum(1 for n in names if n.strip() not in (".", "..")), seconds


def source(port: int) -> SmbSource:
    return SmbSource(
        id="bench", kind="smb", server="127.0.0.1", port=port, share="council", username="stwscan", password=PASSWORD
    )


def steward_walk(port: int, known: dict[str, dict[str, KnownAccess]] | None) -> tuple[list[FileEntry], float]:
    t0 = time.perf_counter()
    lookup = (lambda folder: known.get(folder, {})) if known is not None else None
    found = list(SmbCrawler(source(port), known=lookup).iter_entries())
    return found, time.perf_counter() - t0


def stored(found: list[FileEntry]) -> dict[str, dict[str, KnownAccess]]:
    """What the store holds after the first walk, by folder: each entry's ChangeTime, owner and DACL."""
    by_folder: dict[str, dict[str, KnownAccess]] = defaultdict(dict)
    for e in found:
        if e.path != ".":
            by_folder[e.dir][e.path] = KnownAccess(e.ctime, e.owner, e.acl)
    return by_folder


def rate(count: int, seconds: float) -> str:
    return f"{count:>6,} entries in {seconds:6.2f} s = {count / seconds:>8,.0f} entries/s"


def run(port: int, latency: float, showacls: bool) -> None:
    label = f"{latency:g} ms added latency" if latency else "no added latency"
    print(f"\n== {label} ==")
    listed = smbclient(port, "recurse; ls")
    print(f"smbclient recursive listing      {rate(*listed)}")
    acls = smbclient(port, "showacls; recurse; ls") if showacls else None
    if acls:
        print(f"smbclient showacls               {rate(*acls)}")
    first, first_s = steward_walk(port, None)
    print(f"Steward first walk (owner, DACL) {rate(len(first), first_s)}")
    again, again_s = steward_walk(port, stored(first))
    print(f"Steward no-change re-scan walk   {rate(len(again), again_s)}")
    assert [e.acl for e in again] == [e.acl for e in first], "the re-scan must give the same owners and DACLs"
    listing_rate, first_rate, again_rate = listed[0] / listed[1], len(first) / first_s, len(again) / again_s
    print(f"  re-scan / smbclient listing    {again_rate / listing_rate:5.2f}x   (target >= 0.5x)")
    if acls:
        print(f"  first walk / smbclient showacls {first_rate / (acls[0] / acls[1]):4.2f}x   (target >= 1x)")
    if latency:
        ceiling = 1000 / latency
        print(f"  one request at a time could reach at most {ceiling:,.0f} entries/s (one round trip each)")
        print(f"  first walk / that ceiling      {first_rate / ceiling:5.1f}x   (target >= 5x at 5 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--latency", default="", help="comma-separated added latencies in ms, e.g. 1,5")
    parser.add_argument("--showacls-latency", action="store_true", help="run smbclient showacls behind latency too")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="steward-smb-bench-"))
    server = SambaServer(base, free_port())
    proxies: list[multiprocessing.Process] = []
    try:
        server.write_conf("stwadmin", "stwscan", [])
        for account in ("stwadmin", "stwscan"):
            server.add_account(account)
        for i in range(args.files):
            server.write(f"Service {i // 500:02d}/Team {i // 50 % 10}/file {i}.txt", b"x" * 100, "stwscan")
        server.start()
        print(f"{args.files:,} files in {args.files // 50 + args.files // 500 + 1:,} folders on one Samba share")
        run(server.port, 0, True)
        for latency in [float(x) for x in args.latency.split(",") if x.strip()]:
            port, ready = free_port(), multiprocessing.Event()
            proxy = multiprocessing.Process(target=_proxy, args=(port, server.port, latency, ready), daemon=True)
            proxy.start()
            proxies.append(proxy)
            ready.wait(10)
            run(port, latency, args.showacls_latency)
    finally:
        for proxy in proxies:
            proxy.terminate()
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
