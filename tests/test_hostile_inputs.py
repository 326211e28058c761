"""Hostile and broken files: refused fast in bounded memory, reported clearly, never in the way.

The corpus is the demo's bad files (one per common mistake) plus `tests.hostile`
(not spreadsheets, bombs, entity expansion, formulas without values, huge
sheets, invisible marks, SQL and formula text, odd file names). Everything
runs through `pipeline.run_once` with good files in the same batch.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import python_calamine as pc

from ntm.settings import Settings
from tests import hostile
from tests.workbooks import Book
from transforms import pipeline
from transforms.demo import generate as demo
from transforms.validation.issues import RULES

ROOT = Path(__file__).resolve().parents[1]
MEMORY_LIMIT = 1536 * 1024 * 1024  # address space of the subprocesses that read hostile files
SECONDS_PER_FILE = 5.0  # a guard, not a benchmark: each refusal takes well under a second
# Words of Python's own error texts that an officer must never read.
TECHNICAL = ("Traceback", "Exception", "Error(", "errno", "<class", "NoneType", "object at 0x")


def _age(folder: Path) -> None:
    stamp = time.time() - 120
    for path in folder.iterdir():
        os.utime(path, (stamp, stamp), follow_symlinks=False)


def _run(code: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run Python code in a subprocess limited to MEMORY_LIMIT bytes of address space."""
    prelude = (
        "import resource\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_LIMIT}, {MEMORY_LIMIT}))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", prelude + code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )


# --- the corpus -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str | None]]:
    """Write every hostile case and every demo bad file; return folder, {file: rule}."""
    folder = tmp_path_factory.mktemp("corpus")
    expected: dict[str, str | None] = dict(demo.generate_bad_files(folder))
    for case in hostile.cases():
        case.build(folder / case.name)
        expected[case.name] = case.rule
    _age(folder)
    return folder, expected


CASES = {case.name: case for case in hostile.cases()}


def test_the_corpus_has_more_than_thirty_kinds_and_every_rejecting_rule(corpus):
    _, expected = corpus
    assert len(expected) >= 60
    kinds = {(rule, name.split("-", 1)[1]) for name, rule in expected.items()}
    assert len(kinds) >= 30
    rejecting = {code for code, rule in RULES.items() if rule.severity == "error"}
    assert rejecting - set(expected.values()) == set(), "a rejecting rule has no bad file"


# --- refused quickly, in bounded memory, before parsing -------------------------------

VALIDATE_EACH = """
import json, resource, sys, time
from pathlib import Path
from transforms.validation.validate import validate_file
folder, names = Path(sys.argv[1]), sys.argv[2:]
validate_file(folder / names[-1])  # warm up on a good file: imports, registry
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = {}
for name in names[:-1]:
    t = time.perf_counter()
    result = validate_file(folder / name)
    out[name] = {
        "seconds": time.perf_counter() - t,
        "rules": sorted({i.rule for i in result.errors}),
        "grown_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base,
    }
print(json.dumps(out))
"""


def test_hostile_files_are_refused_quickly_and_in_bounded_memory(corpus):
    """In a process limited to 1.5 GB: before the pre-scan, the XFD1048576 file alone
    aborted the process (calamine asked for 512 GB) and a million rows took 900 MB."""
    folder, _ = corpus
    names = [c.name for c in CASES.values() if c.rule is not None] + ["good-116.xlsx"]
    done = _run(VALIDATE_EACH, str(folder), *names)
    assert done.returncode == 0, done.stderr[-2000:]
    timings = json.loads(done.stdout)
    slow = {n: t["seconds"] for n, t in timings.items() if t["seconds"] > SECONDS_PER_FILE}
    assert not slow
    wrong = {n: t["rules"] for n, t in timings.items() if CASES[n].rule not in t["rules"]}
    assert not wrong
    grown_mb = max(t["grown_kb"] for t in timings.values()) / 1024
    assert grown_mb < 300, f"peak memory grew by {grown_mb:.0f} MB over a good file"


