#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 for the test suite's PostgreSQL leg.
# Starts an installed cluster that is down; says clearly when there is none (the leg is skipped).
set -u
answers() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if answers; then exit 0; fi
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  for version in $(ls /etc/postgresql); do
    pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
  done
  for _ in $(seq 1 20); do answers && exit 0; sleep 0.5; done
fi
echo "NOTE: no PostgreSQL server on 127.0.0.1:5432 and none could be started:" \
     "the PostgreSQL leg of the tests will be SKIPPED (see the skip reasons in the summary)." >&2
exit 0
