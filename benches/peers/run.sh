#!/usr/bin/env bash
# paperdex and its peers, side by side, in one run: the same corpus (paperlists) and the same
# keyword queries (the term and words lines of benches/queries.tsv). Installs what it needs into
# benches/peers/.venv and benches/peers/work (both git-ignored) and prints a table of medians
# over ROUNDS rounds and the ratios the targets are stated in. What cannot run is said, not hidden.
#
#   benches/peers/run.sh                  # ROUNDS=5 RUNS=20 QPS_RUNS=100 by default
#   ROUNDS=3 RUNS=10 benches/peers/run.sh
#   PAPERDEX_BIN=target/pgo/use/release/paperdex benches/peers/run.sh   # another build
#
# RUNS timed passes per engine and round; paperdex's 1- and 2-thread runs take QPS_RUNS passes
# (3,500 queries, about a second): throughput over a few tens of milliseconds measured mostly
# the scheduler (one preemption of a few ms moved the 2-thread ratio from 2.0 x to 1.6 x).
set -uo pipefail
cd "$(dirname "$0")/../.."
PEERS=benches/peers
WORK=$PEERS/work
CORPUS=${PAPERLISTS:-../shared/data/paperlists/abstracts.jsonl.gz}
ROUNDS=${ROUNDS:-5}
RUNS=${RUNS:-20}
QPS_RUNS=${QPS_RUNS:-100}
RESULTS=$WORK/results.jsonl
mkdir -p "$WORK"
: > "$RESULTS"
note() { echo "run.sh: $*" >&2; }
missing() { echo "{\"missing\": \"$1\"}" >> "$RESULTS"; note "NOT RUN: $1"; }
record() { # round what json
  echo "{\"round\": $1, \"what\": \"$2\", \"result\": $3}" >> "$RESULTS"
}

if [ ! -f "$CORPUS" ]; then
  echo "run.sh: $CORPUS is absent; nothing to compare on" >&2
  exit 2
fi

if [ -n "${PAPERDEX_BIN:-}" ]; then
  # another build of paperdex to measure, e.g. the profile-guided one of benches/pgo/build.sh
  PDX=$PAPERDEX_BIN
  note "measuring $PDX"
else
  note "building paperdex (release)"
  cargo build --release --quiet || exit 2
  PDX=${CARGO_TARGET_DIR:-target}/release/paperdex
fi
awk -F'\t' '$1=="term"||$1=="words"{print $2}' benches/queries.tsv > "$WORK/keywords.txt"
awk -F'\t' '$1=="term"||$1=="words"' benches/queries.tsv > "$WORK/keywords.tsv"
note "$(wc -l < "$WORK/keywords.txt") keyword queries; $ROUNDS rounds of $RUNS timed passes each"

note "indexing $CORPUS with paperdex"
"$PDX" --index "$WORK/index-paperlists" index "$CORPUS" 2> "$WORK/paperdex-index.log" || exit 2

# --- bm25s (PyPI) with PyStemmer and the numba backend ---
BM25S=""
if [ ! -x "$PEERS/.venv/bin/python" ]; then
  python3 -m venv "$PEERS/.venv" || missing "bm25s: python3 -m venv failed"
fi
if [ -x "$PEERS/.venv/bin/python" ]; then
  if ! "$PEERS/.venv/bin/python" -c "import bm25s, Stemmer, numba" 2>/dev/null; then
    note "installing bm25s, PyStemmer, numba into $PEERS/.venv"
    "$PEERS/.venv/bin/pip" install -q bm25s PyStemmer numba numpy scipy > "$WORK/pip.log" 2>&1 \
      || missing "bm25s: pip install failed (see $WORK/pip.log)"
  fi
  if "$PEERS/.venv/bin/python" -c "import bm25s, Stemmer, numba" 2>/dev/null; then
    note "indexing with bm25s"
    if "$PEERS/.venv/bin/python" $PEERS/bm25s_bench.py build "$CORPUS" "$WORK/bm25s-index" > "$WORK/bm25s-build.json"; then
      BM25S=1
    else
      missing "bm25s: indexing failed"
    fi
  fi
fi

# --- tantivy-cli (crates.io): its bench subcommand over an index of the same documents ---
TCLI=$WORK/tantivy-cli/bin/tantivy
if [ ! -x "$TCLI" ]; then
  note "installing tantivy-cli into $WORK/tantivy-cli (a few minutes)"
  # Not --locked: its lock file pins traitobject 0.1.0, which current rustc rejects.
  CARGO_TARGET_DIR=$WORK/tantivy-cli-target cargo install --quiet tantivy-cli --root "$WORK/tantivy-cli" \
    > "$WORK/tantivy-cli-install.log" 2>&1 || missing "tantivy-cli: cargo install failed (see $WORK/tantivy-cli-install.log)"
