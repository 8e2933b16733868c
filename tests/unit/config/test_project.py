"""Static parsing of langgraph.json (steadygraph.config.project): no user code is imported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from steadygraph.config.project import ConfigError, GraphSpec, load_project

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def write_project(
    root: Path, config: dict[str, Any] | str, files: dict[str, str] | None = None
) -> Path:
    """Write langgraph.json (a dict, or raw text) plus extra files under `root`."""
    for name, text in (files or {}).items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    path = root / "langgraph.json"
    path.write_text(config if isinstance(config, str) else json.dumps(config))
    return path


def test_examples_project() -> None:
    project = load_project(EXAMPLES / "langgraph.json")

    assert project.path == EXAMPLES / "langgraph.json"
    assert project.base_dir == EXAMPLES
    assert project.graph_ids == ["agent"]
    assert project.graphs["agent"] == GraphSpec(
        graph_id="agent",
        module="./agent.py",
        attr="graph",
        file=EXAMPLES / "agent.py",
        description=None,
    )
    assert project.dependencies == [EXAMPLES]
    assert project.packages == []
    assert project.env == {}
    assert project.raw["graphs"] == {"agent": "./agent.py:graph"}


def test_folder_path_finds_langgraph_json() -> None:
    assert load_project(EXAMPLES).path == EXAMPLES / "langgraph.json"


def test_graph_forms_and_order(tmp_path: Path) -> None:
    path = write_project(
        tmp_path,
        {
            "dependencies": ["./src", "langchain_openai", "pkg>=1.0", "git+https://x/y.git"],
            "graphs": {
                "zeta": "./graphs/zeta.py:make_graph",
                "alpha": {"path": "my_pkg.agent:app.graph", "description": "Alpha graph"},
                "beta": {"path": "./graphs/zeta.py:other", "description": None},
            },
        },
        files={"graphs/zeta.py": "", "src/my_pkg/__init__.py": ""},
    )

    project = load_project(str(path))

    assert project.graph_ids == ["zeta", "alpha", "beta"]
    zeta, alpha, beta = project.graphs.values()
    assert (zeta.module, zeta.attr, zeta.file) == (
        "./graphs/zeta.py",
        "make_graph",
        tmp_path / "graphs" / "zeta.py",
    )
    assert (alpha.module, alpha.attr, alpha.file) == ("my_pkg.agent", "app.graph", None)
    assert alpha.description == "Alpha graph"
    assert alpha.import_path == "my_pkg.agent:app.graph"
    assert beta.description is None
    assert project.dependencies == [tmp_path / "src"]
    assert project.packages == ["langchain_openai", "pkg>=1.0", "git+https://x/y.git"]


def test_dependencies_optional(tmp_path: Path) -> None:
    path = write_project(tmp_path, {"graphs": {"g": "./g.py:graph"}}, files={"g.py": ""})
    project = load_project(path)
    assert (project.dependencies, project.packages) == ([], [])


def test_env_as_dict(tmp_path: Path) -> None:
    path = write_project(
        tmp_path,
        {"graphs": {"g": "./g.py:graph"}, "env": {"A": "1", "B": ""}},
        files={"g.py": ""},
    )
    assert load_project(path).env == {"A": "1", "B": ""}


def _env_file_values(tmp_path: Path, dotenv: str | bytes) -> dict[str, str]:
    (tmp_path / "config").mkdir(exist_ok=True)
    env_file = tmp_path / "config" / ".env"
    if isinstance(dotenv, bytes):
        env_file.write_bytes(dotenv)
    else:
        env_file.write_text(dotenv)
    path = write_project(
        tmp_path, {"graphs": {"g": "./g.py:graph"}, "env": "./config/.env"}, files={"g.py": ""}
    )
    return load_project(path).env


def test_env_as_file(tmp_path: Path) -> None:
    dotenv = "\n".join(
        [
            "# a comment",
            "",
            "PLAIN=value",
            "export EXPORTED=yes",
            "SPACED = padded value  ",
            "INLINE=kept # dropped",
            "HASH=a#b",
            "SINGLE='single # kept'",
            'DOUBLE="line1\\nline2 \\"q\\""',
            "EMPTY=",
            # Read as python-dotenv reads it (LangGraph's CLI does), but without
            # interpolation: every process must see the same values.
            "REF=${PLAIN}",
            'MULTI="first',
            'second"',
            "BARE_KEY",
        ]
    )

    assert _env_file_values(tmp_path, dotenv) == {
        "PLAIN": "value",
        "EXPORTED": "yes",
        "SPACED": "padded value",
        "INLINE": "kept",
        "HASH": "a#b",
        "SINGLE": "single # kept",
        "DOUBLE": 'line1\nline2 "q"',
        "EMPTY": "",
        "REF": "${PLAIN}",
        "MULTI": "first\nsecond",
    }


def test_env_file_lines_python_dotenv_cannot_parse_are_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    values = _env_file_values(tmp_path, "OK=1\nnot a pair\nLAST=2\n")

    assert values == {"OK": "1", "LAST": "2"}
    assert "line 2" in caplog.text


def test_env_file_not_utf8_is_named(tmp_path: Path) -> None:
    expected = r"langgraph\.json: env file \./config/\.env: cannot read"
    with pytest.raises(ConfigError, match=expected):
        _env_file_values(tmp_path, b"A=\xff\n")


GOOD_GRAPHS = {"agent": "./agent.py:graph"}


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("{not json", r"langgraph\.json: not valid JSON: .* line 1 column 2"),
        ("[1, 2]", r"langgraph\.json: must contain a JSON object, got an array"),
        ({"dependencies": ["."]}, r"langgraph\.json: 'graphs' is missing"),
        ({"graphs": {}}, r"langgraph\.json: 'graphs' is empty"),
        ({"graphs": ["./agent.py:graph"]}, r"'graphs' must be an object, got an array"),
        ({"graphs": {"": "./agent.py:graph"}}, r"graphs\[''\]: graph id must be a non-empty"),
        ({"graphs": {"agent": "./agent.py"}}, r"graphs\['agent'\]: '\./agent\.py' must be"),
        ({"graphs": {"agent": "./agent.py:"}}, r"graphs\['agent'\]: '\./agent\.py:' must be"),
        ({"graphs": {"agent": "./agent.py:1x"}}, r"graphs\['agent'\]: attribute '1x' is not"),
        ({"graphs": {"agent": "my-pkg.x:graph"}}, r"graphs\['agent'\]: module 'my-pkg\.x'"),
        ({"graphs": {"agent": 3}}, r"graphs\['agent'\]: must be a string .* got a number"),
        ({"graphs": {"agent": {"description": "d"}}}, r"graphs\['agent'\]: object form needs"),
        (
            {"graphs": {"agent": {"path": "./agent.py:graph", "description": 1}}},
            r"graphs\['agent'\]: \"description\" must be a string",
        ),
        (
            {"graphs": {"agent": "./missing.py:graph"}},
            r"graphs\['agent'\]: file \./missing\.py not found \(looked in /.*/missing\.py\)",
        ),
        ({"graphs": {"agent": "./agent.ts:graph"}}, r"file \./agent\.ts is not a Python"),
        (
            {"graphs": GOOD_GRAPHS, "env": ".env"},
            r"langgraph\.json: env file \.env not found \(looked in /.*/\.env\)",
        ),
        ({"graphs": GOOD_GRAPHS, "env": ["A=1"]}, r"'env' must be an object or a path"),
        ({"graphs": GOOD_GRAPHS, "env": {"A": 1}}, r"env\['A'\]: value must be a string"),
        (
            {"graphs": GOOD_GRAPHS, "dependencies": [".", "./nope"]},
            r"dependencies\[1\]: local dependency \./nope not found \(looked in /.*/nope\)",
        ),
        (
            {"graphs": GOOD_GRAPHS, "dependencies": ["./agent.py"]},
            r"dependencies\[0\]: local dependency \./agent\.py is not a folder",
        ),
        ({"graphs": GOOD_GRAPHS, "dependencies": "."}, r"'dependencies' must be an array"),
        ({"graphs": GOOD_GRAPHS, "dependencies": [""]}, r"dependencies\[0\]: must be a non-empty"),
    ],
)
def test_config_errors(tmp_path: Path, config: dict[str, Any] | str, expected: str) -> None:
    path = write_project(tmp_path, config, files={"agent.py": "", "agent.ts": ""})
    with pytest.raises(ConfigError, match=expected):
        load_project(path)


def test_missing_config_file(tmp_path: Path) -> None:
    missing = tmp_path / "langgraph.json"
    with pytest.raises(ConfigError, match=r"langgraph\.json: config file not found \(looked in"):
        load_project(missing)
    with pytest.raises(ConfigError, match="config file not found"):
        load_project(tmp_path)  # a folder without langgraph.json


def test_parsing_does_not_import_user_code(tmp_path: Path) -> None:
    path = write_project(
        tmp_path,
        {"graphs": {"boom": "./boom.py:graph"}},
        files={"boom.py": "raise RuntimeError('imported!')\n"},
    )
    assert load_project(path).graphs["boom"].file == tmp_path / "boom.py"
