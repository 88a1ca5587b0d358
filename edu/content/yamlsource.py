"""YAML that remembers where each value came from, so every problem can be reported as file:line."""

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


_COMPOSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's composer when PyYAML was built with it (about 20 times faster); same nodes and marks."""


def load(text: str) -> Located:
    """Parse one YAML document with safe node types only; keep lines; flag duplicate keys."""
    try:
        node = yaml.compose(text, Loader=_COMPOSER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlError(line, f"invalid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise YamlError(1, f"invalid YAML: {exc}") from None
    located = Located(data=None)
    if node is None:
        located.data = None
        return located
    try:
        located.data = _build(node, (), located)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlError(mark.line + 1 if mark else 1, f"invalid YAML: {exc.problem or exc}") from None
    return located


_constructor = yaml.SafeLoader("")


_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:omap"}


def _build(node: yaml.Node, path: tuple[Any, ...], out: Located) -> Any:
    out.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN_TAGS:
        raise YamlError(node.start_mark.line + 1, f"invalid YAML: tag {node.tag!r} is not allowed")
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _build_scalar(key_node)
            if key in result:
                out.duplicates.append((key_node.start_mark.line + 1, f"duplicate key {key!r}"))
            result[key] = _build(value_node, (*path, key), out)
            out.lines[(*path, key)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(child, (*path, i), out) for i, child in enumerate(node.value)]
    return _build_scalar(node)


def _build_scalar(node: yaml.Node) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        raise YamlError(node.start_mark.line + 1, "a mapping key must be a plain value")
    return _constructor.construct_object(node, deep=True)
