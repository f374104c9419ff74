"""Write the service's OpenAPI document: ``python -m jxc_rules.service.openapi [FILE]``.

The committed copy is ``docs/openapi.json``; a test fails when the served document drifts from
it, so a change to the HTTP contract is always a visible change in review.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Sequence
from typing import Any

__all__ = ["document", "main", "render"]


def document() -> dict[str, Any]:
    """The OpenAPI document of :func:`jxc_rules.service.create_app` (any settings: the contract
    does not depend on them)."""
    from jxc_rules.service import Settings, create_app

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(db_url=f"sqlite:///{tmp}/openapi.db"))
        doc: dict[str, Any] = app.openapi()
        app.state.jxc.engine.dispose()
    return doc


def render(doc: dict[str, Any]) -> str:
    """The document as the committed file holds it (2-space indent, UTF-8, final newline)."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    text = render(document())
    if args:
        with open(args[0], "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
