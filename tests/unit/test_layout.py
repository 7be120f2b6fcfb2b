"""The package's layout keeps its promises: every module documented in the README, a core without
gradio, and no import cycles."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "rnn_demo"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def summary(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text()))
    assert doc, f"{path.relative_to(ROOT)} has no opening docstring"
    return doc.splitlines()[0].strip()


def test_readme_layout_table_lists_every_module_with_its_docstring():
    expected = [f"| `{p.relative_to(ROOT)}` | {summary(p)} |" for p in [ROOT / "app.py", *MODULES]]
    readme = (ROOT / "README.md").read_text()
    start, end = readme.index("<!-- layout -->"), readme.index("<!-- /layout -->")
    rows = [line for line in readme[start:end].splitlines() if line.startswith("| `")]
    assert rows == expected, "README layout table is stale; it should read:\n" + "\n".join(expected)


def test_the_core_imports_without_gradio():
    core = [module_name(p) for p in MODULES if "ui" not in p.relative_to(PACKAGE).parts
            and p.name != "__main__.py"]
    code = f"import sys\nfor m in {core!r}: __import__(m)\nprint('gradio' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False", "a core module imports gradio"


def imports_of(path: Path) -> set[str]:
    """The rnn_demo modules a file imports, at any depth of its code."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:       # `from . import x` may name a module
                found.add(f"{base}.{alias.name}")
            found.add(base)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    known = {module_name(p) for p in MODULES}
    return {m for m in found if m in known and m != module_name(path)}


def find_cycle(graph: dict) -> list | None:
    """A list of modules that import each other in a ring (first == last), or None."""
    trail, done = [], set()

    def visit(node):
        if node in trail:
            return trail[trail.index(node):] + [node]
        if node in done:
            return None
        trail.append(node)
        for nxt in sorted(graph.get(node, ())):
            if found := visit(nxt):
                return found
        trail.pop()
        done.add(node)
        return None

    return next(filter(None, (visit(node) for node in sorted(graph))), None)


def test_the_cycle_finder_finds_a_ring():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_package_has_no_import_cycles():
    cycle = find_cycle({module_name(p): imports_of(p) for p in MODULES})
    assert cycle is None, " -> ".join(cycle)
