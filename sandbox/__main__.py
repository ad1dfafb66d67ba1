"""Command line: .venv/bin/python -m sandbox --port 8010 --seed 42 --entries 3000"""

import argparse
import logging
import os
from collections.abc import Sequence
from datetime import date

from sandbox.knobs import DEFAULT_REDIRECT_PREFIXES, Knobs
from sandbox.server import make_server

logger = logging.getLogger("sandbox")


def _env(name: str, default: str) -> str:
    return os.environ.get(f"SANDBOX_{name}", default)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    defaults = Knobs()
    parser = argparse.ArgumentParser(
        prog="python -m sandbox", description="A fake Harvest (id + API v2) server."
    )
    parser.add_argument("--host", default=_env("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(_env("PORT", "8010")))
    parser.add_argument("--seed", type=int, default=int(_env("SEED", "42")))
    parser.add_argument("--entries", type=int, default=int(_env("ENTRIES", "3000")))
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=_env("TODAY", "") or None,
        help="fixed 'today' (YYYY-MM-DD); default: the real date",
    )
    parser.add_argument("--client-id", default=_env("CLIENT_ID", defaults.client_id))
    parser.add_argument(
        "--client-secret", default=_env("CLIENT_SECRET", defaults.client_secret)
    )
    parser.add_argument(
        "--redirect-prefix",
        action="append",
        dest="redirect_prefixes",
        help="accepted redirect_uri prefix (repeatable)",
    )
    parser.add_argument(
        "--callback-path",
        default=_env("CALLBACK_PATH", defaults.callback_path),
        help="appended to the first prefix when redirect_uri is omitted",
    )
    parser.add_argument("--pat", default=_env("PAT", defaults.pat))
    parser.add_argument(
        "--token-lifetime",
        type=int,
        default=int(_env("TOKEN_LIFETIME", str(defaults.token_lifetime))),
    )
    parser.add_argument(
        "--rate-limit-scope",
        choices=("account", "token"),
        default=_env("RATE_LIMIT_SCOPE", defaults.rate_limit_scope),
    )
    parser.add_argument("--log-level", default=_env("LOG_LEVEL", "INFO"))
    args = parser.parse_args(argv)
    if isinstance(args.today, str):
        args.today = date.fromisoformat(args.today)
    if not args.redirect_prefixes:
        env_prefixes = _env("REDIRECT_PREFIXES", "")
        args.redirect_prefixes = env_prefixes.split() or list(DEFAULT_REDIRECT_PREFIXES)
    return args


def knobs_from(args: argparse.Namespace) -> Knobs:
    return Knobs(
        seed=args.seed,
        entries=args.entries,
        today=args.today,
        client_id=args.client_id,
        client_secret=args.client_secret,
        redirect_prefixes=args.redirect_prefixes,
        callback_path=args.callback_path,
        pat=args.pat,
        token_lifetime=args.token_lifetime,
        rate_limit_scope=args.rate_limit_scope,
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s"
    )
    server, app = make_server(args.host, args.port, knobs_from(args))
    host, port = server.server_address[:2]
    dataset = app.dataset
    logger.info(
        "sandbox listening base=http://%s:%s seed=%s entries=%s today=%s",
        host,
        port,
        args.seed,
        dataset.entry_count,
        dataset.today,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        logger.info("sandbox stopping")
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
