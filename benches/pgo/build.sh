#!/usr/bin/env bash
# A profile-guided (PGO) build of paperdex: a packaging option for the fastest binary, as the
# static build in BENCHMARKS.md is; the default `cargo build --release` stays as it is.
#
#   benches/pgo/build.sh            # -> target/pgo/use/release/paperdex
#
# 1. builds paperdex instrumented (`-Cprofile-generate`), in target/pgo/gen;
# 2. runs a training workload that is not what the benchmarks time: it indexes and queries
#    SciFact and Cranfield from ../shared/data when they are there (their own queries; SciFact's
#    train split evaluated too), and the
#    embedded corpus with every kind of query syntax;
# 3. merges the counts with the llvm-profdata of rustc's own LLVM (`rustup component add
#    llvm-tools`; or set LLVM_PROFDATA);
# 4. builds paperdex again with them (`-Cprofile-use`), in target/pgo/use.
#
# A profile is only valid for the source and compiler it was made with, so it is made afresh
# each time and never committed.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=target/pgo
DATA=${PAPERDEX_DATA:-../shared/data}
note() { echo "pgo: $*" >&2; }

PROFDATA=${LLVM_PROFDATA:-}
if [ -z "$PROFDATA" ]; then
  for candidate in "$(rustc --print sysroot)"/lib/rustlib/*/bin/llvm-profdata; do
    [ -x "$candidate" ] && PROFDATA=$candidate
  done
fi
if [ -z "$PROFDATA" ]; then
  echo "pgo: llvm-profdata for rustc's LLVM not found; run \`rustup component add llvm-tools\`" \
    "or set LLVM_PROFDATA" >&2
  exit 2
fi

rm -rf "$OUT/profiles" "$OUT/train"
mkdir -p "$OUT/profiles" "$OUT/train"
PROFILES=$(cd "$OUT/profiles" && pwd)

note "building the instrumented binary"
RUSTFLAGS="-Cprofile-generate=$PROFILES" \
  cargo build --release --quiet --bin paperdex --target-dir "$OUT/gen"
GEN=$OUT/gen/release/paperdex
TRAIN=$OUT/train

# search exits 1 when nothing matches, as grep does; that is a result here, not a failure.
search() { "$GEN" --index "$TRAIN/embedded" search "$@" > /dev/null || [ $? -eq 1 ]; }

note "training: the embedded corpus, every kind of query"
for query in 'data drift' straggler 'graph neural networks' '"model parallelism"' \
  '"pipeline parallel"~2' 'title:inference' 'author:zhang' 'memory -graph' 'quantiz*' \
  'gpu AND (memory OR communication)' '+federated learning' 'scheduling year:2022' \
  'training year:2020..2024'; do
  search "$query"
  search --json --limit 20 "$query"
done
search --explain 'data drift'
search --sort newest 'training'
"$GEN" --index "$TRAIN/embedded" stats > /dev/null

for collection in scifact cranfield; do
  corpus=$(ls "$DATA/$collection"/corpus.jsonl* 2> /dev/null | head -1 || true)
  if [ -z "$corpus" ]; then
    note "$DATA/$collection is absent; training without it"
    continue
  fi
  note "training: $collection (index, bench its queries on 1 and 2 threads)"
  "$GEN" --index "$TRAIN/$collection" index --skip-invalid "$corpus" 2> /dev/null
  "$GEN" --index "$TRAIN/$collection" bench --queries "$DATA/$collection/queries.jsonl" \
    --runs 3 > /dev/null
  "$GEN" --index "$TRAIN/$collection" bench --queries "$DATA/$collection/queries.jsonl" \
    --runs 3 --threads 2 > /dev/null
  if [ -f "$DATA/$collection/qrels/train.tsv" ]; then
    "$GEN" eval "$DATA/$collection" --split train > /dev/null 2>&1
  fi
done

note "merging the profiles with $PROFDATA"
"$PROFDATA" merge -o "$OUT/paperdex.profdata" "$PROFILES"

note "building with the profile"
RUSTFLAGS="-Cprofile-use=$(pwd)/$OUT/paperdex.profdata" \
  cargo build --release --quiet --bin paperdex --target-dir "$OUT/use"
note "done: $OUT/use/release/paperdex"
