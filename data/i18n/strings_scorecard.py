"""Strings of unit/ward scorecards (page, CLI, XLSX) and the public results (page, site, Open311)."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # navigation
    "nav.scorecard": ("Bảng xếp hạng đơn vị", "Unit scorecard"),
    "nav.results": ("Kết quả xử lý", "Handling results"),
    # scorecard columns (page, CLI, XLSX headers)
    "score.col.rank": ("Hạng", "Rank"),
    "score.col.code": ("Mã", "Code"),
    "score.col.name_unit": ("Đơn vị", "Unit"),
    "score.col.name_ward": ("Phường/xã", "Ward"),
    "score.col.received": ("Tiếp nhận", "Received"),
    "score.col.accepted_on_time_pct": ("Tiếp nhận đúng hạn", "Accepted on time"),
    "score.col.resolved_on_time_pct": ("Xử lý đúng hạn", "Resolved on time"),
    "score.col.overdue_now": ("Đang quá hạn", "Overdue now"),
    "score.col.median_hours": ("Trung vị giờ xử lý", "Median hours to resolve"),
    "score.col.p90_hours": ("P90 giờ xử lý", "90th pct hours to resolve"),
    "score.col.reopen_rate_pct": ("Tỷ lệ mở lại", "Reopen rate"),
    "score.col.urges": ("Lượt đôn đốc", "Urges"),
    "score.col.photo_proof_pct": ("Có ảnh kết quả", "With photo proof"),
    "score.col.score": ("Điểm", "Score"),
    "score.col.month": ("Tháng", "Month"),
    # page
    "score.title": ("Bảng xếp hạng đơn vị xử lý", "Responsible-unit scorecard"),
    "score.intro": (
        "Kết quả xử lý phản ánh theo đơn vị và theo phường/xã trong kỳ đã chọn (vụ việc tiếp nhận trong kỳ). "
        "Giờ tính theo giờ làm việc.",
        "How complaints were handled per unit and per ward in the chosen period (cases received in the period). "
        "Hours are working hours.",
    ),
    "score.since": ("Từ ngày", "From"),
    "score.until": ("Đến hết ngày", "To (inclusive)"),
    "score.period": ("Kỳ: {since} – {until}", "Period: {since} – {until}"),
    "score.bad_period": ("Ngày kết thúc phải sau ngày bắt đầu.", "The end date must be after the start date."),
    "score.by_unit": ("Theo đơn vị", "By unit"),
    "score.by_ward": ("Theo phường/xã", "By ward"),
    "score.trend": ("Xu hướng theo tháng", "Monthly trend"),
    "score.trend_received": ("Vụ việc tiếp nhận", "Cases received"),
    "score.method": ("Cách tính", "Method"),
    "score.download": ("Tải báo cáo XLSX", "Download XLSX report"),
    "score.empty": ("Chưa có vụ việc nào trong kỳ này.", "No cases in this period."),
    "score.open_queue": ("Mở hàng đợi của {unit}", "Open the queue of {unit}"),
    "score.unranked": ("—", "—"),
    "score.hours": ("{n} giờ", "{n} h"),
    # method (page, XLSX second sheet, JSON consumers read the keys of WEIGHTS)
    "score.method.period": (
        "Vụ việc của kỳ: vụ việc tiếp nhận (mở) trong kỳ; vụ việc trùng đã gộp không tính riêng.",
        "Cases of the period: cases received (opened) in the period; merged duplicates are not counted separately.",
    ),
    "score.method.accepted": (
        "Tiếp nhận đúng hạn = số vụ tiếp nhận trước hạn tiếp nhận ÷ số vụ đã tiếp nhận hoặc đã quá hạn tiếp nhận.",
        "Accepted on time = cases accepted by the accept-by time ÷ cases accepted or past the accept-by time.",
    ),
    "score.method.resolved": (
        "Xử lý đúng hạn = số vụ xử lý xong trước hạn xử lý ÷ số vụ đã xử lý xong hoặc đang mở đã quá hạn xử lý.",
        "Resolved on time = cases resolved by the resolve-by time ÷ cases resolved or still open past it.",
    ),
    "score.method.overdue": (
        "Đang quá hạn: vụ việc đang mở quá hạn xử lý, hoặc chưa tiếp nhận quá hạn tiếp nhận, tại thời điểm lập "
        "báo cáo (mọi kỳ).",
        "Overdue now: open cases past the resolve-by time, or not accepted past the accept-by time, when the "
        "report is made (whenever opened).",
    ),
    "score.method.hours": (
        "Giờ xử lý: giờ làm việc (theo lịch làm việc và ngày nghỉ lễ) từ khi tiếp nhận phản ánh đến khi xử lý "
        "xong; trung vị và phân vị 90.",
        "Hours to resolve: working hours (working calendar and public holidays) from the report to the "
        "resolution; median and 90th percentile.",
    ),
    "score.method.reopen": (
        "Tỷ lệ mở lại = số vụ bị mở lại ÷ số vụ đã từng xử lý xong.",
        "Reopen rate = cases reopened ÷ cases closed at least once.",
    ),
    "score.method.urges": (
        "Lượt đôn đốc: lượt đôn đốc và chuyển cấp trên ghi nhận với đơn vị trong kỳ.",
        "Urges: urges and escalations recorded against the unit in the period.",
    ),
    "score.method.photo": (
        "Có ảnh kết quả = số vụ xử lý xong có ảnh “sau xử lý” ÷ số vụ xử lý xong.",
        "With photo proof = resolved cases with an “after” photo ÷ resolved cases.",
    ),
    "score.method.formula": (
        "Điểm = {resolved_on_time_pct} × Xử lý đúng hạn + {accepted_on_time_pct} × Tiếp nhận đúng hạn "
        "+ {not_reopened_pct} × (100 % − Tỷ lệ mở lại) + {photo_proof_pct} × Có ảnh kết quả.",
        "Score = {resolved_on_time_pct} × Resolved on time + {accepted_on_time_pct} × Accepted on time "
        "+ {not_reopened_pct} × (100 % − Reopen rate) + {photo_proof_pct} × With photo proof.",
    ),
    "score.method.missing": (
        "Tỷ lệ chưa xác định (chưa có vụ nào đến hạn) không tính, trọng số còn lại được chia lại; đơn vị không "
        "tiếp nhận vụ nào không xếp hạng. Cùng điểm thì cùng hạng.",
        "A rate that is not defined yet (no case due) is left out and the other weights are scaled up; a group "
        "with no received case is not ranked. Equal scores share a rank.",
    ),
    # XLSX and CLI
    "score.xlsx.title": (
        "BÁO CÁO KẾT QUẢ XỬ LÝ PHẢN ÁNH MÔI TRƯỜNG {group} · Từ {since} đến {until}",
        "ENVIRONMENTAL COMPLAINT HANDLING REPORT {group} · {since} to {until}",
    ),
    "score.xlsx.group_unit": ("THEO ĐƠN VỊ", "BY UNIT"),
    "score.xlsx.group_ward": ("THEO PHƯỜNG/XÃ", "BY WARD"),
    "score.xlsx.made": ("Lập lúc {at}", "Made at {at}"),
    "score.xlsx.sheet": ("Bảng xếp hạng", "Scorecard"),
    "score.xlsx.sheet_method": ("Cách tính", "Method"),
    "score.xlsx.sheet_trend": ("Theo tháng", "Monthly"),
    "score.cli.saved": ("Đã ghi {path} ({n} dòng).", "Wrote {path} ({n} rows)."),
    "score.cli.bad_date": (
        "Ngày không hợp lệ ở {option}: {value!r} (cần YYYY-MM-DD).",
        "Invalid date in {option}: {value!r} (expected YYYY-MM-DD).",
    ),
    # public results
    "results.title": ("Kết quả xử lý phản ánh", "Complaint handling results"),
    "results.intro": (
        "Phản ánh về môi trường đã được tiếp nhận và kết quả xử lý theo phường/xã. Vị trí được làm tròn khoảng "
        "100 m; không công bố thông tin người phản ánh.",
        "Environmental complaints received and how they were handled, per ward. Locations are rounded to about "
        "100 m; nothing about the person who reported is published.",
    ),
    "results.ward": ("Phường/xã", "Ward"),
    "results.no_wards": ("Chưa có kết quả nào được công bố.", "No results published yet."),
    "results.empty": ("Phường/xã này chưa có vụ việc nào.", "No cases in this ward yet."),
    "results.col.category": ("Loại phản ánh", "Category"),
    "results.col.status": ("Trạng thái", "Status"),
    "results.col.received": ("Ngày tiếp nhận", "Received"),
    "results.col.resolved": ("Ngày xử lý xong", "Resolved"),
    "results.col.unit": ("Đơn vị xử lý", "Responsible unit"),
    "results.col.note": ("Kết quả", "Result"),
    "results.col.photo": ("Ảnh sau xử lý", "Photo after"),
    "results.count": ("{n} vụ việc", "{n} cases"),
    "results.updated": ("Cập nhật {at}", "Updated {at}"),
    "results.site_index": ("Kết quả xử lý theo phường/xã", "Handling results by ward"),
    "results.more": (
        "Hiển thị {shown} vụ việc mới nhất trên {total}.",
        "Showing the {shown} most recent of {total} cases.",
    ),
}
