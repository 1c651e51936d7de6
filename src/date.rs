//! Timestamps as S3 writes them: ISO 8601 in XML bodies (`LastModified`,
//! `CreationDate`, `Initiated`) and IMF-fixdate in HTTP headers
//! (`Last-Modified`, `Date`, `If-Modified-Since`).
//!
//! Hand-written on top of `time` with only its `std` feature, so the tree
//! stays free of the `time-macros` proc-macro crate. Pure: no clock is read.
//! Parsed values are normalised to UTC.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::{Error, ErrorKind, Result};

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const LONG_DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Parses an ISO 8601 / RFC 3339 timestamp as found in S3 XML bodies.
///
/// Accepts `2009-10-12T17:50:30.000Z`, the same without fraction, with 1 to 9
/// fraction digits (more are truncated), and with an offset (`+00:00`,
/// `-0530`) instead of `Z`. A timestamp without any zone is read as UTC,
/// since some S3-compatible servers omit it.
///
/// # Errors
///
/// [`ErrorKind::Service`] naming the value when it is not such a timestamp or
/// names an impossible date or time (`2023-02-29`, `24:00:00`).
pub fn parse_iso8601(s: &str) -> Result<OffsetDateTime> {
    iso8601(s.trim()).map_err(|why| invalid("ISO 8601 timestamp", s, &why))
}

