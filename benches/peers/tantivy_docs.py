"""Writes a tantivy-cli index skeleton (meta.json) and the corpus as tantivy-cli JSON documents:
title and abstract with English stemming and positions, authors tokenized, id raw; the same
fields paperdex searches by default.

  tantivy_docs.py CORPUS.jsonl.gz INDEX_DIR DOCS.json
"""
import gzip
import json
import os
import sys

corpus, index_dir, docs_path = sys.argv[1:4]


def text_field(name, tokenizer, record):
    return {"name": name, "type": "text", "options": {
        "indexing": {"record": record, "fieldnorms": True, "tokenizer": tokenizer},
        "stored": True, "fast": False}}


os.makedirs(index_dir, exist_ok=True)
meta = {
    "index_settings": {"docstore_compression": "lz4", "docstore_blocksize": 16384},
    "segments": [],
    "schema": [
        text_field("id", "raw", "basic"),
        text_field("title", "en_stem", "position"),
        text_field("authors", "default", "position"),
        text_field("abstract", "en_stem", "position"),
    ],
    "opstamp": 0,
}
with open(os.path.join(index_dir, "meta.json"), "w") as f:
    json.dump(meta, f)
with gzip.open(corpus, "rt", encoding="utf-8") as src, open(docs_path, "w") as out:
    for line in src:
        if not line.strip():
            continue
        r = json.loads(line)
        authors = r.get("authors") or []
        if isinstance(authors, str):
            authors = [authors]
        out.write(json.dumps({"id": str(r.get("id", "")), "title": r.get("title", ""),
                              "authors": " ; ".join(authors),
                              "abstract": r.get("abstract", "")}) + "\n")
