"""The one number validator and the one text validator (kiosk/core/values.py)."""

from __future__ import annotations

import json
from typing import Annotated

import pytest
from annotated_types import Ge, Le
from pydantic import BaseModel, ValidationError

from kiosk.core.values import (
    INT64_MAX,
    Count,
    Flag,
    Line,
    Lines,
    Measure,
    RowId,
    WholeNumber,
    check_text,
    printable,
)


class Sample(BaseModel):
    whole: WholeNumber = 0
    small: Annotated[WholeNumber, Ge(1), Le(99)] = 1
    count: Count = 0
    measure: Measure = 0.0
    flag: Flag = False
    line: Line = ""
    lines: Lines = ""
    row: RowId = 1


def _error(raw: str) -> tuple[str, str]:
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate_json(raw)
    first = caught.value.errors()[0]
    return ".".join(str(p) for p in first["loc"]), first["type"]


@pytest.mark.parametrize(
    "raw,field,kind",
    [
        ('{"whole": "20"}', "whole", "int_type"),
        ('{"whole": 20.0}', "whole", "int_type"),
        ('{"whole": true}', "whole", "int_type"),
        (f'{{"whole": {INT64_MAX + 1}}}', "whole", "less_than_equal"),
        ('{"whole": 1%s}' % ("0" * 400), "whole", "less_than_equal"),
        ('{"small": 0}', "small", "greater_than_equal"),
        ('{"small": 100}', "small", "less_than_equal"),
        ('{"count": -5}', "count", "greater_than_equal"),
        ('{"measure": Infinity}', "measure", "finite_number"),
        ('{"measure": NaN}', "measure", "finite_number"),
        ('{"measure": 1e400}', "measure", "finite_number"),
        ('{"measure": "1.5"}', "measure", "float_type"),
        ('{"flag": "yes"}', "flag", "bool_type"),
        ('{"flag": 1}', "flag", "bool_type"),
        ('{"flag": "true"}', "flag", "bool_type"),
        ('{"line": "a\\u0000b"}', "line", "value_error"),
        ('{"line": "a\\nb"}', "line", "value_error"),
        ('{"line": "a\\u001bb"}', "line", "value_error"),
        ('{"lines": "a\\u0000b"}', "lines", "value_error"),
        ('{"lines": "a\\u007fb"}', "lines", "value_error"),
        ('{"row": 0}', "row", "greater_than_equal"),
    ],
)
def test_values_out_of_kind_are_refused_naming_the_field(raw: str, field: str, kind: str) -> None:
    assert _error(raw) == (field, kind)


def test_values_of_their_kind_are_accepted() -> None:
    sample = Sample.model_validate_json(
        json.dumps(
            {
                "whole": -(2**63),
                "small": 99,
                "count": INT64_MAX,
                "measure": 12,  # a JSON integer is a number too
                "flag": True,
                "line": "名士豪庭 · 居委会\u3000二楼",
                "lines": "第一行\r\n第二行\r第三行\n\t缩进",
                "row": INT64_MAX,
            }
        )
    )
    assert sample.measure == 12.0
    assert sample.lines == "第一行\n第二行\n第三行\n\t缩进"
    # Path and query values are text: RowId reads "5", and refuses what no column holds.
    assert Sample.model_validate({"row": "5"}).row == 5
    with pytest.raises(ValidationError):
        Sample.model_validate({"row": str(INT64_MAX + 1)})


def test_check_text_names_the_character_and_its_place() -> None:
    with pytest.raises(ValueError, match=r"U\+0000（第 3 个字符）"):
        check_text("ab\x00c")
    with pytest.raises(ValueError, match="不能换行"):
        check_text("a\r\nb")
    with pytest.raises(ValueError, match=r"U\+D800"):
        check_text("\ud800")
    assert check_text("a\tb\r\nc", multiline=True) == "a\tb\nc"
    assert check_text("") == ""


def test_printable_makes_our_own_diagnostics_pass_the_check() -> None:
    assert printable("err\x1b[31m\x00!") == "err\ufffd[31m\ufffd!"
    assert printable("a\r\nb\tc\x07", multiline=True) == "a\nb\tc\ufffd"
    assert check_text(printable("\ud800x")) == "\ufffdx"
