#!/usr/bin/env bash
# Rebuilds Berth's default models end to end from the shared data, with fixed seeds:
#
#   vocabulary → random BertForMaskedLM → masked-LM pre-training on Gutenberg
#   → per task: domain-adaptive pre-training on the task's own training text (where it helps)
#   → a new task head → full fine-tuning with `berth train`
#   → the same fine-tuning from the random initialisation (column (b) of the README table)
#   → the classic baselines (column (c)) → float16 weights, model cards and metrics.json in models/
#
# Usage: scripts/build-default-models.sh [stage[=task,task] ...]
#   stages: vocab init pretrain data dapt pretrained adapted random baselines package (default: all,
#   in order). dapt, pretrained (fine-tune the general encoder), adapted (fine-tune the
#   domain-adapted one) and random take an optional task list: `dapt=ner,qa`. The cased encoder
#   is built by its own stages, vocab-cased init-cased pretrain-cased; `cased` fine-tunes it and
#   `random-cased` its random initialisation (default task list: BERTH_CASED_TASKS). `package`
#   takes a task list too: `package=ner` repackages that model alone (the encoder stays as it is).
#   Stages on different tasks may run at the same time from two shells (with BERTH_THREADS=1 on
#   two cores).
#   BERTH_BUILD_DIR   work directory (default /tmp/berth-defaults); a finished step is skipped on a
#                     rerun, so a stopped build continues where it was
#   BERTH_SHARED_DATA the shared data folder (default ../shared/data)
#   BERTH_MODELS_DIR  where the shipped models go (default models/)
#   BERTH_JOBS        steps run at a time in the per-task stages (dapt, pretrained, adapted,
#                     random): 2 splits each stage's tasks over two lanes (default 1)
#   BERTH_THREADS     ONNX Runtime threads per training process (default 2, or 1 with BERTH_JOBS=2)
#   BERTH_DRY_RUN     1: print each step's command instead of running it
#   `student` distils the shipped sentiment model into a 2-layer student (after `package`).
#   `curve` measures the README's learning-curve table (1 % and 10 % of each task's training set,
#   three seeds; the 100 % row from the packaged models) and writes it into README.md.
#   BERTH_CASED_TASKS tasks whose default model starts from the cased encoder (default: ner)
#   BERTH_SCRATCH_TASKS cased tasks that ship their random-initialisation run instead (default: ner)
#   BERTH_PRETRAIN_STEPS  pre-training steps of 32 × 128 tokens (default 5000, the shipped build;
#                     the first build, recorded in docs/default-models.md, ran 2400)
#
# Run time on two CPU cores, measured on the shipped build (every step's time is in
# docs/default-models.md, "Rebuilding"): 4 h 20 min of process time. Run as two shells with
# BERTH_THREADS=1 (pre-training in one; random, then baselines in the other; then pretrained,
# dapt and adapted split over both), it took 2 h 38 min of wall time: pre-training 5,000 steps
# 92 min (3,850 tokens/s), fine-tuning the general encoder 26 min, DAPT and fine-tuning the
# adapted encoders 38 min, packaging 2.4 min. Run in order from one shell with BERTH_JOBS=2, the
# pre-training has a core to itself and the random runs wait for it: about 3.5 h (estimated from
# the step times, as the lanes pair them). The cased stages, NER's swept recipe and the student
# add about 3.5 h of process time: a whole rebuild is about 8 h of process time, 4.5 h of wall
# time as two shells (docs/default-models.md, "Rebuilding"). The `curve` stage adds about 10 to
# 12 h of process time (its measured cells took 5.3 h; QA's are estimated).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
BUILD="${BERTH_BUILD_DIR:-/tmp/berth-defaults}"
DATA="${BERTH_SHARED_DATA:-$(cd "$ROOT/.." && pwd)/shared/data}"
MODELS="${BERTH_MODELS_DIR:-$ROOT/models}"
JOBS="${BERTH_JOBS:-1}"
if [ "$JOBS" -gt 1 ]; then THREADS="${BERTH_THREADS:-1}"; else THREADS="${BERTH_THREADS:-2}"; fi
DRY_RUN="${BERTH_DRY_RUN:-0}"
export BERTH_SHARED_DATA="$DATA"
BERTH=(node "$ROOT/dist/cli/main.js")
SEED=42
# The task heads were first initialised with seed 7; kept so that a rebuild repeats the shipped runs.
HEAD_SEED=7
TASKS=(sentiment nli ner qa)
# Tasks whose default model starts from the domain-adapted encoder; the others start from the
# general one. Chosen by the comparison in docs/default-models.md ("Domain-adaptive pre-training").
DAPT_TASKS="${BERTH_DAPT_TASKS:-nli ner}"
# Tasks whose default model starts from the cased encoder instead (ahead of DAPT_TASKS): English
# NER lives on capital letters. Chosen by the comparison in docs/default-models.md ("Cased encoder").
CASED_TASKS="${BERTH_CASED_TASKS:-ner}"
# Cased tasks whose default model is the random-initialisation run (column (b)): with the whole
# training set it beat the pre-trained cased encoder's run on dev, 72.7 F1 against 63.5 (NER).
SCRATCH_TASKS="${BERTH_SCRATCH_TASKS:-ner}"

