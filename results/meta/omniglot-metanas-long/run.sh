#!/bin/bash
# Issue 19: a longer MetaNAS search, then the derived cell and Conv4 (ProtoNet) on the same fixed episodes.
set -e
cd /work/main
export METALEARN_DATA=/work/shared/data METALEARN_THREADS=1
R=/work/runs/metanas2
date -u +"search start %FT%TZ"
/usr/bin/time -f "search wall %e s" nice -n 5 node bin/metalearn.js search --dataset omniglot --way 5 --shot 1 --query 5 \
  --steps 2400 --hidden 16 --lr 0.005 --inner-lr 0.4 --inner-steps 1 --meta-batch 4 --val-every 0 \
  --test-episodes 100 --log-every 50 --seed 0 --out $R/search
G=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$R/search/genotype.json','utf8')).genotype)")
date -u +"derived start %FT%TZ genotype $G"
/usr/bin/time -f "derived wall %e s" nice -n 5 node bin/metalearn.js train --learner protonet --backbone cell --genotype $G \
  --dataset omniglot --way 5 --shot 1 --query 5 --steps 1500 --hidden 16 --lr 0.002 --val-every 0 \
  --test-episodes 600 --log-every 50 --seed 0 --out $R/derived
date -u +"done %FT%TZ"