def test_limits_are_checked_before_calamine_opens_the_file(corpus, monkeypatch):
    from transforms.workbook import reader

    def refuse(*_args, **_kwargs):
        raise AssertionError("calamine opened a file that should have been refused")

    folder, _ = corpus
    monkeypatch.setattr(reader.pc.CalamineWorkbook, "from_path", refuse)
    for name in (
        "h08-oversize.xlsx",
        "h09-zip-bomb.xlsx",
        "h10-zip-lying-about-sizes.xlsx",
        "h11-thousands-of-parts.xlsx",
        "h12-billion-laughs-shared-strings.xlsx",
        "h13-billion-laughs-sheet.xlsx",
        "h14-external-entity.xlsx",
        "h22-ods-row-repeated.ods",
    ):
        result = reader.read_workbook(folder / name)
        assert [i.rule for i in result.issues] == [CASES[name].rule], name


def test_a_huge_sheet_is_never_loaded(corpus, monkeypatch):
    from transforms.workbook import reader

    folder, _ = corpus
    loaded: list[str] = []
    real = pc.CalamineWorkbook.get_sheet_by_name

    def spy(self, name):
        loaded.append(name)
        return real(self, name)

    monkeypatch.setattr(reader.pc.CalamineWorkbook, "get_sheet_by_name", spy)
    for name in (
        "h18-million-rows.xlsx",
        "h19-cell-XFD1048576.xlsx",
        "h21-cells-without-refs.xlsx",
    ):
        loaded.clear()
        result = reader.read_workbook(folder / name)
        assert "sheet_too_large" in [i.rule for i in result.issues]
        assert hostile.COMMUNES_SHEET not in loaded, name


# --- through the pipeline, with good files in the same batch --------------------------

RUN_ONCE = """
import sys, pathlib
from ntm.settings import Settings
from transforms.pipeline import run_once
run_once(Settings(home=pathlib.Path(sys.argv[1]), settle_seconds=0), "hostile-run")
"""


@pytest.fixture(scope="module")
def loaded(corpus, tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, float]:
    """Run the pipeline once, in a memory-limited subprocess, over the whole corpus."""
    folder, _ = corpus
    settings = Settings(home=tmp_path_factory.mktemp("hostile") / "home", settle_seconds=0)
    settings.ensure()
    for path in folder.iterdir():
        os.link(path, settings.inbox / path.name)
    started = time.perf_counter()
    done = _run(RUN_ONCE, str(settings.home))
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-3000:]
    return settings, seconds


def _query(settings: Settings, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.published), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_every_file_of_the_batch_is_recorded_with_its_verdict(corpus, loaded):
    _, expected = corpus
    settings, seconds = loaded
    statuses = dict(_query(settings, "select file_name, status from ops.submissions"))
    assert set(statuses) == set(expected)
    wrong = {
        name: statuses[name]
        for name, rule in expected.items()
        if (statuses[name] == "rejected") != (rule is not None)
    }
    assert not wrong
    assert list(settings.inbox.iterdir()) == []
    assert seconds < 120


def test_every_bad_file_has_its_rule_and_a_clear_message(corpus, loaded):
    _, expected = corpus
    settings, _ = loaded
    issues = _query(
        settings,
        'select s.file_name, i.rule, i.sheet, i."row", i.column_name, i.message, i.message_vi'
        " from ops.validation_issues i join ops.submissions s using (submission_id)"
        " where i.severity = 'error' order by s.file_name, i.sheet, i.\"row\"",
    )
    by_file: dict[str, list[tuple]] = {}
    for row in issues:
        by_file.setdefault(row[0], []).append(row[1:])
    for name, rule in expected.items():
        if rule is None:
            assert name not in by_file, by_file.get(name)
            continue
        found = [i for i in by_file.get(name, []) if i[0] == rule]
        assert found, (name, rule, by_file.get(name))
        for _, sheet, row, _, message, message_vi in found:
            assert message and message_vi, name
            assert not any(word in message for word in TECHNICAL), (name, message)
            if sheet is not None:
                assert f"'{sheet}'" in message, (name, message)
            if row is not None:
                assert str(row) in message, (name, message)
        case = CASES.get(name)
        if case is not None:
            assert len(found) >= case.count, (name, found)
            first = found[0]
            if case.sheet is not None:
                assert first[1] == case.sheet, (name, first)
            if case.row is not None:
                assert first[2] == case.row, (name, first)
            if case.column is not None:
                assert first[3] == case.column, (name, first)


