"""The patient-identifiable-data guard.

`scan(text)` finds NHS numbers (modulus 11), hospital numbers, UK postcodes, dates of birth (a
date near the words DOB / born / date of birth or near a name-like pair of capitalised words),
names of patients (a person's name next to a date of birth or a clinical word), UK phone
numbers and e-mail addresses. `check_submission(fields)` raises `UnsafeContent` for the kinds
that POLICY says block. Every rule lives in this module, so later work changes them here.

Hospital numbers (kind "hospital_number", blocks). Each trust issues its own local patient
identifier (the "hospital number", "unit number", "case-note number" or, in Scotland and many
electronic records, "MRN"), so there is no checksum; the forms found are:

- a label, then the identifier: "hospital number", "hospital no.", "hosp no", "hosp. no.",
  "hospital ID", "unit number", "unit no.", "case note number", "case-note no.", "casenote no",
  "medical record number", "MRN", "patient ID", "patient number", "PAS number", "PAS ID",
  "RXH number"-style "<trust code> number" (in capitals), followed by ":", "#", "=", "-" or "is";
  the identifier is up to three letters (K123456, RXH 1234567, A-123456) and 5 to 10 digits,
  optionally grouped once ("123 4567") and optionally ending in a letter ("1234567A"). Digits
  starting with 0 that run to ten or more are a phone number ("ring the hospital number
  020 7946 0958"), not a hospital number.
- unlabelled, an identifier prefixed with an NHS trust's organisation code, which is always R
  and two letters or digits (RXH, RJ1, RTH, RRK): "RXH1234567", "RJ1 123456", written in
  capitals with 6 to 8 digits. Codes that are also everyday abbreviations (REF, REG, REQ, RES,
  RET, REC, REV, RTE, RUN, ROW, RAM) count only after a hospital label: "booking REF1234567"
  is a booking.

Patient names (kind "patient_name", warns). A name is either a title of address (Mr, Mrs, Ms,
Miss, Mx, Master) and one to three capitalised words ("Mrs Jane Smith", "Mr O'Brien"), or a
common given name (a list of about 400, `_GIVEN_NAMES`) followed by a capitalised surname
("John Smith"). It is a patient's name when, in the same sentence and within a few words, there
is a date that is not an event date (a date written after "on", "from", "until", "by" ... is a
meeting, not a birthday), a birth word, or a clinical word (admitted, diagnosed, discharged,
sepsis, dementia, overdose, "bed 4", "on ward 7", ...). Staff are not patients: a name after
Dr, Prof, Nurse, Sister, Cllr ... or a job word ("consultant Jane Smith", "Our Director of
Nursing, Niamh Okafor, ..."), after "led by", "we heard from", "thanks," or "and" (speakers named
together), a name followed by a job ("Jane Smith, ward manager", "Jane Smith (Head of Digital)",
"Emma Brown, who works on the stroke unit"), by a verb of speaking or presenting ("Jane Smith
presented the sepsis audit"), by a possessive of their work ("Jane Smith's blog on dementia"),
or by a word that makes it the name of a thing ("Florence Nightingale Foundation", "Mary
Seacole Ward") is not flagged. A third capitalised word belongs to the name ("Anne Marie
Davies"); a possessive "'s" does not. Only the name is the finding, so a redaction leaves
"[redacted] was admitted with sepsis".

How it works:

1. The text is normalised (`_normalise`): NFKC per character (full-width digits and letters
   become ASCII, non-breaking and thin spaces become spaces), every Unicode decimal digit
   becomes its ASCII digit, Unicode dashes become "-", and invisible characters (zero-width
   space, joiners, word joiner, byte-order mark, soft hyphen, bidirectional marks) are dropped.
   An index map turns offsets in the normalised text back into offsets in the original, so
   every `Finding` points at the characters the person typed.
2. Digits are read as *chains*: runs of digits joined by short separators (spaces, dots, dashes,
   brackets). NHS numbers and phone numbers are decided on the chain's groups in Python, which
   is where the modulus-11 check, the "+44 (0)" forms and the near-miss rules live.
3. Postcodes, dates, hospital numbers and e-mail addresses are regular expressions with bounded
   repetition only (no unbounded quantifier inside another), so scanning is linear in the length
   of the text. Case-insensitive patterns run case-sensitively on the lower-cased text (several
   times faster), and patterns start with a letter rather than a look-behind so the engine skips
   ahead; labelled hospital numbers are looked for only around runs of five digits.
4. Names: candidate names are found first (titles and given names), then each is judged on the
   words of its own sentence within a few words. Dates of birth reuse them: a date next to a
   candidate name needs no second look for a name. Overlaps are resolved kind by kind in
   O(n log n). A 20 KB page takes about 4 ms; 1 MB built to be slow, under a second
   (`python -m bench.guard`).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import operator
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from nhs_number.validate import is_valid as _valid_nhs_number


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int


Action = Literal["block", "warn", "allow"]

# The one place that says what each kind of finding does to a submission. "warn" is recorded
# for the warn-and-confirm policies a later issue adds (per space); today only "block" refuses.
POLICY: Mapping[str, Action] = {
    "nhs_number": "block",
    "hospital_number": "block",
    "patient_name": "warn",
    "date_of_birth": "warn",
    "postcode": "warn",
    "phone_number": "warn",
    "email": "warn",
}

BLOCKING_KINDS = frozenset(kind for kind, action in POLICY.items() if action == "block")

KIND_LABELS: Mapping[str, str] = {
    "nhs_number": "NHS number",
    "hospital_number": "hospital number",
    "patient_name": "patient's name",
    "date_of_birth": "date of birth",
    "postcode": "postcode",
    "phone_number": "phone number",
    "email": "e-mail address",
}

_ARTICLES: Mapping[str, str] = {"nhs_number": "an", "email": "an"}

# When two findings overlap, the earlier kind in this tuple keeps the span.
_PRIORITY = (
    "nhs_number",
    "hospital_number",
    "email",
    "phone_number",
    "date_of_birth",
    "patient_name",
    "postcode",
)


@dataclass
class UnsafeContent(Exception):
    """Submitted text holds patient-identifiable data that must not be stored."""

    findings: dict[str, list[Finding]] = field(default_factory=dict)

    def __str__(self) -> str:
        return "; ".join(f"{name}: {describe(found)}" for name, found in self.findings.items())


def scan(text: str) -> list[Finding]:
    """Every finding in `text`, in order, with offsets into `text` itself."""
    norm = _normalise(text)
    found: list[Finding] = []
    if _ANY_DIGIT.search(norm.text):
        found.extend(_digit_findings(norm.text))
        found.extend(_postcodes(norm.text))
    # Case-insensitive patterns run as case-sensitive ones on the lower-cased text, several
    # times faster, unless lower-casing changed the length (then offsets would not match).
    lowered = norm.text.lower()
    if len(lowered) != len(norm.text):
        lowered = ""
    if _ANY_DIGIT.search(norm.text):
        found.extend(_hospital_numbers(norm.text, lowered))
    dates = _plausible_dates(norm.text, lowered) if _ANY_DIGIT.search(norm.text) else []
    births = _spans(_BIRTH_WORDS_LOWER, lowered) if lowered else _spans(_BIRTH_WORDS, norm.text)
    names = _name_candidates(norm.text)
    name_spans = _Spans([(start, end) for start, end, _ in names])
    events = {date.start() for date in dates if _is_event_date(norm.text, date.start())}
    found.extend(_dates_of_birth(norm.text, dates, events, _Spans(births), name_spans))
    found.extend(
        _patient_names(norm.text, lowered, [d for d in dates if d.start() not in events], births, names)
    )
    if "@" in norm.text:
        found.extend(_emails(norm.text))
    return [norm.to_original(f) for f in _resolve_overlaps(found)]


def check_submission(fields: Mapping[str, str], *, policy: Mapping[str, Action] = POLICY) -> None:
    """Raise UnsafeContent listing, per field, the findings that `policy` says block."""
    blocking = {
        name: [f for f in scan(value) if policy.get(f.kind, "allow") == "block"]
        for name, value in fields.items()
    }
    blocking = {name: found for name, found in blocking.items() if found}
    if blocking:
        raise UnsafeContent(findings=blocking)


def describe(findings: Iterable[Finding]) -> str:
    """A sentence for a person: "an NHS number at characters 12 to 21, ..." (with an en dash).

    Character positions count from 1 and include both ends.
    """
    parts = [_describe_one(f) for f in findings]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _describe_one(finding: Finding) -> str:
    what = f"{_ARTICLES.get(finding.kind, 'a')} {KIND_LABELS.get(finding.kind, finding.kind)}"
    if finding.end - finding.start == 1:
        return f"{what} at character {finding.end}"
    return f"{what} at characters {finding.start + 1}\u2013{finding.end}"


# --- Normalisation -----------------------------------------------------------------------------

_INVISIBLE = frozenset(
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)
_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d")


@dataclass(frozen=True)
class _Normalised:
    """Normalised text and the map back to the original.

    `_norm_starts[i]` is where segment i starts in the normalised text and `_orig_starts[i]`
    where it came from; an identity segment copies characters one for one, a replacement
    segment is what one original character became.
    """

    text: str
    _norm_starts: list[int]
    _orig_starts: list[int]
    _identity: list[bool]

    def _original_index(self, pos: int) -> tuple[int, bool]:
        i = bisect.bisect_right(self._norm_starts, pos) - 1
        if self._identity[i]:
            return self._orig_starts[i] + pos - self._norm_starts[i], True
        return self._orig_starts[i], False

    def to_original(self, finding: Finding) -> Finding:
        if not self._norm_starts:
            return finding
        start, _ = self._original_index(finding.start)
        last, _ = self._original_index(finding.end - 1)
        return Finding(finding.kind, start, last + 1)


@functools.lru_cache(maxsize=4096)
def _fold(char: str) -> str:
    if char in _INVISIBLE:
        return ""
    if char in _DASHES:
        return "-"
    folded = unicodedata.normalize("NFKC", char)
    if folded.isascii():
        return folded
    return "".join(str(unicodedata.decimal(c, c)) for c in folded)


def _char_class(chars: Iterable[str]) -> re.Pattern[str]:
    return re.compile("[" + "".join(map(re.escape, chars)) + "]")


def _normalise(text: str) -> _Normalised:
    if text.isascii():
        return _Normalised(text, [], [], [])
    folds = {char: _fold(char) for char in set(text) if not char.isascii()}
    one_for_one = {char: folded for char, folded in folds.items() if len(folded) == 1 and folded != char}
    if one_for_one:  # offsets do not move; re.sub beats str.translate when changes are sparse
        text = _char_class(one_for_one).sub(lambda match: one_for_one[match.group()], text)
    resized = [char for char, folded in folds.items() if len(folded) != 1]
    if not resized:
        return _Normalised(text, [], [], [])
    pieces: list[str] = []
    norm_starts: list[int] = [0]
    orig_starts: list[int] = [0]
    identity: list[bool] = [True]
    copied = 0  # original offset up to which text has been copied into pieces
    length = 0  # length of the normalised text so far
    for match in _char_class(resized).finditer(text):
        offset = match.start()
        pieces.append(text[copied:offset])
        length += offset - copied
        folded = folds[match.group()]
        if folded:
            norm_starts.append(length)
            orig_starts.append(offset)
            identity.append(False)
            pieces.append(folded)
            length += len(folded)
        norm_starts.append(length)
        orig_starts.append(offset + 1)
        identity.append(True)
        copied = offset + 1
    pieces.append(text[copied:])
    return _Normalised("".join(pieces), norm_starts, orig_starts, identity)


# --- NHS numbers and phone numbers: chains of digit groups -------------------------------------

_DIGITS = re.compile(r"[0-9]+")
_NOT_DIGITS = re.compile(r"[^0-9]+")
_ANY_DIGIT = re.compile(r"[0-9]")
# A stretch of digits and the characters that may separate them; split into chains below.
_DIGIT_STRETCH = re.compile(r"[0-9][0-9 \t.()\-]*")
# What may join two groups of digits in one chain: up to three spaces, or one of . - ( ) with
# up to three spaces either side.
_GAP = re.compile(r"[ \t]{1,3}|[ \t]{0,3}[.()\-][ \t]{0,3}")
_ISBN_BEFORE = re.compile(
    r"isbn(?:[ \t]?-?[ \t]?1[03])?[ \t]{0,3}:?[ \t]{0,3}(?:97[89][ \t.\-]?)?$", re.IGNORECASE
)
_CURRENCY = frozenset("£$€¥")
_CANONICAL_NHS_SHAPES = ((10,), (3, 3, 4))


@dataclass
class _Chain:
    """Groups of digits joined by separators: "999 000 0018" is one chain of three groups.

    `prefix[k]` is how many digits groups 0..k-1 hold, so groups i..j hold
    `prefix[j + 1] - prefix[i]`.
    """

    starts: list[int]
    ends: list[int]
    digits: list[str]
    gaps: list[str]  # gaps[k] joins group k to group k - 1; gaps[0] is ""
    prefix: list[int]

    def end_of_run(self, i: int, count: int) -> int | None:
        """The last group j such that groups i..j hold exactly `count` digits, if there is one."""
        k = bisect.bisect_left(self.prefix, self.prefix[i] + count)
        return k - 1 if k < len(self.prefix) and self.prefix[k] == self.prefix[i] + count else None


@functools.lru_cache(maxsize=256)
def _joins(gap: str) -> bool:
    return _GAP.fullmatch(gap) is not None


def _chains(text: str) -> Iterator[_Chain]:
    """Every chain in `text` with at least ten digits (fewer can be neither kind)."""
    for stretch in _DIGIT_STRETCH.finditer(text):
        if stretch.end() - stretch.start() < 10:
            continue
        digits = _DIGITS.findall(stretch.group())
        gaps = _NOT_DIGITS.findall(stretch.group())  # gaps[k] follows digits[k]
        lengths = itertools.chain.from_iterable(zip(map(len, digits), map(len, gaps), strict=False))
        offsets = list(itertools.accumulate(lengths, initial=stretch.start()))
        breaks = [k + 1 for k, gap in enumerate(gaps[: len(digits) - 1]) if not _joins(gap)]
        for first, stop in itertools.pairwise([0, *breaks, len(digits)]):
            chain = _chain(digits, gaps, offsets, first, stop)
            if chain.prefix[-1] >= 10:
                yield chain


def _chain(digits: list[str], gaps: list[str], offsets: list[int], first: int, stop: int) -> _Chain:
    return _Chain(
        starts=offsets[2 * first : 2 * stop : 2],
        ends=list(map(operator.add, offsets[2 * first : 2 * stop : 2], map(len, digits[first:stop]))),
        digits=digits[first:stop],
        gaps=["", *gaps[first : stop - 1]],
        prefix=list(itertools.accumulate(map(len, digits[first:stop]), initial=0)),
    )


def _digit_findings(text: str) -> Iterator[Finding]:
    for chain in _chains(text):
        yield from _chain_findings(text, chain)


def _chain_findings(text: str, chain: _Chain) -> Iterator[Finding]:
    """NHS numbers and phone numbers in one chain, left to right; an NHS number wins a tie."""
    international = _char_before(text, chain.starts[0]) == "+" and chain.digits[0].startswith("44")
    next_free = 0  # groups before this one are inside an earlier finding
    for i in _possible_starts(chain):
        if i < next_free:
            continue
        nhs_end = None if international and i == 0 else _nhs_number_end(text, chain, i)
        if nhs_end is not None:
            yield Finding("nhs_number", chain.starts[i], chain.ends[nhs_end])
            next_free = nhs_end + 1
            continue
        phone_end = _phone_end(chain, i, international and i == 0)
        inner = None if phone_end is None else _nhs_number_within(text, chain, i, phone_end)
        if inner is not None:  # "+44 999 000 0018": an NHS number wins over a phone number
            yield Finding("nhs_number", chain.starts[inner[0]], chain.ends[inner[1]])
            next_free = inner[1] + 1
        elif phone_end is not None:
            yield Finding("phone_number", _phone_start(text, chain, i), chain.ends[phone_end])
            next_free = phone_end + 1


def _phone_start(text: str, chain: _Chain, i: int) -> int:
    """Where a phone number starting at group i begins: at a leading + or an opening bracket."""
    start = chain.starts[i]
    before = _char_before(text, start)
    closed = i + 1 < len(chain.gaps) and ")" in chain.gaps[i + 1]  # (01632) 960001
    return start - 1 if before == "+" or (before == "(" and closed) else start


def _nhs_number_within(text: str, chain: _Chain, i: int, j: int) -> tuple[int, int] | None:
    """The first and last group of an NHS number inside groups i+1..j, if there is one."""
    for k in range(i + 1, j + 1):
        end = _nhs_number_end(text, chain, k)
        if end is not None and end <= j:
            return k, end
    return None


def _possible_starts(chain: _Chain) -> list[int]:
    """Groups where a finding may start: the first, any of 3 or 10 digits, any 0xx... group.

    A cheap filter, so a long chain of short groups ("1 2 3 4 ...") costs little.
    """
    return [
        k
        for k, group in enumerate(chain.digits)
        if k == 0 or len(group) in (3, 10) or (group[0] == "0" and len(group) >= 3)
    ]


def _char_before(text: str, pos: int) -> str:
    return text[pos - 1] if pos > 0 else ""


def _nhs_number_end(text: str, chain: _Chain, i: int) -> int | None:
    """The index of the last group of a valid NHS number starting at group i, if there is one.

    The number is whole groups holding ten digits. Written 3-3-4 or run together it may sit
    inside a longer chain ("999 000 0018 2 tablets"); split any other way it must be the whole
    chain, so that pieces of phone numbers, dates and times are not read as NHS numbers.
    """
    whole_chain = i == 0 and chain.prefix[-1] == 10
    if not whole_chain and len(chain.digits[i]) not in (3, 10):
        return None  # the quick test; the shape is checked below
    j = chain.end_of_run(i, 10)
    if j is None:
        return None
    shape = tuple(len(d) for d in chain.digits[i : j + 1])
    if not whole_chain and shape not in _CANONICAL_NHS_SHAPES:
        return None
    if _looks_like_something_else(text, chain, i, j):
        return None
    return j if _valid_nhs_number("".join(chain.digits[i : j + 1])) else None


def _looks_like_something_else(text: str, chain: _Chain, i: int, j: int) -> bool:
    """Near-misses: a labelled ISBN, an amount of money, a decimal number (12345678.90)."""
    start = chain.starts[i]
    if _ISBN_BEFORE.search(text, max(0, start - 24), start):
        return True
    before = text[max(0, start - 2) : start].strip()
    if before and before[-1] in _CURRENCY:
        return True
    return j == i + 1 and "." in chain.gaps[j]


def _phone_end(chain: _Chain, i: int, international: bool) -> int | None:
    """The index of the last group of a UK phone number starting at group i, if there is one.

    A UK number is 0 and nine or ten more digits: 020 7946 0958, 07700 900123, 0800 123456;
    written internationally +44 20 7946 0958, +44 (0)20 7946 0958 or 0044 20 7946 0958.
    """
    first = chain.digits[i]
    if i > 0 and chain.gaps[i] == ".":
        return None  # the decimals of 3.09078914170
    if international:
        counts: tuple[int, ...] = (13, 12)  # 44 and (0) and ten digits, or 44 and ten digits
    elif first.startswith("0044"):
        counts = (15, 14)
    elif first.startswith("0") and len(first) >= 3 and first[1] not in "046":
        counts = (11, 10)
    else:
        return None
    for count in counts:
        j = chain.end_of_run(i, count)
        if j is not None and _is_uk_phone("".join(chain.digits[i : j + 1]), international, grouped=j > i):
            return j
    return None


def _is_uk_phone(digits: str, international: bool, *, grouped: bool) -> bool:
    """Whether `digits` spell a UK number: 0 and nine or ten more (see `_phone_end`).

    Ten-digit numbers are freephone (0800 123456, 0500 ...), Brampton (016977 ...) or any other
    01... number written in groups like one (01632 96000); 0123456789 alone is just digits.
    """
    if international:
        national = _national(digits, "44")
    elif digits.startswith("0044"):
        national = _national(digits, "0044")
    else:
        national = digits
    if not national.startswith("0") or national[1:2] in ("", "0", "4", "6"):
        return False
    if len(national) == 11:
        return True
    if len(national) != 10:
        return False
    return national.startswith(("0800", "0500", "016977")) or (national.startswith("01") and grouped)


def _national(digits: str, prefix: str) -> str:
    """+44 20 7946 0958 and +44 (0)20 7946 0958 are both 020 7946 0958."""
    if not digits.startswith(prefix):
        return ""
    rest = digits.removeprefix(prefix)
    return rest if rest.startswith("0") else "0" + rest


# --- Postcodes ---------------------------------------------------------------------------------

_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9\\#_&%])"  # not inside a word, nor an escape like \\u03ba, #a03bb0 or &#x3ba;
    r"(?:GIR[ \t]?0AA"
    r"|(?:[A-PR-UWYZ][0-9][0-9A-HJKPSTUW]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9ABEHMNPRVWXY]?)"
    r"[ \t]{0,2}[0-9][ABD-HJLNP-UW-Z]{2})"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)


_ORDINAL = re.compile(r"[0-9](?:st|nd|rd|th)")


def _postcodes(text: str) -> Iterator[Finding]:
    for match in _POSTCODE.finditer(text):
        if not _is_ordinal_in_prose(match.group()):
            yield Finding("postcode", match.start(), match.end())


def _is_ordinal_in_prose(found: str) -> bool:
    """Whether a match is prose such as "Ward B2 3rd floor"; "B33 8TH" and "b33 8th" are postcodes."""
    inward = found[-3:]
    return bool(_ORDINAL.fullmatch(inward)) and not found.islower()


# --- Dates of birth ----------------------------------------------------------------------------

_MONTH_NAMES = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?P<day>[0-3]?[0-9])(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>[12][0-9]{3}|'?[0-9]{2})"
_DATE = re.compile(
    r"(?<![0-9A-Za-z])(?:"
    r"[0-3]?[0-9](?P<sep>[/.\-])[01]?[0-9](?P=sep)(?:[12][0-9]{3}|[0-9]{2})"
    r"|[12][0-9]{3}(?P<isep>[/.\-])[01]?[0-9](?P=isep)[0-3]?[0-9]"
    rf"|{_DAY}[ \t]{{1,3}}(?:of[ \t]{{1,3}})?{_MONTH_NAMES},?[ \t]{{1,3}}{_YEAR}"
    rf"|{_MONTH_NAMES}[ \t]{{1,3}}(?P<mday>[0-3]?[0-9])(?:st|nd|rd|th)?,?[ \t]{{1,3}}"
    r"(?P<myear>[12][0-9]{3})"
    r")(?![0-9A-Za-z])",
    re.IGNORECASE,
)
_DATE_LOWER = re.compile(_DATE.pattern)
_NUMERIC_DATE = re.compile(r"(?P<a>[0-9]+)[/.\-](?P<b>[0-9]+)[/.\-](?P<c>[0-9]+)")
_BIRTH_WORDS = re.compile(
    r"(?<![A-Za-z])(?:d[ \t]?\.?[ \t]?o[ \t]?\.?[ \t]?b\b\.?|date[ \t]{1,3}of[ \t]{1,3}birth|born"
    r"|birth[ \t]?date|birthday)(?![A-Za-z])",
    re.IGNORECASE,
)
# The same on lower-cased text, each branch starting with its letter (see _WORD_PAIR).
_BIRTH_WORDS_LOWER = re.compile(
    r"(?:d(?<![a-z]d)(?:[ \t]?\.?[ \t]?o[ \t]?\.?[ \t]?b\b\.?|ate[ \t]{1,3}of[ \t]{1,3}birth)"
    r"|b(?<![a-z]b)(?:orn|irth[ \t]?date|irthday))(?![a-z])"
)
# Two adjacent words (letters, apostrophes, hyphens); `_is_name_word` then decides.
_WORD = r"[^\W\d_](?:[^\W\d_]|['\u2019\-]){1,40}"
# The first word is consumed and the second only looked at, so "On Monday Ada Lovelace" yields
# "On Monday", "Monday Ada" and "Ada Lovelace". The pattern starts with a letter (the look-behind
# for "not inside a word" comes after it), so the engine skips quickly to where a word starts.
_WORD_PAIR = re.compile(
    rf"([^\W\d_](?<![\w'\u2019\-][^\W\d_])(?:[^\W\d_]|['\u2019\-]){{1,40}})"
    rf"(?=[ \t]{{1,2}}({_WORD})(?![\w'\u2019\-]))"
)
_CONTEXT = 40
# Capitalised words that start sentences or name places, organisations and times, not people.
_NOT_NAMES_TEXT = """
    The This That These Those There Then Than They Their Them Our Ours We Us You Your He She His Her
    It Its My Me Mine Him An And But Or Nor For From To Of On In At By With Without Into Onto Upon
    As If So Yes No Not All Any Some Each Every Both Either Neither Dear Hi Hello Thanks Thank Regards
    Please Note Notes See Also Since Until After Before During About Around Between Today Tomorrow
    Yesterday When Where What Which Who Whom Why How Here
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday Mon Tue Tues Wed Thu Thur Thurs Fri Sat Sun
    January February March April May June July August September October November December
    Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec
    British Library National Royal Trust Hospital Hospitals Foundation University College School
    Council Centre Center Health Care Social Service Services Faculty Informatics Institute Society
    Association Department Ministry Government Group Board Committee Conference Event Events Session
    Workshop Masterclass Meeting Meetings Day Days Week Weeks Month Months Year Years Edition Version
    Report Paper Briefing Published Updated Posted Created Issued Issue Minutes Agenda Page Section
    Street Road Lane Avenue Square Place Park House Hall Building Floor Room Ward Clinic Practice
    Surgery Unit London England Wales Scotland Ireland Northern United Kingdom Britain Great Europe
    European North South East West Central Greater City Town County Borough Community Communities
    Powers Perils Social Networking Tools Digital Data Information Technology Privacy Safety
