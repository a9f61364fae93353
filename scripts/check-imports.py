#!/usr/bin/env python3
"""Checks that a crate's modules import each other one way (no loops, nothing imports the root).

    python3 scripts/check-imports.py prasang-core/src prasang-server/src

Each file of a crate is a module. A module depends on another when its code names it: a `use`
line or a path in the code (`crate::store::Store`, `super::keys::DueEntry`, or `keys::DueEntry`
for a child module `keys`). A name the crate root
or any module re-exports (`crate::Timestamp`, from `pub use time::Timestamp`) counts as the module
it comes from.
Two edges are not counted: a module's own tests (`#[cfg(test)]` blocks and test-only modules)
and a file reaching its own parent `mod.rs` (a module and its private parts are one unit).

It prints every loop between modules (the modules of each strongly connected component) and
every module that imports the crate root (lib.rs / main.rs), and exits 1 if there is any.
`--graph` prints the edges instead, one `from -> to` a line, for drawing the stack.
"""

import re
import sys
from pathlib import Path

USE_RE = re.compile(r"\b(?:pub(?:\([^)]*\))?\s+)?use\s+([^;]+);", re.S)
PATH_RE = re.compile(r"\b(crate|super)((?:::\w+)+)")
CFG_TEST_RE = re.compile(r"#\[cfg\(test\)\]\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*([;{])")


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r'"(?:\\.|[^"\\])*"', '""', text)


def drop_test_blocks(text):
    """Removes `#[cfg(test)] mod x { ... }` blocks; returns the text and test-only module names."""
    test_mods = set()
    out, pos = [], 0
    for m in CFG_TEST_RE.finditer(text):
        if m.start() < pos:
            continue
        if m.group(2) == ";":
            test_mods.add(m.group(1))
            continue
        depth, i = 0, m.end() - 1
        while i < len(text):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        out.append(text[pos : m.start()])
        pos = i + 1
    out.append(text[pos:])
    return "".join(out), test_mods


def expand_use(tree):
    """`a::{b, c::{d, e}}` -> ['a::b', 'a::c::d', 'a::c::e']."""
    tree = re.sub(r"\s+", "", tree)
    brace = tree.find("{")
    if brace < 0:
        return [re.sub(r"as\w+$", "", tree)] if "as" not in tree else [tree.split("as")[0]]
    prefix, inner = tree[:brace], tree[brace + 1 : tree.rfind("}")]
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(inner):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(inner[start:i])
            start = i + 1
    parts.append(inner[start:])
    result = []
    for part in parts:
        if part:
            result.extend(prefix + p for p in expand_use(part))
    return result


