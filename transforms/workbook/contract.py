"""The district workbook contract (v1) as data: sheets, columns, labels, types.

Everything that reads, validates, templates or generates workbooks takes the
column list from here, so a label added to the contract is added once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from transforms.workbook.names import normalise

ColumnType = Literal["code5", "text", "yesno", "count", "enum", "integer", "date", "code"]


@dataclass(frozen=True)
class Column:
    key: str
    labels: tuple[str, ...]
    type: ColumnType
    required: bool = True
    # enum: key -> labels (the key itself always matches too)
    values: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # counts where a blank cell is an error rather than 0
    blank_is_error: bool = False

    @property
    def label(self) -> str:
        """Return the Vietnamese header written in templates."""
        return self.labels[0]

    @cached_property
    def match_names(self) -> frozenset[str]:
        """Return the normalised spellings a header may take for this column."""
        return frozenset(normalise(x) for x in (self.key, *self.labels))

    @cached_property
    def enum_lookup(self) -> dict[str, str]:
        """Return normalised enum spelling -> enum key."""
        out: dict[str, str] = {}
        for key, labels in self.values:
            for spelling in (key, *labels):
                out[normalise(spelling)] = key
        return out

    def enum_label(self, key: str) -> str:
        """Return the Vietnamese label written in templates for an enum key."""
        return dict(self.values)[key][0]


@dataclass(frozen=True)
class Sheet:
    key: str
    labels: tuple[str, ...]
    columns: tuple[Column, ...] = field(default=())

    @cached_property
    def match_names(self) -> frozenset[str]:
        """Return the normalised spellings of this sheet's name."""
        return frozenset(normalise(x) for x in (self.key, *self.labels))

    def column(self, key: str) -> Column:
        """Return the column with this key."""
        return next(c for c in self.columns if c.key == key)

    def keys_of_type(self, *types: ColumnType) -> list[str]:
        """Return the keys of the columns of the given types, in contract order."""
        return [c.key for c in self.columns if c.type in types]


def _count(key: str, *labels: str, blank_is_error: bool = False) -> Column:
    return Column(key, labels, "count", blank_is_error=blank_is_error)


POLICE_RATINGS = (
    ("excellent", ("Hoàn thành xuất sắc nhiệm vụ", "HTXSNV", "HTXS")),
    ("good", ("Hoàn thành tốt nhiệm vụ", "HTTNV", "HTT")),
    ("completed", ("Hoàn thành nhiệm vụ", "HTNV", "HT")),
    ("failed", ("Không hoàn thành nhiệm vụ", "KHTNV", "KHT")),
)
MOVEMENT_RATINGS = (
    ("excellent", ("Xuất sắc",)),
    ("fair", ("Khá",)),
    ("average", ("Trung bình",)),
    ("weak", ("Yếu",)),
)
MODEL_TYPES = (
    ("five_self_management", ("5 tự quản",)),
    ("security_camera", ("Camera an ninh",)),
    ("four_safety", ("4 an toàn",)),
    ("drug_prevention", ("Phòng chống ma túy",)),
    ("traffic_order", ("Trật tự an toàn giao thông",)),
    ("clan_self_governing", ("Dòng họ tự quản",)),
    ("religious_self_governing", ("Tôn giáo tự quản",)),
    ("interfamily_group", ("Tổ liên gia tự quản",)),
    ("reintegration", ("Tái hòa nhập cộng đồng",)),
    ("other", ("Khác",)),
)

INFO = Sheet(
    "info",
    ("Thông tin", "Thong tin"),
    (
        Column("province_code", ("Mã tỉnh",), "code"),
        Column("district_code", ("Mã huyện",), "code"),
        Column("year", ("Năm báo cáo", "Năm"), "integer"),
        Column("district_name", ("Tên huyện",), "text", required=False),
        Column("prepared_by", ("Người lập",), "text", required=False),
        Column("prepared_on", ("Ngày lập",), "date", required=False),
    ),
)

COMMUNES = Sheet(
    "communes",
    ("Xã", "Xa", "Danh sách xã"),
    (
        Column("commune_code", ("Mã xã",), "code5"),
        Column("commune_name", ("Tên xã",), "text", required=False),
        Column("party_resolution", ("Nghị quyết Đảng ủy về ANTT",), "yesno"),
        Column("commune_plan", ("Kế hoạch UBND xã về ANTT",), "yesno"),
        _count("security_incidents", "Vụ việc phức tạp về an ninh"),
        _count("mass_complaints", "Khiếu kiện đông người kéo dài"),
        _count("social_order_crimes", "Tội phạm về trật tự xã hội"),
        _count("serious_crimes", "Trong đó nghiêm trọng trở lên"),
        _count("serious_crimes_solved", "Nghiêm trọng trở lên đã làm rõ"),
        _count("drug_crimes", "Tội phạm về ma túy"),
        _count("social_evil_cases", "Tệ nạn xã hội"),
        _count("traffic_accidents", "Tai nạn giao thông"),
        _count("traffic_deaths", "Số người chết do TNGT"),
        _count("traffic_injuries", "Số người bị thương do TNGT"),
        _count("fires", "Cháy nổ"),
        _count("villages_total", "Tổng số thôn, tổ dân phố", blank_is_error=True),
        _count("villages_safe", "Thôn đạt chuẩn an toàn về ANTT"),
        Column("police_rating", ("Xếp loại Công an xã",), "enum", values=POLICE_RATINGS),
        _count("police_disciplined", "Cán bộ Công an xã bị kỷ luật"),
        Column(
            "movement_rating",
            ("Xếp loại phong trào Toàn dân bảo vệ ANTQ",),
            "enum",
            values=MOVEMENT_RATINGS,
        ),
        _count("security_teams", "Tổ bảo vệ ANTT ở cơ sở"),
        _count("mediation_teams", "Tổ hòa giải"),
        _count("fire_teams", "Tổ PCCC"),
        _count("interfamily_groups", "Tổ liên gia tự quản về ANTT"),
        _count("cameras", "Camera an ninh"),
        _count("reintegrated_persons", "Người chấp hành xong án được giúp đỡ tái hòa nhập"),
    ),
)

MODELS = Sheet(
    "models",
    ("Mô hình", "Mo hinh"),
    (
        Column("commune_code", ("Mã xã",), "code5"),
        Column("model_type", ("Loại mô hình",), "enum", values=MODEL_TYPES),
        Column("model_name", ("Tên mô hình",), "text", required=False),
        Column("year_started", ("Năm bắt đầu",), "integer", required=False),
        Column("is_effective", ("Hoạt động hiệu quả",), "yesno"),
    ),
)

TABLE_SHEETS = (COMMUNES, MODELS)
SHEETS = (INFO, COMMUNES, MODELS)

ACCEPTED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
FIRST_YEAR = 2019
HEADER_SEARCH_ROWS = 20
INFO_SEARCH_ROWS = 30

# Rows without a commune code whose name cell starts with one of these are totals.
TOTAL_PREFIXES = ("tong", "cong", "total")
# Yes/no spellings, normalised.
YES = frozenset({"co", "yes", "x", "1", "true"})
NO = frozenset({"khong", "no", "0", "false"})
