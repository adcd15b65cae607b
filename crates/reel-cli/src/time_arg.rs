//! Parsing times given on the command line.

/// `12.5s`, `500ms`, `40us`, `1000ns`, `1m30s`-free plain forms, or a bare number of seconds → ns.
pub fn parse_ns(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (num, scale) = if let Some(n) = s.strip_suffix("ns") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix("us") {
        (n, 1e3)
    } else if let Some(n) = s.strip_suffix("ms") {
        (n, 1e6)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1e9)
    } else {
        (s, 1e9)
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a time: use e.g. 12.5s, 500ms or 12.5"))?;
    if !v.is_finite() || v.abs() > 9.2e9 {
        return Err(format!("{s:?} is out of range"));
    }
    Ok((v * scale).round() as i64)
}

/// A time in ns for people (`6.683333333s`, `2s`): the form `parse_ns`
/// reads back.
pub use reel_types::seconds;

#[cfg(test)]
mod tests {
    use super::{parse_ns, seconds};

    #[test]
    fn seconds_read_back() {
        assert_eq!(seconds(6_683_333_333), "6.683333333s");
        assert_eq!(seconds(2_000_000_000), "2s");
        assert_eq!(seconds(-500_000_000), "-0.5s");
        for ns in [0, 1, 999_999_999, 6_666_666_667, -42] {
            assert_eq!(parse_ns(&seconds(ns)), Ok(ns));
        }
    }

    #[test]
    fn units() {
        assert_eq!(parse_ns("12.5s"), Ok(12_500_000_000));
        assert_eq!(parse_ns("12.5"), Ok(12_500_000_000));
        assert_eq!(parse_ns("500ms"), Ok(500_000_000));
        assert_eq!(parse_ns("7ns"), Ok(7));
        assert!(parse_ns("soon").is_err());
    }
}