def test_the_good_files_of_the_batch_are_loaded(loaded):
    settings, _ = loaded
    reported = _query(
        settings,
        "select distinct district_code from marts.commune_assessment"
        " where year = 2023 and status <> 'not_reported' order by 1",
    )
    assert {d for (d,) in reported} >= {*hostile.GOOD_DISTRICTS, "118", "119", "120"}


def test_sql_and_formula_text_in_cells_is_stored_verbatim(loaded):
    settings, _ = loaded
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        names = {n for (n,) in con.execute("select commune_name from raw.communes").fetchall()}
        models = {n for (n,) in con.execute("select model_name from raw.models").fetchall()}
        tables = con.execute(
            "select count(*) from duckdb_tables() where schema_name in ('raw', 'ops')"
        ).fetchall()
    assert hostile.SQL_NAME in names
    assert "=cmd|' /C calc'!A0" in names
    assert hostile.SQL_MODEL in models and "@SUM(1+1)*cmd" in models
    assert tables[0][0] >= 5  # raw.communes, raw.models, ops.submissions... all still there
    warned = _query(
        settings,
        "select value from ops.validation_issues where rule = 'commune_name_mismatch'",
    )
    assert (hostile.SQL_NAME,) in warned


def test_a_zip_member_named_with_dot_dot_is_never_extracted(loaded):
    assert not Path("/tmp/ntm-zip-slip.txt").exists()


def test_original_bytes_of_every_file_are_kept_in_the_archive(corpus, loaded):
    folder, _ = corpus
    settings, _ = loaded
    rows = _query(settings, "select file_name, archive_path from ops.submissions")
    for name, archive_path in rows:
        kept = Path(archive_path)
        assert kept.resolve().is_relative_to(settings.archive.resolve())
        if name != "h08-oversize.xlsx":  # sparse 20 MB: compared by size only
            assert kept.read_bytes() == (folder / name).read_bytes(), name
        else:
            assert kept.stat().st_size == (folder / name).stat().st_size


# --- file names ---------------------------------------------------------------------


def test_odd_file_names_are_recorded_as_written_and_archived_inside_the_archive(tmp_path):
    settings = Settings(home=tmp_path / "home", settle_seconds=0).ensure()
    for i, name in enumerate(hostile.ODD_NAMES):
        book = Book(district=hostile.GOOD_DISTRICTS[i % 3])
        book.rows[0]["security_teams"] = 20 + i  # distinct bytes per file
        book.write(settings.inbox / "tmp.xlsx").rename(settings.inbox / name)
    for name in hostile.IGNORED_NAMES:
        (settings.inbox / name).write_bytes(b"left alone " + name.encode())
    _age(settings.inbox)
    pipeline.run_once(settings, "names")
    with duckdb.connect(str(settings.published), read_only=True) as con:
        rows = con.execute("select file_name, status, archive_path from ops.submissions").fetchall()
    assert sorted(r[0] for r in rows) == sorted(hostile.ODD_NAMES)
    statuses = {name: status for name, status, _ in rows}
    assert statuses.pop("no-suffix") == "rejected"
    assert set(statuses.values()) <= {"accepted", "superseded"}
    archive = settings.archive.resolve()
    for _, _, archive_path in rows:
        assert Path(archive_path).resolve().is_relative_to(archive)
        assert Path(archive_path).parent.parent.resolve() == archive
    assert sorted(p.name for p in settings.inbox.iterdir()) == sorted(hostile.IGNORED_NAMES)
    outside = {p.name for p in tmp_path.iterdir()}
    assert outside == {"home"}


