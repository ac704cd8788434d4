#!/usr/bin/env python3
"""Checks the shape of the code that no compiler checks.

1. No import circle between the modules of any crate. A module is a file (or an inline `mod`
   in it is counted with its file). A reference from module `a::b::c` to `a::d::e` is an arrow
   between the siblings where their paths part (`a::b` → `a::d`): a parent may use its children
   and a child its parent, but two siblings may not use each other, directly or round a circle.
2. No product file over MAX_FILE_LINES lines and no product function over MAX_FN_LINES lines
   (tests, benches, examples and fixtures are not product code).

Usage: layout.py [ROOT]   (ROOT defaults to the repository root; checks ROOT/crates/*)
Exits 1 and names every offence; prints a one-line summary either way.
"""

import os
import re
import sys
from collections import defaultdict

MAX_FILE_LINES = 700
MAX_FN_LINES = 120

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip_comments_and_strings(text):
    """Blanks out comments, string and char literals, keeping line breaks (so line numbers hold)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            hashes = re.match(r"r(#*)\"", text[i:]).group(1)
            end = text.find('"' + hashes, i + 2 + len(hashes))
            end = n if end < 0 else end + 1 + len(hashes)
            out.append('""' + re.sub(r"[^\n]", " ", text[i + 2:end]))
            i = end
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('"' + re.sub(r"[^\n]", " ", text[i + 1:j]) + '"')
            i = j + 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i + 4]) or (c == "'" and re.match(r"'\\[xu]", text[i:])):
            m = re.match(r"'(\\u\{[0-9a-fA-F]+\}|\\x[0-9a-fA-F]{2}|\\.|[^\\'])'", text[i:])
            if m:
                out.append(" " * len(m.group(0)))
                i += len(m.group(0))
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def module_of(src_root, path):
    """`src/a/b.rs` → ('a','b'); `src/a/mod.rs` → ('a',); `src/lib.rs` / `src/main.rs` → ()."""
    rel = os.path.relpath(path, src_root)[:-3].split(os.sep)
    if rel[-1] == "mod":
        rel = rel[:-1]
    if rel in (["lib"], ["main"]):
        return ()
    return tuple(rel)


def expand_use(tree):
    """Expands `a::{b, c::{d, e}}` into ['a::b', 'a::c::d', 'a::c::e']."""
    tree = re.sub(r"\s+", "", tree)
    depth, start = 0, None
    for k, ch in enumerate(tree):
        if ch == "{":
            if depth == 0:
                start = k
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                prefix, inner = tree[:start], tree[start + 1:k]
                parts, d, last = [], 0, 0
                for m, ch2 in enumerate(inner):
                    if ch2 == "{":
                        d += 1
                    elif ch2 == "}":
                        d -= 1
                    elif ch2 == "," and d == 0:
                        parts.append(inner[last:m])
                        last = m + 1
                parts.append(inner[last:])
                result = []
                for p in parts:
                    if p:
                        result.extend(expand_use(prefix + p))
                return result
    return [tree]


def references(text):
    """Every path that starts with crate::, super:: or self:: in the code."""
    refs = []
    for m in re.finditer(r"\buse\s+((?:crate|super|self)\b[^;]*);", text):
        line = text.count("\n", 0, m.start()) + 1
        for p in expand_use(m.group(1)):
            refs.append((line, p))
    for m in re.finditer(r"(?<![A-Za-z0-9_:])((?:crate|super|self)(?:::(?:super|" + IDENT + r"))+)", text):
        line = text.count("\n", 0, m.start()) + 1
        refs.append((line, m.group(1)))
    return refs


def resolve(current, path, modules):
    """The module a path points into: the longest known module prefix of its absolute form."""
    segs = path.split("::")
    if segs[0] == "crate":
        base, rest = [], segs[1:]
    else:
        base = list(current)
        rest = segs
        while rest and rest[0] in ("self", "super"):
            if rest[0] == "super":
                if not base:
                    return None
                base.pop()
            rest = rest[1:]
    full = base + [s for s in rest if s and s != "*"]
    for k in range(len(full), -1, -1):
        if tuple(full[:k]) in modules:
            return tuple(full[:k])
    return ()


def find_cycles(edges):
    """Strongly connected components with more than one member (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]
    nodes = set(edges) | {b for bs in edges.values() for b in bs}

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def is_product(path):
    parts = path.split(os.sep)
    return "src" in parts and not any(p in ("tests", "benches", "examples", "fixtures") for p in parts) and not path.endswith("tests.rs")


