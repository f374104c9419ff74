"""Safe YAML with line marks: the one reader of rule packs and simulator scenarios.

``yaml.safe_load`` forgets where each value came from. This module composes the YAML node tree
with PyYAML's *safe* loader (no Python tags, no object construction), builds plain Python data
(``dict`` / ``list`` / ``str`` / ``int`` / ``float`` / ``bool`` / ``None`` / ``datetime.date``)
from it, and keeps a map from every key path to the :class:`~jxc_rules.errors.SourceLocation` of
its node, so a later error can name ``file:line:column``.

What is refused (each with ``file:line:column`` where one exists):

- a file larger than ``max_bytes`` (default 1 MiB) — checked before it is read;
- a file that is not UTF-8 (a UTF-8 byte-order mark is accepted and dropped);
- aliases (``*anchor``) unless ``allow_aliases=True``; even then the *expanded* node count is
  capped by ``max_nodes``, so a "billion laughs" bomb is refused instead of eating the memory;
- merge keys (``<<``), duplicate keys, and keys that are not scalars;
- any YAML syntax error (the parser's own mark is kept).

API
---
``load_yaml(path) -> (data, marks)``
    Read a file. ``loads_yaml(text, filename=...)`` does the same for a string.
``locate(marks, path) -> SourceLocation``
    The location of the node at ``path`` (a tuple of mapping keys and list indices), falling back
    to the nearest ancestor that exists (``key=True``: the location of the *key* itself).
``relocate(exc, marks, base=()) -> RulePackError``
    Turn a :class:`~jxc_rules.errors.ValidationError` raised while building an object from the
    mapping at ``base`` (its ``field`` is a dotted path relative to that mapping, e.g.
    ``"levels.bag"`` or ``"lines[3].qty"``) into a ``RulePackError`` (or the ``error`` class
    given, e.g. ``ScenarioError``) located at that field's node.
``relocate_all(exc, marks, base)``
    The same for an error carrying several problems (``exc.errors``): one located error each.
``located(marks, base)``
    A context manager doing the same for anything raised inside it (several problems are
    raised together as one error whose ``errors`` lists them).

Examples
--------
>>> data, marks = loads_yaml("pack:\\n  bag: 40 kg\\n  sizes: [1, 2]\\n", filename="p.yaml")
>>> data
{'pack': {'bag': '40 kg', 'sizes': [1, 2]}}
>>> str(locate(marks, ("pack", "bag")))
'p.yaml:2:8'
>>> str(locate(marks, ("pack", "sizes", 1)))
'p.yaml:3:14'
>>> str(locate(marks, ("pack", "missing")))   # nearest ancestor that exists
'p.yaml:2:3'
>>> from jxc_rules.errors import bad_value
>>> err = relocate(bad_value("bag", "40 L", "a mass"), marks, base=("pack",))
>>> str(err)
"p.yaml:2:8: pack.bag must be a mass, got '40 L'"
>>> err.field
'pack.bag'
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import yaml

from jxc_rules.errors import RulePackError, SourceLocation, ValidationError

__all__ = [
    "MAX_BYTES",
    "MAX_NODES",
    "KeyPath",
    "Marks",
    "format_path",
    "load_yaml",
    "loads_yaml",
    "locate",
    "located",
    "parse_path",
    "relocate",
    "relocate_all",
]

MAX_BYTES = 1 << 20
"""Default size limit of a YAML file (1 MiB); rule packs and scenarios are a few kB."""

MAX_NODES = 100_000
"""Default cap on the number of nodes after alias expansion."""

KeyPath = tuple[str | int, ...]
"""A path into loaded data: mapping keys (as ``str``) and list indices (as ``int``)."""


class Marks:
    """Where each node of a loaded YAML document came from.

    ``values[path]`` is the location of the node at ``path`` (its first character); ``keys[path]``
    the location of the mapping key that leads to it; ``scalars[path]`` the literal text of a
    scalar node (so ``version: 2026.10`` can be read as ``"2026.10"``, not the float ``2026.1``).
    ``file`` is the file name used in messages. Paths in these tables are normalised to strings
    (``("lines", "3", "qty")``); use :meth:`get` or :func:`locate`, which accept ints for list
    indices.
    """

    __slots__ = ("file", "keys", "scalars", "values")

    def __init__(self, file: str) -> None:
        self.file = file
        self.values: dict[tuple[str, ...], SourceLocation] = {}
        self.keys: dict[tuple[str, ...], SourceLocation] = {}
        self.scalars: dict[tuple[str, ...], str] = {}

    def get(self, path: Sequence[str | int], *, key: bool = False) -> SourceLocation | None:
        """The location of exactly ``path`` (of its key with ``key=True``), or ``None``."""
        return (self.keys if key else self.values).get(_norm(path))

    def text(self, path: Sequence[str | int]) -> str | None:
        """The literal text of the scalar at ``path`` as written in the file, or ``None``."""
        return self.scalars.get(_norm(path))

    def update(self, other: Marks) -> None:
        """Overlay ``other``'s marks on these (used when one file extends another)."""
        self.values.update(other.values)
        self.keys.update(other.keys)
        self.scalars.update(other.scalars)

    def __contains__(self, path: object) -> bool:
        return isinstance(path, tuple) and _norm(path) in self.values

    def __repr__(self) -> str:
        return f"Marks({self.file!r}, {len(self.values)} nodes)"


