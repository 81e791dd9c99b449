"""Every user-facing string of the dashboard in Vietnamese (default) and English."""

from __future__ import annotations

import streamlit as st

from dashboard import state

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}

# key -> (Vietnamese, English). Placeholders use str.format names.
STRINGS: dict[str, tuple[str, str]] = {
    # navigation and frame
    "nav.air": ("Không khí", "Air quality"),
    "nav.overview": ("Tổng quan", "Overview"),
    "nav.analysis": ("Phân tích", "Analysis"),
    "nav.alerts": ("Cảnh báo", "Alerts"),
    "nav.stations": ("Trạm quan trắc", "Stations"),
    "nav.import": ("Nhập dữ liệu", "Import"),
    "nav.users": ("Người dùng", "Users"),
    "app.database_unavailable": (
        "Không kết nối được cơ sở dữ liệu: {error}. Hãy chạy `envmon init` hoặc kiểm tra DATABASE_URL.",
        "The database cannot be reached: {error}. Run `envmon init` or check DATABASE_URL.",
    ),
    "app.not_initialised": (
        "Cơ sở dữ liệu chưa được khởi tạo. Hãy chạy `envmon init` (hoặc `envmon demo` để có dữ liệu mẫu).",
        "The database is not initialised. Run `envmon init` (or `envmon demo` for sample data).",
    ),
    "sidebar.public": (
        "Trang công khai. Đăng nhập để xem các trang nghiệp vụ.",
        "Public view. Log in for the staff pages.",
    ),
    "sidebar.signed_in": ("Đăng nhập: **{name}** ({role})", "Signed in: **{name}** ({role})"),
    "sidebar.logout": ("Đăng xuất", "Log out"),
    # login and roles
    "login.title": ("Đăng nhập", "Log in"),
    "login.username": ("Tên đăng nhập", "Username"),
    "login.password": ("Mật khẩu", "Password"),
    "login.submit": ("Đăng nhập", "Log in"),
    "login.failed": (
        "Sai tên đăng nhập hoặc mật khẩu. Sau {n} lần sai liên tiếp, tài khoản bị tạm khoá {minutes} phút.",
        "Wrong username or password. After {n} wrong attempts in a row the account is locked for {minutes} minutes.",
    ),
    "login.required": ("Trang này cần đăng nhập.", "This page needs a login."),
    "login.forbidden": ("Vai trò {role} không được dùng trang này.", "The {role} role cannot use this page."),
    "role.leader": ("Lãnh đạo", "Leader"),
    "role.analyst": ("Chuyên viên phân tích", "Analyst"),
    "role.operator": ("Vận hành", "Operator"),
    # feeds
    "feeds.none": ("Chưa có nguồn dữ liệu trực tuyến nào được cấu hình.", "No online feed is configured yet."),
    "feeds.all_ok": ("{n} nguồn dữ liệu hoạt động bình thường.", "{n} feeds are up to date."),
    "feeds.problem": ("Nguồn dữ liệu có vấn đề: {feeds}", "Feeds with problems: {feeds}"),
    "feeds.ok": ("bình thường", "OK"),
    "feeds.stale": ("dữ liệu cũ", "stale"),
    "feeds.unavailable": ("mất kết nối", "unavailable"),
    # time
    "time.never": ("chưa có dữ liệu", "no data yet"),
    "time.minutes_ago": ("{n} phút trước", "{n} min ago"),
    "time.hours_ago": ("{n} giờ trước", "{n} h ago"),
    "time.days_ago": ("{n} ngày trước", "{n} days ago"),
    # common labels
    "common.ward": ("Phường/xã", "Ward/commune"),
    "common.district": ("Quận/huyện cũ", "Former district"),
    "common.category": ("Loại phản ánh", "Category"),
    "common.channel": ("Kênh", "Channel"),
    "common.status": ("Trạng thái", "Status"),
    "common.unit": ("Đơn vị xử lý", "Responsible unit"),
    "common.opened": ("Tiếp nhận", "Received"),
    "common.reports": ("Số phản ánh", "Reports"),
    "common.case": ("Vụ việc", "Case"),
    "common.choose": ("Chọn…", "Choose…"),
    "common.yes": ("Có", "Yes"),
    "common.no": ("Không", "No"),
    # KPIs
    "kpi.open": ("Đang xử lý", "Open"),
    "kpi.overdue": ("Quá hạn", "Overdue"),
    "kpi.overdue_help": (
        "Vụ việc chưa xong đã quá hạn xử lý (giờ hành chính).",
        "Open cases past their due time (working hours).",
    ),
    "kpi.on_time": ("Xử lý đúng hạn", "Resolved on time"),
    "kpi.on_time_help": (
        "Tỷ lệ vụ việc đã xử lý xong trước hạn.",
        "Share of resolved cases closed before their due time.",
    ),
    "kpi.median": ("Thời gian xử lý (trung vị)", "Median time to resolve"),
    "kpi.median_help": ("Trung vị thời gian từ tiếp nhận đến hoàn thành.", "Median time from receipt to resolution."),
    "kpi.hours": ("{n} giờ", "{n} h"),
    "kpi.alerts": ("Cảnh báo đang bật", "Active alerts"),
    # map
    "map.metric": ("Tô màu phường theo", "Colour wards by"),
    "map.metric_count": ("Số vụ việc", "Number of cases"),
    "map.metric_rate": ("Tỷ lệ trên 1.000 dân", "Rate per 1,000 residents"),
    "map.wards": ("Phường/xã", "Wards"),
    "map.count": ("Số vụ việc", "Cases"),
    "map.rate": ("Vụ việc / 1.000 dân", "Cases / 1,000 residents"),
    "map.count_legend": ("Số vụ việc", "Number of cases"),
    "map.rate_legend": ("Vụ việc trên 1.000 dân", "Cases per 1,000 residents"),
    "map.no_cases": ("Không có / không có dữ liệu", "None / no data"),
    "map.hotspots": ("Điểm nóng (Gi*)", "Hotspots (Gi*)"),
    "map.cases": ("Vụ việc", "Cases"),
    "map.heat": ("Mật độ vụ việc", "Case density"),
    "map.spots": ("Điểm phát sinh lặp lại", "Recurring spots"),
    "map.stations": ("Trạm quan trắc không khí", "Air stations"),
    "map.wastewater": ("Trạm nước thải", "Wastewater stations"),
    "map.threshold_state": ("Nước thải so với giới hạn", "Effluent against limits"),
    "map.too_many": (
        "Hơn {limit} vụ việc: bản đồ hiển thị mật độ và tổng theo phường thay cho từng điểm. "
        "Lọc ở trang Phân tích để xem chi tiết.",
        "More than {limit} cases: the map shows density and ward totals instead of single points. "
        "Filter on the Analysis page for detail.",
    ),
    "map.too_many_filtered": (
        "Hơn {limit} vụ việc phù hợp: bản đồ hiển thị mật độ; thu hẹp bộ lọc để xem từng điểm.",
        "More than {limit} matching cases: the map shows density; narrow the filters to see single points.",
    ),
    "hotspot.hot_99": ("Điểm nóng (99%)", "Hot spot (99%)"),
    "hotspot.hot_95": ("Điểm nóng (95%)", "Hot spot (95%)"),
    "hotspot.hot_90": ("Điểm nóng (90%)", "Hot spot (90%)"),
    "hotspot.cold_99": ("Điểm lạnh (99%)", "Cold spot (99%)"),
    "hotspot.cold_95": ("Điểm lạnh (95%)", "Cold spot (95%)"),
    "hotspot.cold_90": ("Điểm lạnh (90%)", "Cold spot (90%)"),
    "hotspot.none": ("Không có ý nghĩa thống kê", "Not significant"),
    # overview
    "overview.title": ("Tổng quan", "Overview"),
    "overview.overdue_title": ("Vụ việc quá hạn theo đơn vị xử lý", "Overdue cases by responsible unit"),
    "overview.no_overdue": ("Không có vụ việc quá hạn.", "No overdue cases."),
    "overview.unassigned": ("(chưa giao đơn vị)", "(no unit assigned)"),
    "overview.oldest_days": ("Quá hạn lâu nhất (ngày)", "Longest overdue (days)"),
    "overview.overdue_cases": ("Danh sách vụ việc quá hạn", "Overdue case list"),
    "overview.hotspots_title": ("Điểm nóng", "Hotspots"),
    "overview.hotspots_too_few": (
        "Cần ít nhất 30 phường/xã để phân tích điểm nóng.",
        "Hotspot analysis needs at least 30 wards.",
    ),
    "overview.no_hotspots": ("Không có điểm nóng có ý nghĩa thống kê.", "No statistically significant hotspot."),
    "overview.hotspots_method": (
        "Getis-Ord Gi* trên lân cận chung cạnh (queen), 999 hoán vị, hiệu chỉnh FDR (Benjamini–Hochberg).",
        "Getis-Ord Gi* on queen contiguity, 999 permutations, FDR-corrected (Benjamini–Hochberg).",
    ),
    "overview.alerts_title": ("Cảnh báo đang bật", "Firing alerts"),
    "overview.spots_title": ("Điểm phát sinh lặp lại (90 ngày qua)", "Recurring spots (last 90 days)"),
    "overview.no_spots": ("Không có điểm phát sinh lặp lại.", "No recurring spot."),
    "overview.spots_largest": (
        "Hiển thị {shown} điểm lớn nhất trong {total} điểm.",
        "Showing the {shown} largest of {total} spots.",
    ),
    "overview.spots_method": (
        "Ít nhất {n} phản ánh trong bán kính {radius} m trong cùng {days} ngày (phân cụm mật độ không gian–thời gian).",
        "At least {n} reports within {radius} m in one {days}-day window (space-time density clustering).",
    ),
    # analysis
    "analysis.title": ("Phân tích phản ánh", "Complaint analysis"),
    "analysis.filters": ("Bộ lọc", "Filters"),
    "analysis.boundary_set": ("Bộ ranh giới", "Boundary set"),
    "analysis.period": ("Khoảng thời gian tiếp nhận", "Received between"),
    "analysis.matching": ("Số vụ việc phù hợp", "Matching cases"),
    "analysis.trend": ("Xu hướng theo thời gian", "Trend over time"),
    "analysis.interval": ("Gộp theo", "Group by"),
    "analysis.interval_D": ("Ngày", "Day"),
    "analysis.interval_W": ("Tuần", "Week"),
    "analysis.interval_MS": ("Tháng", "Month"),
    "analysis.no_cases": ("Không có vụ việc nào phù hợp bộ lọc.", "No case matches the filters."),
    "analysis.cases": ("Vụ việc", "Cases"),
    "analysis.reports": ("Phản ánh", "Reports"),
    "analysis.time": ("Thời gian", "Time"),
    "analysis.by_category": ("Theo loại phản ánh", "By category"),
    "analysis.by_channel": ("Theo kênh tiếp nhận", "By channel"),
    "analysis.unknown_channel": ("(không rõ)", "(unknown)"),
    "analysis.table": ("Danh sách vụ việc", "Cases"),
    "analysis.page": ("Trang (trên {pages})", "Page (of {pages})"),
    "analysis.prepare_export": ("Chuẩn bị tệp xuất dữ liệu", "Prepare export files"),
    "analysis.export_csv": ("Tải CSV ({n} vụ việc)", "Download CSV ({n} cases)"),
    "analysis.export_geojson": ("Tải GeoJSON ({n} vụ việc)", "Download GeoJSON ({n} cases)"),
    # air (public)
    "air.title": ("Chất lượng không khí Hà Nội", "Hà Nội air quality"),
    "air.scale": ("Thang chỉ số", "Index scale"),
    "aqi.scale_vn": ("VN_AQI", "VN_AQI"),
    "aqi.scale_us": ("US AQI", "US AQI"),
    "air.why_differ": (
        "VN_AQI (QĐ 1459/QĐ-TCMT) và US AQI (US EPA) dùng ngưỡng nồng độ khác nhau: cùng PM2.5 = 55 µg/m³ là "
        "VN_AQI 108 nhưng US AQI 149, nên các ứng dụng quốc tế thường cho số cao hơn.",
        "VN_AQI (Decision 1459/QĐ-TCMT) and US AQI (US EPA) use different concentration breakpoints: the same "
        "PM2.5 of 55 µg/m³ is VN_AQI 108 but US AQI 149, so international apps often show higher numbers.",
    ),
    "air.no_stations": ("Chưa có trạm quan trắc nào.", "No monitoring station yet."),
    "air.my_ward": ("Phường/xã của tôi", "My ward"),
    "air.any_ward": ("— Tất cả trạm —", "— All stations —"),
    "air.nearest": ("{n} trạm gần nhất", "The {n} nearest stations"),
    "air.station": ("Trạm", "Station"),
    "air.location": (
        "Vị trí: {lat}, {lon} · Phường/xã: {ward} · Đơn vị vận hành: {operator}",
        "Location: {lat}, {lon} · Ward: {ward} · Operator: {operator}",
    ),
    "air.stale": ("Mất dữ liệu", "Stale"),
    "air.stale_badge": ("⚠ Dữ liệu cũ: lần đo cuối {age}.", "⚠ Stale data: last reading {age}."),
    "air.no_aqi": ("Chưa tính được AQI cho trạm này.", "No AQI computed for this station yet."),
    "air.no_value": ("không có", "n/a"),
    "air.category": ("Mức chất lượng", "Category"),
    "air.dominant": ("Thông số quyết định", "Dominant pollutant"),
    "air.dominant_line": ("Thông số quyết định: **{parameter}**", "Dominant pollutant: **{parameter}**"),
    "air.dominant_marker": ("★ thông số có AQI cao nhất.", "★ the parameter with the highest sub-index."),
    "air.last_update": ("Cập nhật", "Last update"),
    "air.updated": ("Cập nhật lúc {time} (giờ Hà Nội)", "Updated {time} (Hà Nội time)"),
    "air.health_effect": ("Ảnh hưởng sức khỏe", "Health effect"),
    "air.advice_public": ("Khuyến nghị cho người bình thường", "Advice for the general public"),
    "air.advice_sensitive": ("Khuyến nghị cho nhóm nhạy cảm", "Advice for sensitive groups"),
    "air.us_health_note": (
        "Khuyến nghị sức khỏe chính thức tại Việt Nam theo VN_AQI; chuyển về thang VN_AQI để xem.",
        "Official Vietnamese health advice follows VN_AQI; switch to VN_AQI to see it.",
    ),
    "air.parameters": ("Tất cả thông số", "All parameters"),
    "air.no_readings": ("Chưa có số liệu đo.", "No readings yet."),
    "air.chart_24h": ("AQI giờ, 24 giờ qua", "Hourly AQI, last 24 hours"),
    "air.chart_7d": ("AQI ngày, 7 ngày qua", "Daily AQI, last 7 days"),
    "air.no_series": ("Chưa có dữ liệu cho khoảng thời gian này.", "No data for this period."),
    "air.method_title": ("Phương pháp tính và nguồn dữ liệu", "Method and data source"),
    "air.method_body": (
        "Chỉ số VN_AQI được tính cho từng trạm quan trắc tự động theo Quyết định 1459/QĐ-TCMT (12/11/2019). "
        "**AQI giờ:** PM2,5 và PM10 dùng giá trị Nowcast (trung bình có trọng số của 12 giờ gần nhất); O₃, NO₂, "
        "SO₂, CO dùng trung bình 1 giờ (O₃ lấy giá trị lớn hơn giữa 1 giờ và 8 giờ). **AQI ngày:** từ trung bình "
        "24 giờ (O₃: trung bình 8 giờ lớn nhất trong ngày). Mỗi thông số có chỉ số riêng (AQIx) nội suy tuyến "
        "tính theo bảng điểm gãy (Bảng 2); AQI của trạm là AQIx lớn nhất và thông số đó là thông số quyết "
        "định. Chỉ dùng số liệu trạng thái đo (00); số liệu hiệu chuẩn/lỗi không được tính. Giá trị vượt 500 "
        "được ghi 500+ (vượt thang). Mức chất lượng và màu theo Bảng 1; ảnh hưởng sức khỏe và khuyến nghị theo "
        "Bảng 4 và Bảng 5.",
        "VN_AQI is computed per automatic monitoring station following Decision 1459/QĐ-TCMT (12 Nov 2019). "
        "**Hourly AQI:** PM2.5 and PM10 use the NowCast (weighted mean of the last 12 hours); O₃, NO₂, SO₂ and "
        "CO use 1-hour means (O₃ takes the larger of its 1-hour and 8-hour index). **Daily AQI:** from 24-hour "
        "means (O₃: the day's highest 8-hour mean). Each parameter gets a sub-index (AQIx) by linear "
        "interpolation in the breakpoint table (Table 2); the station AQI is the largest AQIx and that parameter "
        "is the dominant one. Only records with status 00 (measuring) count; calibration and error records do "
        "not. Values above 500 show as 500+ (beyond the scale). Categories and colours follow Table 1; health "
        "effects and advice follow Tables 4 and 5 (English is our unofficial translation).",
    ),
    "air.sources": (
        "Nguồn dữ liệu: trạm quan trắc tự động (Sở Nông nghiệp và Môi trường Hà Nội, moitruongthudo.vn; OpenAQ). "
        "Không hiển thị dữ liệu cá nhân.",
        "Data source: automatic monitoring stations (Hà Nội Department of Agriculture and Environment, "
        "moitruongthudo.vn; OpenAQ). No personal data is shown.",
    ),
    # alerts
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
    "alert_state.no_data": ("Mất dữ liệu", "No data"),
    "alert_state.resolved": ("Đã hết", "Resolved"),
    "alert_state.inactive": ("Không hoạt động", "Inactive"),
    "severity.critical": ("Nghiêm trọng", "Critical"),
    "severity.warning": ("Cảnh báo", "Warning"),
    "severity.info": ("Thông tin", "Info"),
    # case statuses
    "status.received": ("Tiếp nhận", "Received"),
    "status.assigned": ("Đã giao", "Assigned"),
    "status.in_progress": ("Đang xử lý", "In progress"),
    "status.resolved": ("Đã xử lý", "Resolved"),
    "status.rejected": ("Từ chối", "Rejected"),
    "status.transferred": ("Chuyển đơn vị khác", "Transferred"),
    "status.reopened": ("Mở lại", "Reopened"),
    # stations
    "stations.title": ("Trạm quan trắc", "Monitoring stations"),
    "stations.parameter": ("Thông số", "Parameter"),
    "stations.window": ("Khoảng thời gian", "Period"),
    "stations.window_24h": ("24 giờ", "24 hours"),
    "stations.window_7d": ("7 ngày", "7 days"),
    "stations.window_30d": ("30 ngày", "30 days"),
    "stations.device_status": ("Trạng thái thiết bị", "Device status"),
    "stations.limit": ("Giới hạn áp dụng: {value} — {basis}", "Applicable limit: {value} — {basis}"),
    "stations.no_limit": ("Không có giới hạn áp dụng cho thông số này.", "No applicable limit for this parameter."),
    "stations.exceeding": ("Vượt giới hạn", "Exceeding a limit"),
    "stations.within": ("Trong giới hạn", "Within limits"),
    "stations.exceedances": ("Thông số vượt", "Exceedances"),
    "stations.feed_health": ("Tình trạng nguồn dữ liệu", "Feed health"),
    "device_status.00": ("Đang đo", "Measuring"),
    "device_status.01": ("Đang hiệu chuẩn", "Calibrating"),
    "device_status.02": ("Lỗi thiết bị", "Device error"),
    # import
    "import.title": ("Nhập dữ liệu", "Import data"),
    "import.kind": ("Loại dữ liệu", "Data kind"),
    "import.kind_complaints": (
        "Phản ánh (CSV, XLSX, GeoJSON, Open311 JSON)",
        "Complaints (CSV, XLSX, GeoJSON, Open311 JSON)",
    ),
    "import.kind_readings": (
        "Số liệu quan trắc (CSV, tệp trạm .txt TT 10/2021)",
        "Readings (CSV, TT 10/2021 station .txt)",
    ),
    "import.file": ("Chọn tệp ({types})", "Choose a file ({types})"),
    "import.limits": (
        "Tối đa {mb} MB mỗi tệp. Dòng lỗi được cách ly kèm lý do.",
        "At most {mb} MB per file. Bad rows are quarantined with a reason.",
    ),
    "import.run": ("Nhập", "Import"),
    "import.bad_type": ("Loại tệp không được hỗ trợ; chấp nhận: {types}.", "Unsupported file type; accepted: {types}."),
    "import.failed": ("Không nhập được: {error}", "Import failed: {error}"),
    "import.done": ("Đã nhập xong.", "Import finished."),
    "import.batches": ("Các lần nhập gần đây", "Recent imports"),
    "import.no_batches": ("Chưa có lần nhập nào.", "No import yet."),
    "import.quarantine_of": ("Xem dòng bị cách ly của lần nhập", "Show the quarantine of import"),
    "import.quarantine": ("Dòng bị cách ly ({n})", "Quarantined rows ({n})"),
    "import.no_quarantine": ("Không có dòng nào bị cách ly.", "No row was quarantined."),
    "batch_status.done": ("Xong", "Done"),
    "batch_status.running": ("Đang chạy", "Running"),
    "batch_status.failed": ("Lỗi", "Failed"),
    "batch_kind.complaints": ("Phản ánh", "Complaints"),
    "batch_kind.readings": ("Số liệu quan trắc", "Readings"),
    # users
    "users.title": ("Quản lý người dùng", "User administration"),
    "users.add": ("Thêm người dùng", "Add a user"),
    "users.add_submit": ("Thêm", "Add"),
    "users.added": ("Đã thêm {name}.", "Added {name}."),
    "users.reset": ("Đặt lại mật khẩu", "Reset a password"),
    "users.new_password": ("Mật khẩu mới", "New password"),
    "users.reset_submit": ("Đặt lại", "Reset"),
    "users.reset_done": ("Đã đổi mật khẩu của {name}.", "Password of {name} changed."),
    # table columns
    "col.id": ("Mã", "ID"),
    "col.unit": ("Đơn vị xử lý", "Responsible unit"),
    "col.ward_code": ("Mã phường/xã", "Ward code"),
    "col.ward_name": ("Phường/xã", "Ward"),
    "col.name": ("Phường/xã", "Ward"),
    "col.district": ("Quận/huyện cũ", "Former district"),
    "col.category_code": ("Loại phản ánh", "Category"),
    "col.status": ("Trạng thái", "Status"),
    "col.opened_at": ("Tiếp nhận", "Received"),
    "col.due_at": ("Hạn xử lý", "Due"),
    "col.resolved_at": ("Hoàn thành", "Resolved"),
    "col.days_overdue": ("Số ngày quá hạn", "Days overdue"),
    "col.age_days": ("Tuổi (ngày)", "Age (days)"),
    "col.report_count": ("Số phản ánh", "Reports"),
    "col.lat": ("Vĩ độ", "Latitude"),
    "col.lon": ("Kinh độ", "Longitude"),
    "col.title": ("Nội dung", "Summary"),
    "col.value": ("Giá trị", "Value"),
    "col.z": ("z", "z"),
    "col.q": ("q (FDR)", "q (FDR)"),
    "col.label": ("Phân loại", "Class"),
    "col.subject": ("Đối tượng", "Subject"),
    "col.rule_id": ("Quy tắc", "Rule"),
    "col.state": ("Trạng thái", "State"),
    "col.severity": ("Mức độ", "Severity"),
    "col.threshold": ("Ngưỡng", "Threshold"),
    "col.state_since": ("Từ lúc", "Since"),
    "col.message": ("Mô tả", "Message"),
    "col.ack_by": ("Người xác nhận", "Acknowledged by"),
    "col.ack_note": ("Ghi chú xác nhận", "Acknowledgement note"),
    "col.ack_at": ("Thời điểm xác nhận", "Acknowledged at"),
    "col.alert_id": ("Mã cảnh báo", "Alert ID"),
    "col.at": ("Thời điểm", "Time"),
    "col.event": ("Sự kiện", "Event"),
    "col.from_state": ("Từ", "From"),
    "col.to_state": ("Sang", "To"),
    "col.actor": ("Người thực hiện", "Actor"),
    "col.note": ("Ghi chú", "Note"),
    "col.parameter": ("Thông số", "Parameter"),
    "col.aqi_x": ("AQIx", "AQIx"),
    "col.measure_unit": ("Đơn vị đo", "Unit"),
    "col.observed_at": ("Thời điểm đo", "Observed"),
    "col.aqi_range": ("Khoảng AQI", "AQI range"),
    "col.cases": ("Số vụ việc", "Cases"),
    "col.ward": ("Phường/xã", "Ward"),
    "col.categories": ("Loại phản ánh", "Categories"),
    "col.first_report": ("Phản ánh đầu tiên", "First report"),
    "col.last_report": ("Phản ánh gần nhất", "Last report"),
    "col.colour": ("Màu", "Colour"),
    "col.feed": ("Nguồn", "Feed"),
    "col.last_success_at": ("Lần lấy thành công", "Last success"),
    "col.last_data_at": ("Dữ liệu mới nhất", "Newest data"),
    "col.consecutive_failures": ("Lỗi liên tiếp", "Consecutive failures"),
    "col.last_error": ("Lỗi gần nhất", "Last error"),
    "col.last_error_at": ("Thời điểm lỗi", "Error time"),
    "col.kind": ("Loại", "Kind"),
    "col.source": ("Nguồn", "Source"),
    "col.filename": ("Tệp", "File"),
    "col.started_at": ("Bắt đầu", "Started"),
    "col.rows": ("Số dòng", "Rows"),
    "col.accepted": ("Nhận", "Accepted"),
    "col.duplicates": ("Trùng", "Duplicates"),
    "col.quarantined": ("Cách ly", "Quarantined"),
    "col.unassigned": ("Ngoài ranh giới", "Unassigned"),
    "col.row_number": ("Dòng", "Row"),
    "col.field": ("Trường", "Field"),
    "col.reason": ("Lý do", "Reason"),
    "col.raw": ("Dữ liệu gốc", "Raw data"),
    "col.username": ("Tên đăng nhập", "Username"),
    "col.role": ("Vai trò", "Role"),
    "col.active": ("Hoạt động", "Active"),
}


def current_language() -> str:
    """The session's UI language (``vi`` unless the user switched)."""
    return str(st.session_state.get(state.LANGUAGE, "vi"))


def translate(key: str, language: str, **values: object) -> str:
    """The string ``key`` in ``language`` with ``values`` filled in; KeyError for an unknown key."""
    vietnamese, english = STRINGS[key]
    text = vietnamese if language == "vi" else english
    return text.format(**values) if values else text


def t(key: str, **values: object) -> str:
    """The string ``key`` in the session's language."""
    return translate(key, current_language(), **values)


def label(group: str, code: object) -> str:
    """A display label for a data code (status, role…): ``group.code`` when known, else the code itself."""
    key = f"{group}.{code}"
    return t(key) if key in STRINGS else str(code)
