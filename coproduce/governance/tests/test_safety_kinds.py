"""Hospital numbers (block) and patients' names (warn): the forms found and the look-alikes left alone."""

from __future__ import annotations

import pytest

from coproduce.governance.safety import POLICY, Finding, UnsafeContent, check_submission, describe, scan


def _found(text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in scan(text)]


@pytest.mark.parametrize(
    ("text", "identifier"),
    [
        ("hospital number K123456", "K123456"),
        ("Hospital No: A1234567 on the label", "A1234567"),
        ("hosp no 1234567", "1234567"),
        ("Hosp. no. K 123456", "K 123456"),
        ("MRN 12345678", "12345678"),
        ("mrn is 9876543", "9876543"),
        ("unit number U123456", "U123456"),
        ("case-note no. 765432", "765432"),
        ("medical record number 123 4567", "123 4567"),
        ("patient ID P1234567X", "P1234567X"),
        ("PAS number 5512345", "5512345"),
        ("RXH number 1234567", "1234567"),
        ("label RXH1234567 on the bag", "RXH1234567"),
        ("label RJ1 123456 on the bag", "RJ1 123456"),
    ],
)
def test_a_hospital_number_in_a_common_uk_form_is_found_without_its_label(text: str, identifier: str) -> None:
    assert _found(text) == [("hospital_number", identifier)]


@pytest.mark.parametrize(
    "text",
    [
        "hospital number 1234 is too short",
        "unit 12345 of the business park",
        "Room R12, RTX3080, RCN2024, Ward 7 and 2,000 staff",
        "the hospital number is on the website",
        "rxh1234567 in lower case is not a trust code",
        "booking ref number 123456 and REF No 654321",
        "your booking reference is REF1234567; reg no 1234567",
    ],
)
def test_short_unlabelled_or_lower_case_numbers_are_not_hospital_numbers(text: str) -> None:
    assert _found(text) == []


def test_a_hospitals_phone_number_is_a_phone_number_not_a_hospital_number() -> None:
    assert _found("ring the hospital number 020 7946 0958") == [("phone_number", "020 7946 0958")]


def test_an_nhs_number_after_a_hospital_label_is_an_nhs_number() -> None:
    assert _found("hospital number 999 000 0018") == [("nhs_number", "999 000 0018")]


def test_a_hospital_number_blocks_a_submission_and_is_described_for_a_person() -> None:
    with pytest.raises(UnsafeContent) as raised:
        check_submission({"body": "MRN 12345678"})
    assert raised.value.findings == {"body": [Finding("hospital_number", 4, 12)]}
    assert str(raised.value) == "body: a hospital number at characters 5\u201312"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Mrs Jane Smith, 12/03/1948", "Mrs Jane Smith"),
        ("John Smith was admitted with sepsis", "John Smith"),
        ("we discharged Mary Jones yesterday", "Mary Jones"),
        ("Mr O'Brien on ward 7 has dementia", "Mr O'Brien"),
        ("Miss Patel in bed 4 took an overdose", "Miss Patel"),
        ("Mx Alex Rowe was diagnosed last week", "Mx Alex Rowe"),
        ("Sad news: Mrs Okafor died this morning", "Mrs Okafor"),
        ("Ann Smith-Jones, DOB 3 May 1950", "Ann Smith-Jones"),
        ("John Smith's dementia is worse since he was admitted", "John Smith"),
        ("Mrs Smith's daughter says she was discharged too early", "Mrs Smith"),
        ("Anne Marie Davies was admitted with sepsis", "Anne Marie Davies"),
    ],
)
def test_a_name_next_to_a_date_of_birth_or_a_clinical_word_is_a_patients_name(text: str, name: str) -> None:
    assert ("patient_name", name) in _found(text)


@pytest.mark.parametrize(
    "text",
    [
        "Dr Smith presented the sepsis audit",
        "Prof Jane Smith spoke about dementia",
        "Jane Smith, ward manager, talked about discharge",
        "Jane Smith (Head of Digital) described the sepsis campaign",
        "Consultant John Smith said admissions were down",
        "Our Director of Nursing, Niamh Okafor, led the session on dementia",
        "Agenda item 4: dementia-friendly design, led by Jane Chen",
        "The Florence Nightingale Foundation funds dementia nurses",
        "On 12 March 2024 we met Jane Smith and the Ward 7 team",
        "Jane Smith shared her slides on social media",
        "Mrs Smith from the events office will send the joining instructions",
        "Thanks, Jane Smith, for the brilliant session on sepsis.",
        "Jane Smith's blog on dementia care went viral.",
        "Emma Brown, who works on the stroke unit, tweeted about it.",
        "Simon Stevens announced new funding for dementia.",
        "Please welcome Anne Marie Davies, our dementia lead.",
        "Congratulations to Helen Ward for her dementia award.",
    ],
)
def test_staff_speakers_named_things_and_names_without_clinical_context_are_not_patients(text: str) -> None:
    assert [kind for kind, _ in _found(text)] == []


def test_a_patients_name_warns_and_does_not_block() -> None:
    assert POLICY["patient_name"] == "warn"
    check_submission({"body": "John Smith was admitted with sepsis"})
    with pytest.raises(UnsafeContent):
        check_submission(
            {"body": "John Smith was admitted with sepsis"}, policy={**POLICY, "patient_name": "block"}
        )


def test_a_patients_name_is_described_with_its_label() -> None:
    assert describe(scan("John Smith was admitted")) == "a patient's name at characters 1\u201310"


def test_a_name_and_a_clinical_word_in_different_sentences_are_not_linked() -> None:
    assert _found("We thanked John Smith. Sepsis was the next topic.") == []