def _norm(path: Sequence[Any]) -> tuple[str, ...]:
    return tuple(str(p) for p in path)


def format_path(path: Sequence[str | int]) -> str:
    """Dotted form of a key path: ``("lines", 3, "qty")`` → ``"lines[3].qty"``.

    Examples
    --------
    >>> format_path(("packaging", "urea", "levels", "bag"))
    'packaging.urea.levels.bag'
    >>> format_path(("lines", 3, "qty"))
    'lines[3].qty'
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


_PATH_TOKEN = re.compile(r"\[(\d+)\]|\[['\"]([^'\"]*)['\"]\]|([^.\[\]]+)")


def parse_path(field: str | None) -> KeyPath:
    """Inverse of :func:`format_path` (also accepts ``a['key']``).

    Examples
    --------
    >>> parse_path("lines[3].qty")
    ('lines', 3, 'qty')
    >>> parse_path(None)
    ()
    """
    if not field:
        return ()
    parts: list[str | int] = []
    for m in _PATH_TOKEN.finditer(field):
        index, quoted, name = m.groups()
        if index is not None:
            parts.append(int(index))
        elif quoted is not None:
            parts.append(quoted)
        else:
            parts.append(name)
    return tuple(parts)


def _loc(file: str, mark: Any) -> SourceLocation:
    if mark is None:
        return SourceLocation(file)
    return SourceLocation(file, int(mark.line) + 1, int(mark.column) + 1)


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses aliases (unless allowed) while composing."""

    allow_aliases = False
    file = "<string>"
    error_class: type[RulePackError] = RulePackError

    def compose_node(self, parent: Any, index: Any) -> Any:
        if not self.allow_aliases and self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise self.error_class(
                f"YAML aliases (*{event.anchor}) are not allowed in this file; "
                "write the values out",
                location=_loc(self.file, event.start_mark),
            )
        return super().compose_node(parent, index)


