"""Case work: unit queues, case page, actions, scorecards, public results: key -> (Vietnamese, English)."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # an urge pressed on a page: sent at once through the unit's route, or left to the next poll round
    "urgesend.sent": ("Đã gửi tới đơn vị qua {via}.", "Sent to the unit via {via}."),
    "urgesend.pending": (
        "Chưa gửi được ngay; hệ thống tự gửi lại ở vòng thu thập dữ liệu tiếp theo.",
        "Not sent yet; it is sent again automatically at the next data poll.",
    ),
    # urges where units work: the queue
    "urgeview.col": ("Đôn đốc", "Urged"),
    "urgeview.cell": ("{n} lần · {at}", "{n}× · {at}"),
    "urgeview.list_urged": (
        "**Đôn đốc danh sách quá hạn của {unit}:** {at} · {actor}{note}",
        "**{unit}'s overdue list urged:** {at} · {actor}{note}",
    ),
}
