"""Grows paperlists to N abstracts for the scale benchmark, streaming JSON Lines to stdout.

  grow.py CORPUS.jsonl.gz N | gzip -1 > big.jsonl.gz

Copy 0 is the corpus as it is. Copy k >= 1 of a record has the id `<id>~k` and lightly varied
text, so that no two documents are identical and term statistics stay those of real abstracts:
the abstract's sentences are rotated by k, every seventh word (from an offset that depends on k)
swaps places with the next, and the title gets the same swap every fifth word. Authors, venue and
year are kept. Deterministic: the same N gives the same bytes. Memory is one record at a time
(the corpus is re-read for each copy). Never commit the output.
"""
import gzip
import json
import re
import sys

SENTENCE = re.compile(r"(?<=[.!?])\s+")


def swap_every(words, step, offset):
    words = list(words)
    for i in range(offset % step, len(words) - 1, step):
        words[i], words[i + 1] = words[i + 1], words[i]
    return words


def vary(record, k):
    out = dict(record)
    out["id"] = f"{record['id']}~{k}"
    sentences = SENTENCE.split(record.get("abstract") or "")
    r = k % len(sentences)
    sentences = sentences[r:] + sentences[:r]
    out["abstract"] = " ".join(swap_every(" ".join(sentences).split(" "), 7, k))
    out["title"] = " ".join(swap_every((record.get("title") or "").split(" "), 5, k))
    return out


def main():
    corpus, n = sys.argv[1], int(sys.argv[2])
    write = sys.stdout.write
    written, k = 0, 0
    while written < n:
        with gzip.open(corpus, "rt", encoding="utf-8") as f:
            for line in f:
                if written >= n:
                    break
                if not line.strip():
                    continue
                if k == 0:
                    write(line if line.endswith("\n") else line + "\n")
                else:
                    write(json.dumps(vary(json.loads(line), k), ensure_ascii=False) + "\n")
                written += 1
        k += 1
    sys.stdout.flush()


if __name__ == "__main__":
    main()
