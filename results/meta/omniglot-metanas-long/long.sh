#!/bin/bash
# After the search: Conv4 and the derived cell, ProtoNet, 5000 steps, seeds 0 and 1, 1000 fixed test episodes.
set -e
cd /work/main
export METALEARN_DATA=/work/shared/data METALEARN_THREADS=1
R=/work/runs/metanas2
while [ ! -f $R/search/genotype.json ]; do sleep 20; done
G=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$R/search/genotype.json','utf8')).genotype)")
for s in 0 1; do
  for net in conv4 cell; do
    extra=""; [ $net = cell ] && extra="--genotype $G"
    date -u +"$net seed $s start %FT%TZ $extra"
    /usr/bin/time -f "$net seed $s wall %e s" nice -n 5 node bin/metalearn.js train --learner protonet --backbone $net $extra \
      --dataset omniglot --way 5 --shot 1 --query 5 --steps 5000 --hidden 16 --lr 0.002 --val-every 0 \
      --test-episodes 1000 --log-every 250 --seed $s --out $R/long-$net-s$s
  done
  node bin/metalearn.js compare $R/long-conv4-s$s $R/long-cell-s$s --out $R/compare-s$s.json
done
date -u +"long done %FT%TZ"
