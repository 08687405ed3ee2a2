#!/usr/bin/env python3
"""Runs clang-tidy (.clang-tidy: bugprone and performance checks) on lib/*.cpp.

    python3 scripts/tidy.py [--build build] [--jobs N] [--no-cache] [FILE...]

Uses the build's compile_commands.json. A translation unit costs clang-tidy
tens of seconds (LibTorch's headers), so results are cached like ccache does:
a file whose preprocessed text, .clang-tidy and clang-tidy version are
unchanged since it last passed is not checked again (the cache lives in
${XDG_CACHE_HOME:-~/.cache}/hold/tidy). Exit 1 when any file has a finding.
"""
import argparse
import hashlib
import json
import os
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = Path(base) / "hold" / "tidy"
    path.mkdir(parents=True, exist_ok=True)
    return path


def preprocessed(entry):
    """The TU's preprocessed text (the cache key's main part), with -E instead of -c/-o."""
    args = entry["arguments"] if "arguments" in entry else shlex.split(entry["command"])
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a in ("-o", "-MF", "-MT", "-MQ"):
            skip = True
            continue
        if a in ("-c", "-MD", "-MMD") or a.endswith("ccache"):
            continue
        out.append(a)
    out += ["-E", "-P"]
    text = subprocess.run(out, cwd=entry["directory"], capture_output=True, check=False).stdout
    # __FILE__ expands to absolute paths: another checkout (CI's clone) of the
    # same sources must give the same key.
    return text.replace(str(ROOT).encode(), b"<root>")


def tidy_version(clang_tidy):
    return subprocess.run([clang_tidy, "--version"], capture_output=True, text=True, check=False).stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default=str(ROOT / "build"))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--clang-tidy", default=os.environ.get("CLANG_TIDY", "clang-tidy"))
    parser.add_argument("files", nargs="*")
    args = parser.parse_args()

    db_path = Path(args.build) / "compile_commands.json"
    if not db_path.exists():
        print(f"tidy: no {db_path} (build first: bash scripts/build.sh)")
        return 2
    entries = {}
    for e in json.loads(db_path.read_text()):
        f = Path(e["file"]).resolve()
        if (ROOT / "lib") in f.parents and f.suffix == ".cpp":
            entries[f] = e
    wanted = [Path(f).resolve() for f in args.files] if args.files else sorted(entries)
    config = (ROOT / ".clang-tidy").read_bytes() + tidy_version(args.clang_tidy).encode()
    cache = cache_dir()

    def check(path):
        entry = entries.get(path)
        if entry is None:
            return path, False, "not in compile_commands.json (re-run cmake)"
        key = hashlib.sha256(config + str(path.relative_to(ROOT)).encode() + preprocessed(entry)).hexdigest()
        if not args.no_cache and (cache / key).exists():
            return path, True, "cached"
        # GCC-only warning flags of the build (-Wno-restrict) are unknown to clang.
        r = subprocess.run([args.clang_tidy, "-p", args.build, "--quiet", "--extra-arg=-Wno-unknown-warning-option",
                            str(path)], capture_output=True, text=True,
                           check=False)
        findings = "\n".join(line for line in r.stdout.splitlines() if "warning:" in line or "error:" in line)
        ok = r.returncode == 0 and not findings
        if ok:
            (cache / key).touch()
        return path, ok, findings or r.stderr.strip()[-2000:]

    failed = 0
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for path, ok, text in pool.map(check, wanted):
            rel = path.relative_to(ROOT)
            if ok:
                print(f"tidy: ok {rel}" + (" (cached)" if text == "cached" else ""), flush=True)
            else:
                failed += 1
                print(f"tidy: FINDINGS {rel}\n{text}", flush=True)
    print(f"tidy: {len(wanted) - failed}/{len(wanted)} files clean")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