"""
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())


def _plausible_dates(text: str, lowered: str) -> list[re.Match[str]]:
    """Dates in the text (found in `lowered` when given: only offsets and numbers are used)."""
    dates = _DATE_LOWER.finditer(lowered) if lowered else _DATE.finditer(text)
    return [match for match in dates if _plausible_date(match)]


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [match.span() for match in pattern.finditer(text)]


class _Spans:
    """Sorted, not nested spans, asked "is one of you wholly inside lo..hi?" (with bisect on ints)."""

    __slots__ = ("ends", "starts")

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        ordered = sorted(spans)
        self.starts = [start for start, _ in ordered]
        self.ends = [end for _, end in ordered]

    def any_within(self, lo: int, hi: int) -> bool:
        starts, ends = self.starts, self.ends
        i = bisect.bisect_left(starts, lo)
        while i < len(starts) and starts[i] < hi:
            if ends[i] <= hi:
                return True
            i += 1
        return False


def _dates_of_birth(
    text: str, dates: list[re.Match[str]], events: set[int], births: _Spans, names: _Spans
) -> Iterator[Finding]:
    for match in dates:
        if _birth_context(text, match.start(), match.end(), births, names, event=match.start() in events):
            yield Finding("date_of_birth", match.start(), match.end())


def _plausible_date(match: re.Match[str]) -> bool:
    """A day from 1 to 31, a month from 1 to 12 and a four-digit year (if so written) from 1880 to 2099."""
    numeric = _NUMERIC_DATE.fullmatch(match.group())
    if numeric is None:
        day, month, year = (
            match.group("day") or match.group("mday"),
            "1",
            match.group("year") or match.group("myear"),
        )
    elif len(numeric.group("a")) == 4:
        year, month, day = numeric.group("a", "b", "c")
    else:
        day, month, year = numeric.group("a", "b", "c")
    year = year.lstrip("'")
    return 1 <= int(day) <= 31 and 1 <= int(month) <= 12 and (len(year) != 4 or 1880 <= int(year) <= 2099)


def _birth_context(text: str, start: int, end: int, births: _Spans, names: _Spans, *, event: bool) -> bool:
    """Whether DOB, born, date of birth or a name is within _CONTEXT characters of the date.

    A name counts only if the date is not an event date ("on 12 March 2024 we met Jane Smith").
    """
    lo = max(0, start - _CONTEXT)
    if births.any_within(lo, start) or births.any_within(end, end + _CONTEXT):
        return True
    if event:
        return False
    before = text[lo:start]
    if names.any_within(lo, start) or names.any_within(end, end + _CONTEXT):
        return True  # a person's name found already (the quick test; any name pair also counts)
    after = text[end : end + _CONTEXT]
    if _UPPER.search(before) is None and _UPPER.search(after) is None:
        return False  # the quick test: no capital, no name
    return _has_name_pair(before + "\n" + after)


_UPPER = re.compile(r"[A-Z]")


def _has_name_pair(window: str) -> bool:
    return any(
        _is_name_word(pair.group(1)) and _is_name_word(pair.group(2)) for pair in _WORD_PAIR.finditer(window)
    )


def _is_name_word(word: str) -> bool:
    """Ada, McDonald, O'Brien, Smith-Jones, Zoë: capitalised, not all capitals, not a common word."""
    return word[0].isupper() and not word.isupper() and word not in _NOT_NAMES


