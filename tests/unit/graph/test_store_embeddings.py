"""The deterministic hashing embedding, `store` in langgraph.json (parsing and
resolving `store.index.embed`), and LangGraph's SQLite store opened in-process."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from langchain_core.embeddings import Embeddings

from steadygraph.config.project import ConfigError, ProjectConfig, load_project
from steadygraph.config.settings import Settings
from steadygraph.dev.embeddings import HashingEmbeddings, hashing_embeddings
from steadygraph.graph.store import (
    IndexSpec,
    check_store_config,
    load_embeddings,
    load_store_config,
    open_store,
)

HASHING = "steadygraph.dev.embeddings:hashing_embeddings"


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def _project(tmp_path: Path, store: Any, files: dict[str, str] | None = None) -> ProjectConfig:
    (tmp_path / "graph.py").write_text("graph = None\n")
    for name, text in (files or {}).items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    config: dict[str, Any] = {"graphs": {"g": "./graph.py:graph"}}
    if store is not None:
        config["store"] = store
    (tmp_path / "langgraph.json").write_text(json.dumps(config))
    return load_project(tmp_path / "langgraph.json")


# --- HashingEmbeddings ------------------------------------------------------------


def test_hashing_embeddings_are_deterministic_unit_vectors() -> None:
    embeddings = HashingEmbeddings(dims=64)
    first = embeddings.embed_query("The weather is foggy")
    assert len(first) == 64
    assert math.isclose(math.fsum(x * x for x in first), 1.0)
    assert first == HashingEmbeddings(dims=64).embed_query("the WEATHER, is foggy!")
    # Stable across processes: no per-process hash() salt.
    other = subprocess.run(
        [
            sys.executable,
            "-c",
            "from steadygraph.dev.embeddings import HashingEmbeddings as H;"
            "print(H(dims=64).embed_query('The weather is foggy'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(other.stdout) == pytest.approx(first)


def test_hashing_embeddings_rank_shared_words_higher() -> None:
    texts = ["I love pizza", "the weather is foggy", "cars and trucks"]
    documents = hashing_embeddings.embed_documents(texts)
    query = hashing_embeddings.embed_query("foggy weather")
    scores = [_cosine(query, document) for document in documents]
    assert scores.index(max(scores)) == 1
    assert scores[1] > 0.5 and abs(scores[0]) < 0.2 and abs(scores[2]) < 0.2


async def test_hashing_embeddings_async_and_empty_text() -> None:
    embeddings = HashingEmbeddings(dims=16)
    assert await embeddings.aembed_documents(["a b"]) == embeddings.embed_documents(["a b"])
    assert await embeddings.aembed_query("a b") == embeddings.embed_query("a b")
    empty = embeddings.embed_query("")
    assert math.isclose(math.fsum(x * x for x in empty), 1.0)
    with pytest.raises(ValueError, match="dims"):
        HashingEmbeddings(dims=0)


# --- store config ------------------------------------------------------------------


def test_no_store_block_means_no_index_and_no_ttl(tmp_path: Path) -> None:
    config = load_store_config(_project(tmp_path, None))
    assert config.index is None and config.ttl is None


def test_store_block_is_parsed(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        {
            "index": {"dims": 256, "embed": HASHING, "fields": ["text"]},
            "ttl": {"default_ttl": 30, "refresh_on_read": False, "sweep_interval_minutes": 5},
        },
    )
    config = check_store_config(project)
    assert config.index == IndexSpec(dims=256, embed=HASHING, fields=["text"])
    assert config.ttl == {"default_ttl": 30, "refresh_on_read": False, "sweep_interval_minutes": 5}


@pytest.mark.parametrize(
    "store, message",
    [
        ("yes", "store: must be an object"),
        ({"index": []}, "store.index: must be an object"),
        ({"index": {"embed": HASHING}}, "store.index.dims: must be a positive integer"),
        ({"index": {"dims": 0, "embed": HASHING}}, "store.index.dims"),
        ({"index": {"dims": 8}}, "store.index.embed: must be a string"),
        ({"index": {"dims": 8, "embed": "no-colon"}}, "store.index.embed"),
        ({"index": {"dims": 8, "embed": HASHING, "fields": "text"}}, "store.index.fields"),
        ({"ttl": {"default_ttl": -1}}, "store.ttl.default_ttl"),
        ({"ttl": {"sweep_interval_minutes": "5"}}, "store.ttl.sweep_interval_minutes"),
        ({"ttl": {"refresh_on_read": "yes"}}, "store.ttl.refresh_on_read"),
    ],
)
def test_bad_store_blocks_name_the_entry(tmp_path: Path, store: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")) as raised:
        load_store_config(_project(tmp_path, store))
    assert str(raised.value).startswith("langgraph.json: ")


# --- resolving store.index.embed -----------------------------------------------------


def test_embed_names_a_module_attribute(tmp_path: Path) -> None:
    project = _project(tmp_path, None)
    embeddings = load_embeddings(project, IndexSpec(dims=256, embed=HASHING, fields=None))
    assert embeddings is hashing_embeddings


def test_embed_names_a_function_in_a_project_file(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        None,
        files={
            "my_embed.py": """
                def embed(texts):
                    return [[float(len(t)), 1.0] for t in texts]

                async def aembed(texts):
                    return [[2.0, float(len(t))] for t in texts]

                NOT_CALLABLE = 3
            """
        },
    )
    sync = load_embeddings(project, IndexSpec(dims=2, embed="./my_embed.py:embed", fields=None))
    assert isinstance(sync, Embeddings)
    assert sync.embed_documents(["abc"]) == [[3.0, 1.0]]
    asynchronous = load_embeddings(
        project, IndexSpec(dims=2, embed="./my_embed.py:aembed", fields=None)
    )
    assert isinstance(asynchronous, Embeddings)
    with pytest.raises(ConfigError, match="is a int, not an Embeddings"):
        load_embeddings(project, IndexSpec(dims=2, embed="./my_embed.py:NOT_CALLABLE", fields=None))


def test_embed_module_next_to_langgraph_json(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        None,
        files={
            "sibling_embeddings_mod.py": "def embed(texts):\n    return [[1.0] for _ in texts]\n"
        },
    )
    embeddings = load_embeddings(
        project, IndexSpec(dims=1, embed="sibling_embeddings_mod:embed", fields=None)
    )
    assert embeddings.embed_query("x") == [1.0]


@pytest.mark.parametrize(
    "embed, message",
    [
        ("./missing.py:embed", "file ./missing.py not found"),
        (
            "steadygraph.dev.embeddings:nope",
            "attribute 'nope' not found in steadygraph.dev.embeddings",
        ),
        ("./broken.py:embed", "failed to import ./broken.py: RuntimeError: boom"),
        ("steadygraph.dev.embeddings:HashingEmbeddings", "not an Embeddings instance"),
        (HASHING, "makes 256-dimensional vectors, but store.index.dims is 8"),
    ],
)
def test_unresolvable_embed_is_a_config_error(tmp_path: Path, embed: str, message: str) -> None:
    project = _project(tmp_path, None, files={"broken.py": "raise RuntimeError('boom')\n"})
    with pytest.raises(ConfigError, match=r"store\.index\.embed") as raised:
        load_embeddings(project, IndexSpec(dims=8, embed=embed, fields=None))
    assert message in str(raised.value)


def test_provider_embed_without_langchain_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if `langchain` were not installed (the test extra brings it, with deepagents).
    monkeypatch.setitem(sys.modules, "langchain.embeddings", None)
    project = _project(tmp_path, None)
    with pytest.raises(ConfigError, match="needs the `langchain` package") as raised:
        load_embeddings(
            project, IndexSpec(dims=1536, embed="openai:text-embedding-3-small", fields=None)
        )
    assert "./embeddings.py:embed" in str(raised.value)


# --- LangGraph's SQLite store, opened as the API and the worker open it --------------


async def test_sqlite_store_with_semantic_search_and_ttl(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        {
            "index": {"dims": 256, "embed": HASHING, "fields": ["text"]},
            "ttl": {"default_ttl": 60, "sweep_interval_minutes": 60},
        },
    )
    settings = Settings(data_dir=tmp_path / "data")
    async with open_store(settings, project) as store:
        await store.aput(("docs",), "pizza", {"text": "I love pizza", "other": "foggy weather"})
        await store.aput(("docs",), "weather", {"text": "the weather is foggy"})
        await store.aput(("docs", "x"), "cars", {"text": "cars and trucks"}, ttl=5)
        await store.aput(("docs",), "unindexed", {"text": "foggy weather"}, index=False)

        found = await store.asearch(("docs",), query="foggy weather")
        # `fields: ["text"]` is honoured (the pizza item's "other" is not embedded),
        # and index=False keeps an item out of semantic results.
        assert [item.key for item in found][:1] == ["weather"]
        assert "unindexed" not in [item.key for item in found]
        assert found[0].score is not None and found[0].score > 0.5

        await store.adelete(("docs",), "weather")
        assert await store.aget(("docs",), "weather") is None
        remaining = await store.asearch(("docs",), query="foggy weather")
        assert "weather" not in [item.key for item in remaining]
        assert (await store.aget(("docs", "x"), "cars", refresh_ttl=True)) is not None

    # Reopening (as every restart does) finds the items and runs setup again harmlessly.
    async with open_store(settings, project) as store:
        pizza = await store.aget(("docs",), "pizza")
        assert pizza is not None and pizza.value["text"] == "I love pizza"
    assert (settings.data_dir / "store.sqlite").is_file()


def test_concurrent_setup_from_several_processes(tmp_path: Path) -> None:
    project = _project(tmp_path, {"index": {"dims": 256, "embed": HASHING, "fields": ["text"]}})
    script = textwrap.dedent(
        f"""
        import asyncio
        from pathlib import Path
        from steadygraph.config.project import load_project
        from steadygraph.config.settings import Settings
        from steadygraph.graph.store import open_store

        async def main():
            settings = Settings(data_dir=Path({str(tmp_path / "data")!r}))
            async with open_store(settings, load_project({str(project.path)!r})) as store:
                await store.aput(("p",), "k", {{"text": "hello"}})

        asyncio.run(main())
        """
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE) for _ in range(3)
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr.decode()