def _construct(
    node: yaml.Node,
    loader: _Loader,
    marks: Marks,
    path: KeyPath,
    budget: list[int],
    error: type[RulePackError],
    max_nodes: int,
) -> Any:
    budget[0] += 1
    if budget[0] > max_nodes:
        raise error(
            f"YAML document expands to more than {max_nodes} nodes (alias bomb?)",
            location=_loc(marks.file, node.start_mark),
        )
    marks.values.setdefault(_norm(path), _loc(marks.file, node.start_mark))
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise error(
                    "merge keys (<<) are not supported; write the keys out",
                    location=_loc(marks.file, key_node.start_mark),
                    field=format_path(path) or None,
                )
            if not isinstance(key_node, yaml.ScalarNode):
                raise error(
                    "mapping keys must be plain scalars",
                    location=_loc(marks.file, key_node.start_mark),
                    field=format_path(path) or None,
                )
            try:
                key = loader.construct_object(key_node, deep=True)
            except (yaml.YAMLError, ValueError, OverflowError) as exc:
                raise error(
                    f"bad YAML key {key_node.value!r}: {getattr(exc, 'problem', None) or exc}",
                    location=_loc(marks.file, key_node.start_mark),
                    field=format_path(path) or None,
                ) from None
            try:
                hash(key)
            except TypeError:  # pragma: no cover - scalar keys are always hashable
                key = str(key)
            if key in out:
                raise error(
                    f"duplicate key {key!r}",
                    location=_loc(marks.file, key_node.start_mark),
                    field=format_path((*path, str(key))),
                )
            child = (*path, str(key))
            marks.keys.setdefault(_norm(child), _loc(marks.file, key_node.start_mark))
            out[key] = _construct(value_node, loader, marks, child, budget, error, max_nodes)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(item, loader, marks, (*path, i), budget, error, max_nodes)
            for i, item in enumerate(node.value)
        ]
    marks.scalars.setdefault(_norm(path), str(node.value))
    try:
        return loader.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, OverflowError) as exc:
        # e.g. a timestamp like 2026-13-01: PyYAML's constructor raises a bare ValueError
        problem = getattr(exc, "problem", None) or exc
        where = f"{format_path(path)}: " if path else ""
        raise error(
            f"{where}bad YAML value {node.value!r}: {problem}",
            location=_loc(marks.file, node.start_mark),
            field=format_path(path) or None,
            value=node.value,
        ) from None


def loads_yaml(
    text: str,
    *,
    filename: str = "<string>",
    allow_aliases: bool = False,
    max_nodes: int = MAX_NODES,
    error: type[RulePackError] = RulePackError,
) -> tuple[Any, Marks]:
    """Parse one YAML document from ``text``; return ``(data, marks)``.

    An empty document gives ``None``. Errors are raised as ``error`` (default
    :class:`~jxc_rules.errors.RulePackError`) with a location in ``filename``.
    """
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # a control character: PyYAML checks in __init__
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise error(f"invalid YAML: character U+{exc.character:04X} is not allowed in YAML "
                    "text (a control character); remove it",
                    location=SourceLocation(filename, line, column)) from None
    loader.allow_aliases = allow_aliases
    loader.file = filename
    loader.error_class = error
    marks = Marks(filename)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, marks
        data = _construct(node, loader, marks, (), [0], error, max_nodes)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise error(f"invalid YAML: {problem}", location=_loc(filename, mark)) from None
    except yaml.YAMLError as exc:
        raise error(f"invalid YAML: {exc}", location=SourceLocation(filename)) from None
    except RecursionError:
        # nesting thousands of levels deep (a bomb variant): refused, not a crash
        raise error("YAML nesting is too deep", location=_loc(filename, loader.get_mark())
                    ) from None
    finally:
        loader.dispose()
    return data, marks


def load_yaml(
    path: str | os.PathLike[str],
    *,
    max_bytes: int = MAX_BYTES,
    allow_aliases: bool = False,
    max_nodes: int = MAX_NODES,
    error: type[RulePackError] = RulePackError,
) -> tuple[Any, Marks]:
    """Read and parse a UTF-8 YAML file safely; return ``(data, marks)``.

    Refuses (raising ``error``) a missing file, a file over ``max_bytes``, bytes that are not
    UTF-8 (naming the line and column of the first bad byte), and everything
    :func:`loads_yaml` refuses.
    """
    filename = os.fspath(path)
    try:
        size = os.stat(filename).st_size
        if size > max_bytes:
            raise error(
                f"file is {size} bytes, over the limit of {max_bytes} bytes",
                location=SourceLocation(filename),
            )
        with open(filename, "rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise error(f"cannot read file: {exc.strerror or exc}",
                    location=SourceLocation(filename)) from None
    except ValueError as exc:  # a NUL byte in the path (our own refusals pass through)
        if isinstance(exc, error):
            raise
        raise error("cannot read file: the path contains a NUL character",
                    location=SourceLocation(filename.replace("\x00", "\\0"))) from None
    if len(raw) > max_bytes:  # grew between stat and read
        raise error(f"file is over the limit of {max_bytes} bytes",
                    location=SourceLocation(filename))
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise error(
            f"file is not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8",
            location=SourceLocation(filename, line, column),
        ) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise error("file contains NUL characters (not a UTF-8 text file)",
                    location=SourceLocation(filename, line))
    return loads_yaml(text, filename=filename, allow_aliases=allow_aliases,
                      max_nodes=max_nodes, error=error)