# --- Hospital numbers ----------------------------------------------------------------------------

_HOSPITAL_LABEL = (
    r"(?:hosp(?:ital)?\.?[ \t]{0,2}(?:number|num\.?|nos?\.?|id|#)"
    r"|unit[ \t]{1,2}(?:number|no\.?)"
    r"|case[ \t\-]?notes?[ \t]{1,2}(?:number|no\.?)"
    r"|medical[ \t]{1,2}records?[ \t]{1,2}(?:number|no\.?)"
    r"|patient[ \t]{1,2}(?:id|number|no\.?)"
    r"|pas[ \t]{1,2}(?:number|no\.?|id)"
    r"|mrn)"
)
# The label, an optional ":" "#" "=" "-" or "is", then the identifier (checked in Python).
_HOSPITAL_LABELLED = re.compile(
    rf"(?<![A-Za-z]){_HOSPITAL_LABEL}[ \t]{{0,3}}(?:[:#=\-.][ \t]{{0,3}}|is[ \t]{{1,3}})?"
    r"(?P<id>(?:[A-Za-z]{1,3}[ \t\-]?)?[0-9]{2,10}(?:[ \t\-][0-9]{2,8})?[A-Za-z]?)"
    r"(?![A-Za-z0-9]|[ \t.\-]{1,3}[0-9])",
    re.IGNORECASE,
)
_HOSPITAL_LABELLED_LOWER = re.compile(_HOSPITAL_LABELLED.pattern)
# Five digits, perhaps split once after the second: every identifier has them (the quick test).
_FIVE_DIGITS = re.compile(r"[0-9]{2}[ \t\-]?[0-9]{3}")
_LABEL_REACH = 48  # the label and separator end at most this far before the five digits
_ID_REACH = 24  # and the identifier ends at most this far after them


