#!/usr/bin/env bash
# Scale benchmark (issue 5): paperdex at the paperlists size (87,669 abstracts) and at 1,000,000
# (grown from it by grow.py), in one run. Measures per size: indexing wall time and documents per
# second, peak resident memory (/usr/bin/time), index size against input bytes, and query latency
# percentiles (`paperdex bench`, the same query set at both sizes, rounds interleaved). At the
# paperlists size it also times tantivy-cli (crates.io) and bm25s indexing the same documents,
# rounds interleaved with paperdex's, and re-indexes the unchanged file to check for duplicates.
#
#   benches/scale/run.sh                                  # ROUNDS=3 BIG_ROUNDS=1 RUNS=5
#   SIZES="87669" ROUNDS=5 benches/scale/run.sh           # the paperlists size only
#   SIZES="87669 300000" MEMORY=256 benches/scale/run.sh
#
# Generated corpora, indexes and raw results go to $WORK (default ${TMPDIR:-/tmp}/paperdex-scale,
# a few GB at 1M); nothing is written into the repository. tantivy-cli and bm25s are the ones
# benches/peers/run.sh installs (benches/peers/work, benches/peers/.venv); absent ones are skipped
# and said so.
set -uo pipefail
cd "$(dirname "$0")/../.."
CORPUS=${PAPERLISTS:-../shared/data/paperlists/abstracts.jsonl.gz}
SIZES=${SIZES:-"87669 1000000"}
ROUNDS=${ROUNDS:-3}
BIG_ROUNDS=${BIG_ROUNDS:-1}
RUNS=${RUNS:-5}
MEMORY=${MEMORY:-512}
THREADS=${THREADS:-$(nproc)}
WORK=${WORK:-${TMPDIR:-/tmp}/paperdex-scale}
RESULTS=$WORK/results.jsonl
TCLI=${TANTIVY_CLI:-benches/peers/work/tantivy-cli/bin/tantivy}
BM25S_PY=benches/peers/.venv/bin/python
note() { echo "scale: $*" >&2; }
record() { echo "{\"what\": \"$1\", \"size\": $2, \"round\": $3, \"result\": $4}" >> "$RESULTS"; }

if [ ! -f "$CORPUS" ]; then
  note "$CORPUS is absent; nothing to measure"
  exit 2
fi
mkdir -p "$WORK"
: > "$RESULTS"
note "building paperdex (release)"
cargo build --release --quiet || exit 2
PDX=${CARGO_TARGET_DIR:-target}/release/paperdex
BASE=$(gzip -dc "$CORPUS" | grep -c .)

input_for() { # size -> path of a JSON Lines file with that many abstracts
  if [ "$1" = "$BASE" ]; then echo "$CORPUS"; return; fi
  local f=$WORK/grown-$1.jsonl.gz
  if [ ! -s "$f" ]; then
    note "generating $1 abstracts into $f"
    python3 benches/scale/grow.py "$CORPUS" "$1" | gzip -1 > "$f.tmp" && mv "$f.tmp" "$f"
  fi
  echo "$f"
}

timed() { # json-file command... : /usr/bin/time figures as JSON into json-file
  local out=$1; shift
  /usr/bin/time -o "$out" -f '{"wall_s": %e, "user_s": %U, "sys_s": %S, "max_rss_kb": %M}' "$@"
}

rss_samples() { # pid : resident memory (KiB) of its deepest descendant (paperdex, under
  # /usr/bin/time) every second, as a JSON list
  local child="" samples="" c
  while kill -0 "$1" 2>/dev/null; do
    if [ -z "$child" ]; then
      c=$1
      while [ -n "$c" ]; do child=$c; c=$(pgrep -P "$c" | head -1); done
      [ "$(cat "/proc/$child/comm" 2>/dev/null)" = paperdex ] || child=""
    fi
    if [ -n "$child" ]; then
      kb=$(awk '/^VmRSS:/{print $2}' "/proc/$child/status" 2>/dev/null)
      [ -n "$kb" ] && samples="$samples${samples:+, }$kb"
    fi
    sleep 1
  done
  echo "[$samples]"
}