def test_a_file_name_that_is_not_utf8_does_not_stop_the_run(tmp_path):
    settings = Settings(home=tmp_path / "home", settle_seconds=0).ensure()
    Book().write(settings.inbox / os.fsdecode(b"b\xe1o-c\xe1o.xlsx"))  # Latin-1 bytes
    Book(district="118").write(settings.inbox / "good.xlsx")
    _age(settings.inbox)
    pipeline.run_once(settings, "latin1")
    with duckdb.connect(str(settings.published), read_only=True) as con:
        statuses = con.execute("select status from ops.submissions").fetchall()
    assert sorted(s for (s,) in statuses) == ["accepted", "accepted"]


# --- no text written to a spreadsheet becomes a formula -------------------------------

FORMULA_TEXT = ["=1+1", '=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"]


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm", ".xls", ".ods"])
def test_text_written_to_a_workbook_never_becomes_a_formula(tmp_path, suffix):
    import zipfile

    from transforms.workbook.writer import write_workbook

    path = write_workbook(tmp_path / f"out{suffix}", [("Sheet", [FORMULA_TEXT])])
    wb = pc.CalamineWorkbook.from_path(str(path))
    assert wb.get_sheet_by_name("Sheet").to_python() == [FORMULA_TEXT]
    if suffix in (".xlsx", ".xlsm"):
        with zipfile.ZipFile(path) as zf:
            sheets = [zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any(b"<f>" in s or b"<f " in s for s in sheets)
    elif suffix == ".ods":
        with zipfile.ZipFile(path) as zf:
            assert b"table:formula" not in zf.read("content.xml")


# --- no SQL is built by pasting values ------------------------------------------------

SQL_DIRS = ("transforms", "flows", "ntm", "schemas")
SQL_METHODS = {"execute", "executemany", "sql", "read_sql", "exec_driver_sql", "from_query"}
# Helpers whose output is a quoted identifier or literal: safe whatever goes in.
QUOTERS = {"quote_ident", "quote_literal"}
# Names of library methods too common to trust because a function of ours shares them.
LIBRARY_METHODS = {"filter", "format", "join", "get", "read", "replace", "sql", "query", "execute"}
# Interpolations that are constants by construction but not provably so from the
# syntax alone: (file, function, expression) -> why it is not user input.
RUNNER = "transforms/warehouse/runner.py"
CONNECTION = "transforms/warehouse/connection.py"
ALLOWED = {
    (RUNNER, "build_models", "model.relation"): "from our own sql/models.txt",
    (RUNNER, "build_models", "_read(model.path)"): "our own sql/ file",
    (RUNNER, "migrate", "sql"): "our own migration files",
    (RUNNER, "create_view", "model.relation"): "from our own sql/models.txt",
    (RUNNER, "create_view", "sql or _read(model.path)"): "our own sql/ file",
    (RUNNER, "settle_in_force", "_read('ops/settle_in_force.sql')"): "our own sql/ file",
    (CONNECTION, "derive_predecessors", "query"): "our own sql/ file (PREDECESSORS_SQL)",
}


class _Checker:
    """Decide whether an expression passed to .execute() is built from constants only."""

    def __init__(self, files: dict[str, ast.Module]) -> None:
        self.files = files
        self.problems: list[str] = []
        self.functions: dict[str, list[tuple[str, ast.FunctionDef]]] = {}
        self.constants: dict[str, set[str]] = {}
        for rel, tree in files.items():
            self.constants[rel] = {
                t.id
                for node in tree.body
                if isinstance(node, ast.Assign | ast.AnnAssign)
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
                if isinstance(t, ast.Name) and t.id.isupper()
            }
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef):
                    self.functions.setdefault(node.name, []).append((rel, node))

    def run(self) -> list[str]:
        for rel, tree in self.files.items():
            for func in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
                for call in ast.walk(func):
                    if (
                        isinstance(call, ast.Call)
                        and isinstance(call.func, ast.Attribute)
                        and call.func.attr in SQL_METHODS
                        and call.args
                    ):
                        self.check(call.args[0], rel, func, depth=0)
        return self.problems

    def check(self, expr: ast.expr, rel: str, func: ast.FunctionDef, depth: int) -> None:
        if not self.safe(expr, rel, func, depth):
            self.problems.append(f"{rel}:{expr.lineno} in {func.name}(): {ast.unparse(expr)}")

    def safe(self, expr: ast.expr, rel: str, func: ast.FunctionDef, depth: int) -> bool:
        if (rel, func.name, ast.unparse(expr)) in ALLOWED:
            return True
        if isinstance(expr, ast.Constant):
            return True
        if isinstance(expr, ast.JoinedStr):
            return all(
                self.safe(v.value, rel, func, depth)
                for v in expr.values
                if isinstance(v, ast.FormattedValue)
            )
        if isinstance(expr, ast.BinOp):
            return self.safe(expr.left, rel, func, depth) and self.safe(
                expr.right, rel, func, depth
            )
        if isinstance(expr, ast.Tuple | ast.List):
            return all(self.safe(e, rel, func, depth) for e in expr.elts)
        if isinstance(expr, ast.Call):
            f = expr.func
            if isinstance(f, ast.Name) and f.id in QUOTERS:
                return True
            if isinstance(f, ast.Attribute) and f.attr == "format":
                parts = [f.value, *expr.args, *(k.value for k in expr.keywords)]
                return all(self.safe(p, rel, func, depth) for p in parts)
            if self.safe_returns(_called(expr), depth):
                return True  # one of our functions that only ever returns constant SQL
            if isinstance(f, ast.Name) and f.id == "str" and len(expr.args) == 1:
                return self.safe(expr.args[0], rel, func, depth)
            if isinstance(f, ast.Attribute) and f.attr == "join" and len(expr.args) == 1:
                items = expr.args[0]
                if isinstance(items, ast.GeneratorExp | ast.ListComp):
                    items = items.elt  # "." .join(quote_ident(p) for p in parts): each item
                return self.safe(f.value, rel, func, depth) and self.safe(items, rel, func, depth)
            return False
        if isinstance(expr, ast.Attribute):
            return expr.attr.isupper()  # a module constant such as c.MAX_FILE_BYTES
        if isinstance(expr, ast.Name):
            return self.safe_name(expr.id, rel, func, depth)
        return False

    def safe_returns(self, name: str | None, depth: int) -> bool:
        """A call is safe when every production function of that name returns safe values
        only (a method name shared with a library never is: it is not ours alone)."""
        defined = self.functions.get(name or "", [])
        if not defined or depth >= 3 or name in LIBRARY_METHODS:
            return False
        returns = [
            (rel, fn, node.value)
            for rel, fn in defined
            for node in ast.walk(fn)
            if isinstance(node, ast.Return) and node.value is not None
        ]
        return bool(returns) and all(self.safe(v, rel, fn, depth + 1) for rel, fn, v in returns)

    def safe_name(self, name: str, rel: str, func: ast.FunctionDef, depth: int) -> bool:
        if name in self.constants[rel] and name.isupper():
            return True
        bound = False
        for node in ast.walk(func):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets
            ):
                bound = True
                if not self.safe(node.value, rel, func, depth):
                    return False
            elif (
                isinstance(node, ast.AugAssign)
                and isinstance(node.target, ast.Name)
                and node.target.id == name
            ):
                if not self.safe(node.value, rel, func, depth):
                    return False
            elif isinstance(node, ast.For) and name in _names(node.target):
                bound = True
                if not self.safe_loop(node, name, rel, func, depth):
                    return False
        if bound:
            return True
        params = [a.arg for a in func.args.args]
        if name in params and depth < 3:
            return self.safe_parameter(func, params.index(name), name, depth + 1)
        return False

    def safe_loop(self, loop: ast.For, name: str, rel: str, func: ast.FunctionDef, depth: int):
        """A loop variable is safe when the loop runs over literals (or tuples of them)."""
        source = loop.iter
        if isinstance(source, ast.Name) and source.id.isupper():
            return True
        if not isinstance(source, ast.Tuple | ast.List):
            return False
        if isinstance(loop.target, ast.Name):
            return all(self.safe(e, rel, func, depth) for e in source.elts)
        index = _names(loop.target).index(name)
        return all(
            isinstance(e, ast.Tuple) and self.safe(e.elts[index], rel, func, depth)
            for e in source.elts
        )

    def safe_parameter(self, func: ast.FunctionDef, index: int, name: str, depth: int) -> bool:
        """A parameter is safe when every call of its function passes a safe value."""
        calls = 0
        for rel, tree in self.files.items():
            for caller in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
                for call in ast.walk(caller):
                    if not (isinstance(call, ast.Call) and _called(call) == func.name):
                        continue
                    arg = next((k.value for k in call.keywords if k.arg == name), None)
                    if arg is None and index < len(call.args):
                        arg = call.args[index]
                    if arg is None:
                        continue
                    calls += 1
                    if not self.safe(arg, rel, caller, depth):
                        return False
        return calls > 0  # a value nobody in production passes comes from outside