def _labelled_hospital_numbers(text: str, lowered: str) -> Iterator[re.Match[str]]:
    """Matches of the labelled form, looked for only around runs of five digits."""
    pattern, searched = (_HOSPITAL_LABELLED_LOWER, lowered) if lowered else (_HOSPITAL_LABELLED, text)
    lo = hi = -1
    for digits in _FIVE_DIGITS.finditer(text):
        if digits.start() - _LABEL_REACH > hi:
            if hi >= 0:
                yield from pattern.finditer(searched, lo, hi)
            lo = max(0, digits.start() - _LABEL_REACH)
        hi = min(len(text), digits.end() + _ID_REACH)
    if hi >= 0:
        yield from pattern.finditer(searched, lo, hi)


# "RXH number 1234567": a trust's organisation code in capitals as the label.
_TRUST_LABELLED = re.compile(
    r"(?P<code>R(?<![A-Za-z0-9]R)[A-Z][A-Z0-9])[ \t]{1,2}(?:number|Number|NUMBER|no\.?|No\.?|NO\.?)"
    r"[ \t]{0,3}(?:[:#=\-][ \t]{0,3})?"
    r"(?P<id>(?:[A-Za-z]{1,3}[ \t\-]?)?[0-9]{5,10}[A-Za-z]?)(?![A-Za-z0-9]|[ \t.\-]{1,3}[0-9])"
)
# Codes that are also everyday abbreviations (reference, registration, request ...): a booking
# "REF1234567" or "REG no 123456" is not a hospital number unless a hospital label says so.
_NOT_TRUST_CODES = frozenset(("REF", "REG", "RES", "REQ", "RET", "REC", "REV", "RTE", "RUN", "ROW", "RAM"))
# An identifier that starts with a trust's organisation code: R and two capitals or digits.
_TRUST_PREFIXED = re.compile(r"R(?<![A-Za-z0-9]R)[A-Z][A-Z0-9][ \t]?[0-9]{6,8}(?![A-Za-z0-9])")
_ID_DIGITS = re.compile(r"[0-9]")


