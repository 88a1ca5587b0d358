"""YAML that remembers where each value came from, so every problem can be reported as file:line.

The work is bounded before anything is built. libyaml's event parser is iterative and cheap, but
PyYAML's composer recurses once per level of nesting (the C composer with no guard at all: some
tens of thousands of nested `- ` or `[` overflow the C stack and kill the process), and values that
aliases repeat are rebuilt each time they are used. So `load` first reads the event stream and
stops at the first event past a limit, with the line where it happened: `MAX_DEPTH` levels of
lists and mappings inside each other, `MAX_NODES` values in all, one document, and (where the
caller asks) no aliases. Only text that passed is composed; building the plain data counts again,
so aliases cannot expand it past the same limits. Course files and question banks nest at most
five levels and hold a few thousand values, far inside both limits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml


@dataclass
class Located:
    """Plain Python data parsed from YAML plus the 1-based line of every node, keyed by path."""

    data: Any
    lines: dict[tuple[Any, ...], int] = field(default_factory=dict)
    duplicates: list[tuple[int, str]] = field(default_factory=list)

    def line_for(self, loc: Iterable[Any]) -> int:
        """The line of the deepest node on `loc` that exists (pydantic locs may name missing keys)."""
        path: tuple[Any, ...] = ()
        best = self.lines.get((), 1)
        for part in loc:
            candidate = (*path, part)
            if candidate in self.lines:
                path = candidate
                best = self.lines[candidate]
            # A discriminated union adds the tag ("single") to the loc; it names no node: skip it.
        return best


class YamlError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class YamlRefused(YamlError):
    """The text passed a limit of the reader (size, depth, values, aliases where refused); it was not read to the end."""


_COMPOSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser and composer when PyYAML was built with it (about 20 times faster); same nodes and marks."""

MAX_DEPTH = 32
"""Most levels of lists and mappings inside each other (course files and banks use at most 5)."""

MAX_NODES = 100_000
"""Most values (scalars, lists, mappings, aliases) in one YAML text; a 2 MiB bank holds about 66,000."""

MAX_CHARS = 10 * 1024 * 1024
"""Longest YAML text read (characters), as for every imported file."""


def _too_deep(line: int) -> YamlRefused:
    return YamlRefused(
        line,
        f"the YAML nests lists and mappings more than {MAX_DEPTH} levels deep (the limit is {MAX_DEPTH}); "
        "it was not read further",
    )


def _too_many(line: int) -> YamlRefused:
    return YamlRefused(
        line,
        f"the YAML holds more than {MAX_NODES:,} values (the limit is {MAX_NODES:,}); it was not read further. "
        "Split it into smaller files",
    )


def _marked(exc: yaml.YAMLError) -> YamlError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None)
    return YamlError(mark.line + 1 if mark else 1, f"invalid YAML: {problem or exc}")


def _line(event: yaml.Event) -> int:
    return event.start_mark.line + 1 if event.start_mark else 1


def _check_events(text: str, *, refuse_aliases_in: str | None = None) -> None:
    """Read the event stream and raise YamlError at the first event past a limit (see the module docstring).

    libyaml parses without recursion and hands over one event at a time, so input of any depth or
    length costs only what is read before the limit is reached.
    """
    depth = nodes = documents = 0
    try:
        for event in yaml.parse(text, Loader=_COMPOSER):
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise YamlError(_line(event), "invalid YAML: expected a single document, but found another")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(event, yaml.NodeEvent):
                nodes += 1
                if nodes > MAX_NODES:
                    raise _too_many(_line(event))
                if isinstance(event, yaml.AliasEvent) and refuse_aliases_in:
                    raise YamlRefused(_line(event), f"YAML aliases (*name) are not allowed in {refuse_aliases_in}")
                if isinstance(event, yaml.CollectionStartEvent):
                    depth += 1
                    if depth > MAX_DEPTH:
                        raise _too_deep(_line(event))
    except yaml.YAMLError as exc:
        raise _marked(exc) from None
    except UnicodeEncodeError as exc:  # libyaml reads UTF-8: a lone surrogate has none
        line = text.count("\n", 0, exc.start) + 1
        raise YamlError(line, f"invalid YAML: U+{ord(text[exc.start]):04X} is a lone surrogate, not a character") from None


def load(text: str, *, refuse_aliases_in: str | None = None) -> Located:
    """Parse one YAML document with safe node types only; keep lines; flag duplicate keys.

    Raises YamlError for invalid YAML and for input past the limits (`MAX_CHARS`, `MAX_DEPTH`,
    `MAX_NODES`), before anything is composed; with `refuse_aliases_in` (say "a question bank"),
    also for any alias.
    """
    if len(text) > MAX_CHARS:
        raise YamlRefused(1, f"the YAML text has {len(text):,} characters; the limit is {MAX_CHARS:,}, so it was not read")
    _check_events(text, refuse_aliases_in=refuse_aliases_in)
    try:
        node = yaml.compose(text, Loader=_COMPOSER)
    except yaml.YAMLError as exc:
        raise _marked(exc) from None
    located = Located(data=None)
    if node is None:
        return located
    try:
        located.data = _Builder(located).build(node, ())
    except yaml.YAMLError as exc:
        raise _marked(exc) from None
    return located


_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:omap"}


class _Builder:
    """Plain data from composed nodes, counted as built: an alias is built again at each use."""

    def __init__(self, out: Located) -> None:
        self.out = out
        self.nodes = 0
        # One constructor per load: it keeps every node it constructed, and is not safe to share between threads.
        self.constructor = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: tuple[Any, ...]) -> Any:
        line = node.start_mark.line + 1
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _too_many(line)
        if len(path) > MAX_DEPTH:
            raise _too_deep(line)
        self.out.lines[path] = line
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN_TAGS:
            raise YamlError(line, f"invalid YAML: tag {node.tag!r} is not allowed")
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.scalar(key_node)
                if key in result:
                    self.out.duplicates.append((key_node.start_mark.line + 1, f"duplicate key {key!r}"))
                result[key] = self.build(value_node, (*path, key))
                self.out.lines[(*path, key)] = key_node.start_mark.line + 1
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
        return self.scalar(node)

    def scalar(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise YamlError(node.start_mark.line + 1, "a mapping key must be a plain value")
        return self.constructor.construct_object(node, deep=True)
