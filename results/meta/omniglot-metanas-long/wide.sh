#!/bin/bash
# A parameter-matched baseline: Conv4 with 41 filters (46,248 parameters against the derived cell's 45,936).
set -e
cd /work/main
export METALEARN_DATA=/work/shared/data METALEARN_THREADS=1
R=/work/runs/metanas2
while pgrep -f "long.sh" > /dev/null; do sleep 5; done
for s in 0 1; do
  date -u +"conv4-h41 seed $s start %FT%TZ"
  /usr/bin/time -f "conv4-h41 seed $s wall %e s" nice -n 5 node bin/metalearn.js train --learner protonet --backbone conv4 \
    --dataset omniglot --way 5 --shot 1 --query 5 --steps 5000 --hidden 41 --lr 0.002 --val-every 0 \
    --test-episodes 1000 --log-every 1000 --seed $s --out $R/long-conv4h41-s$s
  node bin/metalearn.js compare $R/long-conv4h41-s$s $R/long-cell-s$s --out $R/compare-h41-s$s.json
done
date -u +"wide done %FT%TZ"
