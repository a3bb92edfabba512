#!/usr/bin/env bash
# The GPU check: every GPU figure this project claims, in one run of under 8 minutes on one H100 or H200.
#   bash benchmarks/gpu_check.sh [OUT_DIR]          on a CUDA machine (default OUT_DIR: out/gpu_check)
#   bash benchmarks/gpu_check.sh --cpu [OUT_DIR]    dry run on CPU: every part with tiny settings (a 2-layer model)
# Run from the repository root with the project installed (pip install -e ".[examples]"). Parts, each timed:
#   parity      ours against transformers' port in fp32 and bf16: largest logit difference (compare_port.py)
#   train       training tokens/s and MFU at T=512, bf16: ours with SDPA, and with flash_attention_2 where
#               flash_attn is installed, against the port (compare_port.py)
#   compile     the same with both models compiled by inductor (compare_port.py --torch_compile)
#   generate    greedy decoding tokens/s, bytes read per token, the measured memory bandwidth and the limit it
#               sets, cached against uncached tokens (compare_port.py)
#   pretraining run_pretraining's update, ours against the port (pretraining_speed.py)
#   ddp         run_pretraining.py on 2 processes with multi_gpu.yaml, a few updates of a tiny model (2+ GPUs;
#               on the CPU dry run 2 CPU processes with cpu_2proc.yaml)
#   fsdp        the same with fsdp.yaml on every GPU (1 process is FSDP too), its distributed type read from the log
# Each part's output is in OUT_DIR/<part>.log; OUT_DIR/summary.txt has every part's status, time and figures.
# A failed part is reported and the next one runs; the script exits 1 if any part failed.
set -euo pipefail

CPU=0
OUT=out/gpu_check
for arg in "$@"; do
  case $arg in
    --cpu) CPU=1 ;;
    -*) echo "gpu_check.sh: unknown option $arg (usage: gpu_check.sh [--cpu] [OUT_DIR])" >&2; exit 2 ;;
    *) OUT=$arg ;;
  esac
done
GPUS=$(python -c "import torch; print(torch.cuda.device_count())")
if [[ $CPU == 0 && $GPUS == 0 ]]; then
  echo "gpu_check.sh: no CUDA GPU here; 'bash benchmarks/gpu_check.sh --cpu' is the dry run on CPU" >&2
  exit 2
fi
mkdir -p "$OUT"
SUMMARY=$OUT/summary.txt
export PYTHONUNBUFFERED=1

if [[ $CPU == 1 ]]; then
  COMPARE=(python benchmarks/compare_port.py --device cpu --config_overrides n_layer=2)
  PARITY=(--dtype both --batch_size 1 --seq_len 32)
  TRAIN=(--dtype bf16 --batch_size 1 --seq_len 32 --warmup 1 --steps 2)
  GENERATE=(--dtype fp32 --prompt_len 8 --new_tokens 8 --warmup 1 --generate_runs 1)
  PRETRAIN=(--dtype fp32 --config_overrides n_layer=2 --block_size 64 --batch_size 1 --accumulation 1
            --warmup 1 --updates 1 --corpus_bytes 50000)
else
  # GPT-1 size, batch 16 x 512 (compare_port's CUDA default); about 5 minutes on one H100 by estimate (not yet run on
  # a GPU), most of it compiling
  COMPARE=(python benchmarks/compare_port.py)
  PARITY=(--dtype both --batch_size 4 --seq_len 512)
  TRAIN=(--dtype bf16 --seq_len 512 --warmup 3 --steps 10)
  GENERATE=(--dtype both --prompt_len 16 --new_tokens 256 --warmup 1 --generate_runs 3)
  PRETRAIN=(--dtype bf16 --block_size 512 --warmup 2 --updates 5)
fi

# the corpus of the pretraining parts: the project's real one where it is beside the clone, else repeated text
CORPUS=../shared/data/corpus/combined_en.txt
if [[ ! -f $CORPUS ]]; then
  CORPUS=$OUT/corpus.txt
  python - "$CORPUS" <<'EOF'
import sys

paragraph = (
    "It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness, "
    "it was the epoch of belief, it was the epoch of incredulity, it was the season of light, it was the season of "
    "darkness, it was the spring of hope, it was the winter of despair.\n\n"
)
with open(sys.argv[1], "w", encoding="utf-8") as corpus:
    corpus.write(paragraph * 2000)
EOF
fi

# run_pretraining.py logs no distributed type: this runs its main() and then prints the one Accelerate ran under
LAUNCHED=$OUT/run_pretraining_and_state.py
cat > "$LAUNCHED" <<'EOF'
"""examples/run_pretraining.py, then the distributed type Accelerate ran it under (written by gpu_check.sh)."""

from accelerate.state import AcceleratorState

from modeling_gpt1.training.pretraining import main

