"""Create the PostgreSQL database a URL names, if it does not exist yet (`make serve`,
the restore drill)."""

import sys
from urllib.parse import urlsplit

import psycopg
from psycopg import sql


def server_and_name(url: str) -> tuple[str, str]:
    """A connection URL to the server's maintenance database, and the database's name."""
    return url[: url.rindex("/")] + "/postgres", urlsplit(url).path.lstrip("/")


def main(url: str) -> None:
    if not url.startswith(("postgres://", "postgresql://")):
        return
    server, name = server_and_name(url)
    with psycopg.connect(server, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"Created database {name}.")


if __name__ == "__main__":
    main(sys.argv[1])