index_paperdex() { # size round input
  local dir=$WORK/index-$1
  rm -rf "$dir"
  timed "$WORK/time.json" "$PDX" --index "$dir" index --json --threads "$THREADS" --memory "$MEMORY" "$3" \
    > "$WORK/summary.json" 2> "$WORK/paperdex-index-$1.log" &
  local pid=$!
  rss_samples "$pid" > "$WORK/rss.json"
  if wait "$pid"; then
    local stats; stats=$("$PDX" --index "$dir" stats --json)
    record paperdex.index "$1" "$2" "{\"time\": $(cat "$WORK/time.json"), \"summary\": $(cat "$WORK/summary.json"), \"stats\": $stats, \"rss_kb\": $(cat "$WORK/rss.json")}"
  else
    note "paperdex index failed at $1 (see $WORK/paperdex-index-$1.log)"
    record missing "$1" "$2" '"paperdex index"'
  fi
}

for size in $SIZES; do
  input=$(input_for "$size") || exit 2
  if [ ! -s "$WORK/bytes-$size" ]; then gzip -dc "$input" | wc -c > "$WORK/bytes-$size"; fi
  echo "{\"what\": \"input\", \"size\": $size, \"round\": 0, \"result\": {\"path\": \"$input\", \"bytes\": $(cat "$WORK/bytes-$size"), \"file_bytes\": $(stat -c %s "$input")}}" >> "$RESULTS"
  rounds=$BIG_ROUNDS
  [ "$size" = "$BASE" ] && rounds=$ROUNDS
  peers=""
  if [ "$size" = "$BASE" ]; then
    if [ -x "$TCLI" ]; then
      python3 benches/peers/tantivy_docs.py "$input" "$WORK/tantivy-skeleton" "$WORK/tantivy-docs.json" && peers="$peers tantivy-cli"
    else
      note "tantivy-cli not installed ($TCLI): run benches/peers/run.sh once; skipped"
      record missing "$size" 0 '"tantivy-cli"'
    fi
    if [ -x "$BM25S_PY" ] && "$BM25S_PY" -c "import bm25s, Stemmer, numba" 2>/dev/null; then
      peers="$peers bm25s"
    else
      note "bm25s not installed ($BM25S_PY): run benches/peers/run.sh once; skipped"
      record missing "$size" 0 '"bm25s"'
    fi
  fi
  for round in $(seq 1 "$rounds"); do
    note "size $size, indexing round $round/$rounds"
    index_paperdex "$size" "$round" "$input"
    for peer in $peers; do
      case $peer in
        tantivy-cli)
          rm -rf "$WORK/tantivy-index" && cp -r "$WORK/tantivy-skeleton" "$WORK/tantivy-index"
          # Its defaults: one indexing thread (and one JSON parsing thread), 1 GB budget.
          timed "$WORK/time.json" "$TCLI" index -i "$WORK/tantivy-index" -f "$WORK/tantivy-docs.json" > "$WORK/tantivy-index.log" 2>&1 \
            && record tantivy-cli.index "$size" "$round" "{\"time\": $(cat "$WORK/time.json"), \"index_bytes\": $(du -sb "$WORK/tantivy-index" | cut -f1)}" ;;
        bm25s)
          rm -rf "$WORK/bm25s-index"
          timed "$WORK/time.json" "$BM25S_PY" benches/peers/bm25s_bench.py build "$input" "$WORK/bm25s-index" > "$WORK/bm25s.json" 2> "$WORK/bm25s.log" \
            && record bm25s.index "$size" "$round" "{\"time\": $(cat "$WORK/time.json"), \"own\": $(cat "$WORK/bm25s.json")}" ;;
      esac
    done
  done
  if [ "$size" = "$BASE" ]; then
    note "re-indexing the unchanged $size-abstract file into the same index"
    timed "$WORK/time.json" "$PDX" --index "$WORK/index-$size" index --json --threads "$THREADS" --memory "$MEMORY" "$input" \
      > "$WORK/summary.json" 2> "$WORK/paperdex-reindex.log" \
      && record paperdex.reindex "$size" 1 "{\"time\": $(cat "$WORK/time.json"), \"summary\": $(cat "$WORK/summary.json"), \"stats\": $("$PDX" --index "$WORK/index-$size" stats --json)}"
  fi
done

# Query latency: the same query set against every size, rounds interleaved so that the machine's
# state affects all sizes alike.
for round in $(seq 1 "$ROUNDS"); do
  for size in $SIZES; do
    note "size $size, query round $round/$ROUNDS"
    out=$("$PDX" --index "$WORK/index-$size" bench --queries benches/queries.tsv --runs "$RUNS" --json 2> "$WORK/bench.log") \
      && record paperdex.bench "$size" "$round" "$out" || { note "paperdex bench failed (see $WORK/bench.log)"; record missing "$size" "$round" '"paperdex bench"'; }
  done
done

python3 benches/scale/report.py "$RESULTS" "$MEMORY" "$BASE"
