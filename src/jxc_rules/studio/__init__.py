"""``jxc-rules studio``: the committee's sandbox in the browser, on the local service.

:func:`create_studio_app` (in :mod:`jxc_rules.studio.app`) composes the service of
``jxc-rules serve`` with the studio's API (:mod:`jxc_rules.studio.routes`) and its page
(``static/``: HTML, JS and CSS shipped in the package, no CDN, no build step); the form model,
the validation of edits and the saving of a new pack version live in
:mod:`jxc_rules.studio.forms`. Needs the ``studio`` extra (FastAPI, uvicorn): importing this
package alone imports neither.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_studio_app"]


def __getattr__(name: str) -> Any:
    if name == "create_studio_app":
        from jxc_rules.studio.app import create_studio_app

        return create_studio_app
    raise AttributeError(f"module 'jxc_rules.studio' has no attribute {name!r}")
