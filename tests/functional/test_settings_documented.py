"""Every setting is declared and documented: settings.py, template.yaml and README's table agree.

The names come from settings.py itself (its module-level ``NAME: Final = "VARIABLE"``
constants), the declarations from the template's Globals and function environments, the
documentation from the rows of the README's "Settings" table. A new variable that is missing
from the template (and not in ``LOCAL_ONLY``) or from the table fails here, and so does a row
for a variable nothing reads or declares, or a default the code does not use.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

import pytest

from tests.factories import ROOT
from webhook_to_track.errors import ConfigurationError
from webhook_to_track.local.template import function_environment, load_template
from webhook_to_track.settings import LOCAL_ONLY, Settings

SRC = ROOT / "src" / "webhook_to_track"
TEMPLATE = load_template(ROOT / "template.yaml")
FUNCTIONS = {"IngestFunction": "ingest", "ForwarderFunction": "forwarder"}
"""The template's functions, by the name the table's "function" column gives them."""
ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
# The smallest local environment that parses; defaults are compared against it.
BASE = {"IDEMPOTENCY_TABLE": "t", "SECRETS_NAME": "s"}


def setting_names() -> set[str]:
    """The values of settings.py's module-level string constants annotated ``Final``."""
    tree = ast.parse((SRC / "settings.py").read_text(encoding="utf-8"))
    return {
        node.value.value
        for node in tree.body
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.annotation, ast.Name)
        and node.annotation.id == "Final"
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


SETTINGS = setting_names()


def declared() -> dict[str, set[str]]:
    """Each variable the template declares -> the functions ("ingest", "forwarder") it is in."""
    globals_ = TEMPLATE["Globals"]["Function"].get("Environment", {}).get("Variables", {})
    functions: dict[str, set[str]] = {}
    for function_id, function in FUNCTIONS.items():
        variables = TEMPLATE["Resources"][function_id]["Properties"]["Environment"]["Variables"]
        for name in {**globals_, **variables}:
            functions.setdefault(name, set()).add(function)
    return functions


DECLARED = declared()


def template_values(name: str) -> set[str]:
    """What the template sets ``name`` to: literals as-is, ``!Ref Parameter`` as its default;
    a resource's ``!Ref`` (known only once deployed) is left out."""
    return {
        environment[name]
        for function_id in FUNCTIONS
        if name in (environment := function_environment(TEMPLATE, function_id=function_id))
    }


@dataclass(frozen=True)
class Row:
    name: str
    function: str
    default: str
    meaning: str


def readme_rows() -> list[Row]:
    """The rows of the README's "## Settings" table, one variable per row."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "\n## Settings\n" in text, "README.md has no '## Settings' section"
    section = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        assert len(cells) == 4, f"a settings row has 4 cells: {line}"
        match = re.fullmatch(r"`([^`]+)`", cells[0])
        assert match, f"one variable per row, in backticks: {line}"
        rows.append(Row(match.group(1), *cells[1:]))
    return rows


ROWS = readme_rows()
BY_NAME = {row.name: row for row in ROWS}


def readme_default(row: Row) -> str | None:
    """The table's default when it states one: a value in backticks, or ``empty``."""
    if row.default == "empty":
        return ""
    match = re.fullmatch(r"`([^`]*)`", row.default)
    return match.group(1) if match else None


