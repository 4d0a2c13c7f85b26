"""The guard measured on its two corpora (coproduce/governance/corpus, written by bench/guard_corpus.py).

A sentence of ordinary workshop text is *wrongly flagged* when the guard reports a kind that
identifies a person (NHS number, hospital number, patient's name, date of birth) or any kind
that blocks by default. Venue phone numbers and organisers' e-mail addresses in that text are
real contact details, found correctly (they warn), so they do not count as wrong; a separate
test bounds how many sentences have any finding at all. `python -m bench.guard` prints the
figures with examples.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from coproduce.governance.safety import BLOCKING_KINDS, KIND_LABELS, scan

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
PERSON_KINDS = frozenset({"nhs_number", "hospital_number", "patient_name", "date_of_birth"})


def _ordinary() -> list[str]:
    return [line for line in (CORPUS / "ordinary.txt").read_text(encoding="utf-8").splitlines() if line]


def _identifiable() -> list[tuple[str, str]]:
    lines = (CORPUS / "identifiable.txt").read_text(encoding="utf-8").splitlines()
    return [(kind, sentence) for kind, sentence in (line.split("\t", 1) for line in lines if line)]


def test_the_ordinary_corpus_has_at_least_3000_sentences_with_the_tricky_innocent_cases() -> None:
    sentences = _ordinary()
    text = "\n".join(sentences)
    assert len(sentences) >= 3000
    assert len(set(sentences)) == len(sentences)
    for innocent in ("Ward 7 team", "NHS England", "Dr ", " presented ", "Head of Digital", "we met"):
        assert innocent in text, innocent
    assert any("," in s and any(c.isdigit() for c in s) and " staff " in s for s in sentences)


def test_fewer_than_one_in_a_thousand_ordinary_sentences_is_wrongly_flagged() -> None:
    sentences = _ordinary()
    wrong = [
        (sentence, kinds)
        for sentence in sentences
        if (kinds := [f.kind for f in scan(sentence) if f.kind in PERSON_KINDS or f.kind in BLOCKING_KINDS])
    ]
    assert len(wrong) * 1000 < len(sentences), wrong[:10]


def test_ordinary_sentences_with_any_finding_at_all_are_only_the_venue_contact_details() -> None:
    """Phone numbers from Ofcom's drama ranges and organisers' addresses at example domains, as written."""
    flagged = [(s[f.start : f.end], f.kind) for s in _ordinary() for f in scan(s)]
    assert {kind for _, kind in flagged} <= {"phone_number", "email"}
    for text, kind in flagged:
        if kind == "phone_number":
            assert re.fullmatch(r"0[0-9]{2,3} (?:496|7946) [0-9]{3,4}", text), text
        else:
            assert text.endswith(("@example.nhs.uk", "@example.org")), text


def test_the_identifiable_corpus_has_300_sentences_covering_every_kind() -> None:
    rows = _identifiable()
    assert len(rows) >= 300
    assert set(Counter(kind for kind, _ in rows)) == set(KIND_LABELS)


def test_every_blocking_kind_is_found_in_every_identifiable_sentence_and_the_rest_mostly() -> None:
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for kind, sentence in _identifiable():
        total[kind] += 1
        found[kind] += any(f.kind == kind for f in scan(sentence))
    recall = {kind: found[kind] / total[kind] for kind in total}
    assert all(recall[kind] == 1.0 for kind in BLOCKING_KINDS), recall
    assert all(value >= 0.9 for value in recall.values()), recall
    assert sum(found.values()) / sum(total.values()) >= 0.95, recall