class Crate:
    def __init__(self, src):
        self.src = Path(src)
        self.root_file = "lib.rs" if (self.src / "lib.rs").exists() else "main.rs"
        self.modules = {}  # module path (tuple) -> file text without comments and tests
        self.test_only = set()
        self._load((), self.src / self.root_file)
        self.reexports = self._reexports()

    def _load(self, path, file):
        text, test_mods = drop_test_blocks(strip_comments(file.read_text()))
        self.modules[path] = text
        for name in test_mods:
            self.test_only.add(path + (name,))
        for m in re.finditer(r"^\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", text, re.M):
            child = path + (m.group(1),)
            base = file.parent if file.name in ("lib.rs", "main.rs", "mod.rs") else file.parent / file.stem
            for candidate in (base / f"{child[-1]}.rs", base / child[-1] / "mod.rs"):
                if candidate.exists():
                    self._load(child, candidate)
                    break

    def children(self, path):
        return {p[-1] for p in self.modules if len(p) == len(path) + 1 and p[:-1] == path}

    def absolute(self, path, ref):
        """The segments from the crate root of a path written in module `path`, or None when it
        names something outside the crate (std, another crate, a local item)."""
        segs = [s for s in ref.split("::") if s]
        if not segs:
            return None
        if segs[0] == "crate":
            return tuple(segs[1:])
        if segs[0] == "self":
            return path + tuple(segs[1:])
        if segs[0] == "super":
            base = path
            while segs and segs[0] == "super":
                base, segs = base[:-1], segs[1:]
            return base + tuple(segs)
        if segs[0] in self.children(path):
            return path + tuple(segs)
        return None

    def _reexports(self):
        """Per module, the names it re-exports (`pub use record::Role`) and where they come from."""
        names = {}
        for path, text in self.modules.items():
            for m in USE_RE.finditer(text):
                if not m.group(0).lstrip().startswith("pub"):
                    continue
                for ref in expand_use(m.group(1)):
                    target = self.absolute(path, ref)
                    if target and target[-1] != "*":
                        names.setdefault(path, {})[target[-1]] = target
        return names

    def module_of(self, segs, seen=0):
        """The module that defines what a path (segments from the root) names, following
        re-exports (`crate::Timestamp` is `time`, `crate::users::Role` is `users::record`)."""
        best = ()
        for i in range(1, len(segs) + 1):
            if segs[:i] in self.modules:
                best = segs[:i]
        rest = segs[len(best) :]
        if rest and seen < 8:
            source = self.reexports.get(best, {}).get(rest[0])
            if source and source != segs[: len(best) + 1]:
                return self.module_of(source + rest[1:], seen + 1)
        return best

    def edges(self):
        result = set()
        for path, text in self.modules.items():
            if path in self.test_only:
                continue
            refs = []
            for m in USE_RE.finditer(text):
                refs.extend(expand_use(m.group(1)))
            # Paths in the code; those of `use` lines were read whole above (the prefix of
            # `use crate::users::{Gender, Role}` names no item of `users` itself).
            code = USE_RE.sub("", text)
            refs.extend(m.group(1) + m.group(2) for m in PATH_RE.finditer(code))
            # A path that starts with one of the module's own children (`use cx::WebCx`,
            # `organizer::edit::create`) is read from here, as if it said `self::`.
            children = self.children(path)
            if children:
                child_re = re.compile(r"(?<![\w:])(" + "|".join(sorted(children)) + r")((?:::\w+)+)")
                refs.extend(m.group(1) + m.group(2) for m in child_re.finditer(text))
            parent = path[:-1]
            for ref in refs:
                segs = self.absolute(path, ref)
                if segs is None:
                    continue
                target = self.module_of(segs)
                if target == path or target in self.test_only:
                    continue
                if path[: len(target)] == target and target != ():
                    continue  # a file reaching its own mod.rs (or an ancestor's): one unit
                result.add((path, target))
        return result


def name(crate, path):
    return crate.root_file if not path else "::".join(path)


def strongly_connected(nodes, edges):
    graph = {n: [] for n in nodes}
    for a, b in edges:
        graph[a].append(b)
    index, low, stack, on_stack, result, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                result.append(component)

    sys.setrecursionlimit(10000)
    for n in nodes:
        if n not in index:
            visit(n)
    return result


def main(argv):
    graph_only = "--graph" in argv
    dirs = [a for a in argv if not a.startswith("--")]
    failed = False
    for src in dirs:
        crate = Crate(src)
        edges = crate.edges()
        if graph_only:
            for a, b in sorted(edges):
                print(f"{src}: {name(crate, a)} -> {name(crate, b)}")
            continue
        up = sorted(a for a, b in edges if b == () and a != ())
        loops = strongly_connected(list(crate.modules), edges - {(a, b) for a, b in edges if b == ()})
        for a in up:
            print(f"{src}: {name(crate, a)} imports the crate root {crate.root_file}")
        for component in loops:
            members = sorted(name(crate, p) for p in component)
            inner = sorted(
                f"{name(crate, a)} -> {name(crate, b)}" for a, b in edges if a in component and b in component
            )
            print(f"{src}: loop between {', '.join(members)}: " + "; ".join(inner))
        failed |= bool(up or loops)
        if not up and not loops:
            print(f"{src}: {len(crate.modules)} modules, {len(edges)} imports, one way")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
