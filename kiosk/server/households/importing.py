"""Importing the register a committee already keeps in a spreadsheet (CSV or XLSX).

Upload (:func:`read_table`, :func:`store_upload`) → column mapping guessed from the
headers (:func:`guess_mapping`: 姓名 / 电话 / 楼号 / 单元 / 室 / 标签 …) and corrected by
staff → dry run (:func:`dry_run`) listing every row it would refuse and why (bad phone,
missing address, duplicate …) → confirm (:func:`confirm`) imports the good rows. One
row is one person; rows with the same address are one household.

The uploaded rows are personal data: between the steps they are kept sealed
(``household_imports``), and deleted on confirm or after a day.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import secrets
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.core.privacy import mask_name, mask_phone
from kiosk.core.residents import check_address, check_tags
from kiosk.core.visits import Tier
from kiosk.server import models as m
from kiosk.server.auth import StaffPrincipal
from kiosk.server.domain_errors import Invalid, NotFound
from kiosk.server.households.store import create, phone_hash, require_view
from kiosk.server.households.values import (
    MAX_MEMBERS,
    HouseholdInput,
    MemberInput,
    MemberRefused,
    check_household,
    check_member,
)
from kiosk.server.personal import open_, seal
from kiosk.server.settings import ServerSettings

__all__ = [
    "FIELDS",
    "DryRun",
    "Refusal",
    "Table",
    "confirm",
    "dry_run",
    "guess_mapping",
    "load_upload",
    "purge_stale_imports",
    "read_table",
    "sample_of",
    "store_upload",
]

MAX_BYTES = 2_000_000
MAX_ROWS = 5000
MAX_COLUMNS = 40
KEEP_UPLOAD = dt.timedelta(days=1)

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
_TIER_WORDS = {t.label: t for t in Tier} | {t.value: t for t in Tier}


@dataclass(frozen=True, slots=True)
class Table:
    headers: list[str]
    rows: list[list[str]]


@dataclass(frozen=True, slots=True)
class Refusal:
    row: int  # the spreadsheet's row number (the header is row 1)
    reason: str
    who: str  # masked: "张** · 3-2-501"


@dataclass(frozen=True, slots=True)
class DryRun:
    households: list[HouseholdInput]
    refused: list[Refusal]
    people: int
    skipped_blank: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class _Group:
    members: list[MemberInput] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)  # tier, staff, ec, notes: first wins


# --- reading the file ------------------------------------------------------------------


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


# --- keeping the upload between steps --------------------------------------------------


def store_upload(
    conn: Connection,
    settings: ServerSettings,
    table: Table,
    *,
    hall_id: str,
    filename: str,
    viewer: StaffPrincipal,
    at: dt.datetime,
) -> str:
    require_view(conn, viewer, hall_id)
    import_id = secrets.token_hex(16)
    blob = seal(settings, json.dumps({"headers": table.headers, "rows": table.rows}))
    conn.execute(
        m.household_imports.insert().values(
            id=import_id,
            hall_id=hall_id,
            actor=viewer.username,
            filename=filename[:200],
            data_enc=blob,
            created_at=at,
        )
    )
    return import_id


def load_upload(
    conn: Connection,
    settings: ServerSettings,
    import_id: str,
    *,
    hall_id: str,
    viewer: StaffPrincipal,
    at: dt.datetime,
) -> tuple[Table, str]:
    """The stored upload (its table and file name); only its own uploader, within a day."""
    table = m.household_imports
    row = conn.execute(
        sa.select(table).where(
            table.c.id == import_id[:32],
            table.c.hall_id == hall_id,
            table.c.actor == viewer.username,
        )
    ).first()
    created = row.created_at if row is not None else None
    if created is not None and created.tzinfo is None:
        created = created.replace(tzinfo=dt.UTC)
    if row is None or created is None or created < at - KEEP_UPLOAD:
        raise NotFound("no_import", "找不到这次上传（可能已导入或已超过一天），请重新上传文件")
    data = json.loads(open_(settings, row.data_enc))
    return Table(list(data["headers"]), [list(r) for r in data["rows"]]), str(row.filename)


def purge_stale_imports(conn: Connection, now: dt.datetime) -> int:
    table = m.household_imports
    done = conn.execute(sa.delete(table).where(table.c.created_at < now - KEEP_UPLOAD))
    return int(done.rowcount)


# --- dry run and confirm ---------------------------------------------------------------


_LABELS = {"name": "姓名", "phone": "电话", "birth_year": "出生年份", "id_number": "证件号码"}


def _labelled(key: str, message: str) -> str:
    label = _LABELS.get(key, "")
    return f"{label}：{message}" if label and not message.startswith(label) else message


def _year(text: str) -> str:
    """出生年份 from "1942", "1942-03-01", "1942年3月", "1942.3"; other text as it is."""
    found = re.match(r"^\s*((?:19|20)\d\d)(?:\D.*)?$", text)
    return found.group(1) if found else text


def check_mapping(mapping: Mapping[str, int], width: int) -> dict[str, int]:
    clean = {k: v for k, v in mapping.items() if k in FIELD_KEYS and 0 <= v < width}
    if "name" not in clean:
        raise Invalid("no_name_column", "请指定哪一列是姓名", field="name")
    if "address" not in clean and not {"building", "room"} <= clean.keys():
        raise Invalid(
            "no_address_column",
            "请指定住址列，或楼号、单元、室三列（至少楼号和室）",
            field="address",
        )
    used = list(clean.values())
    if len(used) != len(set(used)):
        raise Invalid("column_twice", "同一列不能对应两项，请检查对应关系", field="mapping")
    return clean


def dry_run(
    conn: Connection,
    settings: ServerSettings,
    table: Table,
    mapping: Mapping[str, int],
    *,
    hall_id: str,
    staff: Mapping[str, str],
    this_year: int,
) -> DryRun:
    """What confirming would import, and every row it would refuse with the reason.

    ``staff``: the hall's staff, id → name (a 网格员 column may hold either).
    """
    cols = check_mapping(mapping, len(table.headers))
    staff_by_name = {name: sid for sid, name in staff.items()} | {sid: sid for sid in staff}
    registered = {
        r.address
        for r in conn.execute(
            sa.select(m.households.c.address).where(
                m.households.c.hall_id == hall_id, m.households.c.archived_at.is_(None)
            )
        )
    }
    members_table, households_table = m.household_members, m.households
    known_phones = {
        r.phone_hash
        for r in conn.execute(
            sa.select(members_table.c.phone_hash)
            .join(households_table, households_table.c.id == members_table.c.household_id)
            .where(
                households_table.c.hall_id == hall_id,
                households_table.c.archived_at.is_(None),
                members_table.c.phone_hash.is_not(None),
            )
        )
    }
    refused: list[Refusal] = []
    groups: dict[str, _Group] = {}
    seen_phone: dict[str, int] = {}
    seen_person: dict[tuple[str, str], int] = {}
    blank = 0

    def get(row: list[str], key: str) -> str:
        return row[cols[key]].strip() if key in cols else ""

    for number, row in enumerate(table.rows, start=2):
        if not any(cell.strip() for cell in row):
            blank += 1
            continue
        name = get(row, "name")
        raw_address = get(row, "address")
        if not raw_address and (get(row, "building") or get(row, "room")):
            raw_address = "-".join(
                [get(row, "building"), get(row, "unit") or "1", get(row, "room")]
            )
        who = f"{mask_name(name) if name else '（无姓名）'} · {raw_address or '（无住址）'}"
        try:
            if not raw_address:
                raise Invalid("no_address", "缺少住址（楼号-单元-室）")
            try:
                address = check_address(raw_address)
            except ValueError as exc:
                raise Invalid("bad_address", f"住址：{exc}") from None
            if address in registered:
                raise Invalid("registered", f"住址 {address} 已经登记过一户（重复）")
            member = check_member(
                name=name,
                birth_year=_year(get(row, "birth_year")),
                phone=get(row, "phone"),
                id_number=get(row, "id_number"),
                relation=get(row, "relation"),
                this_year=this_year,
            )
            if member.phone and phone_hash(settings, member.phone) in known_phones:
                raise Invalid(
                    "registered_phone",
                    f"电话 {mask_phone(member.phone)} 已登记在本社区另一户（重复）",
                )
            if member.phone and member.phone in seen_phone:
                raise Invalid("duplicate", f"电话与第 {seen_phone[member.phone]} 行重复")
            if (address, member.name) in seen_person:
                raise Invalid("duplicate", f"与第 {seen_person[(address, member.name)]} 行重复")
            tags = check_tags(get(row, "tags")) if get(row, "tags") else []
            tier_text = get(row, "tier")
            if tier_text and tier_text not in _TIER_WORDS:
                raise Invalid("bad_tier", f"分级“{tier_text[:10]}”不对：应为 高风险、重点 或 一般")
            staff_text = get(row, "staff")
            if staff_text and staff_text not in staff_by_name:
                raise Invalid("bad_staff", f"网格员“{staff_text[:10]}”不在本社区工作人员名单中")
            group = groups.setdefault(address, _Group())
            if len(group.members) >= MAX_MEMBERS:
                raise Invalid("too_many", f"同一住址超过 {MAX_MEMBERS} 人")
        except ValueError as exc:  # check_tags; Invalid is a DomainError, caught below
            refused.append(Refusal(number, f"标签：{exc}", who))
            continue
        except MemberRefused as exc:
            reasons = [_labelled(key, message) for key, message in exc.errors.items()]
            refused.append(Refusal(number, "；".join(reasons), who))
            continue
        except Invalid as exc:
            refused.append(Refusal(number, exc.message, who))
            continue
        group.members.append(member)
        if member.phone:
            seen_phone[member.phone] = number
        seen_person[(address, member.name)] = number
        group.tags.extend(t for t in tags if t not in group.tags)
        for key, value in (
            ("tier", _TIER_WORDS[tier_text].value if tier_text else ""),
            ("staff", staff_by_name.get(staff_text, "")),
            ("ec", get(row, "emergency_contact")),
            ("notes", get(row, "notes")),
        ):
            if value and not group.values.get(key):
                group.values[key] = value
    households: list[HouseholdInput] = []
    for address, group in groups.items():
        try:
            households.append(
                check_household(
                    address=address,
                    tags=group.tags,
                    tier=group.values.get("tier", ""),
                    staff_id=group.values.get("staff", ""),
                    emergency_contact=group.values.get("ec", "")[:100],
                    notes=group.values.get("notes", "")[:1000],
                    members=group.members,
                )
            )
        except Invalid as exc:
            refused.append(Refusal(0, f"{address}：{exc.message}", address))
    people = sum(len(h.members) for h in households)
    refused.sort(key=lambda r: r.row)
    return DryRun(households, refused, people, blank)


def confirm(
    conn: Connection,
    settings: ServerSettings,
    import_id: str,
    mapping: Mapping[str, int],
    *,
    hall_id: str,
    staff: Mapping[str, str],
    viewer: StaffPrincipal,
    at: dt.datetime,
) -> DryRun:
    """Import the good rows (a fresh dry run on the stored upload, in this transaction)."""
    table, _filename = load_upload(conn, settings, import_id, hall_id=hall_id, viewer=viewer, at=at)
    result = dry_run(
        conn, settings, table, mapping, hall_id=hall_id, staff=staff, this_year=at.year
    )
    for household in result.households:
        create(conn, settings, household, hall_id=hall_id, viewer=viewer, at=at, action="import")
    conn.execute(sa.delete(m.household_imports).where(m.household_imports.c.id == import_id))
    return result
