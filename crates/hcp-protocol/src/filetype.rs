//! The type of an evidence file read from its content (magic bytes), never from its name: one
//! definition for the server, which checks what arrives, and the desktop client, which checks a
//! file before queuing it (so a refused file is refused before any byte is sent).

/// Whether `s` is a lower-case hex SHA-256.
pub fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// What the content of a file is, by its magic bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sniffed {
    /// An accepted type, with its MIME type.
    Accepted(&'static str),
    /// A ZIP container: an OFD or Office document only if its entries say so (see [`zip_kind`]).
    Zip,
    /// A program (Windows, Linux or macOS executable, or a script): refused.
    Executable,
    /// Anything else: refused.
    Unknown,
}

/// The type of a file from its first bytes (at least the first 16 are needed).
pub fn sniff(head: &[u8]) -> Sniffed {
    let starts = |m: &[u8]| head.starts_with(m);
    if starts(b"MZ") || starts(b"\x7fELF") || starts(b"#!") {
        return Sniffed::Executable;
    }
    for magic in
        [[0xfe, 0xed, 0xfa, 0xce], [0xfe, 0xed, 0xfa, 0xcf], [0xce, 0xfa, 0xed, 0xfe], [0xcf, 0xfa, 0xed, 0xfe]]
    {
        if starts(&magic) {
            return Sniffed::Executable;
        }
    }
    if starts(&[0xff, 0xd8, 0xff]) {
        Sniffed::Accepted("image/jpeg")
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Sniffed::Accepted("image/png")
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Sniffed::Accepted("image/gif")
    } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        Sniffed::Accepted("image/webp")
    } else if head.len() >= 12
        && &head[4..8] == b"ftyp"
        && matches!(&head[8..12], b"heic" | b"heix" | b"hevc" | b"heim" | b"heis" | b"mif1" | b"msf1")
    {
        Sniffed::Accepted("image/heic")
    } else if starts(b"%PDF-") {
        Sniffed::Accepted("application/pdf")
    } else if starts(&[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]) {
        // Word 97–2003 (.doc), Excel (.xls), PowerPoint (.ppt): OLE2 compound files.
        Sniffed::Accepted("application/x-ole-storage")
    } else if starts(b"PK\x03\x04") {
        Sniffed::Zip
    } else {
        Sniffed::Unknown
    }
}

/// The type of a ZIP container from the entry names found in its first and last chunks (the
/// local headers at the start, the central directory at the end): OFD (`OFD.xml`) or an Office
/// Open XML document (`[Content_Types].xml`). `None`: some other archive, refused.
pub fn zip_kind(first: &[u8], last: &[u8]) -> Option<&'static str> {
    let has = |needle: &[u8]| [first, last].iter().any(|hay| hay.windows(needle.len()).any(|w| w == needle));
    if has(b"OFD.xml") {
        Some("application/ofd")
    } else if has(b"[Content_Types].xml") {
        Some(if has(b"word/") {
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        } else if has(b"xl/") {
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        } else if has(b"ppt/") {
            "application/vnd.openxmlformats-officedocument.presentationml.presentation"
        } else {
            "application/vnd.openxmlformats-officedocument"
        })
    } else {
        None
    }
}

/// The Chinese reason a content is refused, for the types refused at sight.
pub fn refusal(s: &Sniffed) -> Option<&'static str> {
    match s {
        Sniffed::Executable => {
            Some("文件内容是可执行程序（已改扩展名），不能作为证据材料上传；请上传图片、PDF、OFD 或 Office 文档")
        }
        Sniffed::Unknown => {
            Some("不支持的文件类型：证据材料只能是图片（JPEG、PNG、GIF、WebP、HEIC）、PDF、OFD 或 Office 文档")
        }
        Sniffed::Accepted(_) | Sniffed::Zip => None,
    }
}
