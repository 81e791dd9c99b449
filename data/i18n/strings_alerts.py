"""Alert pages, alert texts and notifications: key -> (Vietnamese, English)."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "alerts.title": ("Cảnh báo", "Alerts"),
    "alerts.active": ("Đang hoạt động", "Active"),
    "alerts.none_active": ("Không có cảnh báo nào đang bật.", "No alert is firing."),
    "alerts.recent": ("Thay đổi trong {days} ngày qua", "Changed in the last {days} days"),
    "alerts.none_recent": ("Không có.", "None."),
    "alerts.history": ("Lịch sử", "History"),
    "alerts.no_history": ("Chưa có lịch sử.", "No history yet."),
    "alerts.ack_title": ("Xác nhận đã tiếp nhận cảnh báo", "Acknowledge an alert"),
    "alerts.ack_which": ("Cảnh báo", "Alert"),
    "alerts.ack_note": ("Ghi chú (bắt buộc)", "Note (required)"),
    "alerts.ack_until": ("Hiệu lực trong", "Valid for"),
    "alerts.ack_submit": ("Xác nhận", "Acknowledge"),
    "alerts.ack_note_required": ("Cần nhập ghi chú.", "A note is required."),
    "alerts.ack_done": ("Đã xác nhận cảnh báo #{id}.", "Alert #{id} acknowledged."),
    "alerts.ack_unavailable": (
        "Chức năng xác nhận chưa sẵn sàng trên máy chủ này.",
        "Acknowledging is not available on this server yet.",
    ),
    "alerts.ack_operator_only": (
        "Chỉ cán bộ vận hành được xác nhận cảnh báo.",
        "Only operators can acknowledge alerts.",
    ),
    "alert_state.firing": ("Đang cảnh báo", "Firing"),
    "alert_state.pending": ("Chờ xác nhận điều kiện", "Pending"),
    "alert_state.stale": ("Mất dữ liệu", "Stale (no data)"),
    "alert_state.resolved": ("Đã hết", "Resolved"),
    "alert_state.inactive": ("Không hoạt động", "Inactive"),
    "severity.critical": ("Nghiêm trọng", "Critical"),
    "severity.warning": ("Cảnh báo", "Warning"),
    "severity.info": ("Thông tin", "Info"),
}
