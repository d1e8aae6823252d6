#!/usr/bin/env bash
# Makes the upgrade fixture of one release: a database written by that release's own code
# (SQLite and PostgreSQL dumps, plus its blob files), so that the upgrade test can prove every
# later release opens it and keeps its data. Run it once for each release, from the repository:
#
#   scripts/make-release-fixture.sh <commit> <name>
#
# It needs git, sqlite3, pg_dump and a PostgreSQL at $PLUMB_FIXTURE_PG (default
# postgres://postgres@127.0.0.1:5432/test); it builds the release in a temporary worktree.
set -euo pipefail
commit="$1"
name="$2"
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="$repo/packages/server/fixtures/releases/$name"
pg_admin="${PLUMB_FIXTURE_PG:-postgres://postgres@127.0.0.1:5432/test}"
work="$(mktemp -d)"
tree="$work/tree"
port=$((17000 + RANDOM % 2000))

schema="plumb_release_fixture"
# A database of its own: releases without a schema option look for Kysely's bookkeeping table in
# every schema of the database.
pg_base="${pg_admin%/*}/$schema"

cleanup() {
  [[ -n "${server:-}" ]] && kill "$server" 2>/dev/null || true
  git -C "$repo" worktree remove --force "$tree" 2>/dev/null || true
  psql -q "$pg_admin" -c "drop database if exists $schema" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

git -C "$repo" worktree add --detach "$tree" "$commit" >/dev/null
# Hard links keep the installed packages (and the built native modules); the workspace links
# are relative, so they point into the release's own packages.
cp -al "$repo/node_modules" "$tree/node_modules"
(cd "$tree" && npx tsc -b)

cli() { (cd "$work" && node "$tree/packages/server/dist/cli/main.js" "$@" >/dev/null); }

run_release() {
  local home="$1" database_url="$2"
  PLUMB_HOME="$home" PLUMB_PORT="$port" PLUMB_DATABASE_URL="$database_url" PLUMB_LOG_LEVEL=warn \
    node "$tree/packages/server/dist/cli/main.js" serve >"$work/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
    sleep 0.2
  done
  if [[ ! -f "$home/credentials" ]]; then
    cat "$work/serve.log" >&2
    exit 1
  fi
  export PLUMB_URL="http://127.0.0.1:$port"
  PLUMB_API_KEY="$(node -e "console.log(JSON.parse(require('fs').readFileSync('$home/credentials','utf8')).apiKey)")"
  export PLUMB_API_KEY
  # The README's walkthrough of that release: datasets, validation, models, an evaluation
  # gate, a promotion and a rollback.
  cp "$repo/node_modules/vega-datasets/data/seattle-weather.csv" "$work/weather.csv"
  cli projects create fraud --description "fraud models"
  cli keys create scoring-service --role service --project fraud
  cli dataset add weather weather.csv --message "2012-2015 daily" --time-column date --slice-column weather
  sed -i 's/,sun$/,sunny/' "$work/weather.csv"
  cli dataset add weather weather.csv --message "rename sun" --parent weather@v1
  printf 'name: weather-quality\nexpectations:\n  - { expect: row_count, min: 1000 }\n  - { expect: in_set, column: weather, values: [drizzle, rain, sun, snow, fog] }\n' >"$work/suite.yaml"
  cli validate weather@v2 --suite suite.yaml || true
  if [[ ! -f "$work/model-v1.onnx" ]]; then
    local data="$repo/node_modules/vega-datasets/data/seattle-weather.csv"
    (cd "$work" && node "$tree/examples/train-weather-model.mjs" "$data" model-v1.onnx 3 >/dev/null)
    (cd "$work" && node "$tree/examples/train-weather-model.mjs" "$data" model-v2.onnx 300 >/dev/null)
  fi
  cli model register weather-model --artifact model-v1.onnx --risk-class limited --owner ml-team
  cli model register weather-model --artifact model-v2.onnx
  printf 'name: weather-gate\ndatasets: [weather@v1]\nlabel: weather\ntask: classification\nfeatures: [precipitation, temp_max, temp_min, wind]\nslices:\n  - { name: rain, column: weather, equals: rain }\nmetrics: [accuracy, f1_macro]\ngate:\n  thresholds: { accuracy: { min: 0.5 } }\n' >"$work/gate.yaml"
  cli eval suite create gate.yaml
  cli eval run weather-gate --model weather-model@v1
  cli model promote weather-model@v1
  cli eval run weather-gate --model weather-model@v2 --baseline weather-model@champion
  cli model promote weather-model@v2 --reason "fixture"
  cli model rollback weather-model
  kill "$server"
  wait "$server" || true
  server=""
}

rm -rf "$out"
mkdir -p "$out"

run_release "$work/sqlite-home" "sqlite:$work/sqlite-home/plumb.db"
sqlite3 "$work/sqlite-home/plumb.db" .dump >"$out/sqlite.sql"
cp -r "$work/sqlite-home/blobs" "$out/blobs"
find "$out/blobs" -name '*.tmp*' -delete 2>/dev/null || true
sqlite_key="$PLUMB_API_KEY"

psql -q "$pg_admin" -c "drop database if exists $schema" -c "create database $schema" >/dev/null
psql -q "$pg_base" -c "create schema $schema" >/dev/null
run_release "$work/pg-home" "$pg_base?options=-c%20search_path%3D$schema"
# Kysely keeps its bookkeeping in the default schema when given none; a deployment on the
# public schema has both in one schema, which is what the move gives.
psql -q "$pg_base" -c "alter table if exists public.kysely_migration set schema $schema" \
  -c "alter table if exists public.kysely_migration_lock set schema $schema" >/dev/null
# Plain INSERTs (no COPY blocks) so the test can replay the dump through one client; psql's
# meta-commands are dropped for the same reason.
pg_dump --inserts --no-owner --no-privileges --schema="$schema" "$pg_base" | grep -v '^\\' >"$out/postgres.sql"
pg_key="$PLUMB_API_KEY"

cat >"$out/release.json" <<JSON
{
  "commit": "$(git -C "$repo" rev-parse "$commit")",
  "schemaPlaceholder": "$schema",
  "adminKeys": { "sqlite": "$sqlite_key", "postgres": "$pg_key" }
}
JSON
echo "wrote $out"