fi
TANTIVY=""
if [ -x "$TCLI" ]; then
  rm -rf "$WORK/tantivy-index"
  python3 $PEERS/tantivy_docs.py "$CORPUS" "$WORK/tantivy-index" "$WORK/tantivy-docs.json" \
    && "$TCLI" index -i "$WORK/tantivy-index" -f "$WORK/tantivy-docs.json" -t 2 > "$WORK/tantivy-index.log" 2>&1 \
    && TANTIVY=1 || missing "tantivy-cli: indexing failed (see $WORK/tantivy-index.log)"
fi

# --- whole process: grep -ci on the listing vs paperdex search, embedded corpus ---
EMB=$WORK/embedded
rm -rf "$EMB" && mkdir -p "$EMB/corpus" && cp corpus/mlsys-2022.txt "$EMB/corpus/"
PDX_ABS=$(cd "$(dirname "$PDX")" && pwd)/$(basename "$PDX")
(cd "$EMB" && "$PDX_ABS" search drift > /dev/null 2>&1)   # builds $EMB/index once
WHOLE_QUERIES=("data drift" "straggler" "graph neural networks")
HYPERFINE=$(command -v hyperfine || true)
[ -z "$HYPERFINE" ] && note "hyperfine not found (apt-get install -y hyperfine); timing whole processes with a loop"

loop_median_us() { # command... ; 30 runs after 5 warm-ups, median wall time in µs
  python3 - "$@" <<'PY'
import subprocess, sys, time, statistics
cmd = sys.argv[1:]
for _ in range(5):
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
s = []
for _ in range(30):
    t = time.perf_counter_ns(); subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    s.append((time.perf_counter_ns() - t) / 1000)
print(statistics.median(s))
PY
}

for round in $(seq 1 "$ROUNDS"); do
  note "round $round/$ROUNDS"
  for threads in 1 2; do
    out=$("$PDX" --index "$WORK/index-paperlists" bench --queries "$WORK/keywords.tsv" --runs "$QPS_RUNS" --threads $threads --json 2>/dev/null) \
      && record "$round" "paperdex.t$threads" "$out" || missing "paperdex bench --threads $threads"
  done
  if [ "$round" = 1 ]; then
    out=$("$PDX" --index "$WORK/index-paperlists" bench --queries benches/queries.tsv --runs "$RUNS" --json 2>/dev/null) \
      && record "$round" "paperdex.all-kinds" "$out"
  fi
  if [ -n "$BM25S" ]; then
    out=$("$PEERS/.venv/bin/python" $PEERS/bm25s_bench.py query "$WORK/bm25s-index" "$WORK/keywords.txt" "$RUNS" 2>"$WORK/bm25s.err") \
      && record "$round" "bm25s" "$out" || missing "bm25s query run (see $WORK/bm25s.err)"
  fi
  if [ -n "$TANTIVY" ]; then
    # One extra pass, dropped by the report: tantivy-cli's bench has no warm-up of its own.
    "$TCLI" bench -i "$WORK/tantivy-index" -q "$WORK/keywords.txt" -n $((RUNS + 1)) > "$WORK/tantivy-bench.out" 2>&1 \
      && record "$round" "tantivy-cli" "\"$WORK/tantivy-bench.out.$round\"" \
      && cp "$WORK/tantivy-bench.out" "$WORK/tantivy-bench.out.$round" || missing "tantivy-cli bench"
  fi
  for q in "${WHOLE_QUERIES[@]}"; do
    if [ -n "$HYPERFINE" ]; then
      (cd "$EMB" && "$HYPERFINE" -N --warmup 5 --runs 30 --export-json hf.json \
          "grep -ci '$q' corpus/mlsys-2022.txt" "$PDX_ABS search '$q'" > /dev/null 2>&1) \
        && grep_us=$(python3 -c "import json;r=json.load(open('$EMB/hf.json'))['results'];print(r[0]['median']*1e6)") \
        && pdx_us=$(python3 -c "import json;r=json.load(open('$EMB/hf.json'))['results'];print(r[1]['median']*1e6)") \
        || { missing "hyperfine run for '$q'"; continue; }
    else
      grep_us=$(cd "$EMB" && loop_median_us grep -ci "$q" corpus/mlsys-2022.txt)
      pdx_us=$(cd "$EMB" && loop_median_us "$PDX_ABS" search "$q")
    fi
    record "$round" "whole" "{\"query\": \"$q\", \"grep_us\": $grep_us, \"paperdex_us\": $pdx_us}"
  done
done

python3 $PEERS/report.py "$RESULTS" "$RUNS"
