"""Imports, quarantine reasons, exports and feed status: key -> (Vietnamese, English)."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # shipped feeds (data/config/feeds.toml) by name; a feed added by an operator shows its configured name
    "feed.demo-air": ("Không khí Hà Nội (phát lại dữ liệu thật)", "Hà Nội air (real data replayed)"),
    "feed.demo-wastewater": ("Nước thải (trạm mô phỏng)", "Wastewater (simulated stations)"),
    "feed.wastewater-dropbox": ("Nước thải — thư mục nhận tệp TT10", "Wastewater — Circular 10 drop folder"),
    "feed.openaq-hanoi": ("OpenAQ Hà Nội", "OpenAQ Hà Nội"),
    "feed.portal-example": ("Cổng dữ liệu (ví dụ)", "Data portal (example)"),
    "feed.donre-ftp": ("FTP Sở TN&MT", "DoNRE FTP"),
    # complaint export (data/exports.py): column headers
    "export.case_id": ("Mã vụ việc", "Case ID"),
    "export.title": ("Tóm tắt vụ việc", "Case summary"),
    "export.source": ("Nguồn dữ liệu", "Source"),
    "export.source_report_id": ("Mã phản ánh gốc", "Source report ID"),
    "export.reported_at": ("Thời điểm phản ánh", "Reported at"),
    "export.channel": ("Kênh tiếp nhận", "Channel"),
    "export.category_code": ("Loại phản ánh", "Category"),
    "export.category_raw": ("Loại phản ánh theo nguồn", "Category as reported"),
    "export.description": ("Nội dung phản ánh", "Description"),
    "export.address": ("Địa chỉ", "Address"),
    "export.lat": ("Vĩ độ", "Latitude"),
    "export.lon": ("Kinh độ", "Longitude"),
    "export.location_method": ("Cách xác định vị trí", "Location method"),
    "export.flags": ("Ghi chú dữ liệu", "Data notes"),
    "export.set_name": ("Bộ ranh giới", "Boundary set"),
    "export.ward_name": ("Phường/xã", "Ward/commune"),
    "export.ward_code": ("Mã phường/xã", "Ward code"),
    "export.former_district": ("Quận/huyện cũ", "Former district"),
    "export.status": ("Trạng thái", "Status"),
    "export.priority": ("Mức ưu tiên", "Priority"),
    "export.unit_name": ("Đơn vị xử lý", "Responsible unit"),
    "export.unit_code": ("Mã đơn vị xử lý", "Unit code"),
    "export.report_count": ("Số phản ánh của vụ việc", "Reports in the case"),
    "export.opened_at": ("Thời điểm mở vụ việc", "Case opened at"),
    "export.due_at": ("Hạn xử lý", "Due at"),
    "export.overdue": ("Quá hạn", "Overdue"),
    "export.resolved_at": ("Thời điểm hoàn thành", "Resolved at"),
    "export.corroborated": ("Trạm quan trắc xác nhận", "Confirmed by a station"),
    "export.corroborating_station": ("Trạm xác nhận", "Confirming station"),
    "export.reporter_name": ("Người phản ánh", "Reporter"),
    "export.reporter_phone": ("Số điện thoại", "Phone"),
    "export.code_of": ("{column} (mã)", "{column} (code)"),
    "export.yes": ("có", "yes"),
    "export.no": ("không", "no"),
    # complaint export: labels of coded values
    "export.priority.urgent": ("Khẩn cấp", "Urgent"),
    "export.priority.normal": ("Bình thường", "Normal"),
    "export.priority.complex": ("Phức tạp", "Complex"),
    "export.method.coordinates": ("Theo toạ độ", "From coordinates"),
    "export.method.address": ("Theo địa chỉ", "From the address"),
    "export.method.none": ("Không xác định được", "Not located"),
    "export.flag.swapped_latlon": ("Vĩ độ và kinh độ bị đảo, đã sửa", "Latitude and longitude swapped, corrected"),
    "export.flag.zero_coordinates": ("Toạ độ 0,0 bị bỏ qua", "Coordinates 0,0 ignored"),
    "export.flag.closed_time_unusable": ("Thời điểm đóng không dùng được", "Closing time unusable"),
    "export.flag.ward_from_pre2025_name": (
        "Phường/xã suy ra từ tên trước sáp nhập 2025",
        "Ward derived from a pre-2025 name",
    ),
    "export.flag.outside_wards": ("Toạ độ nằm ngoài mọi phường/xã", "Coordinates outside every ward"),
    "export.flag.no_location": ("Không có vị trí", "No location"),
    # files that cannot be imported (data/importers/readers.py UnreadableFileError, pipeline database errors)
    "import.error.not_utf8": (
        "{file}: tệp không phải văn bản UTF-8 (byte {byte}); hãy lưu dưới dạng 'CSV UTF-8'.",
        "{file}: not UTF-8 text (byte {byte}); save the file as 'CSV UTF-8'.",
    ),
    "import.error.bad_json": (
        "{file}: JSON không hợp lệ (dòng {line}, cột {column}).",
        "{file}: invalid JSON (line {line}, column {column}).",
    ),
    "import.error.bad_json_shape": (
        "{file}: JSON không phải GeoJSON FeatureCollection cũng không phải danh sách yêu cầu Open311.",
        "{file}: the JSON is neither a GeoJSON FeatureCollection nor an Open311 list of requests.",
    ),
    "import.error.bad_features": (
        "{file}: trường 'features' của GeoJSON không phải danh sách.",
        "{file}: the GeoJSON 'features' member is not a list.",
    ),
    "import.error.unsupported_type": (
        "{file}: loại tệp {suffix} không được hỗ trợ (dùng .csv, .xlsx, .geojson hoặc .json Open311).",
        "{file}: unsupported file type {suffix} (use .csv, .xlsx, .geojson or Open311 .json).",
    ),
    "import.error.too_many_columns": (
        "{file}: tệp có {columns} cột, tối đa {limit}; không đọc tiếp.",
        "{file}: the file has {columns} columns, at most {limit} are accepted; not read further.",
    ),
    "import.error.xlsx_not_zip": (
        "{file}: không đọc được sổ tính Excel (tệp không phải .xlsx thật); hãy mở và lưu lại bằng Excel rồi thử lại.",
        "{file}: not a readable Excel workbook (not a real .xlsx file); open and save it again in Excel, then retry.",
    ),
    "import.error.xlsx_missing_parts": (
        "{file}: không đọc được sổ tính Excel (thiếu thành phần); hãy mở và lưu lại bằng Excel rồi thử lại.",
        "{file}: not a readable Excel workbook (parts are missing); open and save it again in Excel, then retry.",
    ),
    "import.error.xlsx_bad_xml": (
        "{file}: không đọc được sổ tính Excel (XML hỏng hoặc không an toàn: {detail}); hãy mở và lưu lại bằng "
        "Excel rồi thử lại.",
        "{file}: not a readable Excel workbook (damaged or unsafe XML: {detail}); open and save it again in Excel, "
        "then retry.",
    ),
    "import.error.xlsx_damaged": (
        "{file}: không đọc được sổ tính Excel (tệp hỏng: {detail}); hãy mở và lưu lại bằng Excel rồi thử lại.",
        "{file}: not a readable Excel workbook (damaged file: {detail}); open and save it again in Excel, then retry.",
    ),
    "import.error.empty_sheet": (
        "{file}: trang tính đầu tiên trống.",
        "{file}: the first worksheet is empty.",
    ),
    "import.error.database_locked": (
        "{file}: chưa nhập — cơ sở dữ liệu đang bị chương trình khác khoá quá lâu; không có dòng nào được lưu, "
        "hãy thử lại sau.",
        "{file}: not imported — the database stayed locked by another program for too long; nothing was stored, "
        "try again later.",
    ),
    "import.error.disk_full": (
        "{file}: chưa nhập — ổ đĩa của cơ sở dữ liệu đã đầy; không có dòng nào được lưu.",
        "{file}: not imported — the database's disk is full; nothing was stored.",
    ),
    "import.error.database": (
        "{file}: chưa nhập — cơ sở dữ liệu từ chối ghi ({detail}); không có dòng nào được lưu.",
        "{file}: not imported — the database refused the write ({detail}); nothing was stored.",
    ),
    "import.error.unexpected": (
        "{file}: chưa nhập được do lỗi không mong đợi. Lỗi đã được ghi vào nhật ký máy chủ; hãy báo quản trị viên.",
        "{file}: not imported because of an unexpected error. The error is in the server log; tell the administrator.",
    ),
    # quarantine reasons (data/importers/normalise.py, readers.py): code -> sentence; {value} is the refused cell
    "quarantine.where": ("dòng {row}, trường '{field}': {reason}", "row {row}, field '{field}': {reason}"),
    "quarantine.missing_time": ("thiếu thời gian", "missing time"),
    "quarantine.unparseable_date": (
        "không đọc được ngày giờ {value!r} (cần ISO 8601 hoặc dd/mm/yyyy HH:MM)",
        "unparseable date {value!r} (expected ISO 8601 or dd/mm/yyyy HH:MM)",
    ),
    "quarantine.future_time": ("thời điểm {value} nằm ở tương lai", "time {value} is in the future"),
    "quarantine.not_a_number": ("không phải số: {value!r}", "not a number {value!r}"),
    "quarantine.latitude_range": ("vĩ độ {value} nằm ngoài -90..90", "latitude {value} outside -90..90"),
    "quarantine.longitude_range": ("kinh độ {value} nằm ngoài -180..180", "longitude {value} outside -180..180"),
    "quarantine.longitude_missing": ("thiếu kinh độ trong khi có vĩ độ", "missing while a latitude is given"),
    "quarantine.latitude_missing": ("thiếu vĩ độ trong khi có kinh độ", "missing while a longitude is given"),
    "quarantine.no_content": (
        "trống (không có nội dung và không có loại phản ánh)",
        "missing (no description and no category)",
    ),
    "quarantine.conflicting_id": (
        "mã {value!r} đã dùng ở dòng {first_row} với nội dung khác",
        "duplicate id {value!r} already used by row {first_row} with different content",
    ),
    "quarantine.extra_cells": (
        "dòng {row}: {cells} ô trong khi tiêu đề có {width} "
        "(dấu '{delimiter}' trong giá trị không đặt trong ngoặc kép?)",
        "row {row}: {cells} cells where the header has {width} (a '{delimiter}' inside an unquoted value?)",
    ),
    "quarantine.extra_sheet_cells": (
        "dòng {row}: {cells} ô trong khi tiêu đề có {width}",
        "row {row}: {cells} cells where the header has {width}",
    ),
    "quarantine.bad_feature": (
        "đối tượng {row}: không phải GeoJSON Feature",
        "feature {row}: not a GeoJSON Feature object",
    ),
    "quarantine.bad_properties": (
        "đối tượng {row}: 'properties' không phải object",
        "feature {row}: 'properties' is not an object",
    ),
    "quarantine.bad_geometry": (
        "đối tượng {row}: 'geometry' không phải object",
        "feature {row}: 'geometry' is not an object",
    ),
    # readings (monitoring/schema.py, monitoring/feeds/tt10.py, history.py): a refused row or a whole refused file
    "quarantine.reading_station_empty": ("mã trạm để trống", "station id is empty"),
    "quarantine.reading_location_id": (
        "{value!r} không phải mã địa điểm OpenAQ (số nguyên)",
        "{value!r} is not an OpenAQ location id (a whole number)",
    ),
    "quarantine.reading_parameter_unknown": (
        "không biết thông số {value!r}",
        "unknown parameter symbol {value!r}",
    ),
    "quarantine.reading_not_a_number": ("giá trị không phải số: {value!r}", "value is not a number: {value!r}"),
    "quarantine.reading_time_missing": ("thiếu thời điểm đo", "observation time is missing"),
    "quarantine.reading_time_future": (
        "thời điểm đo {value} nằm ở tương lai (đồng hồ thiết bị lệch?)",
        "observation time {value} is in the future (clock skew?)",
    ),
    "quarantine.reading_status_invalid": (
        "trạng thái thiết bị {value!r} không phải 00, 01 hoặc 02 (Thông tư 10/2021)",
        "device status {value!r} is not 00, 01 or 02 (Circular 10/2021)",
    ),
    "quarantine.reading_unit_unconvertible": (
        "đơn vị {value!r} không đổi được sang µg/m³",
        "unit {value!r} cannot be converted to µg/m³",
    ),
    "quarantine.tt10_bad_name": (
        "tên tệp {name!r} không theo mẫu <TINH>_<COSO>_<TRAM>_<yyyyMMddHHmmss>.txt",
        "file name {name!r} does not match <TINH>_<COSO>_<TRAM>_<yyyyMMddHHmmss>.txt",
    ),
    "quarantine.tt10_bad_name_time": (
        "tên tệp {name!r}: thời điểm {value!r} không phải ngày giờ yyyyMMddHHmmss hợp lệ",
        "file name {name!r}: time {value!r} is not a valid yyyyMMddHHmmss time",
    ),
    "quarantine.tt10_field_count": (
        "{file}, dòng {line}: cần 5 trường cách nhau bằng TAB, có {count}",
        "{file}, line {line}: expected 5 TAB-separated fields, got {count}",
    ),
    "quarantine.tt10_value": (
        "{file}, dòng {line}, trường 'value': {value!r} không phải số",
        "{file}, line {line}, field 'value': {value!r} is not a number",
    ),
    "quarantine.tt10_time": (
        "{file}, dòng {line}, trường 'time': {value!r} không phải ngày giờ yyyyMMddHHmmss hợp lệ",
        "{file}, line {line}, field 'time': {value!r} is not a valid yyyyMMddHHmmss time",
    ),
    "quarantine.tt10_status": (
        "{file}, dòng {line}, trường 'status': {value!r} không phải mã 2 chữ số",
        "{file}, line {line}, field 'status': {value!r} is not a 2-digit code",
    ),
    "quarantine.tt10_no_lines": ("{file}: không có dòng dữ liệu", "{file}: no data lines"),
    "quarantine.tt10_not_utf8": (
        "{file}: không phải văn bản UTF-8 (lỗi ở byte {byte})",
        "{file}: not UTF-8 text (error at byte {byte})",
    ),
    "quarantine.tt10_future": (
        "{file}: thời điểm {value} (UTC+7) nằm ở tương lai",
        "{file}: time {value} (UTC+7) is in the future",
    ),
    "quarantine.csv_unreadable": (
        "{file}: không đọc được bảng CSV UTF-8 ({detail})",
        "{file}: not a readable UTF-8 CSV table ({detail})",
    ),
    "quarantine.csv_unrecognised": (
        "{file}: không nhận ra dạng tệp số liệu CSV; cần bản xuất OpenAQ ({openaq}), tệp gộp moitruongthudo "
        "({moitruongthudo}, avg_<chất>…) hoặc các cột chuẩn ({canonical})",
        "{file}: unrecognised readings CSV; expected an OpenAQ export ({openaq}), the moitruongthudo merged file "
        "({moitruongthudo}, avg_<pollutant>…) or canonical columns ({canonical})",
    ),
    # import page
    "import.nothing_new": (
        "Tệp này đã nhập trước đó, không có dòng mới ({n} dòng trùng với dữ liệu đã có).",
        "This file was imported before; no new rows ({n} rows match stored reports).",
    ),
    "batch_status.nothing_new": ("Đã nhập trước đó, không có dòng mới", "Imported before, no new rows"),
}
