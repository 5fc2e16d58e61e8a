#!/usr/bin/env bash
# Runs samples/DatabaseTraining against a throwaway PostgreSQL server:
#   - installs Debian's postgresql if it is missing (needs root),
#   - initialises a cluster in a temporary folder (as the postgres user when run as root: initdb refuses root),
#     listening only on a unix socket in that folder (no TCP port), with fsync off (the data is thrown away),
#   - creates a database and a table of N rows (default 1,000,000) with generate_series and a seeded random(),
#   - runs the sample, then stops the server and removes the folder (also on failure or Ctrl-C).
# Usage: samples/DatabaseTraining/run-postgres.sh [rows] [sample options: --epochs 3 --budget 16]
set -euo pipefail
rows=1000000
if [[ $# -gt 0 && "$1" =~ ^[0-9]+$ ]]; then rows=$1; shift; fi
repo=$(cd "$(dirname "$0")/../.." && pwd)

pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
if [[ -z "$(pgbin)" ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "PostgreSQL is not installed: run this script as root, or 'apt-get install postgresql' first." >&2
    exit 1
  fi
  echo "Installing Debian's postgresql..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -y -qq install postgresql >/dev/null
fi
bin=$(pgbin)

dir=$(mktemp -d /tmp/mlnbp-pg.XXXXXX)
port=54329
if [[ $(id -u) -eq 0 ]]; then
  chown postgres "$dir"
  as_server() { (cd "$dir" && runuser -u postgres -- "$@"); }
else
  as_server() { (cd "$dir" && "$@"); }
fi
cleanup() {
  as_server "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

as_server "$bin/initdb" -D "$dir/data" -U mlnbp -A trust -E UTF8 --no-sync >/dev/null
as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-k $dir -p $port -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
psql() { "$bin/psql" -h "$dir" -p "$port" -U mlnbp -X -q -v ON_ERROR_STOP=1 "$@"; }
psql -d postgres -c "CREATE DATABASE mlnbp"

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $(psql -d mlnbp -At -c 'SHOW server_version') in $dir (unix socket, port $port)"
start=$(date +%s%N)
# Eight features uniform in [-1, 1): x1 … x6 decide the label (with noise), x7 and x8 are distractors.
psql -d mlnbp -v rows="$rows" <<'SQL'
\o /dev/null
SELECT setseed(0.42);
\o
CREATE TABLE samples (
  id bigint PRIMARY KEY,
  x1 real NOT NULL, x2 real NOT NULL, x3 real NOT NULL, x4 real NOT NULL,
  x5 real NOT NULL, x6 real NOT NULL, x7 real NOT NULL, x8 real NOT NULL,
  label boolean NOT NULL);
INSERT INTO samples
SELECT id, x1, x2, x3, x4, x5, x6, x7, x8,
       x1 + x2 * x3 - x4 * x4 + 0.5 * sin(3 * x5) + 0.25 * x6 + 0.3 + 0.3 * noise > 0
FROM (SELECT g AS id,
             (random() * 2 - 1)::real AS x1, (random() * 2 - 1)::real AS x2, (random() * 2 - 1)::real AS x3,
             (random() * 2 - 1)::real AS x4, (random() * 2 - 1)::real AS x5, (random() * 2 - 1)::real AS x6,
             (random() * 2 - 1)::real AS x7, (random() * 2 - 1)::real AS x8, random() * 2 - 1 AS noise
      FROM generate_series(1, :rows) AS g) AS s;
VACUUM ANALYZE samples;
SQL
end=$(date +%s%N)
echo "== table samples: $rows rows, $(psql -d mlnbp -At -c "SELECT pg_size_pretty(pg_total_relation_size('samples'))") with its index, created in $(( (end - start) / 1000000 )) ms"

cd "$repo"
dotnet build samples/DatabaseTraining -c Release -v q -nologo >/dev/null
command=(dotnet run --project samples/DatabaseTraining -c Release --no-build -- --connection "Host=$dir;Port=$port;Username=mlnbp;Database=mlnbp" "$@")
echo "== $(printf '%q ' "${command[@]}")"
echo
"${command[@]}"
echo "== load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
