//! AWS partitions as data: which DNS suffix a region's hosts use.
//!
//! [`PARTITIONS`] copies the `id`, `regionRegex`, `outputs.dnsSuffix` and the
//! region names of AWS's `partitions.json` (version 1.1, as botocore 1.43.67
//! ships it); `tests/aws_endpoint_rules.rs` compares the table with that
//! file whenever it is present. A region belongs to the partition that lists
//! it, else to the first whose regex matches it, else to `aws`, as the
//! `aws.partition` function of AWS's endpoint rules decides.

/// One AWS partition: a group of regions sharing a DNS suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Partition {
    /// The partition id: `aws`, `aws-cn`, `aws-us-gov`, ...
    pub id: &'static str,
    /// The regular expression of its region names, as `partitions.json`
    /// writes it (anchored; `\w`, `\d`, `\-`, `+` and `(a|b)` only).
    pub region_regex: &'static str,
    /// The DNS suffix of its hosts: `amazonaws.com`, `amazonaws.com.cn`, ...
    pub dns_suffix: &'static str,
    /// The regions `partitions.json` lists by name.
    pub regions: &'static [&'static str],
}

/// Every partition, in the order of `partitions.json`; the first is `aws`.
pub const PARTITIONS: &[Partition] = &[
    Partition {
        id: "aws",
        region_regex: r"^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$",
        dns_suffix: "amazonaws.com",
        regions: &[
            "af-south-1",
            "ap-east-1",
            "ap-east-2",
            "ap-northeast-1",
            "ap-northeast-2",
            "ap-northeast-3",
            "ap-south-1",
            "ap-south-2",
            "ap-southeast-1",
            "ap-southeast-2",
            "ap-southeast-3",
            "ap-southeast-4",
            "ap-southeast-5",
            "ap-southeast-6",
            "ap-southeast-7",
            "aws-global",
            "ca-central-1",
            "ca-west-1",
            "eu-central-1",
            "eu-central-2",
            "eu-north-1",
            "eu-south-1",
            "eu-south-2",
            "eu-west-1",
            "eu-west-2",
            "eu-west-3",
            "il-central-1",
            "me-central-1",
            "me-south-1",
            "mx-central-1",
            "sa-east-1",
            "us-east-1",
            "us-east-2",
            "us-west-1",
            "us-west-2",
        ],
    },
    Partition {
        id: "aws-cn",
        region_regex: r"^cn\-\w+\-\d+$",
        dns_suffix: "amazonaws.com.cn",
        regions: &["aws-cn-global", "cn-north-1", "cn-northwest-1"],
    },
    Partition {
        id: "aws-eusc",
        region_regex: r"^eusc\-(de)\-\w+\-\d+$",
        dns_suffix: "amazonaws.eu",
        regions: &["eusc-de-east-1"],
    },
    Partition {
        id: "aws-iso",
        region_regex: r"^us\-iso\-\w+\-\d+$",
        dns_suffix: "c2s.ic.gov",
        regions: &["aws-iso-global", "us-iso-east-1", "us-iso-west-1"],
    },
    Partition {
        id: "aws-iso-b",
        region_regex: r"^us\-isob\-\w+\-\d+$",
        dns_suffix: "sc2s.sgov.gov",
        regions: &["aws-iso-b-global", "us-isob-east-1", "us-isob-west-1"],
    },
    Partition {
        id: "aws-iso-e",
        region_regex: r"^eu\-isoe\-\w+\-\d+$",
        dns_suffix: "cloud.adc-e.uk",
        regions: &["aws-iso-e-global", "eu-isoe-west-1"],
    },
    Partition {
        id: "aws-iso-f",
        region_regex: r"^us\-isof\-\w+\-\d+$",
        dns_suffix: "csp.hci.ic.gov",
        regions: &["aws-iso-f-global", "us-isof-east-1", "us-isof-south-1"],
    },
    Partition {
        id: "aws-us-gov",
        region_regex: r"^us\-gov\-\w+\-\d+$",
        dns_suffix: "amazonaws.com",
        regions: &["aws-us-gov-global", "us-gov-east-1", "us-gov-west-1"],
    },
];

/// The partition of `region`: the one listing it, else the first whose
/// regex matches, else `aws` (so `snow` or `s3-external-1` are `aws`).
///
/// ```
/// use s3lite::endpoint::partition_of;
/// assert_eq!(partition_of("cn-north-1").dns_suffix, "amazonaws.com.cn");
/// assert_eq!(partition_of("us-gov-west-1").id, "aws-us-gov");
/// assert_eq!(partition_of("snow").id, "aws");
/// ```
pub fn partition_of(region: &str) -> &'static Partition {
    PARTITIONS
        .iter()
        .find(|p| p.regions.contains(&region))
        .or_else(|| {
            PARTITIONS
                .iter()
                .find(|p| regex_matches(p.region_regex, region))
        })
        .unwrap_or(&PARTITIONS[0])
}

/// One element of a region regex.
#[derive(Debug)]
enum Atom {
    Literal(u8),
    /// `\w`: ASCII letter, digit or `_`.
    Word,
    /// `\d`: ASCII digit.
    Digit,
    /// `(a|b|...)`.
    Group(Vec<Vec<Piece>>),
}

