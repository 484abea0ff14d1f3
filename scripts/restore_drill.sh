#!/usr/bin/env bash
# Restore drill: dump a PostgreSQL database, restore the dump into a scratch database,
# and audit every deposit account there. Proves the backup holds a consistent ledger.
#   scripts/restore_drill.sh postgres://user@host:5432/claims [dump-file]
# Needs pg_dump and pg_restore of the server's major version (Debian: postgresql-client).
set -euo pipefail
cd "$(dirname "$0")/.."
source_url="$1"
dump="${2:-$(mktemp -d)/claims.dump}"
scratch_url="${source_url%/*}/claims_restore_drill_$$"

echo "== dump $(basename "${source_url%%\?*}") to $dump"
pg_dump --format=custom --no-owner --file="$dump" "$source_url"

echo "== restore into a scratch database"
.venv/bin/python scripts/create_database.py "$scratch_url"
trap '.venv/bin/python scripts/drop_database.py "$scratch_url"' EXIT
pg_restore --no-owner --exit-on-error --dbname="$scratch_url" "$dump"

echo "== audit the restored ledger"
DATABASE_URL="$scratch_url" .venv/bin/python manage.py audit_deposits
