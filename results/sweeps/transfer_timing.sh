#!/bin/bash
# Wall time of the YouTube-spam negative-transfer report on the queue with 1 and with 2 worker
# processes (concurrency 1 each, METALEARN_THREADS=1 each), niced, and the same report in one process
# for comparison. Subset of the preset: 4 settings x 3 seeds at the preset's budget (300 steps, batch 16,
# lr 1e-3, hidden 64,64) = 12 setting jobs + 3 independent-baseline jobs. Writes timing lines (with the
# load average before and after) to $T/transfer-timing.txt; the reports to $T/{one,w1,w2}/.
set -e
T=${TMPDIR:-/tmp}/transfer-timing
mkdir -p $T
cd "$(dirname "$0")/../.."
export METALEARN_PNG=0 METALEARN_THREADS=1
export METALEARN_DATA=${METALEARN_DATA:-$(realpath ../shared/data)}
PORT=6394
SETTINGS='multihead,soft λ=0.01,concat (shared head),cross-stitch'
ARGS=(youtube-spam --seeds 1,2,3 --settings "$SETTINGS")
rm -rf $T/redis && mkdir -p $T/redis
redis-server --port $PORT --bind 127.0.0.1 --dir $T/redis --save '' --appendonly no > $T/redis/log 2>&1 &
RPID=$!
pids=()
trap 'kill ${pids[@]} $RPID 2>/dev/null || true' EXIT
sleep 1
stamp() { echo "$1 wall_s=$2 load_before=$3 load_after=$(cut -d' ' -f1-3 /proc/loadavg) at=$(date -u +%H:%M:%S)" >> $T/transfer-timing.txt; }
for n in 1 2; do
  rm -rf $T/w$n
  pids=()
  for i in $(seq 1 $n); do
    nice -n 5 node bin/metalearn.js worker --redis redis://127.0.0.1:$PORT --concurrency 1 > $T/w$n-$i.log 2>&1 &
    pids+=($!)
  done
  sleep 5
  l0=$(cut -d' ' -f1-3 /proc/loadavg); t0=$(date +%s.%N)
  nice -n 5 node bin/metalearn.js transfer "${ARGS[@]}" --out $T/w$n --redis redis://127.0.0.1:$PORT > $T/w$n.out 2>&1
  t1=$(date +%s.%N)
  stamp "queue workers=$n" "$(echo "$t1 - $t0" | bc)" "$l0"
  for p in "${pids[@]}"; do kill -TERM $p; done
  wait "${pids[@]}" || true
done
kill $RPID || true
rm -rf $T/one
l0=$(cut -d' ' -f1-3 /proc/loadavg); t0=$(date +%s.%N)
nice -n 5 node bin/metalearn.js transfer "${ARGS[@]}" --out $T/one > $T/one.out 2>&1
t1=$(date +%s.%N)
stamp "one process" "$(echo "$t1 - $t0" | bc)" "$l0"