def _hospital_numbers(text: str, lowered: str) -> Iterator[Finding]:
    for match in _labelled_hospital_numbers(text, lowered):
        found = match.group("id")
        digits = "".join(_ID_DIGITS.findall(found))
        if not 5 <= len(digits) <= 10 or (digits[0] == "0" and len(digits) >= 10):
            continue  # too short to identify anyone, or a phone number
        yield Finding("hospital_number", match.start("id"), match.end("id"))
    for match in _TRUST_LABELLED.finditer(text):
        if match.group("code") not in _NOT_TRUST_CODES:
            yield Finding("hospital_number", match.start("id"), match.end("id"))
    for match in _TRUST_PREFIXED.finditer(text):
        if match.group()[:3] not in _NOT_TRUST_CODES:
            yield Finding("hospital_number", match.start(), match.end())


# --- Patients' names -----------------------------------------------------------------------------

_GIVEN_NAMES_TEXT = """
    Aaron Abdul Abigail Ada Adam Adrian Agnes Ahmed Aidan Aisha Alan Albert Alex Alexander Alexandra
    Alfie Alfred Ali Alice Alison Amanda Amber Amelia Amir Amy Andrea Andrew Andy Angela Ann Anna
    Anne Annie Anthony Archie Arthur Ashley Audrey Barbara Barry Beatrice Ben Benjamin Bernard Beryl
    Beth Bethany Betty Bill Bob Brenda Brian Bridget Callum Carl Carol Caroline Catherine Charles
    Charlie Charlotte Chloe Chris Christine Christopher Claire Clare Colin Connor Craig Daisy Daniel
    Danielle Darren David Dean Debbie Deborah Declan Denise Dennis Derek Diana Diane Doris Dorothy
    Douglas Duncan Dylan Edward Eileen Elaine Eleanor Elizabeth Ella Ellie Emily Emma Eric Ethan
    Evelyn Fatima Fiona Florence Frances Francesca Freddie Frederick Freya Gareth Gary Gemma Geoffrey
    George Georgia Gerald Gillian Gladys Glenn Gordon Graham Hannah Harold Harriet Harry Harvey
    Hassan Hazel Heather Helen Henry Hilda Holly Hugh Ian Imogen Irene Isaac Isabel Isabella Isla
    Jack Jacob Jacqueline Jake James Jamie Jan Jane Janet Janice Jason Jean Jennifer Jenny Jessica
    Jill Joan Joanna Joanne Joe Joel John Jonathan Joseph Joshua Joyce Judith Julia Julie Karen Kate
    Katherine Kathleen Katie Keith Kelly Kenneth Kevin Kieran Kirsty Laura Lauren Leah Lee Leo
    Leon Lesley Leslie Lewis Liam Lily Linda Lisa Logan Louise Lucy Luke Lynn Maisie Malcolm Margaret
    Maria Marie Marjorie Martin Mary Matthew Maureen Megan Melanie Michael Michelle Mohammed Mohammad
    Muhammad Molly Muriel Nadia Natalie Nathan Neil Nicholas Nicola Nigel Noah Norman Oliver Olivia
    Omar Oscar Owen Pamela Patricia Patrick Paul Paula Pauline Peter Philip Phoebe Phyllis Priya
    Rachel Rajesh Ravi Raymond Rebecca Richard Rita Robert Robin Roger Ronald Rosemary Ross Roy Ruby
    Rachael Ruth Ryan Sally Samantha Samuel Sandra Sarah Scott Sean Shane Sharon Sheila Shirley Simon
    Sophie Stanley Stephanie Stephen Steven Stuart Susan Suzanne Sylvia Tariq Teresa Terence Thomas
    Timothy Tina Toby Tom Tony Tracey Tracy Trevor Valerie Vanessa Victoria Vincent Violet Wayne
    Wendy William Yasmin Yvonne Zara Zoe Zoë Sian Siobhan Eamon Niamh Aoife Ciara Seamus Fergus Hamish
    Morag Mhairi Iain Alistair Angus Ewan Rhys Dafydd Gwen Bronwen Emrys Ffion Cerys Kwame Chidi Ngozi
    Amara Kofi Ade Tunde Sunita Anjali Deepak Arjun Sanjay Pooja Harpreet Gurpreet Jaspreet Imran
    Bilal Zainab Maryam Yusuf Ibrahim Khadija Ayesha Nasreen Wei Mei Ling Jun Kenji Piotr Katarzyna
    Agnieszka Tomasz Andrzej Magdalena Ioana Elena Maria Stefan Mihai Ana Luis Carlos Sofia Marco
"""
_GIVEN_NAMES = frozenset(_GIVEN_NAMES_TEXT.split())
_TITLES = r"(?:Mr|Mrs|Ms|Miss|Mx|Master)"
# Staff and dignitaries are not patients: a name after one of these is not flagged.
_STAFF_TITLES_TEXT = """
    dr doctor prof professor nurse sister matron charge cllr councillor sir dame rev revd reverend
    lord lady baroness baron minister mp
"""
_STAFF_TITLES = frozenset(_STAFF_TITLES_TEXT.split())
_ROLE_WORDS_TEXT = """
    head director manager managers lead leads leader leaders nurse nurses consultant consultants
    matron officer chair chairs chairman chairwoman chairperson chief coordinator co-ordinator
    facilitator facilitators practitioner specialist therapist physio physiotherapist gp doctor
    surgeon physician registrar clinician clinicians educator adviser advisor lecturer professor
    fellow researcher student volunteer volunteers champion governor trustee analyst administrator
    secretary commissioner member representative rep partner expert editor author blogger founder
    ceo cio cno cco cmo cto deputy assistant associate senior junior principal paramedic pharmacist
    midwife visitor worker carer colleague colleagues speaker speakers presenter panellist host
    guest keynote team staff sponsor organiser organizer convenor moderator admin librarian
    psychologist psychiatrist dietitian counsellor officer owner designer developer engineer
    architect steward coach mentor trainer tutor writer journalist reporter ambassador patron
    president vice executive officer chaplain receptionist healthcare porter clerk
"""
_ROLE_WORDS = frozenset(_ROLE_WORDS_TEXT.split())
# Verbs that say a person is speaking, presenting or doing their job, not being treated.
_STAFF_VERBS_TEXT = """
    presented presents presenting spoke speaks speaking chaired chairs chairing facilitated
    facilitates led leads leading hosted hosts opened opens closed closes welcomed welcomes
    introduced introduces thanked thanks ran runs tweeted tweets blogged blogs wrote writes gave
    gives delivered delivers talked talks explained explains described describes shared shares
    reminded reminds summarised summarises summarized asked asks answered answers noted notes
    suggested suggests showed shows demonstrated demonstrates launched launches joined joins manages
    managed works worked coordinates coordinated organised organises organized reviewed reviews
    trained trains teaches taught recorded records posted posts moderated moderates invited invites
    argued argues said says will would could should can from of at about co-chaired co-chairs co-led
    co-leads co-facilitated co-presented co-produced co-hosted
    announced announces published publishes funded funds visited visits told tells urged urges
    warned warns praised praises called calls recommended recommends proposed proposes agreed agrees
    highlighted highlights stressed stresses emphasised emphasises added adds commented comments
    pointed points championed champions
"""
_STAFF_VERBS = frozenset(_STAFF_VERBS_TEXT.split())
# Words after a name that make it the name of a thing: "Florence Nightingale Foundation".
_NAMED_THING_TEXT = """
    Foundation Trust Hospital Hospitals Ward Unit Centre Center House Building Wing Award Awards
    Lecture Lectures Prize Fund Fellowship Fellowships Institute Day Scholarship Scholars School
    College University Library Suite Room Clinic Hospice Practice Surgery Road Street Lane Way
    Programme Program Project Network Academy Society Memorial Theatre
"""
_NAMED_THING = frozenset(_NAMED_THING_TEXT.split())
_CAP_WORD = (
    r"(?:Mc|Mac|O['\u2019]|D['\u2019])?[A-Z][a-z\u00e0-\u00ff'\u2019]{1,30}"
    r"(?:-[A-Z][a-z\u00e0-\u00ff]{1,30})?"
)
# Both patterns start with a letter, not a look-behind, so the regular expression engine skips
# quickly to the places where they may match.
_TITLED_NAME = re.compile(
    r"M(?<![\w'\u2019\-]M)(?:r|rs|s|iss|x|aster)\.?[ \t]{1,2}"
    rf"(?P<names>{_CAP_WORD}(?:[ \t]{{1,2}}{_CAP_WORD}){{0,2}})(?![\w'\u2019\-])"
)
# A given name followed by a capitalised word; only the given name is consumed, so "Jane Smith
# John Brown" yields both pairs.
_NAME_PAIR = re.compile(
    r"[A-Z](?<![\w'\u2019\-][A-Z])[a-z\u00e0-\u00ff]{1,15}"
    rf"(?=[ \t]{{1,2}}(?P<surname>{_CAP_WORD})(?![\w'\u2019\-]))"
)
_CLINICAL = re.compile(
    r"(?<![A-Za-z])(?:(?:re-?)?admitted|admission|diagnosed|diagnosis|discharged|sectioned|detained"
    r"|deceased|died|passed[ \t]away|overdosed?|overdoses|sepsis|septic|dementia|delirium|stroke"
    r"|seizures?|fractured?|cancer|tumour|chemo(?:therapy)?|dialysis|palliative|end[ \t]of[ \t]life"
    r"|dnacpr|dnar|resuscitated|intubated|ventilated|icu|itu|a&e|in-?patient|self[ \t\-]harm(?:ed|ing)?"
    r"|suicidal|psychosis|psychotic|schizophrenia|bipolar|pneumonia|hepatitis"
    r"|(?:bed|bay)[ \t]{0,2}[0-9]{1,3}|(?:on|to|onto|in|from)[ \t]{1,2}(?:the[ \t]{1,2})?ward(?![A-Za-z]))"
    r"(?![A-Za-z])",
    re.IGNORECASE,
)
_CLINICAL_LOWER = re.compile(_CLINICAL.pattern)
_SENTENCE_END = re.compile(r"[.!?](?:[ \t]{1,3}(?=[A-Z\"'(\u2018\u201c])|$)|\n")
# A date written after one of these words is an event, not a birthday: "on 12 March 2024",
# "from Monday 3 June", "by the 5th of May" (a weekday and "the" may come between).
_EVENT_WORDS_TEXT = "on from until till to by since before after during at for held dated and or the"
_EVENT_WORDS = frozenset(_EVENT_WORDS_TEXT.split())
_WEEKDAY_WORDS_TEXT = """
    monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat sun
"""
_WEEKDAY_WORDS = frozenset(_WEEKDAY_WORDS_TEXT.split())


