"""The public air-quality page and the published site: key -> (Vietnamese, English).

US AQI health texts follow the US EPA's AQI wording (AirNow "AQI Basics" and activity guidance); the
Vietnamese renderings of them are our translation, as the English renderings of 1459's Bảng 4/5 are.
"""

from __future__ import annotations

_US_ADVICE: dict[int, tuple[tuple[str, str], tuple[str, str], tuple[str, str]]] = {
    1: (
        ("Chất lượng không khí đạt yêu cầu, ô nhiễm không khí gây ít hoặc không gây rủi ro.",
         "Air quality is satisfactory, and air pollution poses little or no risk."),
        ("Ngày tốt để hoạt động ngoài trời.", "It's a good day to be active outside."),
        ("Ngày tốt để hoạt động ngoài trời.", "It's a good day to be active outside."),
    ),
    2: (
        ("Chất lượng không khí chấp nhận được; tuy nhiên có thể có rủi ro với một số người, nhất là người đặc biệt "
         "nhạy cảm với ô nhiễm không khí.",
         "Air quality is acceptable. However, there may be a risk for some people, particularly those who are "
         "unusually sensitive to air pollution."),
        ("Ngày tốt để hoạt động ngoài trời.", "It's a good day to be active outside."),
        ("Người đặc biệt nhạy cảm nên cân nhắc giảm gắng sức lâu hoặc nặng ngoài trời; chú ý các triệu chứng như "
         "ho hoặc khó thở.",
         "Unusually sensitive people should consider reducing prolonged or heavy exertion outdoors; watch for "
         "symptoms such as coughing or shortness of breath."),
    ),
    3: (
        ("Người thuộc nhóm nhạy cảm có thể bị ảnh hưởng sức khỏe; người bình thường ít bị ảnh hưởng.",
         "Members of sensitive groups may experience health effects. The general public is less likely to be "
         "affected."),
        ("Vẫn có thể hoạt động ngoài trời.", "It's OK to be active outside."),
        ("Người mắc bệnh tim hoặc phổi, người cao tuổi, trẻ em và thanh thiếu niên nên giảm gắng sức lâu hoặc nặng "
         "ngoài trời; nghỉ nhiều hơn, chọn hoạt động nhẹ hơn.",
         "People with heart or lung disease, older adults, children and teenagers should reduce prolonged or heavy "
         "exertion outdoors; take more breaks and do less intense activities."),
    ),
    4: (
        ("Một số người bình thường có thể bị ảnh hưởng sức khỏe; nhóm nhạy cảm có thể bị ảnh hưởng nghiêm trọng "
         "hơn.",
         "Some members of the general public may experience health effects; members of sensitive groups may "
         "experience more serious health effects."),
        ("Giảm gắng sức lâu hoặc nặng ngoài trời; nghỉ nhiều hơn khi hoạt động ngoài trời.",
         "Reduce prolonged or heavy exertion outdoors; take more breaks during outdoor activities."),
        ("Tránh gắng sức lâu hoặc nặng; cân nhắc chuyển hoạt động vào trong nhà hoặc dời lịch.",
         "Avoid prolonged or heavy exertion; consider moving activities indoors or rescheduling."),
    ),
    5: (
        ("Cảnh báo sức khỏe: nguy cơ bị ảnh hưởng sức khỏe tăng lên với mọi người.",
         "Health alert: the risk of health effects is increased for everyone."),
        ("Tránh gắng sức lâu hoặc nặng; cân nhắc chuyển hoạt động vào trong nhà hoặc dời lịch.",
         "Avoid prolonged or heavy exertion; consider moving activities indoors or rescheduling."),
        ("Tránh mọi hoạt động thể chất ngoài trời; chuyển hoạt động vào trong nhà hoặc dời lịch.",
         "Avoid all physical activity outdoors; move activities indoors or reschedule."),
    ),
    6: (
        ("Cảnh báo sức khỏe trong tình trạng khẩn cấp: mọi người đều dễ bị ảnh hưởng.",
         "Health warning of emergency conditions: everyone is more likely to be affected."),
        ("Tránh mọi hoạt động thể chất ngoài trời.", "Avoid all physical activity outdoors."),
        ("Ở trong nhà và giữ mức hoạt động thấp.", "Remain indoors and keep activity levels low."),
    ),
}  # fmt: skip