def long_functions(text):
    """(name, first line, length) of each `fn` whose body spans more than MAX_FN_LINES lines."""
    found = []
    for m in re.finditer(r"\bfn\s+(" + IDENT + r")", text):
        open_at = None
        depth = 0
        k = m.end()
        # the body starts at the first `{` at angle/paren depth zero; a `;` first means no body
        while k < len(text):
            ch = text[k]
            if ch in "(<[":
                depth += 1
            elif ch in ")>]":
                depth -= 1
            elif ch == ";" and depth <= 0:
                break
            elif ch == "{" and depth <= 0:
                open_at = k
                break
            k += 1
        if open_at is None:
            continue
        d, j = 0, open_at
        while j < len(text):
            if text[j] == "{":
                d += 1
            elif text[j] == "}":
                d -= 1
                if d == 0:
                    break
            j += 1
        first = text.count("\n", 0, m.start()) + 1
        last = text.count("\n", 0, j) + 1
        if last - first + 1 > MAX_FN_LINES:
            found.append((m.group(1), first, last - first + 1))
    return found


def test_module_spans(text):
    """Line ranges of `#[cfg(test)] mod … { … }` blocks, which are not product code."""
    spans = []
    for m in re.finditer(r"#\[cfg\(test\)\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+" + IDENT + r"\s*\{", text):
        d, j = 0, m.end() - 1
        while j < len(text):
            if text[j] == "{":
                d += 1
            elif text[j] == "}":
                d -= 1
                if d == 0:
                    break
            j += 1
        spans.append((text.count("\n", 0, m.start()) + 1, text.count("\n", 0, j) + 1))
    return spans


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    crates_dir = os.path.join(root, "crates")
    offences = []
    crates = 0
    for crate in sorted(os.listdir(crates_dir)):
        src = os.path.join(crates_dir, crate, "src")
        if not os.path.isdir(src):
            continue
        crates += 1
        files = {}
        for dirpath, _, names in os.walk(src):
            for name in names:
                if name.endswith(".rs"):
                    path = os.path.join(dirpath, name)
                    files[path] = module_of(src, path)
        modules = set(files.values()) | {()}
        edges = defaultdict(set)
        witness = {}
        for path, current in sorted(files.items()):
            with open(path, encoding="utf-8") as f:
                raw = f.read()
            text = strip_comments_and_strings(raw)
            tests = test_module_spans(text)
            for line, ref in references(text):
                if any(s <= line <= e for s, e in tests):
                    continue  # a unit test may reach anything in its crate
                target = resolve(current, ref, modules)
                if target is None:
                    continue
                k = 0
                while k < min(len(current), len(target)) and current[k] == target[k]:
                    k += 1
                if k == len(current) or k == len(target):
                    continue  # an ancestor or a descendant
                a, b = current[: k + 1], target[: k + 1]
                edges[a].add(b)
                witness.setdefault((a, b), f"{os.path.relpath(path, root)}:{line} uses {ref}")
            rel = os.path.relpath(path, root)
            if is_product(rel):
                product_lines = raw.count("\n") - sum(e - s + 1 for s, e in tests)
                if product_lines > MAX_FILE_LINES:
                    offences.append(f"{rel}: {product_lines} lines of product code (most {MAX_FILE_LINES})")
                for name, first, length in long_functions(text):
                    if any(s <= first <= e for s, e in tests):
                        continue
                    offences.append(f"{rel}:{first}: fn {name} is {length} lines (most {MAX_FN_LINES})")
        for comp in find_cycles(edges):
            names = ["::".join(m) or "crate" for m in comp]
            lines = [f"plexus-{crate}: import circle between modules {', '.join(names)}"]
            members = set(comp)
            for a in comp:
                for b in sorted(edges[a]):
                    if b in members:
                        lines.append(f"    {witness[(a, b)]}")
            offences.append("\n".join(lines))
    for o in offences:
        print(o)
    print(f"layout: {crates} crates checked, {len(offences)} offences")
    return 1 if offences else 0


if __name__ == "__main__":
    sys.exit(main())