def _is_event_date(text: str, start: int) -> bool:
    """Whether the date starting at `start` follows an event word (see _EVENT_WORDS)."""
    if start == 0 or text[start - 1] not in " \t":
        return False
    words = text[max(0, start - 40) : start].lower().split()
    if words and words[-1] == "the":
        words.pop()
    if words and words[-1].rstrip(",") in _WEEKDAY_WORDS:
        words.pop()
    return bool(words) and words[-1] in _EVENT_WORDS


# The word after a name, past "and Jane Smith" when two people are named together.
_WORD_AFTER = re.compile(
    r"[ \t]{1,2}(?:and[ \t]{1,2}[A-Z][\w'\u2019\-]{1,30}[ \t]{1,2}[A-Z][\w'\u2019\-]{1,30}[ \t]{1,2})?"
    r"(?P<word>[\w'\u2019&\-]{1,40})"
)
_ROLE_AFTER = re.compile(
    r"^[ \t]{0,2}(?:,|\(|\u2013|\u2014|-|was|is)[ \t]{0,2}"
    r"(?:(?:a|an|the|our|their|his|her|and|of)[ \t]{1,2})?"
    r"(?P<words>(?:[\w'\u2019&\-]{1,40}[ \t]{1,2}){0,3}[\w'\u2019&\-]{1,40})"
)
_NAME_BEFORE = 40
_NAME_AFTER = 60