def _names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple):
        return [n for e in target.elts for n in _names(e)]
    return []


def _called(call: ast.Call) -> str | None:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def _parse_tree(folders: tuple[str, ...]) -> dict[str, ast.Module]:
    files = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            files[str(path.relative_to(ROOT))] = ast.parse(path.read_text(encoding="utf-8"))
    return files


def test_no_sql_is_built_by_pasting_values_in_production_code():
    problems = _Checker(_parse_tree(SQL_DIRS)).run()
    assert not problems, "SQL built from non-constant values:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "code",
    [
        "def f(con, value):\n    con.execute(f\"select * from t where name = '{value}'\")\n",
        "def f(con, value):\n    con.execute(\"select * from t where name = '%s'\" % value)\n",
        'def f(con, value):\n    con.execute("select {} from t".format(value))\n',
        'def f(con, value):\n    q = "select * from " + value\n    con.execute(q)\n',
        'def f(con, rows):\n    for name in rows:\n        con.execute(f"drop table {name}")\n',
        'def g(con, t):\n    con.execute(f"delete from {t}")\n\n'
        "def h(con, user):\n    g(con, user.table)\n",
        'def f(con, v):\n    q = "select * from t where "\n    q += v\n    con.execute(q)\n',
        "def cond(v):\n    if v:\n        return 'a = 1'\n    return v\n\n"
        'def f(con, v):\n    con.execute(f"select * from t where {cond(v)}")\n',
    ],
)
def test_the_sql_check_catches_a_pasted_value(code):
    assert _Checker({"x.py": ast.parse(code)}).run()