/// Formats `t` in UTC with milliseconds, as S3 does: `2009-10-12T17:50:30.000Z`.
pub fn format_iso8601(t: OffsetDateTime) -> String {
    let t = in_utc(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Parses an HTTP date: IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), and
/// the obsolete RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime
/// (`Sun Nov  6 08:49:37 1994`) forms that RFC 9110 asks recipients to accept.
///
/// The day name must be a real one but is not checked against the date. A
/// two-digit RFC 850 year below 70 is read as 20yy, otherwise as 19yy.
///
/// # Errors
///
/// [`ErrorKind::Service`] naming the value when it is in none of these forms
/// or names an impossible date or time.
pub fn parse_http_date(s: &str) -> Result<OffsetDateTime> {
    http_date(s.trim()).map_err(|why| invalid("HTTP date", s, &why))
}

/// Formats `t` in GMT as an IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn format_http_date(t: OffsetDateTime) -> String {
    let t = in_utc(t);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[usize::from(t.weekday().number_days_from_monday())],
        t.day(),
        MONTHS[usize::from(u8::from(t.month()) - 1)],
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `t` moved to UTC, or unchanged when that would leave the supported range.
fn in_utc(t: OffsetDateTime) -> OffsetDateTime {
    t.checked_to_offset(UtcOffset::UTC).unwrap_or(t)
}

fn invalid(what: &str, value: &str, why: &str) -> Error {
    Error::new(
        ErrorKind::Service,
        format!("invalid {what} {value:?}: {why}"),
    )
}

/// Why a timestamp was rejected.
type Why = String;

fn iso8601(s: &str) -> std::result::Result<OffsetDateTime, Why> {
    let mut p = Scanner(s.as_bytes());
    let year = p.digits(4, 4)?;
    p.expect(b"-")?;
    let month = p.digits(2, 2)?;
    p.expect(b"-")?;
    let day = p.digits(2, 2)?;
    p.expect(b"Tt ")?;
    let (hour, minute, second) = p.clock()?;
    let mut nanos = 0;
    if p.eat(b".,") {
        let digits = p.take_while(|b| b.is_ascii_digit());
        if digits.is_empty() {
            return Err("expected fraction digits".into());
        }
        for i in 0..9 {
            nanos = nanos * 10 + digits.get(i).map_or(0, |d| u32::from(d - b'0'));
        }
    }
    let offset = match p.next() {
        None | Some(b'Z' | b'z') => UtcOffset::UTC,
        Some(sign @ (b'+' | b'-')) => {
            let h = p.digits(2, 2)?;
            p.eat(b":");
            let m = p.digits(2, 2)?;
            if h > 23 || m > 59 {
                return Err(format!("offset {h:02}:{m:02} out of range"));
            }
            let (h, m) = (to_i8(h)?, to_i8(m)?);
            let (h, m) = if sign == b'-' { (-h, -m) } else { (h, m) };
            UtcOffset::from_hms(h, m, 0).map_err(|e| e.to_string())?
        }
        Some(_) => return Err("expected Z or an offset after the time".into()),
    };
    p.end()?;
    let date = calendar_date(year, month, day)?;
    let time = Time::from_hms_nano(to_u8(hour)?, to_u8(minute)?, to_u8(second)?, nanos)
        .map_err(|e| e.to_string())?;
    let t = PrimitiveDateTime::new(date, time).assume_offset(offset);
    t.checked_to_offset(UtcOffset::UTC)
        .ok_or_else(|| "out of range in UTC".into())
}

fn http_date(s: &str) -> std::result::Result<OffsetDateTime, Why> {
    let tokens: Vec<&str> = s.split_ascii_whitespace().collect();
    let (weekday, rest) = tokens.split_first().ok_or("empty")?;
    let (weekday, comma) = match weekday.strip_suffix(',') {
        Some(w) => (w, true),
        None => (*weekday, false),
    };
    let known = |names: &[&str]| names.iter().any(|n| n.eq_ignore_ascii_case(weekday));
    if !known(&DAYS) && !known(&LONG_DAYS) {
        return Err(format!("unknown day name {weekday:?}"));
    }
    let (day, month, year, clock, zone) = match (comma, rest) {
        // IMF-fixdate: 06 Nov 1994 08:49:37 GMT
        (true, [day, month, year, clock, zone]) => (*day, *month, year_4(year)?, *clock, *zone),
        // RFC 850: 06-Nov-94 08:49:37 GMT
        (true, [date, clock, zone]) => {
            let mut parts = date.split('-');
            let (Some(day), Some(month), Some(year), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err("expected dd-Mon-yy".into());
            };
            let year = match year.len() {
                2 => {
                    let yy = Scanner(year.as_bytes()).all_digits(2)?;
                    if yy < 70 { 2000 + yy } else { 1900 + yy }
                }
                _ => year_4(year)?,
            };
            (day, month, year, *clock, *zone)
        }
        // asctime: Nov  6 08:49:37 1994
        (false, [month, day, clock, year]) => (*day, *month, year_4(year)?, *clock, "GMT"),
        _ => return Err("not an IMF-fixdate, RFC 850 or asctime date".into()),
    };
    if !["GMT", "UTC", "Z", "+0000"].contains(&zone) {
        return Err(format!("expected GMT, found {zone:?}"));
    }
    let day = Scanner(day.as_bytes()).all_digits(1)?;
    let month = MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(month))
        .ok_or_else(|| format!("unknown month {month:?}"))?;
    let mut p = Scanner(clock.as_bytes());
    let (hour, minute, second) = p.clock()?;
    p.end()?;
    // `position` is below 12, so the month number fits.
    let month = u32::try_from(month + 1).map_err(|e| e.to_string())?;
    let date = calendar_date(year, month, day)?;
    let time =
        Time::from_hms(to_u8(hour)?, to_u8(minute)?, to_u8(second)?).map_err(|e| e.to_string())?;
    Ok(PrimitiveDateTime::new(date, time).assume_utc())
}

fn year_4(s: &str) -> std::result::Result<u32, Why> {
    let mut p = Scanner(s.as_bytes());
    let y = p.digits(4, 4)?;
    p.end()?;
    Ok(y)
}

fn calendar_date(year: u32, month: u32, day: u32) -> std::result::Result<Date, Why> {
    let year = i32::try_from(year).map_err(|e| e.to_string())?;
    let month = Month::try_from(to_u8(month)?).map_err(|e| e.to_string())?;
    Date::from_calendar_date(year, month, to_u8(day)?).map_err(|e| e.to_string())
}

fn to_u8(n: u32) -> std::result::Result<u8, Why> {
    u8::try_from(n).map_err(|_| format!("{n} is out of range"))
}

