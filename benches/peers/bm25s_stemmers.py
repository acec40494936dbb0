"""bm25s with two stemmers on a BEIR collection: Snowball English (Porter2, what paperdex uses)
against the original Porter (Lucene's EnglishAnalyzer, Anserini), k1/b 1.2/0.75 and 0.9/0.4,
stop words on, title + text in one field. nDCG@10 and Recall@100 as trec_eval computes them.
Run with the environment benches/peers/run.sh installs:

  benches/peers/.venv/bin/python benches/peers/bm25s_stemmers.py ../shared/data/scifact train
"""
import csv
import gzip
import json
import math
import sys

import bm25s
import Stemmer


def load(d, split):
    ids, docs = [], []
    with gzip.open(f"{d}/corpus.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            ids.append(r["_id"])
            docs.append((r.get("title") or "") + " " + (r.get("text") or ""))
    queries = {}
    with open(f"{d}/queries.jsonl", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            queries[r["_id"]] = r["text"]
    qrels = {}
    with open(f"{d}/qrels/{split}.tsv", encoding="utf-8") as f:
        for i, row in enumerate(csv.reader(f, delimiter="\t")):
            if i == 0 and not row[-1].isdigit():
                continue
            qrels.setdefault(row[0], {})[row[1]] = int(row[-1])
    return ids, docs, queries, qrels


def metrics(run, qrels):
    ndcg, recall = [], []
    for q, rel in qrels.items():
        if not any(g > 0 for g in rel.values()):
            continue  # as trec_eval: queries without relevant documents are left out
        ranked = run.get(q, [])
        dcg = sum(rel.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:10]))
        ideal = sorted((g for g in rel.values() if g > 0), reverse=True)
        idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal[:10]))
        ndcg.append(dcg / idcg)
        relevant = sum(1 for g in rel.values() if g > 0)
        recall.append(sum(1 for d in ranked[:100] if rel.get(d, 0) > 0) / relevant)
    return sum(ndcg) / len(ndcg), sum(recall) / len(recall), len(ndcg)


def main(d, split):
    ids, docs, queries, qrels = load(d, split)
    qids = [q for q in qrels if q in queries]
    for name in ["english", "porter"]:
        stemmer = Stemmer.Stemmer(name)
        tokens = bm25s.tokenize(docs, stopwords="en", stemmer=stemmer, show_progress=False)
        qtokens = bm25s.tokenize([queries[q] for q in qids], stopwords="en", stemmer=stemmer,
                                 show_progress=False)
        for k1, b in [(1.2, 0.75), (0.9, 0.4)]:
            retriever = bm25s.BM25(k1=k1, b=b)
            retriever.index(tokens, show_progress=False)
            found, _ = retriever.retrieve(qtokens, k=100, show_progress=False)
            run = {q: [ids[j] for j in found[i]] for i, q in enumerate(qids)}
            ndcg, recall, n = metrics(run, qrels)
            print(f"{name} k1={k1} b={b}: nDCG@10 {ndcg:.4f} Recall@100 {recall:.4f} ({n} queries)")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "test")
