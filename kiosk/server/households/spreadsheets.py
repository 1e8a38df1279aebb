"""Reading the spreadsheet a committee already keeps: CSV (UTF-8 or GBK, any common
delimiter) or XLSX (the first sheet, via ``openpyxl``) as a header row and text rows;
the column each register field is in, guessed from the headers; a masked example value
of a column for the mapping screen. No database here (:mod:`importing` does the rest).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from kiosk.core.privacy import mask_name, mask_phone
from kiosk.core.visits import Tier
from kiosk.server.domain_errors import Invalid

__all__ = [
    "FIELDS",
    "FIELD_KEYS",
    "MAX_BYTES",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "TIER_WORDS",
    "Table",
    "guess_mapping",
    "read_table",
    "sample_of",
]

MAX_BYTES = 2_000_000
MAX_ROWS = 5000
MAX_COLUMNS = 40

#: What a column can be, in the order of the mapping screen: (key, label, header words).
FIELDS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("name", "姓名", ("姓名", "名字", "户主姓名", "居民姓名", "户主", "name")),
    ("phone", "电话", ("电话", "手机", "手机号", "手机号码", "联系电话", "电话号码", "phone")),
    ("birth_year", "出生年份", ("出生年份", "出生年", "出生日期", "出生年月", "生日")),
    ("relation", "与户主关系", ("与户主关系", "关系")),
    ("id_number", "证件号码", ("身份证号", "身份证", "身份证号码", "证件号码", "证件号")),
    ("address", "住址（楼号-单元-室）", ("住址", "地址", "家庭住址", "门牌")),
    ("building", "楼号", ("楼号", "楼栋", "楼栋号", "栋", "幢", "楼")),
    ("unit", "单元", ("单元", "单元号")),
    ("room", "室", ("室", "室号", "房号", "房间号", "门牌号")),
    ("tags", "标签", ("标签", "类别", "人员类别", "户类型", "重点人群")),
    ("tier", "分级", ("分级", "等级", "风险等级")),
    ("staff", "网格员", ("网格员", "负责人", "包户人")),
    ("emergency_contact", "紧急联系人", ("紧急联系人", "紧急联系")),
    ("notes", "备注", ("备注", "说明", "情况说明")),
)
FIELD_KEYS = tuple(key for key, _label, _words in FIELDS)
TIER_WORDS = {t.label: t for t in Tier} | {t.value: t for t in Tier}


@dataclass(frozen=True, slots=True)
class Table:
    headers: list[str]
    rows: list[list[str]]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return " ".join(str(value).split())[:500]


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Invalid("bad_file", "无法识别文件的文字编码，请另存为 UTF-8 的 CSV 或 XLSX", field="file")


def _csv(data: bytes) -> list[list[str]]:
    text = _decode(data)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], ",\t;，")
    except csv.Error:
        dialect = csv.excel
    try:
        return [[_cell(c) for c in row] for row in csv.reader(io.StringIO(text), dialect)]
    except csv.Error:
        raise Invalid("bad_file", "CSV 文件格式有误，请用表格软件重新导出", field="file") from None


def _xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        raise Invalid(
            "bad_file", "无法打开这个 XLSX 文件，请确认它是 Excel 表格", field="file"
        ) from None
    try:
        sheet = book.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append([_cell(c) for c in row[:MAX_COLUMNS]])
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    finally:
        book.close()


def read_table(filename: str, data: bytes) -> Table:
    """The first sheet (XLSX) or the file (CSV) as a header row and text rows."""
    if not data:
        raise Invalid("empty_file", "请选择要导入的 CSV 或 XLSX 文件", field="file")
    if len(data) > MAX_BYTES:
        raise Invalid("file_too_big", "文件太大（最大 2 MB），请分成几个文件导入", field="file")
    name = filename.lower()
    if name.endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        rows = _xlsx(data)
    elif name.endswith((".csv", ".txt")) or not name:
        rows = _csv(data)
    elif name.endswith(".xls"):
        raise Invalid("old_excel", "不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx", field="file")
    else:
        raise Invalid("bad_file", "只能导入 CSV 或 XLSX 文件", field="file")
    rows = [r[:MAX_COLUMNS] for r in rows]
    while rows and not any(rows[0]):
        rows.pop(0)
    if not rows:
        raise Invalid("empty_file", "文件里没有内容", field="file")
    if len(rows) > MAX_ROWS + 1:
        raise Invalid("too_many_rows", f"一次最多导入 {MAX_ROWS} 行，请分成几个文件", field="file")
    headers = [h or f"第 {i + 1} 列" for i, h in enumerate(rows[0])]
    width = len(headers)
    body = [(r + [""] * width)[:width] for r in rows[1:]]
    return Table(headers, body)


def guess_mapping(headers: Sequence[str]) -> dict[str, int]:
    """Field → column index from the header words (exact words first, then contained)."""
    found: dict[str, int] = {}
    taken: set[int] = set()
    clean = [re.sub(r"[\s:：*（）()]", "", h).lower() for h in headers]
    for exact in (True, False):
        for key, _label, words in FIELDS:
            if key in found:
                continue
            for i, header in enumerate(clean):
                if i in taken or not header:
                    continue
                if (header in words) if exact else any(w in header for w in words if len(w) > 1):
                    found[key] = i
                    taken.add(i)
                    break
    if "address" in found and {"building", "room"} <= found.keys():
        del found["address"]  # separate 楼号/单元/室 columns win over a loose 地址 guess
    return found


def sample_of(table: Table, column: int) -> str:
    """One example value of a column for the mapping screen, masked (personal data)."""
    for row in table.rows[:20]:
        value = row[column] if column < len(row) else ""
        if value:
            digits = value.replace("-", "").replace(" ", "")
            if digits.isdigit() and len(digits) >= 8:
                return mask_phone(value)
            if len(value) <= 4 and value.isdigit():
                return value
            return mask_name(value)[:12]
    return ""
