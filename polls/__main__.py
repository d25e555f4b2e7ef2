"""`python -m polls`: run one replica (one process, one worker) with settings from POLLS_* variables."""

from __future__ import annotations

import sys

from polls.config import Config, ConfigError

LISTEN_BACKLOG = 4096


def main() -> int:
    try:
        config = Config.from_env()
    except ConfigError as exc:
        print(f"polls: bad configuration: {exc}", file=sys.stderr)
        return 2
    from polls.app import create_app

    app = create_app(config)
    # A deep accept queue: when a replica dies, its screens reconnect to the others all at once, and
    # Sanic's default of 100 refused most of them (HAProxy then took the refusals for a dead replica).
    app.run(
        host=config.host,
        port=config.port,
        single_process=True,
        access_log=False,
        motd=False,
        backlog=LISTEN_BACKLOG,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
