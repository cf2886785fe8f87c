"""YAML to plain data, remembering the line of every value so validation errors can point into the file.

PyYAML's `safe_load` throws the positions away and silently keeps the last of two equal keys; composing
the node tree ourselves keeps both the marks and the chance to reject duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Loc = tuple[int | str, ...]

MAX_NODES = 50_000  # aliases can make a small file expand enormously ("billion laughs")
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"


class TooLarge(Exception):
    """The document expands to more values than any lifecycle needs."""


@dataclass
class Located:
    """Plain data plus the 1-based line of each location and problems found while reading."""

    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)
    problems: list[tuple[int, Loc, str]] = field(default_factory=list)
    broken: set[Loc] = field(default_factory=set)  # values replaced by None; validation noise there is moot


# libyaml's parser when PyYAML was built with it (nodes carry the same marks), ~10× faster than the pure-Python one
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read(text: str) -> Located | None:
    """Parse one YAML document; None when it holds nothing. YAML syntax errors propagate as yaml.YAMLError."""
    node = yaml.compose(text, Loader=_LOADER)
    if node is None:
        return None
    reader = _Reader()
    try:
        data = reader.convert(node, (), node.start_mark.line + 1)
    finally:
        reader.constructor.dispose()
    return Located(data, reader.lines, reader.problems, reader.broken)


class _Reader:
    def __init__(self) -> None:
        self.lines: dict[Loc, int] = {}
        self.problems: list[tuple[int, Loc, str]] = []
        self.broken: set[Loc] = set()
        self.constructor = yaml.SafeLoader("")  # only its scalar constructors are used
        self._open: set[int] = set()
        self._count = 0

    def convert(self, node: yaml.Node, loc: Loc, line: int) -> Any:
        """`line` is where the value is introduced: its key's line in a mapping, its own line in a list."""
        self.lines[loc] = line
        self._count += 1
        if self._count > MAX_NODES:
            raise TooLarge
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, loc, line)
        if id(node) in self._open:
            return self._unusable(line, loc, "an alias refers to the value that contains it")
        expected = _SEQ_TAG if isinstance(node, yaml.SequenceNode) else _MAP_TAG
        if node.tag != expected:
            return self._unusable(line, loc, f"unsupported YAML tag {node.tag!r}")
        self._open.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.convert(item, (*loc, i), item.start_mark.line + 1) for i, item in enumerate(node.value)]
            return self._mapping(node, loc)
        finally:
            self._open.discard(id(node))

    def _scalar(self, node: yaml.ScalarNode, loc: Loc, line: int) -> Any:
        try:
            return self.constructor.construct_object(node, deep=True)
        except Exception as exc:  # bad explicit tags fail in many ways (ValueError, KeyError, ConstructorError...)
            reason = getattr(exc, "problem", None) or str(exc) or type(exc).__name__
            return self._unusable(line, loc, f"cannot read this value: {reason}")

    def _unusable(self, line: int, loc: Loc, message: str) -> None:
        self.problems.append((line, loc, message))
        self.broken.add(loc)

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE_TAG:
                self.problems.append((line, loc, "merge keys ('<<') are not supported; write the fields out"))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append((line, loc, "keys must be plain names, not lists or mappings"))
                continue
            key = key_node.value
            if key in first_line:
                message = f"duplicate key {key!r} (first on line {first_line[key]}; YAML would keep only the last)"
                self.problems.append((line, (*loc, key), message))
                continue
            first_line[key] = line
            result[key] = self.convert(value_node, (*loc, key), line)
        return result
