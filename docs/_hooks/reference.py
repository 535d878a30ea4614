"""A MkDocs hook: the command-line reference is generated from ``eventide``'s own argparse
parser at build time, so the page cannot drift from the program. A page containing the line
``<!-- cli-reference -->`` gets one section per command in its place."""

from __future__ import annotations

import argparse
import html
from typing import Any

from eventide.cli._main import _parser

MARKER = "<!-- cli-reference -->"


def on_page_markdown(markdown: str, **_: Any) -> str:
    """Replace the marker with the reference of every command."""
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, cli_reference(_parser()))


def cli_reference(parser: argparse.ArgumentParser) -> str:
    """Markdown for `parser` and each of its subcommands (and theirs), in the order they
    were added."""
    return "\n\n".join(_section(command, heading=heading) for heading, command in commands(parser))


def commands(
    parser: argparse.ArgumentParser, heading: str = "eventide"
) -> list[tuple[str, argparse.ArgumentParser]]:
    """`parser` and every subcommand under it, depth first, each with its full name."""
    found = [(heading, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += commands(sub, f"{heading} {name}")
    return found


def _section(parser: argparse.ArgumentParser, *, heading: str) -> str:
    parser.formatter_class = _Wide
    lines = [f"## `{heading}`", "", "```text", parser.format_usage().strip(), "```", ""]
    if parser.description:
        lines += [parser.description, ""]
    formatter = parser._get_formatter()
    rows = [_row(action, formatter) for action in parser._actions if not _is_help(action)]
    if rows:
        lines += ["| argument | meaning |", "|---|---|", *rows, ""]
    if parser.epilog:
        lines += [parser.epilog, ""]
    return "\n".join(lines)


def _is_help(action: argparse.Action) -> bool:
    return isinstance(action, argparse._HelpAction) or action.help == argparse.SUPPRESS


def _row(action: argparse.Action, formatter: argparse.HelpFormatter) -> str:
    if isinstance(action, argparse._SubParsersAction):
        names = ", ".join(f"`{name}`" for name in action.choices)
        return f"| `{action.metavar or 'COMMAND'}` | one of {names} |"
    if action.option_strings:
        shown = ", ".join(f"`{option}`" for option in action.option_strings)
        if action.nargs != 0:
            shown += f" `{_metavar(action)}`"
    else:
        shown = f"`{_metavar(action)}`"
    meaning = formatter._expand_help(action) if action.help else ""  # %(default)s and co.
    if action.choices is not None:
        meaning += " (one of " + ", ".join(f"`{choice}`" for choice in action.choices) + ")"
    if action.required and action.option_strings:
        meaning += " (required)"
    return f"| {shown} | {_cell(meaning)} |"


def _metavar(action: argparse.Action) -> str:
    if isinstance(action.metavar, str):
        return action.metavar
    if action.option_strings:
        return action.dest.upper()
    return action.dest


def _cell(text: str) -> str:
    return html.escape(text, quote=False).replace("|", "\\|").replace("\n", " ")


class _Wide(argparse.HelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=100)
