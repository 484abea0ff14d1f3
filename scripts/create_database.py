"""Create the PostgreSQL database a URL names, if it does not exist yet (`make serve`)."""

import sys
from urllib.parse import urlsplit

import psycopg
from psycopg import sql


def main(url: str) -> None:
    if not url.startswith(("postgres://", "postgresql://")):
        return
    name = urlsplit(url).path.lstrip("/")
    server = url[: url.rindex("/")] + "/postgres"
    with psycopg.connect(server, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"Created database {name}.")


if __name__ == "__main__":
    main(sys.argv[1])
