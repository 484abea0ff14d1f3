#!/usr/bin/env bash
# The production stack on this machine: gunicorn (with whitenoise), a Celery worker and
# beat, on PostgreSQL and Redis. Reads deploy.env when it exists; otherwise uses the
# local PostgreSQL and Redis with demo data. Ctrl+C stops every process.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

if [[ -f deploy.env ]]; then
  set -a; source deploy.env; set +a
  demo=false
else
  export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/claims_serve}"
  export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
  export CELERY_BROKER_URL="${CELERY_BROKER_URL:-redis://127.0.0.1:6379/1}"
  export DJANGO_DEBUG="${DJANGO_DEBUG:-false}"
  export DJANGO_LOG_FORMAT="${DJANGO_LOG_FORMAT:-text}"
  demo=true
fi
PORT="${PORT:-8000}"
WEB_CONCURRENCY="${WEB_CONCURRENCY:-2}"
WORKER_CONCURRENCY="${WORKER_CONCURRENCY:-2}"

$BIN/python scripts/create_database.py "$DATABASE_URL"
$BIN/python manage.py migrate --noinput
$BIN/python manage.py collectstatic --noinput -v 0
if command -v msgfmt >/dev/null 2>&1; then
  $BIN/python manage.py compilemessages --ignore .venv >/dev/null
fi
if [[ $demo == true ]]; then
  $BIN/python manage.py seed_demo
fi

pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
$BIN/celery -A deposit_claims worker --loglevel=INFO --concurrency="$WORKER_CONCURRENCY" &
pids+=($!)
$BIN/celery -A deposit_claims beat --loglevel=INFO --schedule="${TMPDIR:-/tmp}/claims-beat-schedule" &
pids+=($!)
$BIN/gunicorn deposit_claims.wsgi:application --bind="127.0.0.1:$PORT" \
  --workers="$WEB_CONCURRENCY" --graceful-timeout=30 &
pids+=($!)
echo "Serving http://127.0.0.1:$PORT with ${WEB_CONCURRENCY} gunicorn workers, a Celery worker and beat; Ctrl+C stops all."
wait -n
