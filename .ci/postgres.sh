# Sourced by .ci/run: start a throwaway PostgreSQL cluster on a loopback
# port, export ESP_TEST_DATABASE_URL for the tests, and stop the cluster
# (and delete it) when the run ends. initdb and pg_ctl refuse to run as
# root, so as root the cluster belongs to a system user made for it.

pg_bindir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

start_postgres() {
  local bin dir as port
  bin=$(pg_bindir)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "ci: PostgreSQL's initdb not found" >&2
    return 1
  fi
  dir=$(mktemp -d)
  as=()
  if [ "$(id -u)" = 0 ]; then
    id esp-ci-pg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin esp-ci-pg
    chown esp-ci-pg "$dir"
    as=(runuser -u esp-ci-pg --)
  fi
  "${as[@]}" "$bin/initdb" -D "$dir/data" -U esp --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    return 1
  }
  # The first free port from 15432 on.
  for port in $(seq 15432 15532); do
    if "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/pg.log" -w -t 30 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null 2>&1; then
      PG_CI_DIR=$dir PG_CI_BIN=$bin
      PG_CI_AS=("${as[@]}")
      trap stop_postgres EXIT
      "$bin/createdb" -h 127.0.0.1 -p "$port" -U esp esp_test
      export ESP_TEST_DATABASE_URL="postgres://esp@127.0.0.1:$port/esp_test?sslmode=disable"
      echo "ci: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
      return 0
    fi
  done
  cat "$dir/pg.log" >&2
  return 1
}

stop_postgres() {
  [ -n "${PG_CI_DIR:-}" ] || return 0
  "${PG_CI_AS[@]}" "$PG_CI_BIN/pg_ctl" -D "$PG_CI_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_CI_DIR"
  PG_CI_DIR=
}
