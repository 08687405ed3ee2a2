#!/usr/bin/env python3
"""Checks lib/'s include graph (the tests run this; exit 1 on a violation).

1. No cycle among files: every #include "hold/<concern>/<file>" is an edge.
2. The modules below the run config never include it: no file under
   lib/{core,sde,objectives,models,samplers,data,metrics,likelihood} includes
   hold/io/config.h (each module owns its section; factories take it).
3. No cycle among the concern folders other than io <-> train: train's
   trainer and checkpoints consume the composed RunConfig of io/config, which
   in turn composes train's own sections (train_config.h, distributed.h).

--graph prints the folder-level graph (folder -> the folders it includes).
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIB = ROOT / "lib"
INCLUDE = re.compile(r'^\s*#\s*include\s+"hold/([^"]+)"', re.M)
BELOW_CONFIG = ["core", "sde", "objectives", "models", "samplers", "data", "metrics", "likelihood"]
ALLOWED_FOLDER_CYCLE = {frozenset({"io", "train"})}


def edges():
    graph = {}
    for path in sorted(LIB.rglob("*")):
        if path.suffix not in (".h", ".cpp"):
            continue
        name = path.relative_to(LIB).as_posix()
        graph[name] = [m for m in INCLUDE.findall(path.read_text(encoding="utf-8")) if (LIB / m).exists()]
    return graph


def find_cycle(graph):
    """A cycle as a list of nodes, or None (iterative DFS, colours)."""
    colour = {n: 0 for n in graph}
    for start in graph:
        if colour[start]:
            continue
        stack = [(start, iter(graph.get(start, ())))]
        path = [start]
        colour[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node] = 2
                stack.pop()
                path.pop()
                continue
            if colour.get(child, 0) == 1:
                return path[path.index(child):] + [child]
            if colour.get(child, 0) == 0:
                colour[child] = 1
                stack.append((child, iter(graph.get(child, ()))))
                path.append(child)
    return None


def folder_graph(graph):
    folders = {}
    for src, targets in graph.items():
        a = src.split("/")[0]
        folders.setdefault(a, set())
        for t in targets:
            b = t.split("/")[0]
            if a != b:
                folders[a].add(b)
    return folders


def main():
    graph = edges()
    failures = []
    cycle = find_cycle(graph)
    if cycle:
        failures.append("include cycle: " + " -> ".join(cycle))
    for src, targets in graph.items():
        if src.split("/")[0] in BELOW_CONFIG and "io/config.h" in targets:
            failures.append(f"lib/{src} includes hold/io/config.h (take the module's own section instead)")
    folders = folder_graph(graph)
    if "--graph" in sys.argv:
        for a in sorted(folders):
            print(f"{a:12s} -> {', '.join(sorted(folders[a])) or '-'}")
    for a in folders:
        for b in folders[a]:
            if a < b and a in folders.get(b, ()) and frozenset({a, b}) not in ALLOWED_FOLDER_CYCLE:
                failures.append(f"folders {a} and {b} include each other")
    # Longer folder cycles: remove the allowed pair's back edge and look again.
    reduced = {a: {b for b in bs if not (a == "io" and b == "train")} for a, bs in folders.items()}
    longer = find_cycle(reduced)
    if longer:
        failures.append("folder cycle: " + " -> ".join(longer))
    for f in failures:
        print("check_includes: " + f)
    print(f"check_includes: {len(graph)} files, {sum(map(len, graph.values()))} includes, "
          f"{'ok' if not failures else str(len(failures)) + ' problem(s)'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
