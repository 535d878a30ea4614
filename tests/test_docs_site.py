"""The documentation site builds with ``mkdocs build --strict`` (no broken link, no missing
reference target, no page left out of the nav), offline, and holds what it promises: the
key pages, a search index, every public name in the API reference, and a command-line
reference that matches the parser."""

from __future__ import annotations

import argparse
import html
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from eventide.cli._main import _parser
from eventide.providers._http import HTTPProvider

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "mkdocs.yml"
KEY_PAGES = [
    "index.html",
    "tutorial/index.html",
    "tutorial/first-stream/index.html",
    "how-to/index.html",
    "reference/index.html",
    "reference/events/index.html",
    "reference/cli/index.html",
    "explanation/event-contract/index.html",
    "architecture/index.html",
    "search/search_index.json",
]
# the public modules the reference renders whole (``::: module``), and the one whose names
# it groups by layer, one ``::: eventide.Name`` each
MODULES = [
    "eventide.providers",
    "eventide.routing",
    "eventide.stages",
    "eventide.record",
    "eventide.testing",
    "eventide.wire",
    "eventide.compat.openai",
    "eventide.compat.litellm",
    "eventide.compat.g4f",
    "eventide.gateway",
    "eventide.scale",
]


def build_site(out: Path) -> None:
    """Build the site into `out` with ``mkdocs build --strict``, as CI builds it, with no
    network: every proxy points at a port that refuses, so a plugin that fetches fails."""
    env = {k: v for k, v in os.environ.items() if k.lower() != "no_proxy"}
    env.update(dict.fromkeys(("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"), "http://127.0.0.1:9"))
    env["NO_MKDOCS_2_WARNING"] = "1"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(CONFIG), "-d", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built offline as CI builds it."""
    out = tmp_path_factory.mktemp("site")
    build_site(out)
    return out


def _text(page: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text("utf-8")))


def test_site_has_the_key_pages(site: Path) -> None:
    missing = [page for page in KEY_PAGES if not (site / page).is_file()]
    assert not missing
    index = (site / "search/search_index.json").read_text("utf-8")
    assert "first_metadata" in index
    assert "Metadata comes first, exactly once" in _text(site / "tutorial/first-stream/index.html")


def test_site_is_built_offline() -> None:
    config = CONFIG.read_text("utf-8")
    assert re.search(r"^  font: false$", config, flags=re.MULTILINE)  # no Google Fonts
    # with a repo_url, Material's script asks api.github.com for the repository's stars
    assert not re.search(r"^repo_url:", config, flags=re.MULTILINE)
    plugins = config.split("\nplugins:\n", 1)[1].split("\n\n", 1)[0]
    names = re.findall(r"^  - (\w+)", plugins, flags=re.MULTILINE)
    assert names == ["search", "autorefs", "mkdocstrings"]  # no social, privacy, blog...
    assert "inventories" not in plugins  # no objects.inv fetched from the web


def test_site_pages_fetch_nothing_from_the_web(site: Path) -> None:
    for page in site.rglob("*.html"):
        text = page.read_text("utf-8")
        assert "fonts.googleapis" not in text, page
        assert "fonts.gstatic" not in text, page


def test_reference_has_every_public_name(site: Path) -> None:
    anchors: set[str] = set()
    for page in (site / "reference").rglob("index.html"):
        anchors.update(re.findall(r'id="(eventide\.[\w.]+)"', page.read_text("utf-8")))
    import eventide

    wanted = [f"eventide.{name}" for name in eventide.__all__ if not name.startswith("__")]
    for module in MODULES:
        names = getattr(importlib.import_module(module), "__all__", None)
        assert names, module
        wanted += [f"{module}.{name}" for name in names]
    missing = [name for name in wanted if name not in anchors]
    assert not missing, f"public names without a reference entry: {missing}"


def test_cli_reference_matches_the_parser(site: Path) -> None:
    page = _text(site / "reference/cli/index.html")
    sections = re.split(r"\n\s*(?=eventide[\w ]*¶)", page)
    by_heading = {section.split("¶")[0].strip(): section for section in sections if "¶" in section}
    parser = _parser()
    commands = _command_tree(parser)
    assert {"eventide", "eventide chat", "eventide batch", "eventide replay"} <= set(commands)
    assert set(commands) <= set(by_heading), sorted(by_heading)
    for heading, command in commands.items():
        section = " ".join(by_heading[heading].split())
        for action in command._actions:
            if isinstance(action, argparse._HelpAction) or action.help == argparse.SUPPRESS:
                continue  # -h/--help: every command has it
            for option in action.option_strings:
                assert option in section, (heading, option)
            if action.help:
                meaning = " ".join(command._get_formatter()._expand_help(action).split())
                assert meaning[:40] in section, (heading, meaning)


def _command_tree(
    parser: argparse.ArgumentParser, heading: str = "eventide"
) -> dict[str, argparse.ArgumentParser]:
    found = {heading: parser}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.update(_command_tree(sub, f"{heading} {name}"))
    return found


def test_environment_page_names_every_provider_variable() -> None:
    page = (ROOT / "docs/reference/environment.md").read_text("utf-8")
    classes = [c for c in _subclasses(HTTPProvider) if c.__module__.startswith("eventide.")]
    assert len(classes) >= 5
    variables = {"EVENTIDE_PROVIDER", "EVENTIDE_OTEL"}
    for cls in classes:
        variables.update(cls.base_url_env + cls.key_env + cls.model_env)
    missing = sorted(name for name in variables if f"`{name}`" not in page)
    assert not missing


def _subclasses(cls: type[HTTPProvider]) -> list[type[HTTPProvider]]:
    found: list[type[HTTPProvider]] = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found
