"""Sessions, navigation, users and roles administration: key -> (Vietnamese, English)."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # account changes refused (data.users.AccountError codes)
    "users.error.bad_username": (
        "Tên đăng nhập không hợp lệ: 1–{max} ký tự, không có dấu cách.",
        "invalid username: 1-{max} characters, no spaces",
    ),
    "users.error.mixed_script": (
        "Tên đăng nhập {name} trộn chữ của nhiều bảng chữ cái trông giống nhau; hãy dùng một bảng chữ cái.",
        "username {name} mixes look-alike letters of several scripts; use one script",
    ),
    "users.error.exists": ("Người dùng {name} đã tồn tại.", "user {name} already exists"),
    "users.error.confusable": (
        "Tên đăng nhập {name} dễ nhầm với người dùng {other} đã có; hãy chọn tên khác.",
        "username {name} can be confused with the existing user {other}; choose another",
    ),
    "users.error.no_such_user": ("Không có người dùng {name}.", "no such user {name}"),
    "users.error.bad_role": (
        "Vai trò {role} không tồn tại (có: {roles}).",
        "unknown role {role}; expected one of {roles}",
    ),
    "users.error.password_short": (
        "Mật khẩu quá ngắn: cần ít nhất {n} ký tự.",
        "password too short: at least {n} characters are required",
    ),
    "users.error.password_blank": ("Mật khẩu không được chỉ gồm dấu cách.", "the password cannot be only spaces"),
    "users.error.password_has_username": (
        "Mật khẩu không được chứa tên đăng nhập.",
        "the password must not contain the username",
    ),
    "users.error.password_weak": (
        "Mật khẩu quá dễ đoán (mật khẩu phổ biến, dãy phím, lặp lại hoặc từ điển); hãy dùng một cụm vài từ ít gặp.",
        "password too easy to guess (common password, keyboard run, repetition or dictionary word); "
        "use a phrase of a few uncommon words",
    ),
    "users.error.unit_needs_units": (
        "Tài khoản đơn vị cần ít nhất một đơn vị xử lý (--unit MÃ).",
        "a unit account needs at least one responsible unit (--unit CODE)",
    ),
    "users.error.units_for_unit_role": (
        "Chỉ tài khoản vai trò đơn vị mới gắn với đơn vị xử lý.",
        "only accounts with the unit role are bound to responsible units",
    ),
    "users.error.unknown_units": ("Không có đơn vị xử lý mã: {codes}.", "no responsible unit with code: {codes}"),
    "users.error.not_yourself": (
        "Không thể tự khóa hay tự đổi vai trò của chính mình.",
        "you cannot deactivate yourself or change your own role",
    ),
    # roles
    "role.unit": ("Đơn vị xử lý", "Responsible unit"),
    # sessions and navigation
    "nav.login": ("Đăng nhập", "Log in"),
    "nav.section_public": ("Công khai", "Public"),
    "nav.section_staff": ("Nghiệp vụ", "Staff"),
    "session.ended": (
        "Phiên đăng nhập đã kết thúc (hết hạn, đăng xuất nơi khác hoặc quyền đã thay đổi). Hãy đăng nhập lại.",
        "Your session has ended (expired, logged out elsewhere or your rights changed). Please log in again.",
    ),
    "login.page_intro": (
        "Đăng nhập để mở các trang nghiệp vụ. Phiên đăng nhập giữ khi tải lại trang và ở thẻ mới.",
        "Log in to open the staff pages. The session survives reloads and new tabs.",
    ),
    "login.done": ("Đã đăng nhập: {name} ({role}).", "Logged in: {name} ({role})."),
    # users page
    "users.manage": ("Thay đổi tài khoản", "Change an account"),
    "users.who": ("Tài khoản", "Account"),
    "users.action": ("Thao tác", "Action"),
    "users.action.deactivate": ("Khóa tài khoản", "Deactivate"),
    "users.action.activate": ("Mở lại tài khoản", "Reactivate"),
    "users.action.role": ("Đổi vai trò", "Change role"),
    "users.action.units": ("Đổi đơn vị gắn", "Change units"),
    "users.action.password": ("Đặt lại mật khẩu", "Reset password"),
    "users.units": ("Đơn vị xử lý (cho vai trò đơn vị)", "Responsible units (for the unit role)"),
    "users.apply": ("Thực hiện", "Apply"),
    "users.done.deactivate": (
        "Đã khóa {name}; {n} phiên đăng nhập đã kết thúc.",
        "{name} deactivated; {n} session(s) ended.",
    ),
    "users.done.activate": ("Đã mở lại {name}.", "{name} reactivated."),
    "users.done.role": (
        "Đã đổi vai trò của {name}; {n} phiên đăng nhập đã kết thúc.",
        "Role of {name} changed; {n} session(s) ended.",
    ),
    "users.done.units": ("Đã đổi đơn vị gắn với {name}.", "Units of {name} changed."),
    "users.done.password": (
        "Đã đổi mật khẩu của {name}; {n} phiên đăng nhập đã kết thúc.",
        "Password of {name} changed; {n} session(s) ended.",
    ),
    "users.password_rules": (
        "Mật khẩu: ít nhất {n} ký tự, không chứa tên đăng nhập, không phải mật khẩu phổ biến hay dãy dễ đoán.",
        "Passwords: at least {n} characters, without the username, not a common password or an easy pattern.",
    ),
    "users.audit": ("Nhật ký thay đổi", "Audit log"),
    "users.audit_empty": ("Chưa có thay đổi nào.", "No changes yet."),
    "col.units": ("Đơn vị", "Units"),
    "col.audit_at": ("Thời điểm", "When"),
    "col.audit_actor": ("Người thực hiện", "Who"),
    "col.audit_action": ("Thao tác", "What"),
    "col.audit_target": ("Tài khoản", "Account"),
    "col.audit_detail": ("Chi tiết", "Details"),
    "audit.actor.system": ("hệ thống", "system"),
    "audit.user.create": ("Tạo tài khoản", "Account created"),
    "audit.user.password": ("Đổi mật khẩu", "Password changed"),
    "audit.user.deactivate": ("Khóa tài khoản", "Deactivated"),
    "audit.user.activate": ("Mở lại tài khoản", "Reactivated"),
    "audit.user.role": ("Đổi vai trò", "Role changed"),
    "audit.user.units": ("Đổi đơn vị", "Units changed"),
    "audit.detail.role": ("vai trò: {role}", "role: {role}"),
    "audit.detail.change": ("{before} → {after}", "{before} → {after}"),
    "audit.detail.units": ("đơn vị: {units}", "units: {units}"),
    "audit.detail.sessions_ended": ("{n} phiên kết thúc", "{n} session(s) ended"),
}
