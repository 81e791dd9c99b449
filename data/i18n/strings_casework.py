"""Case-work engine: actions, their refusals, urges and escalations: key -> (Vietnamese, English)."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # statuses added by the case work (the others are in strings_core)
    "status.accepted": ("Đã nhận xử lý", "Accepted"),
    "status.merged": ("Đã gộp vào vụ việc khác", "Merged into another case"),
    # actions (buttons, the CLI's --to, the record)
    "action.accept": ("Nhận xử lý", "Accept"),
    "action.assign": ("Giao người/tổ xử lý", "Assign"),
    "action.in_progress": ("Bắt đầu xử lý", "Start work"),
    "action.resolve": ("Hoàn thành", "Resolve"),
    "action.reject": ("Từ chối", "Reject"),
    "action.transfer": ("Chuyển đơn vị", "Transfer"),
    "action.reopen": ("Mở lại", "Reopen"),
    "action.merge": ("Gộp vụ việc", "Merge"),
    "action.split": ("Tách phản ánh", "Split out a report"),
    "action.urge": ("Đôn đốc", "Urge"),
    # refusals: one line each, in the user's language
    "casework.error.not_found": ("Không tìm thấy vụ việc #{case_id}.", "No case #{case_id}."),
    "casework.error.conflict": (
        "Vụ việc #{case_id} vừa được {by} cập nhật (trạng thái: {status}); không có gì bị ghi đè — hãy tải lại và "
        "thử lại.",
        "Case #{case_id} was just updated by {by} (status: {status}); nothing was overwritten — reload and try again.",
    ),
    "casework.error.busy": (
        "Vụ việc #{case_id} đang được người khác cập nhật; không có gì bị ghi — hãy tải lại và thử lại.",
        "Someone else is updating case #{case_id} right now; nothing was written — reload and try again.",
    ),
    "casework.error.role": (
        "Vai trò “{role}” không được thực hiện “{action}”.",
        "The role “{role}” may not “{action}”.",
    ),
    "casework.error.status": (
        "Không thể “{action}” khi vụ việc đang ở trạng thái “{status}”.",
        "Cannot “{action}” a case whose status is “{status}”.",
    ),
    "casework.error.after_photo": (
        "Nhóm vụ việc này cần ít nhất một ảnh “sau xử lý” để hoàn thành.",
        "This category needs at least one “after” photo to resolve the case.",
    ),
    "casework.error.unknown_action": (
        "Không có thao tác “{action}” (có: {known}).",
        "No action “{action}” (known: {known}).",
    ),
    "casework.error.note_required_resolve": (
        "Hoàn thành cần ghi kết quả xử lý.",
        "Resolving needs a note of the result.",
    ),
    "casework.error.note_required_reject": ("Từ chối cần ghi lý do.", "Rejecting needs a reason."),
    "casework.error.note_required_transfer": (
        "Chuyển đơn vị cần ghi lý do.",
        "A transfer needs a reason.",
    ),
    "casework.error.note_required_reopen": (
        "Mở lại cần ghi ý kiến phản hồi của người dân.",
        "Reopening needs the citizen's feedback as a note.",
    ),
    "casework.error.assignee_required": (
        "Cần ghi người hoặc tổ được giao (tối đa {max} ký tự).",
        "Name the person or team assigned (at most {max} characters).",
    ),
    "casework.error.unit_required": (
        "Chuyển đơn vị cần mã đơn vị nhận.",
        "A transfer needs the code of the receiving unit.",
    ),
    "casework.error.unknown_unit": ("Không có đơn vị mã “{code}”.", "No responsible unit with code “{code}”."),
    "casework.error.same_unit": (
        "Vụ việc đã thuộc đơn vị “{code}”.",
        "The case already belongs to unit “{code}”.",
    ),
    "casework.error.merge_target": (
        "Gộp cần một vụ việc khác #{case_id} để gộp vào.",
        "A merge needs another case than #{case_id} to merge into.",
    ),
    "casework.error.merge_target_closed": (
        "Không thể gộp vào vụ việc #{case_id}: không tìm thấy hoặc đã đóng.",
        "Cannot merge into case #{case_id}: not found or closed.",
    ),
    "casework.error.split_report": (
        "Phản ánh #{report_id} không thuộc vụ việc #{case_id}.",
        "Report #{report_id} is not part of case #{case_id}.",
    ),
    "casework.error.split_last": (
        "Không thể tách phản ánh duy nhất của vụ việc #{case_id}.",
        "Cannot split out the only report of case #{case_id}.",
    ),
    "casework.error.no_file": ("Không có tệp: {path}", "No such file: {path}"),
    "casework.error.unknown_user": (
        "Không có tài khoản đang hoạt động tên “{name}” (envmon users add …).",
        "No active account named “{name}” (envmon users add …).",
    ),
    # envmon complaints show (text)
    "casework.show.header": ("Vụ việc #{id} — {title}", "Case #{id} — {title}"),
    "casework.show.summary": (
        "Trạng thái: {status} · Nhóm: {category} · Phường: {ward}",
        "Status: {status} · Category: {category} · Ward: {ward}",
    ),
    "casework.show.unit": (
        "Đơn vị xử lý: {unit} · Người/tổ được giao: {assignee} · Số lần mở lại: {reopened}",
        "Responsible unit: {unit} · Assigned to: {assignee} · Reopened: {reopened}",
    ),
    "casework.show.deadlines": ("Hạn tiếp nhận: {accept} · Hạn xử lý: {due}", "Accept by: {accept} · Due: {due}"),
    "casework.show.clock": ("Đồng hồ xử lý ({deadline}): {clock}", "SLA clock ({deadline}): {clock}"),
    "casework.show.deadline_accept": ("hạn tiếp nhận", "accept-by time"),
    "casework.show.deadline_resolve": ("hạn xử lý", "resolve-by time"),
    "casework.show.merged_into": ("Đã gộp vào vụ việc #{id}", "Merged into case #{id}"),
    "casework.show.result": ("Kết quả xử lý: {note}", "Result: {note}"),
    "casework.show.reports": ("Phản ánh ({count}):", "Reports ({count}):"),
    "casework.show.history": ("Diễn biến:", "Record:"),
    "casework.show.urges": ("Đôn đốc ({count}):", "Urges ({count}):"),
    "casework.show.not_delivered": ("chưa gửi được", "not delivered"),
    "casework.show.nearby": ("Vụ việc đang mở gần đây: {cases}", "Open cases nearby: {cases}"),
    # file purposes and urge kinds
    "purpose.report": ("ảnh/tệp phản ánh", "report file"),
    "purpose.before": ("trước xử lý", "before"),
    "purpose.after": ("sau xử lý", "after"),
    "purpose.evidence": ("tài liệu", "evidence"),
    "urge.urge": ("đôn đốc", "urge"),
    "urge.escalation": ("báo cáo cấp trên", "escalation"),
    # urges and escalations
    "casework.error.urge_target": (
        "Đôn đốc cần một vụ việc hoặc một đơn vị (chỉ một trong hai).",
        "An urge needs one case or one unit (exactly one of them).",
    ),
    "casework.error.nothing_overdue": (
        "Đơn vị “{code}” không có vụ việc quá hạn.",
        "Unit “{code}” has no overdue cases.",
    ),
    "casework.notify.urge_case": (
        "{unit}: đề nghị khẩn trương xử lý vụ việc {cases}.",
        "{unit}: please act on case {cases} now.",
    ),
    "casework.notify.urge_unit": (
        "{unit}: đề nghị khẩn trương xử lý {n} vụ việc quá hạn: {cases}.",
        "{unit}: please act now on {n} overdue cases: {cases}.",
    ),
    "casework.notify.escalation": (
        "{units} để {n} vụ việc quá hạn quá ngưỡng báo cáo cấp trên: {cases}.",
        "{units} let {n} cases run overdue past the escalation threshold: {cases}.",
    ),
    "casework.notify.more": ("và {n} vụ việc khác", "and {n} more"),
    "casework.notify.note": ("Ghi chú: {note}.", "Note: {note}."),
    "casework.notify.signed": ("({actor}, {at})", "({actor}, {at})"),
}