def _patient_names(
    text: str,
    lowered: str,
    dates: list[re.Match[str]],
    births: list[tuple[int, int]],
    candidates: list[tuple[int, int, bool]],
) -> Iterator[Finding]:
    """Names of people next to a date of birth, a birth word or a clinical word (see the docstring).

    Names are found first (cheap: they are rare and the patterns skip ahead); each is then
    checked against its own few words of context. When names are dense (adversarial text, a
    list of people) the clinical words are found once for the whole text instead, so the work
    stays linear either way.
    """
    if not candidates:
        return
    dated = [date.span() for date in dates]  # event dates were left out by the caller
    dense = len(candidates) > 64 and len(candidates) > len(text) // 400
    clinical = (_spans(_CLINICAL_LOWER, lowered) if lowered else _spans(_CLINICAL, text)) if dense else []
    triggers = _Spans(births + dated + clinical)
    for start, end, titled in candidates:
        if dense and not triggers.any_within(start - _NAME_BEFORE, end + _NAME_AFTER):
            continue  # the quick test
        if _in_patient_context(text, start, end, triggers, titled=titled, search_clinical=not dense):
            yield Finding("patient_name", start, end)


def _name_candidates(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, titled) of every titled name and every given name with a surname, by start.

    A third capitalised word joins the name ("Anne Marie Davies"); a possessive "'s" does not.
    """
    titled: list[tuple[int, int, bool]] = []
    for match in _TITLED_NAME.finditer(text):
        names = match.group("names").split()
        while names and names[-1] in _NOT_NAMES:  # "Mrs Smith On Monday" is Mrs Smith
            names.pop()
        if names and names[0] not in _NOT_NAMES:
            titled.append((match.start(), _unpossessive(text, _names_end(match, names)), True))
    pairs: list[tuple[int, int, bool]] = []
    ends = [end for _, end, _ in titled]
    last_end = -1
    for match in _NAME_PAIR.finditer(text):
        given, surname = match.group(), match.group("surname")
        if match.start() < last_end:
            continue  # the middle of "Anne Marie Davies"
        if given not in _GIVEN_NAMES or surname in _NOT_NAMES or surname in _GIVEN_NAMES_NOT_SURNAMES:
            continue
        i = bisect.bisect_right(ends, match.start())  # inside "Mrs Jane Smith" already
        if i < len(titled) and titled[i][0] <= match.start():
            continue
        end = match.end("surname")
        third = _THIRD_NAME.match(text, end)
        if third is not None and third.group(1) not in _NOT_NAMES:
            end = third.end(1)
        last_end = end
        pairs.append((match.start(), _unpossessive(text, end), False))
    return sorted(titled + pairs)


_THIRD_NAME = re.compile(rf"[ \t]{{1,2}}({_CAP_WORD})(?![\w'\u2019\-])")


def _unpossessive(text: str, end: int) -> int:
    return end - 2 if text[end - 2 : end] in ("'s", "\u2019s") else end


_GIVEN_NAMES_NOT_SURNAMES = frozenset(("Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof"))


def _names_end(match: re.Match[str], names: list[str]) -> int:
    """Where the kept words of a titled name end in the text (words may be two spaces apart)."""
    pos = match.start("names")
    for name in names:
        pos = match.string.index(name, pos) + len(name)
    return pos


def _in_patient_context(
    text: str, start: int, end: int, triggers: _Spans, *, titled: bool, search_clinical: bool
) -> bool:
    lo, hi = max(0, start - _NAME_BEFORE), end + _NAME_AFTER
    before = text[lo:start]
    after = text[end:hi]
    if _ENDS_SENTENCE.search(before) is not None and (cut := _last_sentence_end(before)) is not None:
        before = before[cut:]
        lo = start - len(before)
    if _ENDS_SENTENCE.search(after) is not None and (stop := _SENTENCE_END.search(after)) is not None:
        after = after[: stop.start()]
        hi = end + len(after)
    near = triggers.any_within(lo, start) or triggers.any_within(end, hi)
    if not near and search_clinical:
        near = _CLINICAL.search(before) is not None or _CLINICAL.search(after) is not None
    if not near:
        return False
    return not (_is_staff(before, after, titled=titled) or _is_named_thing(after))


_ENDS_SENTENCE = re.compile(r"[.!?\n]")  # the quick test for _SENTENCE_END


def _last_sentence_end(before: str) -> int | None:
    last = None
    for found in _SENTENCE_END.finditer(before):
        last = found.end()
    return last


def _is_staff(before: str, after: str, *, titled: bool) -> bool:
    """Whether the words around a name say it is someone at work, not a patient (see the docstring)."""
    if before[-1:] in (" ", "\t"):
        words = before.split()[-4:]
        last = words[-1].rstrip(",:.").lower() if words else ""
        if not titled and (last in _STAFF_TITLES or last in _ROLE_WORDS):
            return True  # "Dr Jane Smith", "consultant John Smith", "our GP, John Smith"
        if not titled and last in _GREETING_BEFORE:
            return True  # "Thanks, Jane Smith, for ...", "Congratulations to John Smith"
        if not titled and len(words) >= 2 and last in _BY_FROM and words[-2].lower() in _SPEAKER_BEFORE:
            return True  # "led by Jane Smith", "we heard from John Smith"
        if not titled and last == "and":
            return True  # "Jane Smith and John Smith", named together as speakers
        if words and words[-1].endswith(",") and any(w.strip(",:.()").lower() in _ROLE_WORDS for w in words):
            return True  # "Our Director of Nursing, Niamh Okafor, ..."
    role = _ROLE_AFTER.match(after)
    if role is not None:
        words_after = role.group("words").lower().split()
        if any(w in _ROLE_WORDS for w in words_after):
            return True  # "Jane Smith, ward manager", "Jane Smith (Head of Digital)"
        if len(words_after) >= 2 and words_after[0] == "who" and words_after[1] in _STAFF_VERBS:
            return True  # "Emma Brown, who works on the stroke unit, ..."
    possessive = _POSSESSIVE_AFTER.match(after)
    if possessive is not None and any(w in _WORK_NOUNS for w in possessive.group(1).lower().split()):
        return True  # "Jane Smith's blog on dementia care"
    word_after = _WORD_AFTER.match(after)
    return word_after is not None and word_after.group("word").lower() in _STAFF_VERBS


_BY_FROM = frozenset(("by", "from", "to"))
_GREETING_BEFORE = frozenset(("thanks", "thank", "welcome", "congratulations", "congrats", "cheers"))
# "'s" and the next two words ("Jane Smith's new blog", "Jane Smith's blog on ...").
_POSSESSIVE_AFTER = re.compile(r"['\u2019]s[ \t]{1,2}([A-Za-z\-]{1,20}(?:[ \t]{1,2}[A-Za-z\-]{1,20})?)")
_WORK_NOUNS_TEXT = """
    blog blogs talk talks slides session sessions presentation presentations team teams book books
    research work project projects paper papers tweet tweets post posts video videos podcast article
    articles report reports campaign campaigns keynote speech lecture workshop study studies thread
    poster posters column page website app idea ideas leadership office colleagues review audit