fn to_i8(n: u32) -> std::result::Result<i8, Why> {
    i8::try_from(n).map_err(|_| format!("{n} is out of range"))
}

/// A cursor over the ASCII bytes of a timestamp.
struct Scanner<'a>(&'a [u8]);

impl Scanner<'_> {
    fn next(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    /// Consumes one byte if it is one of `any`.
    fn eat(&mut self, any: &[u8]) -> bool {
        match self.0.first() {
            Some(b) if any.contains(b) => {
                self.0 = &self.0[1..];
                true
            }
            _ => false,
        }
    }

    fn expect(&mut self, any: &[u8]) -> std::result::Result<(), Why> {
        if self.eat(any) {
            Ok(())
        } else {
            Err(format!("expected {:?}", String::from_utf8_lossy(any)))
        }
    }

    fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &[u8] {
        let n = self.0.iter().position(|&b| !f(b)).unwrap_or(self.0.len());
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        head
    }

    /// Reads `min..=max` decimal digits.
    fn digits(&mut self, min: usize, max: usize) -> std::result::Result<u32, Why> {
        let all = self.0;
        let n = all
            .iter()
            .take(max)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if n < min {
            return Err(format!("expected {min} digits"));
        }
        self.0 = &all[n..];
        Ok(all[..n]
            .iter()
            .fold(0, |acc, d| acc * 10 + u32::from(d - b'0')))
    }

    /// Reads the whole rest as `min` to 2 digits.
    fn all_digits(&mut self, min: usize) -> std::result::Result<u32, Why> {
        let n = self.digits(min, 2)?;
        self.end()?;
        Ok(n)
    }

    /// Reads `hh:mm:ss`.
    fn clock(&mut self) -> std::result::Result<(u32, u32, u32), Why> {
        let h = self.digits(2, 2)?;
        self.expect(b":")?;
        let m = self.digits(2, 2)?;
        self.expect(b":")?;
        let s = self.digits(2, 2)?;
        Ok((h, m, s))
    }

    fn end(&self) -> std::result::Result<(), Why> {
        match self.0 {
            [] => Ok(()),
            rest => Err(format!(
                "unexpected {:?} at the end",
                String::from_utf8_lossy(rest)
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on bad fixtures")]

    use super::*;

    fn utc(y: i32, mo: u8, d: u8, h: u8, mi: u8, s: u8, ms: u16) -> OffsetDateTime {
        let date = Date::from_calendar_date(y, Month::try_from(mo).unwrap(), d).unwrap();
        let time = Time::from_hms_milli(h, mi, s, ms).unwrap();
        PrimitiveDateTime::new(date, time).assume_utc()
    }

    #[test]
    fn iso8601_s3_form_round_trips() {
        let t = parse_iso8601("2009-10-12T17:50:30.000Z").unwrap();
        assert_eq!(t, utc(2009, 10, 12, 17, 50, 30, 0));
        assert_eq!(format_iso8601(t), "2009-10-12T17:50:30.000Z");
        let t = parse_iso8601("2023-01-02T03:04:05.678Z").unwrap();
        assert_eq!(format_iso8601(t), "2023-01-02T03:04:05.678Z");
    }

    #[test]
    fn iso8601_accepts_no_fraction_offsets_and_long_fractions() {
        let want = utc(2009, 10, 12, 17, 50, 30, 0);
        assert_eq!(parse_iso8601("2009-10-12T17:50:30Z").unwrap(), want);
        assert_eq!(parse_iso8601("2009-10-12T17:50:30+00:00").unwrap(), want);
        assert_eq!(parse_iso8601("2009-10-12T19:50:30+02:00").unwrap(), want);
        assert_eq!(parse_iso8601("2009-10-12T12:20:30-0530").unwrap(), want);
        assert_eq!(parse_iso8601("2009-10-12T17:50:30").unwrap(), want);
        assert_eq!(parse_iso8601(" 2009-10-12t17:50:30z\n").unwrap(), want);
        let t = parse_iso8601("2009-10-12T17:50:30.123456789123Z").unwrap();
        assert_eq!(t.nanosecond(), 123_456_789);
        assert_eq!(
            parse_iso8601("2009-10-12T17:50:30.5Z")
                .unwrap()
                .millisecond(),
            500
        );
    }

    #[test]
    fn iso8601_leap_days_accepted_only_in_leap_years() {
        assert!(parse_iso8601("2024-02-29T00:00:00.000Z").is_ok());
        assert!(parse_iso8601("2000-02-29T00:00:00.000Z").is_ok());
        for bad in ["2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z"] {
            let e = parse_iso8601(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Service);
            assert!(e.to_string().contains(bad), "{e}");
        }
    }

    #[test]
    fn iso8601_invalid_values_are_rejected_with_the_value() {
        for bad in [
            "",
            "2009",
            "2009-13-01T00:00:00Z",
            "2009-04-31T00:00:00Z",
            "2009-10-12T24:00:00Z",
            "2009-10-12T23:60:00Z",
            "2009-10-12T23:59:60Z",
            "2009-10-12T17:50:30.Z",
            "2009-10-12T17:50:30.000Zjunk",
            "2009-10-12T17:50:30+25:00",
            "2009-10-12 17:50",
            "12/10/2009",
            "２００９-10-12T17:50:30Z",
        ] {
            let e = parse_iso8601(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Service);
            assert!(e.to_string().contains(&format!("{bad:?}")), "{e}");
        }
    }

    #[test]
    fn http_date_three_forms_parse_to_the_same_instant() {
        let want = utc(1994, 11, 6, 8, 49, 37, 0);
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap(),
            want
        );
        assert_eq!(
            parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT").unwrap(),
            want
        );
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994").unwrap(), want);
        assert_eq!(format_http_date(want), "Sun, 06 Nov 1994 08:49:37 GMT");
    }

    #[test]
    fn http_date_round_trips_and_drops_subseconds() {
        for t in [
            utc(2024, 2, 29, 23, 59, 59, 999),
            utc(1970, 1, 1, 0, 0, 0, 0),
            utc(2038, 1, 19, 3, 14, 8, 0),
        ] {
            let s = format_http_date(t);
            let back = parse_http_date(&s).unwrap();
            assert_eq!(back, t.replace_millisecond(0).unwrap(), "{s}");
            assert_eq!(format_http_date(back), s);
        }
        assert_eq!(
            format_http_date(utc(2024, 2, 29, 12, 0, 0, 0)),
            "Thu, 29 Feb 2024 12:00:00 GMT"
        );
    }

    #[test]
    fn http_date_rfc850_two_digit_year_pivots_at_70() {
        let t = parse_http_date("Thursday, 01-Jan-70 00:00:00 GMT").unwrap();
        assert_eq!(t.year(), 1970);
        let t = parse_http_date("Friday, 01-Jan-38 00:00:00 GMT").unwrap();
        assert_eq!(t.year(), 2038);
    }

    #[test]
    fn http_date_format_converts_offsets_to_gmt() {
        let t = parse_iso8601("2009-10-12T19:50:30+02:00").unwrap();
        let t = t.to_offset(UtcOffset::from_hms(2, 0, 0).unwrap());
        assert_eq!(format_http_date(t), "Mon, 12 Oct 2009 17:50:30 GMT");
        assert_eq!(format_iso8601(t), "2009-10-12T17:50:30.000Z");
    }

    #[test]
    fn http_date_invalid_values_are_rejected_with_the_value() {
        for bad in [
            "",
            "Sun, 29 Feb 2023 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Xyz, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 PST",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "Sun, 06 Nov 94 08:49:37 GMT",
            "Sun, 006 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94-1 08:49:37 GMT",
            "Sun Nov  6 08:49:37",
            "2009-10-12T17:50:30Z",
        ] {
            let e = parse_http_date(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Service);
            assert!(e.to_string().contains(&format!("{bad:?}")), "{e}");
        }
    }
}