#[derive(Debug)]
struct Piece {
    atom: Atom,
    /// Followed by `+`: one or more.
    repeat: bool,
}

/// Whether `text` matches the anchored `pattern`; a pattern outside the
/// small dialect of `partitions.json` matches nothing.
fn regex_matches(pattern: &str, text: &str) -> bool {
    let Some(body) = pattern.strip_prefix('^').and_then(|p| p.strip_suffix('$')) else {
        return false;
    };
    let mut i = 0;
    let Some(alternatives) = parse_alternatives(body.as_bytes(), &mut i) else {
        return false;
    };
    if i != body.len() {
        return false;
    }
    let text = text.as_bytes();
    alternatives
        .iter()
        .any(|seq| match_seq(seq, text, 0, &|end| end == text.len()))
}

/// Parses `a|b|...` up to an unmatched `)` or the end.
fn parse_alternatives(p: &[u8], i: &mut usize) -> Option<Vec<Vec<Piece>>> {
    let mut alternatives = vec![Vec::new()];
    while let Some(&c) = p.get(*i) {
        let atom = match c {
            b')' => break,
            b'|' => {
                *i += 1;
                alternatives.push(Vec::new());
                continue;
            }
            b'(' => {
                *i += 1;
                let inner = parse_alternatives(p, i)?;
                if p.get(*i) != Some(&b')') {
                    return None;
                }
                Atom::Group(inner)
            }
            b'\\' => {
                *i += 1;
                match p.get(*i)? {
                    b'w' => Atom::Word,
                    b'd' => Atom::Digit,
                    c if c.is_ascii_punctuation() => Atom::Literal(*c),
                    _ => return None,
                }
            }
            b'+' | b'*' | b'?' | b'.' | b'[' | b'{' | b'^' | b'$' => return None,
            c => Atom::Literal(c),
        };
        *i += 1;
        let repeat = p.get(*i) == Some(&b'+');
        if repeat {
            *i += 1;
        }
        alternatives.last_mut()?.push(Piece { atom, repeat });
    }
    Some(alternatives)
}

/// Matches `seq` at `pos`, then asks `rest` about the end position
/// (backtracking through every way `+` and groups can match).
fn match_seq(seq: &[Piece], text: &[u8], pos: usize, rest: &dyn Fn(usize) -> bool) -> bool {
    match seq.split_first() {
        None => rest(pos),
        Some((first, tail)) => {
            match_piece(first, text, pos, &|next| match_seq(tail, text, next, rest))
        }
    }
}

fn match_piece(piece: &Piece, text: &[u8], pos: usize, rest: &dyn Fn(usize) -> bool) -> bool {
    if !piece.repeat {
        return match_atom(&piece.atom, text, pos, rest);
    }
    match_atom(&piece.atom, text, pos, &|next| {
        (next > pos && match_piece(piece, text, next, rest)) || rest(next)
    })
}

fn match_atom(atom: &Atom, text: &[u8], pos: usize, rest: &dyn Fn(usize) -> bool) -> bool {
    let byte = |ok: fn(&u8) -> bool| text.get(pos).is_some_and(ok) && rest(pos + 1);
    match atom {
        Atom::Literal(c) => text.get(pos) == Some(c) && rest(pos + 1),
        Atom::Word => byte(|b| b.is_ascii_alphanumeric() || *b == b'_'),
        Atom::Digit => byte(u8::is_ascii_digit),
        Atom::Group(alternatives) => alternatives
            .iter()
            .any(|seq| match_seq(seq, text, pos, rest)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_regex_is_in_the_supported_dialect() {
        for p in PARTITIONS {
            let body = &p.region_regex[1..p.region_regex.len() - 1];
            let mut i = 0;
            assert!(
                parse_alternatives(body.as_bytes(), &mut i).is_some() && i == body.len(),
                "{}",
                p.id
            );
            for region in p.regions.iter().filter(|r| !r.ends_with("-global")) {
                assert!(regex_matches(p.region_regex, region), "{region}");
            }
        }
    }

    #[test]
    fn regions_find_their_partition() {
        for (region, id) in [
            ("us-east-1", "aws"),
            ("eu-central-3", "aws"),
            ("aws-global", "aws"),
            ("cn-northwest-9", "aws-cn"),
            ("aws-cn-global", "aws-cn"),
            ("us-gov-east-1", "aws-us-gov"),
            ("us-iso-west-1", "aws-iso"),
            ("us-isob-east-2", "aws-iso-b"),
            ("eu-isoe-west-1", "aws-iso-e"),
            ("us-isof-south-1", "aws-iso-f"),
            ("eusc-de-east-2", "aws-eusc"),
            ("snow", "aws"),
            ("us-east-2!", "aws"),
            ("", "aws"),
        ] {
            assert_eq!(partition_of(region).id, id, "{region}");
        }
    }

    #[test]
    fn the_regex_dialect_backtracks_and_refuses_the_unknown() {
        assert!(regex_matches(r"^a\w+b$", "axxb"));
        assert!(!regex_matches(r"^a\w+\-\d+$", "a-b-c-1"));
        assert!(regex_matches(r"^(ab|a)\w\d$", "ax1"));
        assert!(!regex_matches(r"^a.b$", "axb"));
        assert!(!regex_matches(r"a", "a"));
        assert!(!regex_matches(r"^(a$", "a"));
    }
}