class ReadRecorder(dict[str, str]):
    """An environment that remembers which variables were looked up."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return super().__getitem__(key)


def read_by_settings() -> set[str]:
    environ = ReadRecorder(BASE)
    Settings.from_env(environ)
    return environ.read


def test_the_names_are_found_and_look_like_environment_variables():
    assert {"SECRETS_NAME", "SECRETS_JSON", "USERPILOT_HOST", "FORWARD_QUEUE_URL"} <= SETTINGS
    assert all(ENV_NAME.fullmatch(name) for name in SETTINGS), sorted(SETTINGS)
    assert LOCAL_ONLY <= SETTINGS
    assert read_by_settings() <= SETTINGS | {"AWS_EXECUTION_ENV", "AWS_SAM_LOCAL"}


def test_the_template_functions_are_the_ones_the_table_names():
    functions = {
        name
        for name, resource in TEMPLATE["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    assert functions == set(FUNCTIONS)


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_every_setting_is_declared_in_the_template_unless_local_only(name):
    assert name in DECLARED or name in LOCAL_ONLY, (
        f"{name} is read by the code but template.yaml declares it nowhere: add it to a"
        " function's Environment (a literal or a !Ref of a Parameter), or, if only local runs"
        " use it, to LOCAL_ONLY in settings.py"
    )


@pytest.mark.parametrize("name", sorted(LOCAL_ONLY & set(DECLARED)))
def test_local_only_settings_are_empty_in_the_template(name):
    assert template_values(name) == {""}, f"{name} is local only: declare it empty"


def test_every_setting_and_template_variable_has_a_row():
    missing = (SETTINGS | set(DECLARED)) - set(BY_NAME)
    assert not missing, f"README's settings table lacks {sorted(missing)}"


def test_every_row_names_a_setting_once():
    stale = set(BY_NAME) - SETTINGS - set(DECLARED)
    assert not stale, f"README's settings table documents unknown variables {sorted(stale)}"
    assert len(ROWS) == len(BY_NAME), "a variable has two rows"


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.name)
def test_the_function_column_says_where_the_template_declares_it(row):
    functions = DECLARED.get(row.name, set())
    expected = "both" if functions == set(FUNCTIONS.values()) else "".join(functions)
    if expected:
        assert row.function.split(",")[0].split()[0] == expected, row
    assert ("local only" in row.function) == (row.name in LOCAL_ONLY), (
        f"{row.name}: the function column says 'local only' exactly for LOCAL_ONLY variables"
    )


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.name)
def test_a_variable_set_from_a_parameter_names_it(row):
    parameters = {
        value["Ref"]
        for function_id in FUNCTIONS
        for value in [
            {
                **TEMPLATE["Globals"]["Function"]["Environment"]["Variables"],
                **TEMPLATE["Resources"][function_id]["Properties"]["Environment"]["Variables"],
            }.get(row.name)
        ]
        if isinstance(value, dict) and value.get("Ref") in TEMPLATE["Parameters"]
    }
    for parameter in parameters:
        assert f"`{parameter}`" in row.meaning, f"{row.name}: say it comes from {parameter}"


@pytest.mark.parametrize(
    "row", [row for row in ROWS if readme_default(row) is not None], ids=lambda row: row.name
)
def test_the_default_is_what_the_code_and_the_template_use(row):
    default = readme_default(row)
    assert default is not None
    if row.name in read_by_settings():
        # Setting the variable to the documented default changes nothing.
        try:
            explicit = Settings.from_env({**BASE, row.name: default})
        except ConfigurationError as exc:
            pytest.fail(f"{row.name}={default!r} (README's default) is refused: {exc.problems}")
        assert explicit == Settings.from_env(BASE), f"{row.name}: the code's default differs"
    values = template_values(row.name) - {""}
    if row.name in read_by_settings():
        for value in values:
            assert Settings.from_env({**BASE, row.name: value}) == Settings.from_env(
                {**BASE, row.name: default}
            ), f"{row.name}: the template sets {value!r}, the README says {default!r}"
    else:
        # Read by Powertools or at import, not by Settings: the template's value is the default.
        assert values == {default}, f"{row.name}: the template sets {sorted(values)}"


def test_no_other_module_reads_the_environment_by_name():
    """Variable names live in settings.py: elsewhere, os.environ is read through its constants."""
    literal_reads = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "settings.py" and path.parent == SRC:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _is_environ_lookup(node.func) and node.args:
                key = node.args[0]
            elif isinstance(node, ast.Subscript) and _is_os_environ(node.value):
                key = node.slice
            else:
                continue
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                literal_reads.append(f"{path.relative_to(SRC)}:{node.lineno}: {key.value}")
    assert not literal_reads, literal_reads


def _is_os_environ(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ"


def _is_environ_lookup(func: ast.expr) -> bool:
    if isinstance(func, ast.Attribute) and func.attr == "getenv":
        return True
    return isinstance(func, ast.Attribute) and func.attr == "get" and _is_os_environ(func.value)