"""
_WORK_NOUNS = frozenset(_WORK_NOUNS_TEXT.split())
_SPEAKER_BEFORE_TEXT = """
    led chaired co-chaired hosted run facilitated presented introduced organised written talk talks
    session presentation blog slides welcomed heard hear thanks
"""
_SPEAKER_BEFORE = frozenset(_SPEAKER_BEFORE_TEXT.split())
_NAMED_THING_AFTER = re.compile(r"[ \t]{1,2}([A-Z][a-z]{1,20})")


def _is_named_thing(after: str) -> bool:
    word_after = _NAMED_THING_AFTER.match(after)
    return word_after is not None and word_after.group(1) in _NAMED_THING


# --- E-mail addresses --------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}"
    r"@(?:[A-Za-z0-9\-]{1,63}\.){1,8}[A-Za-z]{2,24}(?![A-Za-z0-9\-])"
)


def _emails(text: str) -> Iterator[Finding]:
    for match in _EMAIL.finditer(text):
        yield Finding("email", match.start(), match.end())


# --- Overlaps ----------------------------------------------------------------------------------


def _resolve_overlaps(found: list[Finding]) -> list[Finding]:
    """One span gets one kind: the higher-priority finding keeps it.

    Kind by kind in order of priority, each finding is kept unless it overlaps one kept
    already; the kept list is rebuilt once per kind (a merge of two sorted runs), so this is
    O(n log n) however the kinds interleave.
    """
    rank = {kind: n for n, kind in enumerate(_PRIORITY)}
    by_kind: dict[str, list[Finding]] = {}
    for finding in found:
        by_kind.setdefault(finding.kind, []).append(finding)
    kept: list[Finding] = []  # sorted by start, never overlapping, so also sorted by end
    starts: list[int] = []
    for kind in sorted(by_kind, key=lambda k: rank.get(k, len(rank))):
        accepted: list[Finding] = []
        for finding in sorted(by_kind[kind], key=lambda f: f.start):
            i = bisect.bisect_left(starts, finding.end)
            if (i > 0 and kept[i - 1].end > finding.start) or (accepted and accepted[-1].end > finding.start):
                continue
            accepted.append(finding)
        if accepted:
            kept = sorted(kept + accepted, key=lambda f: f.start)
            starts = [f.start for f in kept]
    return kept
