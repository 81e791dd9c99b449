"""Strings of the case-work pages: a unit's queue (``/queue``) and one case (``/case?id=N``)."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # navigation
    "nav.queue": ("Hàng đợi xử lý", "Work queue"),
    "nav.case": ("Vụ việc", "Case"),
    # the queue
    "queue.title": ("Hàng đợi xử lý", "Work queue"),
    "queue.title_unit": ("Hàng đợi xử lý · {unit}", "Work queue · {unit}"),
    "queue.intro": (
        "Vụ việc đang mở của đơn vị, sắp theo hạn gần nhất. Vụ việc mới cần tiếp nhận trong 8 giờ làm việc.",
        "The unit's open cases, nearest deadline first. New cases must be accepted within 8 working hours.",
    ),
    "queue.section.new": ("Mới – chờ tiếp nhận", "New – to accept"),
    "queue.section.in_progress": ("Đang xử lý", "In progress"),
    "queue.section.due_soon": ("Sắp đến hạn", "Due soon"),
    "queue.section.overdue": ("Quá hạn", "Overdue"),
    "queue.tab": ("{label} ({n})", "{label} ({n})"),
    "queue.empty": ("Không có vụ việc nào trong mục này.", "No cases in this section."),
    "queue.more": (
        "Hiển thị {shown} trên {total} vụ việc (hạn gần nhất trước).",
        "Showing {shown} of {total} cases (nearest deadline first).",
    ),
    "queue.no_units": (
        "Tài khoản này chưa được gắn với đơn vị xử lý nào. Hãy đề nghị bộ phận vận hành gắn đơn vị.",
        "This account is not bound to any responsible unit. Ask an operator to bind one.",
    ),
    "queue.units_line": ("Đơn vị: {units}", "Unit: {units}"),
    "queue.pick_unit": ("Đơn vị xử lý", "Responsible unit"),
    "queue.all_units": ("Các đơn vị có vụ việc đang mở", "Units with open cases"),
    "queue.unknown_unit": ("Không có đơn vị xử lý mã «{code}».", "No responsible unit with code «{code}»."),
    "queue.no_open": ("Không có vụ việc đang mở.", "No open cases."),
    "queue.open_queue": ("Mở hàng đợi", "Open queue"),
    "queue.sidebar_counts": (
        "**Hàng đợi:** {new} mới · {in_progress} đang xử lý · {due_soon} sắp đến hạn · {overdue} quá hạn",
        "**Queue:** {new} new · {in_progress} in progress · {due_soon} due soon · {overdue} overdue",
    ),
    "queue.col.case": ("Vụ việc", "Case"),
    "queue.col.title": ("Nội dung", "Subject"),
    "queue.col.clock": ("Thời hạn", "Time limit"),
    "queue.col.deadline": ("Hạn", "Deadline"),
    "queue.col.assignee": ("Người/tổ xử lý", "Assignee"),
    "queue.col.urges": ("Lần đôn đốc", "Urges"),
    "queue.col.code": ("Mã đơn vị", "Unit code"),
    "queue.clock_none": ("—", "—"),
    "queue.clock_left_hours": ("còn {n} giờ làm việc", "{n} working hours left"),
    "queue.clock_left_minutes": ("còn {n} phút làm việc", "{n} working minutes left"),
    "queue.clock_overdue_hours": ("quá hạn {n} giờ", "overdue by {n} hours"),
    "queue.clock_overdue_days": ("quá hạn {n} ngày", "overdue by {n} days"),
}
