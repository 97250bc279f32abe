"""README's shell examples name only commands, options and choices that exist, and name them all.

Every ``vigil ...`` line of README's ``sh`` blocks is split like a shell would (quotes,
comments, ``&&``, continuation lines), its subcommand path resolved through the click groups, and
each option checked against that command's (or, before the subcommand, the global) options; where
an option's value is written out (``--format json|csv|table``) each alternative must be one of the
option's choices. Synopsis brackets (``[--seed 1]``) are read as what they enclose.
Its ``toml`` blocks name only settings that exist.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import click
import pytest

from vigil.cli.main import cli
from vigil.settings import Settings, load_settings, unknown_keys

README = Path(__file__).resolve().parents[2] / "README.md"
OPTION = re.compile(r"-{1,2}[A-Za-z][\w-]*")
PLACEHOLDER = re.compile(r"[A-Z][A-Z_]*(\.\.\.)?")  # N, NAME, SP_ID, ID...


def shell_commands(text: str) -> list[list[str]]:
    """Each ``vigil`` command of the ``sh`` blocks, as shell words without synopsis brackets."""
    commands: list[list[str]] = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, re.S | re.M):
        lines: list[str] = []
        for line in block.replace("\\\n", " ").splitlines():
            if line[:1].isspace() and lines:  # a synopsis continued on an indented line
                lines[-1] += " " + line.strip()
            else:
                lines.append(line)
        for line in lines:
            words = shlex.split(line, comments=True)
            current: list[str] = []
            for word in [*words, "&&"]:
                if word in ("&&", "||", ";", "|"):
                    if current and current[0] == "vigil":
                        commands.append(current)
                    elif current and current[0] in subcommands(cli):  # `... | intel sync`
                        commands.append(["vigil?", *current])
                    current = []
                else:
                    current.append(word.strip("[]"))
    return commands


def subcommands(group: click.Group) -> dict[str, click.Command]:
    """A group's subcommands by name (``vigil``'s are imported when looked up: ``LazyGroup``)."""
    ctx = click.Context(group)
    found = {name: group.get_command(ctx, name) for name in group.list_commands(ctx)}
    return {name: command for name, command in found.items() if command is not None}


def resolve(words: list[str]) -> tuple[list[str], click.Command, list[str]]:
    """(subcommand path, the command, the words after it); global options checked on the way."""
    assert words[0] == "vigil", f"{' '.join(words[1:])}: a vigil command without 'vigil'"
    command: click.Command = cli
    path: list[str] = []
    rest = words[1:]
    while isinstance(command, click.Group):
        assert rest, f"{' '.join(words)}: no subcommand after {' '.join(['vigil', *path])}"
        word = rest.pop(0)
        if OPTION.fullmatch(word):
            param = _option(command, word, words)
            if not param.is_flag and not param.count:
                rest.pop(0)
            continue
        found = subcommands(command)
        assert word in found, f"{' '.join(words)}: no command {word!r}"
        command = found[word]
        path.append(word)
    return path, command, rest


def _option(command: click.Command, word: str, words: list[str]) -> click.Option:
    for param in command.params:
        if isinstance(param, click.Option) and word in (*param.opts, *param.secondary_opts):
            return param
    if word in ("-h", "--help"):
        return click.Option(["--help"], is_flag=True)
    raise AssertionError(f"{' '.join(words)}: {word} is no option of {command.name}")


EXAMPLES = shell_commands(README.read_text(encoding="utf-8"))


def test_the_readme_has_examples():
    assert len(EXAMPLES) >= 30
    assert ["vigil", "risky", "--filter", "riskLevel eq 'high'", "--format", "json"] in EXAMPLES


@pytest.mark.parametrize("words", EXAMPLES, ids=[" ".join(w)[:60] for w in EXAMPLES])
def test_every_option_and_choice_exists(words):
    _, command, rest = resolve(words)
    for i, word in enumerate(rest):
        if not OPTION.fullmatch(word):
            continue
        param = _option(command, word, words)
        value = rest[i + 1] if i + 1 < len(rest) else None
        if isinstance(param.type, click.Choice) and value and not PLACEHOLDER.fullmatch(value):
            for choice in value.split("|"):
                assert choice in param.type.choices, f"{' '.join(words)}: {word} {choice}?"


def test_every_command_has_an_example():
    shown = {tuple(resolve(words)[0]) for words in EXAMPLES}
    missing = [name for name in subcommands(cli) if not any(p[:1] == (name,) for p in shown)]
    assert not missing, f"commands without an example in README: {missing}"


def _leaves(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in subcommands(group).items():
        if isinstance(command, click.Group):
            yield from _leaves(command, (*prefix, name))
        else:
            yield (*prefix, name), command


@pytest.mark.parametrize("path", [p for p, _ in _leaves(cli)], ids=" ".join)
def test_every_command_has_help_text(path):
    command = cli
    for name in path:
        command = subcommands(command)[name]
    assert (command.help or "").strip(), f"vigil {' '.join(path)} has no description"
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden and param.name != "help":
            assert param.help, f"vigil {' '.join(path)} {param.opts[0]} has no help"


@pytest.mark.parametrize(
    "block", re.findall(r"^```toml\n(.*?)^```", README.read_text(encoding="utf-8"), re.S | re.M)
)
def test_every_toml_example_names_only_settings_that_exist(block, tmp_path):
    """Settings ignore keys they do not know, so a misspelt one in README would go unnoticed."""
    doc = tomllib.loads(block)
    assert not unknown_keys(doc, Settings), "README names settings that do not exist"
    (tmp_path / "vigil.toml").write_text(block)
    load_settings(tmp_path / "vigil.toml")  # and the values validate
