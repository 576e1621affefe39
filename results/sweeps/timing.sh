#!/bin/bash
# Wall time of a real sweep with 1 and with 2 worker processes (concurrency 1 each), niced.
set -e
mkdir -p ${TMPDIR:-/tmp}/sweep-timing
cd "$(dirname "$0")/../.."
export METALEARN_PNG=0
PORT=6393
rm -rf ${TMPDIR:-/tmp}/sweep-timing/redis2 && mkdir -p ${TMPDIR:-/tmp}/sweep-timing/redis2
redis-server --port $PORT --bind 127.0.0.1 --dir ${TMPDIR:-/tmp}/sweep-timing/redis2 --save '' --appendonly no > ${TMPDIR:-/tmp}/sweep-timing/redis2/log 2>&1 &
RPID=$!
sleep 1
for n in 1 2; do
  rm -rf ${TMPDIR:-/tmp}/sweep-timing/timing-$n
  sed "s#\"out\": \"runs/sweep-sinusoid-maml-lr\"#\"out\": \"${TMPDIR:-/tmp}/sweep-timing/timing-$n\"#; s#\"name\": \"sinusoid-maml-lr\"#\"name\": \"timing-$n\"#" results/sweeps/sinusoid-maml-lr.json > ${TMPDIR:-/tmp}/sweep-timing/spec-$n.json
  pids=()
  for i in $(seq 1 $n); do
    nice -n 5 node bin/metalearn.js worker --redis redis://127.0.0.1:$PORT --concurrency 1 > ${TMPDIR:-/tmp}/sweep-timing/timing-w$n-$i.log 2>&1 &
    pids+=($!)
  done
  sleep 3
  t0=$(date +%s.%N)
  nice -n 5 node bin/metalearn.js sweep ${TMPDIR:-/tmp}/sweep-timing/spec-$n.json --redis redis://127.0.0.1:$PORT --wait > ${TMPDIR:-/tmp}/sweep-timing/timing-$n.out 2>&1
  t1=$(date +%s.%N)
  echo "workers=$n wall_s=$(echo "$t1 - $t0" | bc) load=$(cut -d' ' -f1-3 /proc/loadavg)" >> ${TMPDIR:-/tmp}/sweep-timing/timing.txt
  for p in "${pids[@]}"; do kill -TERM $p; done
  wait "${pids[@]}" || true
done
kill $RPID
