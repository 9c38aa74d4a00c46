"""Readable names of the formats Steward identifies, for people; JSON keeps the MIME type."""

from __future__ import annotations

NAMES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "application/msword": "Word 97-2003 document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel workbook",
    "application/vnd.ms-excel.sheet.macroEnabled.12": "Excel macro-enabled workbook",
    "application/vnd.ms-excel": "Excel 97-2003 workbook",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint presentation",
    "application/vnd.ms-powerpoint": "PowerPoint 97-2003 presentation",
    "application/vnd.oasis.opendocument.text": "OpenDocument text",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument spreadsheet",
    "application/vnd.oasis.opendocument.presentation": "OpenDocument presentation",
    "application/pdf": "PDF",
    "application/rtf": "Rich Text document",
    "text/rtf": "Rich Text document",
    "text/plain": "Text file",
    "text/csv": "CSV file",
    "text/tab-separated-values": "Tab-separated file",
    "text/html": "Web page",
    "application/xml": "XML file",
    "text/xml": "XML file",
    "application/json": "JSON file",
    "message/rfc822": "E-mail message",
    "application/vnd.ms-outlook": "Outlook message",
    "application/zip": "ZIP archive",
    "application/x-7z-compressed": "7-Zip archive",
    "application/gzip": "gzip archive",
    "application/x-tar": "tar archive",
    "application/encrypted": "Encrypted Office document",
    "application/x-ole-storage": "OLE compound file",
    "application/CDFV2": "OLE compound file",
    "image/jpeg": "JPEG image",
    "image/png": "PNG image",
    "image/tiff": "TIFF image",
    "image/gif": "GIF image",
    "image/bmp": "BMP image",
    "inode/x-empty": "Empty file",
    "application/octet-stream": "Binary data",
}
FAMILIES = {"text/": "Text file", "image/": "Image", "audio/": "Audio", "video/": "Video"}


def format_name(mime: str | None) -> str:
    """'Word document' for a DOCX, 'PDF', ...; an unknown type by its family, else the MIME type itself."""
    if not mime:
        return "Unknown"
    if mime in NAMES:
        return NAMES[mime]
    return next((name for prefix, name in FAMILIES.items() if mime.startswith(prefix)), mime)


def format_counts(formats: dict[str, int]) -> dict[str, int]:
    """MIME type -> files, as readable name -> files (types with the same name added together), largest first."""
    out: dict[str, int] = {}
    for mime, n in formats.items():
        out[format_name(mime)] = out.get(format_name(mime), 0) + n
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))