main()
state = AcceleratorState()
if state.is_main_process:
    plugin = getattr(state, "fsdp_plugin", None)
    version = f" (fsdp_version {plugin.fsdp_version})" if plugin is not None else ""
    print(f"accelerate distributed_type: {state.distributed_type.value}{version}, processes: {state.num_processes}")
EOF
# a few updates of a tiny GPT-1 (4 x 128, GPT-1's vocabulary) on 64-token windows
SMOKE=(--train_files "$CORPUS" --config_name gpt1-mini --block_size 64 --per_device_train_batch_size 4
       --gradient_accumulation_steps 1 --max_steps 6 --warmup_steps 1 --learning_rate 1e-3 --logging_steps 1
       --eval_steps 6 --checkpointing_steps 6 --max_eval_samples 16 --report_to none --overwrite_output_dir
       --cache_dir "$OUT/cache")

part_parity() { "${COMPARE[@]}" --task parity "${PARITY[@]}"; }
part_train() { "${COMPARE[@]}" --task train "${TRAIN[@]}"; }
part_compile() { "${COMPARE[@]}" --task train --torch_compile "${TRAIN[@]}"; }
part_generate() { "${COMPARE[@]}" --task generate "${GENERATE[@]}"; }
part_pretraining() { python benchmarks/pretraining_speed.py --corpus "$CORPUS" "${PRETRAIN[@]}"; }

launch_smoke() {  # launch_smoke NAME EXPECTED_TYPE ACCELERATE_ARGS...: the run, then its distributed type checked
  local name=$1 expected=$2
  shift 2
  accelerate launch "$@" "$LAUNCHED" "${SMOKE[@]}" --output_dir "$OUT/$name" 2>&1 | tee "$OUT/$name.run.log"
  local found
  found=$(sed -n 's/^accelerate distributed_type: \([A-Z_]*\).*/\1/p' "$OUT/$name.run.log")
  echo "distributed type from the run's log: ${found:-none printed} (expected $expected)"
  [[ $found == "$expected" ]]
}

part_ddp() {
  if [[ $CPU == 1 ]]; then
    ACCELERATE_USE_CPU=true launch_smoke ddp MULTI_CPU --config_file examples/accelerate/cpu_2proc.yaml
  elif ((GPUS >= 2)); then
    launch_smoke ddp MULTI_GPU --config_file examples/accelerate/multi_gpu.yaml --num_processes 2
  else
    echo "skipped: DDP needs 2 GPUs, this machine has $GPUS"
  fi
}

part_fsdp() {
  if [[ $CPU == 1 ]]; then
    # Accelerate runs no FSDP without GPUs: the launch and the log check are exercised, the type reads NO
    echo "CPU dry run: Accelerate does not shard on CPU, so the type must read NO here and FSDP on CUDA"
    launch_smoke fsdp NO --config_file examples/accelerate/fsdp.yaml --num_processes 1
  else
    launch_smoke fsdp FSDP --config_file examples/accelerate/fsdp.yaml --num_processes "$GPUS"
  fi
}

FIGURES='ours/port|GB/s|TFLOP/s|^parity|same tokens|DIFFER|skipped|distributed type from|"tokens_per_second"|"eval_perplexity"'
FAILED=()
run_part() {  # run_part NAME: part_NAME's output shown and kept in NAME.log; its status, time and figures summarised
  local name=$1 start=$SECONDS status=0
  echo "== $name"
  # in the background, so that `set -e` holds inside the part (a function in an `||` list would ignore it)
  { "part_$name" 2>&1 | tee "$OUT/$name.log"; } &
  wait $! || status=$?
  local seconds=$((SECONDS - start)) result=ok
  if ((status != 0)); then
    result="FAILED (exit $status, see $OUT/$name.log)"
    FAILED+=("$name")
  elif grep -q "^skipped:" "$OUT/$name.log"; then
    result=skipped
  fi
  echo "== $name: $result, $seconds s"
  {
    echo "== $name: $result, $seconds s"
    grep -E "$FIGURES" "$OUT/$name.log" | sed 's/^ *//' || true
  } >> "$SUMMARY"
}

START=$SECONDS
{
  echo "gpu_check.sh $(date -u +%Y-%m-%dT%H:%MZ) on $(uname -n); $([[ $CPU == 1 ]] && echo "CPU dry run" || echo "$GPUS GPU(s)")"
  python -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name() if torch.cuda.is_available() else 'cpu')"
  echo "corpus of the pretraining parts: $CORPUS"
} | tee "$SUMMARY"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >> "$SUMMARY" 2>/dev/null || true
for part in parity train compile generate pretraining ddp fsdp; do
  run_part "$part"
done
echo "total: $((SECONDS - START)) s; failed parts: ${FAILED[*]:-none}" >> "$SUMMARY"
echo
cat "$SUMMARY"
((${#FAILED[@]} == 0))