mkdir -p "$BUILD/logs"
log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*"; }
# Runs a step unless its marker file exists (an empty marker: always); times it into $BUILD/times.tsv.
step() {
  local name="$1" marker="$2"
  shift 2
  if [ -n "$marker" ] && [ -e "$marker" ]; then
    log "skip $name ($marker exists)"
    return
  fi
  if [ "$DRY_RUN" = 1 ]; then
    log "would run $name: $*"
    return
  fi
  log "start $name"
  local t0=$SECONDS
  "$@" >"$BUILD/logs/$name.log" 2>&1 || {
    log "FAILED $name: see $BUILD/logs/$name.log"
    tail -5 "$BUILD/logs/$name.log"
    exit 1
  }
  printf '%s\t%s\n' "$name" "$((SECONDS - t0))" >>"$BUILD/times.tsv"
  log "done $name in $((SECONDS - t0)) s"
}

[ -f dist/cli/main.js ] || npm run build --silent
[ -d "$DATA" ] || { echo "shared data not found at $DATA (set BERTH_SHARED_DATA)" >&2; exit 1; }

# --- per task: data files, labels and fine-tuning budget -----------------------------------------
train_file() {
  case "$1" in
    sentiment) echo "$DATA/sentiment/sst2/train.tsv" ;;
    nli) echo "$BUILD/data/nli-train.jsonl" ;;
    ner) echo "$DATA/ner/conll2003/train.txt" ;;
    qa) echo "$DATA/qa/squad11/train.json" ;;
  esac
}
dev_file() {
  case "$1" in
    sentiment) echo "$DATA/sentiment/sst2/dev.tsv" ;;
    nli) echo "$BUILD/data/nli-dev.jsonl" ;;
    ner) echo "$DATA/ner/conll2003/valid.txt" ;;
    qa) echo "$DATA/qa/squad11/dev.json" ;;
  esac
}
train_task() { case "$1" in sentiment) echo classification ;; *) echo "$1" ;; esac; }
head_args() {
  case "$1" in
    sentiment) echo "--task classification --labels negative,positive" ;;
    nli) echo "--task classification --labels entailment,neutral,contradiction" ;;
    ner) echo "--task ner --labels O,B-PER,I-PER,B-ORG,I-ORG,B-LOC,I-LOC,B-MISC,I-MISC" ;;
    qa) echo "--task qa" ;;
  esac
}
# The same budget for the pre-trained and the random start: epochs, batch, learning rate, length.
# `--learning-rate auto` lets the trainer's sweep pick the rate on the dev split for each start
# (short trials on a sample), and `--patience` stops a run that no longer gains on it.
budget() {
  case "$1" in
    sentiment) echo "--epochs 1 --batch-size 32 --learning-rate 2e-4 --max-seq-length 64" ;;
    nli) echo "--epochs 3 --batch-size 32 --learning-rate 2e-4 --max-seq-length 128" ;;
    ner) echo "--epochs 8 --patience 2 --batch-size 32 --learning-rate auto --max-seq-length 128" ;;
    qa) echo "--epochs 2 --batch-size 16 --learning-rate 3e-4 --max-seq-length 256" ;;
  esac
}