@pytest.mark.parametrize(
    "code",
    [
        'def f(con, v):\n    con.execute("select * from t where name = ?", [v])\n',
        'def f(con):\n    for t in ("a.b", "c.d"):\n        con.execute(f"delete from {t}")\n',
        'def g(con, t):\n    con.execute(f"delete from {t}")\n\ndef h(con):\n    g(con, "ops.x")\n',
        "def cond(v):\n    if v:\n        return 'a = ?'\n    return 'true'\n\n"
        'def f(con, v):\n    con.execute(f"select * from t where {cond(v)}", [v])\n',
    ],
)
def test_the_sql_check_lets_constants_and_parameters_through(code):
    assert _Checker({"x.py": ast.parse(code)}).run() == []


def test_the_quoting_helpers_the_sql_check_trusts_do_escape():
    from transforms.warehouse.quoting import quote_ident, quote_literal

    assert quote_literal(str(Path("/tmp/it's.duckdb"))) == "'/tmp/it''s.duckdb'"
    assert quote_ident('a"; drop table x; --') == '"a""; drop table x; --"'
    assert quote_literal("it's") == "'it''s'"


def test_a_count_too_large_for_the_warehouse_is_rejected_and_the_batch_loads(tmp_path):
    settings = Settings(home=tmp_path / "home", settle_seconds=0).ensure()
    huge = Book()
    huge.rows[0]["cameras"] = 10**10
    huge.write(settings.inbox / "huge.xlsx")
    Book(district="118").write(settings.inbox / "good.xlsx")
    _age(settings.inbox)
    pipeline.run_once(settings, "huge")
    with duckdb.connect(str(settings.published), read_only=True) as con:
        statuses = dict(con.execute("select file_name, status from ops.submissions").fetchall())
    assert statuses == {"huge.xlsx": "rejected", "good.xlsx": "accepted"}
