#!/usr/bin/env python3
"""How well `paperdex similar` finds papers like a given one, measured on a BEIR collection.

There is no test collection of "papers like this one", so this takes the papers judged relevant
to the same query as alike: for every query with two or more relevant papers, each of them in
turn is the seed, and the others are what `similar` should find. It reports, averaged over the
seeds, the share of the others found in the top 10 and top 100 (R@10, R@100) and the reciprocal
rank of the first one found (MRR). `--mode title` searches the seed's title instead, the
baseline a user without `similar` has.

    paperdex --index /tmp/sf index --skip-invalid ../shared/data/scifact/corpus.jsonl.gz
    benches/similar/eval.py --index /tmp/sf ../shared/data/scifact --split train
    benches/similar/eval.py --index /tmp/sf ../shared/data/scifact --split train --mode title
"""

import argparse
import collections
import gzip
import json
import os
import statistics
import subprocess
import sys


def relevant(collection, split):
    by_query = collections.defaultdict(set)
    with open(os.path.join(collection, "qrels", f"{split}.tsv")) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 3 or not parts[-1].lstrip("-").isdigit():
                continue  # the header
            if int(parts[-1]) > 0:
                by_query[parts[0]].add(parts[1])
    return by_query


def corpus(collection):
    """Title and text of every paper, by id."""
    path = os.path.join(collection, "corpus.jsonl")
    f = gzip.open(path + ".gz", "rt") if os.path.exists(path + ".gz") else open(path)
    with f:
        return {str(d["_id"]): (d.get("title") or "", d.get("text") or "") for d in map(json.loads, f)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("collection", help="BEIR directory: corpus.jsonl[.gz], qrels/SPLIT.tsv")
    ap.add_argument("--index", required=True, help="a paperdex index of the collection's corpus")
    ap.add_argument("--split", default="test")
    ap.add_argument("--mode", choices=["similar", "title"], default="similar")
    ap.add_argument("--bin", default="target/release/paperdex")
    args = ap.parse_args()

    papers = corpus(args.collection)
    r10, r100, rr = [], [], []
    for docs in relevant(args.collection, args.split).values():
        # Judged papers with neither title nor text are not indexed (paperdex index
        # --skip-invalid); both modes leave them out alike.
        docs = {d for d in docs if any(papers.get(d, ("", "")))}
        if len(docs) < 2:
            continue
        for seed in sorted(docs):
            if args.mode == "title" and not papers[seed][0].strip():
                sys.exit(f"eval.py: paper {seed} has no title; --mode title needs one")
            others = docs - {seed}
            if args.mode == "similar":
                cmd = [args.bin, "--index", args.index, "similar", seed, "--json", "-n", "100"]
            else:
                cmd = [args.bin, "--index", args.index, "search", "--json", "-n", "101", "--",
                       papers[seed][0]]
            out = subprocess.run(cmd, capture_output=True, text=True)
            if out.returncode == 2:
                sys.exit(f"eval.py: {' '.join(cmd)} failed: {out.stderr.strip()}")
            ids = [json.loads(line)["id"] for line in out.stdout.splitlines()]
            ids = [i for i in ids if i != seed][:100]
            r10.append(len(others & set(ids[:10])) / len(others))
            r100.append(len(others & set(ids)) / len(others))
            first = next((rank for rank, i in enumerate(ids, 1) if i in others), None)
            rr.append(1 / first if first else 0.0)
    if not r10:
        sys.exit("eval.py: no query has two relevant papers")
    print(json.dumps({
        "mode": args.mode, "split": args.split, "seeds": len(r10),
        "r@10": round(statistics.mean(r10), 4), "r@100": round(statistics.mean(r100), 4),
        "mrr": round(statistics.mean(rr), 4),
    }))


if __name__ == "__main__":
    main()