# `berth evaluate --json` into a file, written only when the evaluation succeeds.
evaluate_into() {
  local out="$1"
  shift
  "${BERTH[@]}" evaluate "$@" --threads "$THREADS" --json >"$out.tmp"
  mv "$out.tmp" "$out"
}

fine_tune() { # task, start encoder dir, out name
  local task="$1" encoder="$2" name="$3"
  # shellcheck disable=SC2046
  step "head-$name" "$BUILD/heads/$name/config.json" \
    "${BERTH[@]}" new-head --model "$encoder" $(head_args "$task") --seed "$HEAD_SEED" --out "$BUILD/heads/$name" --force
  # shellcheck disable=SC2046
  step "train-$name" "$BUILD/ft/$name/metrics.json" \
    "${BERTH[@]}" train --model "$BUILD/heads/$name" --task "$(train_task "$task")" \
    --train "$(train_file "$task")" --validation "$(dev_file "$task")" --out "$BUILD/ft/$name" --force \
    --method full $(budget "$task") --warmup-ratio 0.06 --weight-decay 0.01 --group-by-length \
    --seed "$SEED" --threads "$THREADS" --json
}

stage_vocab() {
  step vocab "$BUILD/vocab/vocab.txt" node scripts/run-ts.js scripts/defaults/build-vocab.ts "$BUILD/vocab"
}
stage_init() {
  step init "$BUILD/init/config.json" "${BERTH[@]}" init-model --config mini --tokenizer "$BUILD/vocab" --out "$BUILD/init" --seed "$SEED" --force
}
# Masked-LM pre-training of the encoder in $2 (from $2/init into $2/pretrain), under step name $1.
pretrain_encoder() {
  local name="$1" root="$2"
  # Resumable: a stopped run continues from its newest checkpoint to the same bytes (with the same
  # BERTH_THREADS: ONNX Runtime's reductions depend on the thread count).
  local resume=()
  [ -d "$root/pretrain/checkpoints" ] && resume=(--resume)
  step "$name" "$root/pretrain/model/metrics.json" \
    "${BERTH[@]}" pretrain --model "$root/init" --data "$DATA/pretrain/gutenberg" \
    --validation-file "$DATA/pretrain/gutenberg/gutenberg_en_011.txt" --out "$root/pretrain" \
    --steps "${BERTH_PRETRAIN_STEPS:-5000}" --batch-size 32 --max-seq-length 128 --learning-rate 5e-4 --warmup-ratio 0.06 --weight-decay 0.01 \
    --whole-word-mask --seed "$SEED" --checkpoint-every 150 --log-every 10 --intra-op-threads "$THREADS" --json "${resume[@]}"
}
stage_pretrain() {
  pretrain_encoder pretrain "$BUILD"
}
# The cased encoder (bert-base-cased's normalisation: English NER lives on capital letters), under
# $BUILD/cased: its own vocabulary, random initialisation and the same masked-LM pre-training.
stage_vocab_cased() {
  step vocab-cased "$BUILD/cased/vocab/vocab.txt" node scripts/run-ts.js scripts/defaults/build-vocab.ts "$BUILD/cased/vocab" --cased
}
stage_init_cased() {
  step init-cased "$BUILD/cased/init/config.json" "${BERTH[@]}" init-model --config mini --tokenizer "$BUILD/cased/vocab" --out "$BUILD/cased/init" --seed "$SEED" --force
}
stage_pretrain_cased() {
  pretrain_encoder pretrain-cased "$BUILD/cased"
}
stage_data() {
  step data "$BUILD/data/nli-train.jsonl" node scripts/run-ts.js scripts/defaults/task-data.ts "$BUILD/data"
}
stage_dapt() {
  for task in "$@"; do
    # Masked-LM on the task's own training text, measured on its dev text before and after.
    step "dapt-$task" "$BUILD/dapt/$task/model/metrics.json" \
      "${BERTH[@]}" pretrain --model "$BUILD/pretrain/model" --data "$BUILD/data/dapt/$task.txt" \
      --validation-file "$BUILD/data/dapt-dev/$task.txt" --out "$BUILD/dapt/$task" \
      --steps 200 --batch-size 32 --max-seq-length 128 --learning-rate 2e-4 --warmup-ratio 0.06 --weight-decay 0.01 \
      --whole-word-mask --seed "$SEED" --checkpoint-every 100 --log-every 10 --intra-op-threads "$THREADS" --json
    # Before and after on the same rows with the same masking (berth evaluate's MLM scoring).
    step "dapt-before-$task" "$BUILD/dapt/$task-before.json" \
      evaluate_into "$BUILD/dapt/$task-before.json" --model "$BUILD/pretrain/model" --task mlm --data "$BUILD/data/dapt-dev/$task.txt"
    step "dapt-after-$task" "$BUILD/dapt/$task-after.json" \
      evaluate_into "$BUILD/dapt/$task-after.json" --model "$BUILD/dapt/$task/model" --task mlm --data "$BUILD/data/dapt-dev/$task.txt"
  done
}
# Both starts are trained, so that the comparison is on record; DAPT_TASKS picks the default.
stage_pretrained() {
  for task in "$@"; do fine_tune "$task" "$BUILD/pretrain/model" "$task-pretrained"; done
}
stage_adapted() {
  for task in "$@"; do fine_tune "$task" "$BUILD/dapt/$task/model" "$task-dapt"; done
}
stage_random() {
  for task in "$@"; do fine_tune "$task" "$BUILD/init" "$task-random"; done
}
stage_cased() {
  for task in "$@"; do fine_tune "$task" "$BUILD/cased/pretrain/model" "$task-cased"; done
}
stage_random_cased() {
  for task in "$@"; do fine_tune "$task" "$BUILD/cased/init" "$task-random-cased"; done
}
stage_baselines() {
  step baselines "$BUILD/baselines.json" node scripts/run-ts.js scripts/defaults/baselines.ts "$BUILD/baselines.json"
}
# The run a task's default model is packaged from: cased, domain-adapted or general encoder.
chosen_run() {
  if [[ " $CASED_TASKS " == *" $1 "* && " $SCRATCH_TASKS " == *" $1 "* ]]; then
    echo "$1-random-cased"
  elif [[ " $CASED_TASKS " == *" $1 "* ]]; then
    echo "$1-cased"
  elif [[ " $DAPT_TASKS " == *" $1 "* ]]; then
    echo "$1-dapt"
  else
    echo "$1-pretrained"
  fi
}
stage_package() {
  if [ "$DRY_RUN" = 1 ]; then
    log "would package $* into $MODELS (float16 weights, evaluations, cards)"
    return
  fi
  local chosen=() encoder=()
  # The whole set repackages the encoder too; a task list repackages those task models alone.
  [ $# -eq ${#TASKS[@]} ] && encoder=(--encoder)
  for task in "$@"; do chosen+=("$task=$(chosen_run "$task")"); done
  node scripts/run-ts.js scripts/defaults/package-models.ts weights "$BUILD" "$MODELS" "${encoder[@]}" "${chosen[@]}"
  for task in "$@"; do
    local model
    model="$(node scripts/run-ts.js scripts/defaults/package-models.ts name "$task")"
    mkdir -p "$BUILD/eval"
    # shellcheck disable=SC2046
    evaluate_into "$BUILD/eval/$task-float16.json" --model "$MODELS/$model" --task "$(train_task "$task")" \
      --data "$(dev_file "$task")" $(budget "$task" | grep -o -- '--max-seq-length [0-9]*\|--batch-size [0-9]*' | tr '\n' ' ')
  done
  if [[ " $* " == *" nli "* ]]; then
    evaluate_into "$BUILD/eval/nli-nosick-float16.json" --model "$MODELS/$(node scripts/run-ts.js scripts/defaults/package-models.ts name nli)" \
      --task nli --data "$BUILD/data/nli-dev-nosick.jsonl"
  fi
  node scripts/run-ts.js scripts/defaults/package-models.ts cards "$BUILD" "$MODELS" "${encoder[@]}" "${chosen[@]}"
}

# The production-sized sentiment model: the shipped sentiment model (the teacher, as served)
# distilled into 2 of its 4 layers on SST-2's training split, with the sweep's learning rate;
# packaged beside it with its size, speed and dev score against the teacher's.
STUDENT_NAME=berth-mini-sentiment-distilled
stage_student() {
  local teacher="$MODELS/$(node scripts/run-ts.js scripts/defaults/package-models.ts name sentiment)"
  step student-sentiment "$BUILD/student/sentiment/metrics.json" \
    "${BERTH[@]}" distill --teacher "$teacher" --train "$(train_file sentiment)" --validation "$(dev_file sentiment)" \
    --out "$BUILD/student/sentiment" --student-layers 2 --temperature 2 --alpha 1 \
    --epochs 3 --patience 1 --select best --batch-size 32 --learning-rate auto --max-seq-length 64 \
    --warmup-ratio 0.06 --weight-decay 0.01 --group-by-length --seed "$SEED" --threads "$THREADS" --force --json
  if [ "$DRY_RUN" = 1 ]; then
    log "would package $STUDENT_NAME into $MODELS"
    return
  fi
  node scripts/run-ts.js scripts/defaults/package-models.ts student-weights "$BUILD" "$MODELS" "$STUDENT_NAME"
  mkdir -p "$BUILD/eval"
  evaluate_into "$BUILD/eval/student-float16.json" --model "$MODELS/$STUDENT_NAME" --task classification --data "$(dev_file sentiment)" --max-seq-length 64
  evaluate_into "$BUILD/eval/student-teacher-float16.json" --model "$teacher" --task classification --data "$(dev_file sentiment)" --max-seq-length 64
  node scripts/run-ts.js scripts/defaults/package-models.ts student-card "$BUILD" "$MODELS" "$STUDENT_NAME"
}

# The README's learning-curve table: (a) the build's encoders, (b) their random initialisations,
# (c) the classic baselines, at 1 % and 10 % of each task's training set over seeds 42, 1 and 2
# (scripts/defaults/learning-curve.ts; its results file keeps every finished cell, so a stopped
# run continues). The 100 % row is read from the packaged models' metrics.json (`package` first).
stage_curve() {
  # No marker: the script itself skips the cells already in its results file.
  step curve "" node scripts/run-ts.js scripts/defaults/learning-curve.ts \
    --pretrained "$BUILD/pretrain/model" --random "$BUILD/init" \
    --pretrained-cased "$BUILD/cased/pretrain/model" --random-cased "$BUILD/cased/init" \
    --fractions 0.01,0.1 --seeds 42,1,2 --threads "$THREADS" --results "$BUILD/curve/results.json" \
    --models "$MODELS" --write
}

# Runs a per-task stage with its tasks split round-robin over $JOBS lanes; fails if any lane fails.
in_lanes() {
  local stage="$1"
  shift
  if [ "$JOBS" -le 1 ] || [ $# -le 1 ]; then
    "$stage" "$@"
    return
  fi
  local pids=() lane i failed=0
  for ((lane = 0; lane < JOBS; lane++)); do
    local mine=()
    for ((i = lane; i < $#; i += JOBS)); do mine+=("${@:i+1:1}"); done
    [ ${#mine[@]} -gt 0 ] && { ("$stage" "${mine[@]}") & pids+=($!); }
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  [ "$failed" = 0 ] || { log "a lane of $stage failed"; exit 1; }
}

STAGES=("$@")
[ ${#STAGES[@]} -eq 0 ] &&
  STAGES=(vocab init pretrain vocab-cased init-cased pretrain-cased data dapt pretrained adapted cased random random-cased baselines package student curve)
for s in "${STAGES[@]}"; do
  name="${s%%=*}"
  tasks=("${TASKS[@]}")
  # shellcheck disable=SC2206 -- a word list
  [[ "$name" == cased || "$name" == random-cased ]] && tasks=($CASED_TASKS)
  [[ "$s" == *=* ]] && IFS=, read -r -a tasks <<<"${s#*=}"
  case "$name" in
    vocab | init | pretrain | data | baselines | student | curve) "stage_$name" ;;
    package) stage_package "${tasks[@]}" ;;
    vocab-cased | init-cased | pretrain-cased) "stage_${name//-/_}" ;;
    dapt | pretrained | adapted | random | cased | random-cased) in_lanes "stage_${name//-/_}" "${tasks[@]}" ;;
    *) echo "unknown stage: $s" >&2; exit 2 ;;
  esac
done
log "build finished; step times in $BUILD/times.tsv"
