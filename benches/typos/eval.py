#!/usr/bin/env python3
"""What typos cost a search, and how much `word~` and "did you mean" win back, on a BEIR collection.

Each judged query gets one typo (seeded, so every run makes the same ones): in one word of five
letters or more, not in its first letter, a swap of two neighbours, a letter dropped, doubled or
replaced by its neighbour on the keyboard. `paperdex eval` then scores, with the same judgments:

  clean       the queries as written
  typo        with the typo
  fuzzy-typo  with the typo, the misspelled word written `word~` (the user suspects it)
  fuzzy-all   with the typo, every word of three letters or more written `word~` (they do not know
              which)
  suggested   with the typo, replaced by what `paperdex search` suggests ("did you mean"), where it
              suggests anything

and, for "did you mean", how often it names exactly the word that was misspelled (case aside).

    paperdex --index /tmp/sf index --skip-invalid ../shared/data/scifact/corpus.jsonl.gz
    benches/typos/eval.py --index /tmp/sf ../shared/data/scifact --split train
"""

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile

NEIGHBOURS = {
    "a": "sqw", "b": "vgn", "c": "xdv", "d": "sfe", "e": "wrd", "f": "dgr", "g": "fht",
    "h": "gjy", "i": "uok", "j": "hku", "k": "jli", "l": "ko", "m": "nj", "n": "bmh",
    "o": "ipl", "p": "ol", "q": "wa", "r": "eft", "s": "adw", "t": "rgy", "u": "yij",
    "v": "cbf", "w": "qes", "x": "zcs", "y": "tuh", "z": "xa",
}
# A whole word: letters only, between spaces, maybe followed by punctuation (`cells.`); gene
# names such as `Satb1` or `IL-6` are left alone.
WORD = re.compile(r"(?<!\S)[A-Za-z]+(?=[.,;:!?)]*(\s|$))")


def typo(word, rng):
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["swap", "drop", "double", "replace"])
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    c = word[i].lower()
    return word[:i] + rng.choice(NEIGHBOURS.get(c, "e")) + word[i + 1:]


def judged(collection, split):
    ids = set()
    with open(os.path.join(collection, "qrels", f"{split}.tsv")) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[0] != "query-id":
                ids.add(parts[0])
    return ids


def queries(collection, ids):
    out = []
    with open(os.path.join(collection, "queries.jsonl")) as f:
        for line in f:
            q = json.loads(line)
            if q["_id"] in ids:
                out.append((q["_id"], q["text"].replace("\t", " ").replace("\n", " ")))
    return out


def misspell(qs, seed):
    rng = random.Random(seed)
    out = []
    for qid, text in qs:
        spans = [m.span() for m in WORD.finditer(text) if len(m.group()) >= 5]
        if not spans:
            out.append((qid, text, None))
            continue
        a, b = rng.choice(spans)
        wrong = typo(text[a:b], rng)
        while wrong.lower() == text[a:b].lower():
            wrong = typo(text[a:b], rng)
        out.append((qid, text[:a] + wrong + text[b:], (a, a + len(wrong), text[a:b])))
    return out


def fuzzy_all(text):
    return WORD.sub(lambda m: m.group() + "~" if len(m.group()) >= 3 else m.group(), text)


def run_eval(paperdex, collection, split, rows, tmp, name):
    path = os.path.join(tmp, f"{name}.tsv")
    with open(path, "w") as f:
        for qid, text in rows:
            f.write(f"{qid}\t{text}\n")
    out = subprocess.run(
        [paperdex, "eval", collection, "--split", split, "--queries", path, "--json"],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


def suggest(paperdex, index, text):
    err = subprocess.run(
        [paperdex, "--index", index, "search", "--count", "--", text],
        capture_output=True, text=True,
    ).stderr
    m = re.search(r"did you mean `(.*)`\? \(papers with", err)
    return m.group(1) if m else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("collection")
    ap.add_argument("--split", default="test")
    ap.add_argument("--index", required=True, help="an index of the collection, for suggestions")
    ap.add_argument("--paperdex", default="target/release/paperdex")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if not os.path.isdir(args.collection):
        print(f"typos: {args.collection} is absent; nothing to measure", file=sys.stderr)
        return 2
    qs = queries(args.collection, judged(args.collection, args.split))
    wrong = misspell(qs, args.seed)
    sets = {
        "clean": qs,
        "typo": [(q, t) for q, t, _ in wrong],
        "fuzzy-typo": [
            (q, t if s is None else t[: s[1]] + "~" + t[s[1]:]) for q, t, s in wrong
        ],
        "fuzzy-all": [(q, fuzzy_all(t)) for q, t, _ in wrong],
    }
    suggested, offered, right = [], 0, 0
    for q, t, s in wrong:
        better = suggest(args.paperdex, args.index, t) if s else None
        if better is not None:
            offered += 1
            a, b, original = s
            # The word now where the typo was: the suggestion keeps the rest of the query.
            fixed = better[a: a + len(better) - len(t) + (b - a)]
            if fixed.lower() == original.lower():
                right += 1
        suggested.append((q, better if better is not None else t))
    sets["suggested"] = suggested
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'queries':<12} {'nDCG@10':>8} {'R@100':>7}")
        for name, rows in sets.items():
            r = run_eval(args.paperdex, args.collection, args.split, rows, tmp, name)
            print(f"{name:<12} {r['ndcg@10']:>8.4f} {r['recall@100']:>7.4f}")
    typos = sum(1 for *_, s in wrong if s)
    print(f"did you mean: offered for {offered} of {typos} misspelled queries, "
          f"naming the misspelled word in {right}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
