"""What Django compiles to SQL while a block runs: a read a service makes through
`common.prepared.PreparedRead` is compiled once per process, never per call."""

from contextlib import contextmanager
from unittest import mock

from django.db.models.sql.compiler import SQLCompiler


@contextmanager
def compiled_reads():
    """The SQL of every SELECT compiled in the block, in order."""
    compiled = []
    original = SQLCompiler.as_sql

    def recording(compiler, *args, **kwargs):
        sql, params = original(compiler, *args, **kwargs)
        compiled.append(sql)
        return sql, params

    with mock.patch.object(SQLCompiler, "as_sql", recording):
        yield compiled


def reading(compiled: list[str], *tables: str) -> list[str]:
    """The compiled reads of any of `tables`."""
    return [sql for sql in compiled if any(f'FROM "{table}"' in sql for table in tables)]
