"""The patient-data guard: false positives, recall, time added to a save, and adversarial input.

    .venv/bin/python -m bench.guard [--runs 50]

No database and no Django set-up: `coproduce.governance.safety` is plain Python.

1. **False positives** on `coproduce/governance/corpus/ordinary.txt` (ordinary workshop text, one
   sentence a line, written by `bench/guard_corpus.py`). A sentence is *wrongly flagged* when the
   guard reports a finding of a kind that identifies a person: an NHS number, a hospital number,
   a patient's name or a date of birth, or any finding whose default policy blocks. Venue and
   organiser phone numbers and e-mail addresses in that text are real contact details, found
   correctly, and are counted separately; so is the share of sentences with any finding at all.
2. **Recall** on `coproduce/governance/corpus/identifiable.txt` ("kind<TAB>sentence"): a sentence
   counts as found when the guard reports a finding of its kind; per kind and overall.
3. **Time added to a save**: the median of `--runs` calls of `check_submission` on a realistic
   20 KB Markdown page (title and body, headings, lists, links, dates, numbers, names of
   speakers), after one warm-up call.
4. **Adversarial text**: one `scan` of 1 MB of each of several inputs built to make regular
   expressions backtrack or the digit chains grow (long digit runs, "Mr Mr Mr", "a@a@", labels
   without numbers, capitalised words, ...); each must finish in under one second.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from coproduce.governance.safety import BLOCKING_KINDS, check_submission, scan

CORPUS = Path(__file__).resolve().parent.parent / "coproduce" / "governance" / "corpus"
PERSON_KINDS = frozenset({"nhs_number", "hospital_number", "patient_name", "date_of_birth"})
CONTACT_KINDS = frozenset({"phone_number", "email", "postcode"})
MEGABYTE = 1_000_000


def ordinary_sentences() -> list[str]:
    return [line for line in (CORPUS / "ordinary.txt").read_text(encoding="utf-8").splitlines() if line]


def identifiable_rows() -> list[tuple[str, str]]:
    lines = (CORPUS / "identifiable.txt").read_text(encoding="utf-8").splitlines()
    return [(kind, sentence) for kind, sentence in (line.split("\t", 1) for line in lines if line)]


def false_positives(sentences: list[str]) -> dict[str, object]:
    """How many sentences are wrongly flagged (see the module docstring), and examples."""
    wrong: list[tuple[str, list[str]]] = []
    contact = anything = 0
    kinds: Counter[str] = Counter()
    for sentence in sentences:
        found = scan(sentence)
        anything += bool(found)
        kinds.update(f.kind for f in found)
        bad = [f.kind for f in found if f.kind in PERSON_KINDS or f.kind in BLOCKING_KINDS]
        if bad:
            wrong.append((sentence, bad))
        elif found and all(f.kind in CONTACT_KINDS for f in found):
            contact += 1
    return {"sentences": len(sentences), "wrong": wrong, "contact": contact, "any": anything, "kinds": kinds}


def recall(rows: list[tuple[str, str]]) -> dict[str, tuple[int, int]]:
    """Per kind: (found, total)."""
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for kind, sentence in rows:
        total[kind] += 1
        found[kind] += any(f.kind == kind for f in scan(sentence))
    return {kind: (found[kind], total[kind]) for kind in total}


def missed(rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(kind, sentence) for kind, sentence in rows if not any(f.kind == kind for f in scan(sentence))]


_PAGE_SECTION = """## {n}. Session notes: {topic}

On {day} March 2025 the group met in Room {room} of the Education Centre. Jane Smith, Head of
Digital, opened the session and Dr Patel presented the results of the survey of 2,000 staff.
NHS England's guidance on {topic} was discussed, with examples from the Ward 7 team.

- About 45% of respondents use social media for work at least weekly.
- The [[Code of conduct]] was updated on 12/03/2025 (version {n}.2).
- Next meeting: Thursday {day} April 2025, 10.30-12.00, Seminar Room B; call 0113 496 0000.
- Questions to [events@example.nhs.uk](mailto:events@example.nhs.uk) or see <https://example.org/{n}>.

> "Co-production means sharing power," said our patient leader, who has lived with diabetes for
> 20 years. The sepsis and dementia campaigns reached 12,500 people on Twitter and LinkedIn.

| Item | Owner | Due |
|------|-------|-----|
| Update the safeguarding policy | Sarah Jones, safeguarding lead | 30 June 2025 |
| Book the venue for 150 people | events office | 1 May 2025 |

