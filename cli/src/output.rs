//! Output helpers: human sizes, UTC timestamps, JSON strings.

use time::{OffsetDateTime, UtcOffset};

/// `1023 B`, `1.5 KiB`, `12.0 MiB`, ...
pub(crate) fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// `2026-12-03 18:40:00`, in UTC (the columns of `ls`).
pub(crate) fn date_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A JSON string literal of `s`, quotes included.
pub(crate) fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A JSON object of `fields`, each value already JSON (`json_string`,
/// a number, `null`, ...).
pub(crate) fn json_object(fields: &[(&str, String)]) -> String {
    let body: Vec<String> = fields
        .iter()
        .map(|(name, value)| format!("{}:{value}", json_string(name)))
        .collect();
    format!("{{{}}}", body.join(","))
}

/// `json_string` of `value`, or `null`.
pub(crate) fn json_opt(value: Option<&str>) -> String {
    value.map_or_else(|| "null".to_string(), json_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(64 * 1024 * 1024), "64.0 MiB");
    }

    #[test]
    fn json_escapes_quotes_controls_and_keeps_unicode() {
        assert_eq!(
            json_string("a\"b\\c\n\u{1}é中"),
            "\"a\\\"b\\\\c\\n\\u0001é中\""
        );
        assert_eq!(
            json_object(&[("key", json_string("k")), ("size", "3".into())]),
            "{\"key\":\"k\",\"size\":3}"
        );
        assert_eq!(json_opt(None), "null");
    }

    #[test]
    fn dates_are_utc_columns() {
        let t = OffsetDateTime::from_unix_timestamp(1_764_787_200)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        assert_eq!(date_time(t), "2025-12-03 18:40:00");
    }
}
