"""A movement's writes under the deposit's lock in one statement, on PostgreSQL.

Under the lock every round trip to the database is time that every other payout of the
store waits for. The ORM writes a movement in three statements (the entries, the account's
new amounts, the payouts that follow from the entries); PostgreSQL takes all three as one,
each as a data-modifying `WITH` query of one statement, and says which rows it wrote. The
values are those the ORM would write (each field's `pre_save` and database preparation),
and so are the constraints the statement meets: a broken one refuses it whole.
"""

from django.db import DatabaseError, connections

from ..models import DepositAccount, Disbursement, LedgerEntry

ACCOUNT_COLUMNS = ("balance", "held", "arrears", "updated_at")


# A statement takes at most this many parameters (PostgreSQL's protocol counts them in
# 16 bits); a bigger batch is written by the ORM, which splits its INSERTs.
MAX_PARAMETERS = 65_535


def can_write_in_one_statement(
    using: str, entries: list[LedgerEntry], disbursements: list[Disbursement]
) -> bool:
    parameters = (
        len(entries) * len(_columns(LedgerEntry))
        + len(disbursements) * len(_columns(Disbursement))
        + len(ACCOUNT_COLUMNS)
        + 1
    )
    return connections[using].vendor == "postgresql" and parameters <= MAX_PARAMETERS


def write_in_one_statement(
    account: DepositAccount,
    entries: list[LedgerEntry],
    disbursements: list[Disbursement],
    *,
    using: str,
) -> None:
    """Insert `entries` (in order) and `disbursements` (each linked to one of `entries`),
    and update `account`'s amounts, in one statement; each new row's key is set on its
    instance as `bulk_create` sets it."""
    connection = connections[using]
    entry_sql, entry_params = _insert(LedgerEntry, entries, connection)
    position = {id(entry): number for number, entry in enumerate(entries, start=1)}
    parts = [f"entries AS ({entry_sql})"]
    params = list(entry_params)
    parts.append("numbered AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM entries)")
    account_sql, account_params = _update(account, connection)
    parts.append(f"account AS ({account_sql})")
    params += account_params
    if disbursements:
        linked = [position[id(d.ledger_entry)] for d in disbursements]
        paid_sql, paid_params = _insert(
            Disbursement,
            disbursements,
            connection,
            linked_to=(Disbursement._meta.get_field("ledger_entry"), linked),
        )
        parts.append(f"paid AS ({paid_sql})")
        params += paid_params
    # The keys of one INSERT rise in the order of its VALUES (the sequence is drawn row by
    # row): sorted, they are the instances' in order, as `bulk_create` too relies on.
    rows = _run(
        f"WITH {', '.join(parts)} "  # noqa: S608 - names from the models, values as parameters
        "SELECT 0, id FROM account UNION ALL SELECT 1, id FROM entries"
        + (" UNION ALL SELECT 2, id FROM paid" if disbursements else "")
        + " ORDER BY 1, 2",
        params,
        connection,
    )
    written = {part: [key for kind, key in rows if kind == part] for part in (0, 1, 2)}
    if written[0] != [account.pk] or len(written[1]) != len(entries):
        raise DatabaseError(f"Deposit account {account.pk}'s movement was not written whole.")
    _saved(entries, written[1], using)
    for disbursement in disbursements:
        # As `bulk_create` links a row to an object saved after it was assigned: through
        # the relation, which keeps the entry cached.
        disbursement.ledger_entry = disbursement.ledger_entry
    _saved(disbursements, written[2], using)


def _columns(model) -> list:
    return [field for field in model._meta.concrete_fields if not field.primary_key]


def _insert(model, objects: list, connection, *, linked_to=None) -> tuple[str, list]:
    """`INSERT … VALUES … RETURNING id` of `objects`; `linked_to` (a foreign key to the
    entries and each object's entry's place among them) is read from the `numbered` query."""
    quote = connection.ops.quote_name
    fields = _columns(model)
    link = linked_to[0] if linked_to else None
    rows, params = [], []
    for number, obj in enumerate(objects):
        placeholders = []
        for field in fields:
            if field is link:
                placeholders.append("(SELECT id FROM numbered WHERE n = %s)")
                params.append(linked_to[1][number])
            else:
                placeholders.append("%s")
                params.append(field.get_db_prep_save(field.pre_save(obj, True), connection))
        rows.append(f"({', '.join(placeholders)})")
    columns = ", ".join(quote(field.column) for field in fields)
    table = quote(model._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join(rows)} RETURNING id"  # noqa: S608
    return sql, params


def _update(account: DepositAccount, connection) -> tuple[str, list]:
    quote = connection.ops.quote_name
    fields = [DepositAccount._meta.get_field(name) for name in ACCOUNT_COLUMNS]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    params = [
        field.get_db_prep_save(field.pre_save(account, False), connection) for field in fields
    ]
    table = quote(DepositAccount._meta.db_table)
    sql = f"UPDATE {table} SET {assignments} WHERE id = %s RETURNING id"  # noqa: S608
    return sql, [*params, account.pk]


def _run(sql: str, params: list, connection) -> list[tuple[int, int]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _saved(objects: list, keys: list[int], using: str) -> None:
    for obj, key in zip(objects, keys, strict=True):
        obj.pk = key
        obj._state.adding = False
        obj._state.db = using
