"""The common phrases a resident picks from for each request category (诉求类别).

The kiosk's 我要反映 screen shows them as chips, so nobody has to type Chinese; the server
serves them with the categories (``GET /api/v1/requests/categories``, a hall may change
them) and the kiosk falls back to these defaults before it has ever reached its server.
Keys are the category ids of :data:`kiosk.core.request_deadlines.DEFAULT_CATEGORIES`.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["DEFAULT_PHRASES", "KIOSK_ORDER", "phrases_for"]

DEFAULT_PHRASES: Mapping[str, tuple[str, ...]] = {
    "repair": ("水管漏水", "楼道灯不亮", "电梯故障", "下水道堵塞", "门禁损坏", "路面破损"),
    "help": ("独居老人需要照看", "行动不便需要帮助", "家中突发困难", "想找志愿者帮忙"),
    "question": ("政策咨询", "办事材料咨询", "社保医保咨询", "证明开具咨询"),
    "complaint": ("噪音扰民", "乱停车", "垃圾未及时清运", "服务态度问题", "意见建议"),
    "home-service": ("想申请上门服务", "上门办理证件", "上门看望老人", "上门送餐"),
    "party": ("党员组织关系", "党员活动咨询"),
    "safety": ("安全隐患", "消防通道堵塞", "可疑人员", "邻里纠纷调解"),
    "environment": ("绿化需要修剪", "楼道杂物堆放", "卫生死角", "宠物扰民"),
    "employment": ("找工作", "职业技能培训", "失业登记"),
    "assistance": ("低保申请", "临时救助", "残疾人补贴"),
    "elderly": ("老年助餐", "高龄津贴", "居家养老服务", "老年活动"),
    "health": ("家庭医生签约", "健康体检", "慢病随访"),
    "culture": ("想报名活动", "图书借阅", "兴趣班报名"),
    "organizations": ("社会组织登记", "志愿者报名"),
    "family": ("婚育证明", "托育服务", "家庭教育咨询"),
}
"""Category id → the phrases shown for it, most asked first."""

KIOSK_ORDER: tuple[str, ...] = ("repair", "help", "question", "complaint", "home-service")
"""The five request kinds the kiosk shows first; the ten 服务类别 follow in their order."""


def phrases_for(category: str) -> tuple[str, ...]:
    """The default phrases of ``category`` (none for an id this module does not know)."""
    return DEFAULT_PHRASES.get(category, ())
