"""Drop the scratch PostgreSQL database a URL names (the restore drill's clean-up)."""

import sys

import psycopg
from create_database import server_and_name
from psycopg import sql


def main(url: str) -> None:
    server, name = server_and_name(url)
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


if __name__ == "__main__":
    main(sys.argv[1])