def locate(marks: Marks, path: Sequence[str | int], *, key: bool = False) -> SourceLocation:
    """Location of the node at ``path``, or of its nearest ancestor present in ``marks``.

    ``key=True`` gives the location of the mapping key (useful for "unknown key" errors).
    Integer-like strings and ints are tried both ways (``"3"`` / ``3``).
    """
    parts = _norm(path)
    table = marks.keys if key else marks.values
    while True:
        found = table.get(parts)
        if found is not None:
            return found
        if not parts:
            return SourceLocation(marks.file)
        parts = parts[:-1]
        table = marks.values  # an ancestor's value node


def relocate(
    exc: ValidationError,
    marks: Marks,
    base: Sequence[str | int] = (),
    *,
    error: type[RulePackError] = RulePackError,
) -> RulePackError:
    """A ``RulePackError`` (or ``error``) for ``exc`` located at its field's node under ``base``.

    ``exc.field`` is read as a dotted path relative to ``base`` (``"levels.bag"``,
    ``"lines[3].qty"``); an integer ``exc.row`` is appended as a list index when that node
    exists. An exception with a true ``at_key`` attribute (an unknown or misspelt key) is located
    at the key rather than its value. An exception that already carries a location is returned
    unchanged (as ``error``).
    """
    if isinstance(exc, RulePackError) and exc.location is not None:
        if isinstance(exc, error):
            return exc
        return error(_strip_location(exc), location=exc.location, field=exc.field,
                     value=exc.value, errors=[])
    path: tuple[str | int, ...] = (*tuple(base), *parse_path(exc.field))
    row = getattr(exc, "row", None)
    if isinstance(row, int) and (*path, row) in marks:
        path = (*path, row)
    where = locate(marks, path, key=bool(getattr(exc, "at_key", False)))
    dotted = format_path(path)
    message = str(exc)
    local = exc.field or ""
    if dotted and local and message.startswith(local) and dotted != local:
        message = dotted + message[len(local):]
    elif dotted and not message.startswith(dotted):
        message = f"{dotted}: {message}"
    return error(message, location=where, field=dotted or None, value=exc.value)


def _strip_location(exc: RulePackError) -> str:
    text = str(exc)
    prefix = f"{exc.location}: "
    return text[len(prefix):] if text.startswith(prefix) else text


@contextmanager
def located(
    marks: Marks,
    base: Sequence[str | int] = (),
    *,
    error: type[RulePackError] = RulePackError,
) -> Iterator[None]:
    """Re-raise any ``ValidationError`` from the block as a located ``error`` (see relocate).

    Examples
    --------
    >>> from jxc_rules.errors import bad_value
    >>> data, marks = loads_yaml("a:\\n  rate: 1.2\\n", filename="x.yaml")
    >>> try:
    ...     with located(marks, ("a",)):
    ...         raise bad_value("rate", 1.2, "in [0, 1)")
    ... except RulePackError as exc:
    ...     print(exc)
    x.yaml:2:9: a.rate must be in [0, 1), got 1.2
    """
    try:
        yield
    except ValidationError as exc:
        found = relocate_all(exc, marks, base, error=error)
        if len(found) == 1:
            raise found[0] from exc
        lines = "\n".join(f"  {e}" for e in found)
        raise error(f"{len(found)} problems:\n{lines}", location=found[0].location,
                    field=found[0].field, errors=found) from exc


def relocate_all(
    exc: ValidationError,
    marks: Marks,
    base: Sequence[str | int] = (),
    *,
    error: type[RulePackError] = RulePackError,
) -> list[RulePackError]:
    """Like :func:`relocate`, for an error that carries several (an ``errors`` list of
    ``ValidationError`` s, as ``jxc_rules.rules.schema.FieldErrors`` does): one located error
    per problem."""
    parts = getattr(exc, "errors", None)
    if isinstance(exc, RulePackError) or not isinstance(parts, list) or not parts or not all(
            isinstance(p, ValidationError) for p in parts):
        return [relocate(exc, marks, base, error=error)]
    out: list[RulePackError] = []
    for part in parts:
        out.extend(relocate_all(part, marks, base, error=error))
    return out

