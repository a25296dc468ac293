#!/bin/bash
# The deadline scheduler at scale, on a database `linli bench-data` generated (SQLite):
# at least 1,000,000 watched deadlines (topped up with future ones), the idle server's CPU, and
# how long after a deadline passes the case is marked overdue.
#
#   bench/scheduler.sh PATH/linli.db   (run from the repository, with the key file bench-data used)
set -e
db=$(realpath "${1:?usage: bench/scheduler.sh PATH/linli.db}")
cd "$(dirname "$0")/.."
q() { sqlite3 -cmd ".timeout 10000" "$db" "$1"; }
now_ms=$(( $(date +%s%N) / 1000000 ))
watched=$(q "select count(*) from cases where next_due_at is not null")
echo "watched deadlines in the generated city: $watched"
need=$(( 1000000 - watched ))
if [ $need -gt 0 ]; then
  t0=$(date +%s)
  q "update cases set next_due_at = $now_ms + 86400000 + (id % 2592000000) where id in (select id from cases where next_due_at is null limit $need)"
  echo "topped up to $(q "select count(*) from cases where next_due_at is not null") (in $(( $(date +%s) - t0 )) s), all in the future"
fi
port=18190
build/linli --db sqlite://$db --log-level info serve --listen 127.0.0.1:$port > /tmp/sched-serve.log 2>&1 &
pid=$!
until curl -sf http://127.0.0.1:$port/readyz >/dev/null; do sleep 0.2; done
sleep 5
cpu() { awk '{print $14 + $15}' /proc/$pid/stat; }
a=$(cpu); sleep 30; b=$(cpu)
echo "server CPU while idle with the scheduler ticking: $(( (b - a) )) ticks of 10 ms in 30 s = $(awk -v t=$((b - a)) 'BEGIN {printf "%.2f", t / 30}') % of a core"
id=$(q "select id from cases where state = 'reported' and overdue = 0 limit 1")
due=$(( $(date +%s%N) / 1000000 + 3000 ))
q "update cases set response_due_at = $due, next_due_at = $due where id = $id"
while :; do
  o=$(q "select overdue from cases where id = $id")
  [ "$o" != "0" ] && break
  sleep 0.02
done
seen=$(( $(date +%s%N) / 1000000 ))
echo "case $id: deadline passed, marked overdue $(( seen - due )) ms later"
kill $pid; wait $pid 2>/dev/null || true
