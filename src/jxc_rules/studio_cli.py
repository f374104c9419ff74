"""``jxc-rules studio``: thin — parse, start the local service with the studio's page, open it.

Outside :mod:`jxc_rules.studio` so that ``jxc-rules --help`` imports neither FastAPI nor the
kernels; the command imports the studio when it runs.

The studio is a local, single-user tool: it binds 127.0.0.1 (another address only with
``--allow-remote``), mints a session token in a throw-away database at start, and hands it to
the page through a one-time launch code in the URL *fragment* (never sent to a server, so in no
access log). The link is printed only with ``--no-browser`` (then you open it yourself).
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from typing import Any

__all__ = ["register"]

DEFAULT_PORT = 8766


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _studio(args: argparse.Namespace) -> int:
    from jxc_rules.errors import JxcRulesError

    if not _loopback(args.host) and not args.allow_remote:
        raise JxcRulesError(f"--host {args.host}: the studio is a local single-user tool and "
                            "binds 127.0.0.1; pass --allow-remote to serve it on another "
                            "address (anyone who reaches it with the link can run jobs)")
    try:
        import uvicorn
    except ImportError:
        raise JxcRulesError("jxc-rules studio needs its extra: pip install 'jxc-rules[studio]'"
                            ) from None
    import webbrowser

    from jxc_rules.studio.app import LOCAL_HOSTS, create_studio_app

    studio = create_studio_app(save_dir=args.save_dir, scenario=args.scenario,
                               allowed_hosts=LOCAL_HOSTS if _loopback(args.host) else None)
    host = "127.0.0.1" if args.host == "localhost" else args.host
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{args.port}"
    link = base + studio.page_path
    print(f"jxc-rules studio on {base}/studio/ · saved packs go to {args.save_dir}/ · "
          "Ctrl-C stops it", file=sys.stderr)
    if args.no_browser:
        print(f"open this link once (it signs the page in): {link}", flush=True)
    else:
        import threading

        threading.Timer(0.8, webbrowser.open, args=(link,)).start()
    try:
        uvicorn.run(studio.app, host=host, port=args.port, log_level=args.log_level,
                    timeout_keep_alive=5)
    finally:
        studio.close()
    return 0


def register(sub: Any) -> None:
    """Add ``studio`` to the ``jxc-rules`` subcommands."""
    p = sub.add_parser("studio", help="the committee's sandbox in the browser (local page)",
                       description="Start the local service with the studio page and open it: "
                       "pick a scenario and two packs, edit the assumptions (checked by the "
                       "pack's validator), run compares and sweeps, save a new pack version "
                       "(docs/studio.md).")
    p.add_argument("scenario", nargs="?", default=None, metavar="SCENARIO",
                   help="a bundled scenario name or a scenario file to show first")
    p.add_argument("--no-browser", action="store_true",
                   help="do not open a browser; print the one-time link instead")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT,
                   help=f"port (default {DEFAULT_PORT})")
    p.add_argument("--save-dir", default="studio-packs", metavar="DIR",
                   help="where saved pack versions go: DIR/<industry>/<version>.yaml "
                        "(default studio-packs)")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow --host other than a loopback address")
    p.add_argument("--log-level", default="warning",
                   choices=["critical", "error", "warning", "info", "debug"])
    p.set_defaults(func=_studio)
