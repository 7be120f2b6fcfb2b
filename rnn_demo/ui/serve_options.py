"""How app.py is served: address, login, operators, quotas, data; and the warning for an open server.

    python app.py                                        # 127.0.0.1:7860, this machine only
    python app.py --host 0.0.0.0 --auth-file users.txt --operator teacher --max-runs-per-owner 2

Every option has an environment variable, read when the option is not given: GRADIO_SERVER_NAME,
GRADIO_SERVER_PORT, RNN_DEMO_AUTH ("user:password", several separated by spaces),
RNN_DEMO_OPERATORS (comma-separated login names), the quotas' (Quotas.ENVIRON), the server's
limits' (guard.ServerLimits.ENVIRON) and RNN_DEMO_SYNTHETIC_DATA=1. A file of users holds one "user:password" per line ('#' starts a
comment). With users, Gradio's own login page guards the app and its API.
"""

import argparse
import os
from dataclasses import replace
from pathlib import Path

from ..mnist.runs.quotas import Quotas
from ..options import add_options, from_environ, given
from .guard import ServerLimits

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def _pair(text: str, where: str) -> tuple[str, str]:
    user, sep, password = text.partition(":")
    if not sep or not user.strip() or not password:
        raise ValueError(f"{where}: expected USER:PASSWORD, got {text!r}")
    return user.strip(), password


def read_users(pairs=(), file=None, environ=None) -> list[tuple[str, str]]:
    """(user, password) from --auth pairs, else RNN_DEMO_AUTH; plus a file's; ValueError names a bad one."""
    environ = os.environ if environ is None else environ
    if pairs:
        users = [_pair(p, "--auth") for p in pairs]
    else:
        users = [_pair(p, "RNN_DEMO_AUTH") for p in environ.get("RNN_DEMO_AUTH", "").split()]
    if file:
        try:
            lines = Path(file).read_text().splitlines()
        except OSError as e:
            raise ValueError(f"cannot read the users file {file}: {e.strerror}") from None
        for number, line in enumerate(lines, 1):
            line = line.split("#", 1)[0].strip()
            if line:
                users.append(_pair(line, f"{file}, line {number}"))
    return users


def open_warning(host: str, users: list) -> str | None:
    """One line for a server reachable beyond this machine with no login; None when all is well."""
    if host in LOCAL_HOSTS or users:
        return None
    return (f"warning: serving on {host} without a login: anyone who reaches this port can use the lab "
            "and its CPU/GPU. Add --auth USER:PASSWORD or --auth-file FILE (see README: Sharing the lab).")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python app.py", description="Serve the RNN lab.")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                        help="address to bind (default: 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)),
                        help="port to serve on (default: 7860; env GRADIO_SERVER_PORT)")
    parser.add_argument("--auth", action="append", default=[], metavar="USER:PASSWORD",
                        help="turn on the login page; repeat for more users (env RNN_DEMO_AUTH)")
    parser.add_argument("--auth-file", metavar="FILE", help="users, one USER:PASSWORD per line")
    parser.add_argument("--operator", action="append", default=[], metavar="USER",
                        help="a signed-in user who may stop and delete every run and has no quota "
                             "(needs a login; env RNN_DEMO_OPERATORS, comma-separated)")
    add_options(parser, Quotas, title="quotas: runs queued or running at once, and how long one may train")
    add_options(parser, ServerLimits, title="the server's limits (docs/security.md)")
    parser.add_argument("--synthetic-data", action="store_true",
                        default=os.environ.get("RNN_DEMO_SYNTHETIC_DATA", "") not in ("", "0"),
                        help="train on 512 synthetic images instead of MNIST: for load tests "
                             "(python -m rnn_demo.bench soak), never for a class (env RNN_DEMO_SYNTHETIC_DATA=1)")
    return parser


def parse_args(argv=None, environ=None) -> argparse.Namespace:
    """The options, with .users, .operators (frozenset), .quotas and .limits resolved; exits with a
    message if bad."""
    environ = os.environ if environ is None else environ
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.users = read_users(args.auth, args.auth_file, environ)
        args.quotas = replace(Quotas.from_environ(environ), **given(args, Quotas)).validate()
        args.limits = replace(from_environ(ServerLimits, environ), **given(args, ServerLimits)).validate()
    except ValueError as e:
        parser.error(str(e))
    names = args.operator or [n for n in environ.get("RNN_DEMO_OPERATORS", "").split(",") if n.strip()]
    args.operators = frozenset(n.strip() for n in names)
    if args.operators and not args.users:
        parser.error("--operator needs a login (--auth or --auth-file): operators are known by their user name")
    unknown = args.operators - {user for user, _ in args.users}
    if unknown:
        parser.error(f"--operator names no user of the login: {', '.join(sorted(unknown))}")
    return args
