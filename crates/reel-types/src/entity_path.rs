//! Entity paths: where in the recording's tree a piece of data lives.

use std::fmt;
use std::str::FromStr;

use crate::{DataError, DataResult};

/// A path into the recording's tree of entities, e.g. `/camera/front`.
///
/// Parts are non-empty strings of any characters; the string form separates
/// them with `/` and escapes every character outside `[A-Za-z0-9_.-]` and
/// non-ASCII letters and digits with a backslash (`/camera/left\ eye`), so
/// that any part round-trips through [`Display`](fmt::Display) and
/// [`FromStr`]. The root is `/`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct EntityPath {
    parts: Vec<String>,
}

impl EntityPath {
    /// The root entity, `/`.
    pub fn root() -> Self {
        Self::default()
    }

    /// A path from already-split parts; any characters are allowed in a part.
    ///
    /// Fails on an empty part, which could not be written down.
    pub fn from_parts<I, S>(parts: I) -> DataResult<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let parts: Vec<String> = parts.into_iter().map(Into::into).collect();
        if let Some(i) = parts.iter().position(String::is_empty) {
            return Err(DataError::InvalidEntityPath {
                path: format!("{parts:?}"),
                reason: format!("part {i} is empty"),
            });
        }
        Ok(Self { parts })
    }

    /// Parses the string form; a leading `/` is optional.
    pub fn parse(s: &str) -> DataResult<Self> {
        let err = |reason: String| DataError::InvalidEntityPath {
            path: s.to_owned(),
            reason,
        };
        let body = s.strip_prefix('/').unwrap_or(s);
        if body.is_empty() {
            return Ok(Self::root());
        }
        let mut parts = Vec::new();
        let mut part = String::new();
        let mut chars = body.chars().enumerate();
        while let Some((i, c)) = chars.next() {
            match c {
                '/' => {
                    if part.is_empty() {
                        return Err(err(format!(
                            "empty part before the '/' at character {i} (use a single '/' between parts)"
                        )));
                    }
                    parts.push(std::mem::take(&mut part));
                }
                '\\' => match chars.next() {
                    Some((_, escaped)) => part.push(escaped),
                    None => return Err(err("ends with a lone '\\' (escape it as '\\\\')".into())),
                },
                c if is_plain_char(c) => part.push(c),
                c => {
                    return Err(err(format!(
                        "character {c:?} at position {i} must be escaped with a backslash (\\{c})"
                    )));
                }
            }
        }
        if part.is_empty() {
            return Err(err("ends with '/' (remove the trailing slash)".into()));
        }
        parts.push(part);
        Ok(Self { parts })
    }

    /// The unescaped parts, root first.
    pub fn parts(&self) -> &[String] {
        &self.parts
    }

    /// Whether this is the root path `/`.
    pub fn is_root(&self) -> bool {
        self.parts.is_empty()
    }

    /// The path with one more part.
    pub fn join(&self, part: impl Into<String>) -> DataResult<Self> {
        let mut parts = self.parts.clone();
        parts.push(part.into());
        Self::from_parts(parts)
    }

    /// Whether `self` is `other` or lies below it.
    pub fn starts_with(&self, other: &EntityPath) -> bool {
        self.parts.starts_with(&other.parts)
    }
}

/// Characters that need no escaping in the string form.
fn is_plain_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.')
}

impl fmt::Display for EntityPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.parts.is_empty() {
            return f.write_str("/");
        }
        for part in &self.parts {
            f.write_str("/")?;
            for c in part.chars() {
                if !is_plain_char(c) {
                    f.write_str("\\")?;
                }
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

impl FromStr for EntityPath {
    type Err = DataError;
    fn from_str(s: &str) -> DataResult<Self> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for EntityPath {
    type Error = DataError;
    fn try_from(s: &str) -> DataResult<Self> {
        Self::parse(s)
    }
}

impl TryFrom<String> for EntityPath {
    type Error = DataError;
    fn try_from(s: String) -> DataResult<Self> {
        Self::parse(&s)
    }
}

impl TryFrom<&String> for EntityPath {
    type Error = DataError;
    fn try_from(s: &String) -> DataResult<Self> {
        Self::parse(s)
    }
}

impl TryFrom<&EntityPath> for EntityPath {
    type Error = DataError;
    fn try_from(p: &EntityPath) -> DataResult<Self> {
        Ok(p.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays() {
        let p = EntityPath::parse("camera/front").unwrap();
        assert_eq!(p.parts(), ["camera", "front"]);
        assert_eq!(p.to_string(), "/camera/front");
        assert_eq!(EntityPath::parse("/camera/front").unwrap(), p);
        assert!(EntityPath::parse("/").unwrap().is_root());
        assert_eq!(EntityPath::root().to_string(), "/");
    }

    #[test]
    fn escapes_round_trip() {
        let p = EntityPath::from_parts(["left eye", "a/b", "ü-1.0", "back\\slash"]).unwrap();
        let s = p.to_string();
        assert_eq!(s, "/left\\ eye/a\\/b/ü-1.0/back\\\\slash");
        assert_eq!(EntityPath::parse(&s).unwrap(), p);
    }

    #[test]
    fn clear_errors() {
        let e = EntityPath::parse("a//b").unwrap_err().to_string();
        assert!(e.contains("empty part"), "{e}");
        let e = EntityPath::parse("a b").unwrap_err().to_string();
        assert!(e.contains("must be escaped"), "{e}");
        let e = EntityPath::parse("a/").unwrap_err().to_string();
        assert!(e.contains("trailing slash"), "{e}");
        let e = EntityPath::parse("a\\").unwrap_err().to_string();
        assert!(e.contains("lone"), "{e}");
        assert!(EntityPath::from_parts(["a", ""]).is_err());
    }
}
