from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from coproduce.api.schemas import StrictSchema
from coproduce.governance.safety import scan

router = Router(tags=["safety"])


class ScanIn(StrictSchema):
    text: str = Field(max_length=1_000_000)


class FindingOut(Schema):
    kind: str
    start: int
    end: int


class ScanOut(Schema):
    findings: list[FindingOut]


@router.post("/scan", response=ScanOut)
def scan_text(request: HttpRequest, payload: ScanIn) -> dict[str, object]:
    """Run the patient-identifiable-data guard on a text; nothing is stored."""
    return {"findings": [{"kind": f.kind, "start": f.start, "end": f.end} for f in scan(payload.text)]}