STRINGS: dict[str, tuple[str, str]] = {
    **{
        f"advice.us.{level}.{part}": parts[index]
        for level, parts in _US_ADVICE.items()
        for index, part in enumerate(("effect", "public", "sensitive"))
    },
    "public.language": ("Ngôn ngữ", "Language"),
    "public.subtitle": ("Chỉ số chất lượng không khí theo trạm và phường/xã", "Air quality index by station and ward"),
    "public.card_station": ("{station}", "{station}"),
    "public.card_ward": ("{ward} · {station}, cách {km} km", "{ward} · {station}, {km} km away"),
    "public.ward_no_station": (
        "Không có trạm nào có số liệu mới trong vòng {km} km quanh {ward}.",
        "No station with current data within {km} km of {ward}.",
    ),
    "public.fresh": ("Số liệu lúc {time} · {age}", "Data for {time} · {age}"),
    "public.stale": ("Số liệu cũ: lần đo cuối {age} ({time})", "Stale: last reading {age} ({time})"),
    "public.location": (
        "Vị trí: {lat}; {lon} · Phường/xã: {ward} · Đơn vị vận hành: {operator}",
        "Location: {lat}, {lon} · Ward: {ward} · Operator: {operator}",
    ),
    "public.no_data": ("Chưa có số liệu", "No data yet"),
    "public.beyond_scale": ("vượt thang", "beyond the scale"),
    "public.other_stations": ("Trạm khác", "Other stations"),
    "public.scale_note": (
        "VN_AQI theo QĐ 1459/QĐ-TCMT; US AQI theo US EPA. Hai thang cho số khác nhau với cùng nồng độ.",
        "VN_AQI follows Decision 1459/QĐ-TCMT; US AQI follows the US EPA. The two give different numbers for the "
        "same air.",
    ),
    "public.map": ("Bản đồ trạm", "Station map"),
    "public.city": ("Toàn thành phố lúc này", "The city now"),
    "public.city_worst": ("Cao nhất: {station} — {aqi} {category}", "Highest: {station} — {aqi} {category}"),
    "public.city_best": ("Thấp nhất: {station} — {aqi} {category}", "Lowest: {station} — {aqi} {category}"),
    "public.city_counts": (
        "{reporting} trạm có số liệu mới · {stale} trạm mất dữ liệu",
        "{reporting} stations with current data · {stale} stale",
    ),
    "public.city_none": ("Chưa có trạm nào có số liệu mới.", "No station has current data."),
    "public.history_empty": ("{n} khoảng không có số liệu (để trống).", "{n} periods without data (left empty)."),
    "public.day_today": ("hôm nay", "today"),
    "public.col_sub_vn": ("AQIx (VN_AQI)", "AQIx (VN_AQI)"),
    "public.col_sub_us": ("AQIx (US AQI)", "AQIx (US AQI)"),
    "public.col_value": ("Giá trị", "Value"),
    "public.col_time": ("Thời điểm đo", "Observed"),
    "public.col_day": ("Ngày", "Day"),
    "public.col_hour": ("Giờ", "Hour"),
    "public.synthetic": ("Dữ liệu mô phỏng (demo)", "Simulated data (demo)"),
    "public.us_advice_note": (
        "Khuyến nghị theo US EPA (bản dịch của chúng tôi). Khuyến nghị chính thức tại Việt Nam theo VN_AQI.",
        "Advice as worded by the US EPA. Official Vietnamese advice follows VN_AQI.",
    ),
    # the published site
    "serve.service.publisher": ("bộ xuất bản trang công khai", "public site publisher"),
    "site.title": ("Chất lượng không khí Hà Nội", "Hà Nội air quality"),
    "site.updated": ("Cập nhật trang: {time}", "Page updated: {time}"),
    "site.stations": ("Các trạm", "Stations"),
    "site.wards": ("Phường/xã", "Wards"),
    "site.near_me": ("Trạm gần tôi", "Stations near me"),
    "site.near_me_denied": ("Không lấy được vị trí của bạn.", "Your location is not available."),
    "site.open_data": ("Dữ liệu mở", "Open data"),
    "site.open_data_body": (
        "Tải về: stations.json, wards.json, aqi.geojson (AQI hiện tại), history.csv (lịch sử AQI giờ và ngày), "
        "results.json (kết quả xử lý phản ánh đã công khai).",
        "Download: stations.json, wards.json, aqi.geojson (current AQI), history.csv (hourly and daily AQI), "
        "results.json (published complaint handling results).",
    ),
    "site.other_language": ("English", "Tiếng Việt"),
    "site.home": ("Trang chủ", "Home"),
    "site.all_wards": ("Tất cả phường/xã", "All wards"),
    "site.full_map": ("Bản đồ toàn màn hình", "Full-screen map"),
    "site.no_js_map": (
        "Bản đồ cần JavaScript; danh sách trạm ở dưới.",
        "The map needs JavaScript; the station list is below.",
    ),
    "site.distance": ("{km} km", "{km} km"),
    "site.ward_of": ("Phường/xã {ward}", "Ward {ward}"),
    "site.nearest_stations": ("Trạm gần nhất", "Nearest stations"),
    "site.sections": ("Các phần của trang", "Site sections"),
    "site.nav_air": ("Chất lượng không khí", "Air quality"),
    "site.nav_results": ("Kết quả xử lý phản ánh", "Complaint results"),
    "site.results_body": (
        "Phản ánh của người dân về môi trường ở từng phường/xã: đơn vị xử lý, ngày tiếp nhận, ngày xử lý xong "
        "và kết quả đã được duyệt công khai.",
        "Citizens' environmental complaints in each ward: the responsible unit, when each was received and "
        "resolved, and the result once reviewed for the public.",
    ),
    "site.results_link": ("Xem kết quả theo phường/xã", "See the results by ward"),
    "site.ward_results": (
        "Phản ánh về môi trường ở phường/xã này và kết quả xử lý",
        "Environmental complaints in this ward and how they were handled",
    ),
    "site.ward_air": ("Chất lượng không khí ở phường/xã này", "Air quality in this ward"),
    "site.results_map": ("Bản đồ kết quả xử lý", "Map of handling results"),
    "site.results_open": ("Đang xử lý", "Being handled"),
    "site.results_other": ("Từ chối hoặc chuyển đơn vị khác", "Rejected or transferred"),
    "site.results_more_here": ("và {n} vụ việc khác ở đây", "and {n} more cases here"),
}
