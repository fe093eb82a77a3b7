#!/bin/bash
# The whole machine's CPU split (user, system, idle, softirq, …) during one sysbench run, and the
# context switches per query of one process: where a forwarder leaves the cores idle.
#
#   cpu-split.sh PORT THREADS SECONDS TEST PS_MODE [PID]
#
# Same sysbench settings as alternate.sh. With PID, also the voluntary (it slept) and involuntary
# (it was preempted) context switches per query of that process's main thread (a Node process's
# event loop; haproxy's only thread with nbthread 1).
set -euo pipefail
if [ $# -lt 5 ]; then sed -n '2,9p' "$0"; exit 2; fi
port=$1 threads=$2 secs=$3 test=$4 ps=$5 pid=${6:-}
switches() {
  awk '/^voluntary_ctxt_switches/{v = $2} /^nonvoluntary_ctxt_switches/{n = $2} END {print v, n}' "/proc/$1/task/$1/status"
}
read -r -a a < <(head -1 /proc/stat)
[ -n "$pid" ] && read -r v0 n0 < <(switches "$pid")
out=$(sysbench "$test" --mysql-host=127.0.0.1 --mysql-port="$port" --mysql-user=sbtest \
  --mysql-password=sbtest --mysql-db=sbtest --tables=1 --table-size=100000 --threads="$threads" \
  --time="$secs" --db-ps-mode="$ps" --mysql-ignore-errors=all run)
read -r -a b < <(head -1 /proc/stat)
[ -n "$pid" ] && read -r v1 n1 < <(switches "$pid")
q=$(awk '/queries:/{print $2}' <<< "$out")
qps=$(awk '/queries:/{gsub("\\(", "", $3); print $3}' <<< "$out")
total=0
for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
pct() { echo $(((b[$1] - a[$1]) * 100 / total)); }
line="port $port qps $qps  user $(pct 1)% sys $(pct 3)% idle $(pct 4)% iowait $(pct 5)% softirq $(pct 7)% steal $(pct 8)%"
if [ -n "$pid" ]; then
  line+=$(awk -v v=$((v1 - v0)) -v n=$((n1 - n0)) -v q="$q" 'BEGIN { printf "  switches/q voluntary %.3f involuntary %.3f", v / q, n / q }')
fi
echo "$line"
