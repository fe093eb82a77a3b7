#!/bin/bash
# Alternating sysbench runs against targets that are already running (a lab by hand: two proxy
# builds side by side, haproxy, MariaDB itself), with each target's CPU per query from /proc.
#
#   alternate.sh ROUNDS SECONDS THREADS TEST PS_MODE MARIADB_PID name:port:pid ...
#
# e.g. alternate.sh 5 8 16 oltp_read_only disable "$(pgrep -o mariadbd)" new:6033:1234 haproxy:6034:5678
# Every round runs each target once, in the order given. Per run it prints qps, the target's
# user / system / total CPU µs per query (all its threads) and MariaDB's. sysbench connects as
# sbtest/sbtest to database sbtest with one prepared table of 100,000 rows (sysbench … prepare).
# Only 127.0.0.1; each run stops after SECONDS.
set -euo pipefail
if [ $# -lt 7 ]; then sed -n '2,11p' "$0"; exit 2; fi
rounds=$1 secs=$2 threads=$3 test=$4 ps=$5 dbpid=$6
shift 6
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
for _ in $(seq "$rounds"); do
  for spec in "$@"; do
    IFS=: read -r name port pid <<< "$spec"
    read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$pid/stat")
    d0=$(ticks "$dbpid")
    out=$(sysbench "$test" --mysql-host=127.0.0.1 --mysql-port="$port" --mysql-user=sbtest \
      --mysql-password=sbtest --mysql-db=sbtest --tables=1 --table-size=100000 --threads="$threads" \
      --time="$secs" --db-ps-mode="$ps" --mysql-ignore-errors=all run)
    read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$pid/stat")
    d1=$(ticks "$dbpid")
    q=$(awk '/queries:/{print $2}' <<< "$out")
    qps=$(awk '/queries:/{gsub("\\(", "", $3); print $3}' <<< "$out")
    err=$(awk '/ignored errors:/{print $3}' <<< "$out")
    tick=$(getconf CLK_TCK)
    awk -v n="$name" -v q="$q" -v qps="$qps" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v db=$((d1 - d0)) \
      -v e="$err" -v t="$tick" 'BEGIN {
        k = 1e6 / t / q
        printf "%-8s qps %8.0f  user %5.1f sys %5.1f total %5.1f  db %5.1f µs/q err %s\n", n, qps, u * k, s * k, (u + s) * k, db * k, e
      }'
  done
done
