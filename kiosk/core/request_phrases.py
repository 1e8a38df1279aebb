"""The phrases a resident taps instead of typing (常用短语), per request category.

One list for both halves: the server sends it with the categories
(``GET /requests/categories``, a hall may replace a category's phrases), and the kiosk
uses it on first run, before it has ever reached the server. Keys are the ids of
:data:`kiosk.core.request_deadlines.DEFAULT_CATEGORIES`.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["DEFAULT_PHRASES", "MAX_PHRASE_LENGTH", "phrases_for"]

MAX_PHRASE_LENGTH = 40

DEFAULT_PHRASES: Mapping[str, tuple[str, ...]] = {
    "repair": ("水管漏水", "楼道灯不亮", "下水道堵塞", "门禁损坏", "电梯故障", "墙面渗水"),
    "help": ("独居老人需要照看", "行动不便需要帮助", "临时生活困难", "家中有人走失"),
    "question": ("办事需要什么材料", "办理时间和地点", "政策咨询", "证明怎么开"),
    "complaint": ("噪音扰民", "乱停车", "垃圾未及时清运", "服务态度", "表扬工作人员"),
    "home-service": ("上门办理证件", "上门看望老人", "上门测血压", "上门维修"),
    "party": ("组织关系转接", "党员活动报名", "党费缴纳"),
    "safety": ("安全隐患", "消防通道被占", "可疑人员", "邻里纠纷调解"),
    "environment": ("绿化修剪", "垃圾分类", "楼道杂物堆放", "小广告清理"),
    "employment": ("找工作", "技能培训报名", "失业登记"),
    "assistance": ("低保申请", "临时救助", "残疾人补贴"),
    "elderly": ("助餐服务", "日间照料", "高龄补贴", "紧急呼叫设备"),
    "health": ("家庭医生签约", "疫苗接种", "生育登记"),
    "culture": ("活动室预约", "兴趣班报名", "图书借阅"),
    "organizations": ("志愿者报名", "社会组织登记", "公益活动"),
    "family": ("儿童托管", "妇女维权", "家庭矛盾调解"),
}
"""Category id → its default phrases, most asked first (each at most 40 characters)."""


def phrases_for(category: str, overrides: Mapping[str, tuple[str, ...]] | None = None) -> list[str]:
    """The phrases to offer for ``category``: the hall's own if it set some, else ours."""
    if overrides is not None and category in overrides:
        return list(overrides[category])
    return list(DEFAULT_PHRASES.get(category, ()))