"""


def realistic_page(size: int = 20_000) -> str:
    topics = ["social media policy", "co-production", "digital inclusion", "safeguarding", "consent"]
    parts = ["# Workshop notes\n\n"]
    n = 0
    while sum(map(len, parts)) < size:
        n += 1
        parts.append(_PAGE_SECTION.format(n=n, topic=topics[n % len(topics)], day=1 + n % 28, room=100 + n))
    return "".join(parts)[:size]


def adversarial_inputs() -> dict[str, str]:
    def fill(unit: str) -> str:
        return (unit * (MEGABYTE // len(unit) + 1))[:MEGABYTE]

    return {
        "one digit run": "9" * MEGABYTE,
        "digits and spaces": fill("1 "),
        "digits, dots and dashes": fill("9.9-"),
        "3-3-4 groups": fill("999 000 001 "),
        '"Mr Mr Mr"': fill("Mr "),
        '"Mrs Jane Smith "': fill("Mrs Jane Smith "),
        "capitalised pairs": fill("John Smith "),
        "names next to clinical words": fill("Mrs Jane Smith admitted "),
        "names next to dates of birth": fill("John Smith, 12/03/1948 "),
        '"a@"': fill("a@"),
        '"a." then @': fill("a.") + "@",
        "address-like": fill("a-a."),
        "hospital labels": fill("hospital number "),
        '"MRN " and letters': fill("MRN K"),
        "dates": fill("12/03/1948 "),
        "date words": fill("born 12 March "),
        "postcode-like": fill("SW1A "),
        "clinical words": fill("admitted sepsis "),
        "invisible characters": fill("9\u200b"),
        "full-width digits": fill("\uff19 "),
    }


def _timed(function: Callable[[], object]) -> tuple[float, float]:
    """(wall-clock seconds, CPU seconds of this process) for one call."""
    started, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - started, time.process_time() - cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=50, help="runs of check_submission on the 20 KB page")
    args = parser.parse_args(argv)

    sentences = ordinary_sentences()
    fp = false_positives(sentences)
    wrong = fp["wrong"]
    assert isinstance(wrong, list)
    count = len(sentences)
    print(f"False positives on ordinary.txt ({count:,} sentences):")
    print(
        f"  wrongly flagged (person kinds or blocking): {len(wrong)}"
        f" = {1000 * len(wrong) / count:.2f} per 1,000"
    )
    for sentence, kinds in wrong[:10]:
        print(f"    {kinds}: {sentence}")
    print(f"  with only contact details (venue phone / e-mail, found correctly): {fp['contact']}")
    print(f"  with any finding: {fp['any']} ({100 * int(str(fp['any'])) / count:.1f}%); kinds: {fp['kinds']}")

    rows = identifiable_rows()
    per_kind = recall(rows)
    found = sum(f for f, _ in per_kind.values())
    total = sum(t for _, t in per_kind.values())
    print(f"\nRecall on identifiable.txt ({total} sentences): {found}/{total} = {100 * found / total:.1f}%")
    for kind, (hit, of) in sorted(per_kind.items()):
        print(f"  {kind:16} {hit:3}/{of:<3} {100 * hit / of:5.1f}%")
    for kind, sentence in missed(rows)[:10]:
        print(f"    missed {kind}: {sentence}")

    page = realistic_page()
    fields = {"title": "Workshop notes: social media and co-production", "body": page}
    check_submission(fields)  # warm-up (and the page itself must not block)
    runs = [_timed(lambda: check_submission(fields)) for _ in range(args.runs)]
    wall = [w for w, _ in runs]
    cpu = [c for _, c in runs]
    print(
        f"\ncheck_submission on a {len(page.encode()):,}-byte Markdown page, {args.runs} runs"
        " (target < 5 ms):\n"
        f"  wall clock: median {1000 * statistics.median(wall):.2f} ms, min {1000 * min(wall):.2f} ms, "
        f"max {1000 * max(wall):.2f} ms\n"
        f"  CPU time:   median {1000 * statistics.median(cpu):.2f} ms, min {1000 * min(cpu):.2f} ms"
    )
    print(f"  (load average now: {', '.join(f'{x:.1f}' for x in os.getloadavg())})")

    print("\nscan of 1 MB of adversarial text (target < 1 s each), wall clock and CPU time:")
    slowest = 0.0
    for name, text in adversarial_inputs().items():
        took, took_cpu = _timed(lambda text=text: scan(text))  # type: ignore[misc]
        slowest = max(slowest, took)
        print(f"  {name:28} {1000 * took:8.1f} ms  (CPU {1000 * took_cpu:7.1f} ms)")
    print(f"  slowest: {1000 * slowest:.1f} ms")


if __name__ == "__main__":
    main()
