"""Media uploads (data/media): why a photo, video or audio file was refused. key -> (Vietnamese, English).

Each reason is ``media.<code>`` (pages, CLI) and ``quarantine.media_<code>`` (an import row refused for its media
column), the same sentence; sizes arrive written the same way in both languages (``31 MB``, ``512 KB``).
"""

from __future__ import annotations

_REASONS: dict[str, tuple[str, str]] = {
    "empty": ("Tệp '{name}' rỗng", "File '{name}' is empty"),
    "wrong_type": (
        "Tệp '{name}' không phải ảnh (JPEG, PNG, HEIC, WebP), video (MP4) hay âm thanh (M4A, MP3, AMR)",
        "File '{name}' is not a photo (JPEG, PNG, HEIC, WebP), video (MP4) or audio (M4A, MP3, AMR)",
    ),
    "too_big": (
        "Tệp '{name}' quá lớn ({size}, tối đa {limit})",
        "File '{name}' is too large ({size}, limit {limit})",
    ),
    "too_many_pixels": (
        "Ảnh '{name}' có quá nhiều điểm ảnh (tối đa 100 triệu)",
        "Photo '{name}' has too many pixels (limit 100 million)",
    ),
    "corrupt": (
        "Tệp '{name}' bị hỏng hoặc không đọc được",
        "File '{name}' is damaged or cannot be read",
    ),
    "fetch_status": (
        "Không tải được tệp '{name}': máy chủ trả lời lỗi HTTP {status}",
        "Could not fetch file '{name}': the server answered HTTP {status}",
    ),
    "fetch_timeout": (
        "Không tải được tệp '{name}': quá {seconds} giây",
        "Could not fetch file '{name}': took longer than {seconds} s",
    ),
    "fetch_unreachable": (
        "Không tải được tệp '{name}': không kết nối được máy chủ",
        "Could not fetch file '{name}': the server cannot be reached",
    ),
    "not_found": ("Không tìm thấy tệp '{name}'", "File '{name}' not found"),
    "local_path_refused": (
        "Tệp '{name}': chỉ chấp nhận đường dẫn URL (http/https) khi tải lên từ trình duyệt",
        "File '{name}': only http/https URLs are accepted in an uploaded file",
    ),
    "store_failed": (
        "Không lưu được tệp '{name}': kho lưu trữ tệp không phản hồi; chưa có gì được ghi, hãy thử lại",
        "Could not store file '{name}': the media store did not answer; nothing was saved, try again",
    ),
    "private_address": (
        "Tệp '{name}': địa chỉ thuộc mạng nội bộ, không được tải",
        "File '{name}': the address is on a private network and is not fetched",
    ),
}

STRINGS: dict[str, tuple[str, str]] = (
    {f"media.{code}": texts for code, texts in _REASONS.items()}
    | {f"quarantine.media_{code}": texts for code, texts in _REASONS.items()}
    | {
        "media.skipped_note": (
            "[Tệp đính kèm chưa lưu: {reason}]",
            "[Attachment not stored: {reason}]",
        )
    }
)
