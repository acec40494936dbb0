"""bm25s on the paperdex benchmark corpus: build (once) or load the index, then time top-10
retrieval of each query (tokenize + stem + retrieve), one warm-up pass and several timed passes.

  bm25s_bench.py build CORPUS.jsonl.gz INDEX_DIR
  bm25s_bench.py query INDEX_DIR QUERIES.txt RUNS      -> one JSON line on stdout
"""
import gzip
import json
import statistics
import sys
import time

import bm25s
import Stemmer

STEMMER = Stemmer.Stemmer("english")


def text_of(rec):
    # The fields paperdex searches by default: title, abstract, authors.
    authors = rec.get("authors") or []
    if isinstance(authors, str):
        authors = [authors]
    return " ".join([rec.get("title", ""), rec.get("abstract", ""), " ".join(authors)])


def build(corpus, index_dir):
    with gzip.open(corpus, "rt", encoding="utf-8") as f:
        texts = [text_of(json.loads(line)) for line in f if line.strip()]
    started = time.perf_counter()
    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=STEMMER, show_progress=False)
    retriever = bm25s.BM25(backend="numba")
    retriever.index(tokens, show_progress=False)
    seconds = time.perf_counter() - started
    retriever.save(index_dir)
    print(json.dumps({"documents": len(texts), "index_seconds": round(seconds, 2)}))


def nearest_rank(sorted_samples, p):
    rank = max(1, -(-len(sorted_samples) * p // 100))
    return sorted_samples[int(rank) - 1]


def query(index_dir, queries_path, runs):
    retriever = bm25s.BM25.load(index_dir)
    retriever.backend = "numba"
    with open(queries_path, encoding="utf-8") as f:
        queries = [q.strip() for q in f if q.strip()]

    def one(q):
        toks = bm25s.tokenize([q], stopwords="en", stemmer=STEMMER, show_progress=False)
        docs, scores = retriever.retrieve(
            toks, k=10, show_progress=False, n_threads=1, backend_selection="numba"
        )
        return docs

    for q in queries:  # warm-up (and numba compilation)
        one(q)
    samples = []
    started = time.perf_counter()
    for _ in range(runs):
        for q in queries:
            t = time.perf_counter_ns()
            docs = one(q)
            samples.append((time.perf_counter_ns() - t) / 1000.0)
            assert docs.shape[1] == 10
    elapsed = time.perf_counter() - started
    samples.sort()
    print(json.dumps({
        "queries": len(queries),
        "runs": runs,
        "p50_us": round(nearest_rank(samples, 50), 1),
        "p90_us": round(nearest_rank(samples, 90), 1),
        "mean_us": round(statistics.fmean(samples), 1),
        "qps": round(len(samples) / elapsed, 1),
        "backend": "numba",
        "bm25s": bm25s.__version__,
    }))


if __name__ == "__main__":
    if sys.argv[1] == "build":
        build(sys.argv[2], sys.argv[3])
    else:
        query(sys.argv[2], sys.argv[3], int(sys.argv[4]))
