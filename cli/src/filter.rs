//! `--exclude` / `--include` as the AWS CLI has them: glob patterns matched
//! against each path relative to the source (the directory, or the prefix
//! up to its last `/`), applied in the order given; the last one that
//! matches decides, and a path no pattern matches is included.
//!
//! The patterns are Python's `fnmatch`, which the AWS CLI uses: `*` is any
//! run of characters, `/` included (so `*.txt` matches `a/b/c.txt`), `?` is
//! one character, `[abc]`, `[a-z]` and `[!abc]` are one character of (or
//! not of) a set; everything else, case included, matches itself.

use clap::ArgMatches;

/// Whether a matching pattern takes a path in or leaves it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    Include,
    Exclude,
}

/// The `--include` / `--exclude` patterns of a command, in command-line
/// order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filters {
    rules: Vec<(Rule, Vec<char>)>,
}

impl Filters {
    /// The patterns of the command whose own matches are `matches`, ordered
    /// by where they stand on the command line (clap keeps each option's
    /// values apart, with their positions).
    pub(crate) fn from_matches(matches: &ArgMatches) -> Filters {
        let mut found: Vec<(usize, Rule, String)> = Vec::new();
        for (id, rule) in [("exclude", Rule::Exclude), ("include", Rule::Include)] {
            let known = matches.try_get_many::<String>(id).ok().flatten();
            let (Some(values), Some(indices)) = (known, matches.indices_of(id)) else {
                continue;
            };
            for (value, index) in values.zip(indices) {
                found.push((index, rule, value.clone()));
            }
        }
        found.sort_by_key(|(index, _, _)| *index);
        Filters {
            rules: found
                .into_iter()
                .map(|(_, rule, pattern)| (rule, pattern.chars().collect()))
                .collect(),
        }
    }

    /// Whether `rel`, a `/`-separated path relative to the source, is taken.
    pub(crate) fn includes(&self, rel: &str) -> bool {
        let path: Vec<char> = rel.chars().collect();
        let mut included = true;
        for (rule, pattern) in &self.rules {
            if fnmatch(pattern, &path) {
                included = *rule == Rule::Include;
            }
        }
        included
    }

    #[cfg(test)]
    fn of(rules: &[(&str, &str)]) -> Filters {
        Filters {
            rules: rules
                .iter()
                .map(|(kind, p)| {
                    let rule = if *kind == "include" {
                        Rule::Include
                    } else {
                        Rule::Exclude
                    };
                    (rule, p.chars().collect())
                })
                .collect(),
        }
    }
}

/// Whether `pattern` matches all of `text` (Python's `fnmatchcase`).
/// Backtracks only to the last `*`, so it is linear in practice.
fn fnmatch(pattern: &[char], text: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    // Where to resume after the last `*`: its pattern index + 1 and the text
    // index it now stands for.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p + 1, t));
                p += 1;
                continue;
            }
            Some('?') => {
                p += 1;
                t += 1;
                continue;
            }
            Some('[') => {
                if let Some((matched, next)) = class(pattern, p, text[t]) {
                    if matched {
                        p = next;
                        t += 1;
                        continue;
                    }
                } else if text[t] == '[' {
                    // An unclosed `[` is a literal, as in fnmatch.
                    p += 1;
                    t += 1;
                    continue;
                }
            }
            Some(c) if *c == text[t] => {
                p += 1;
                t += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, st)) => {
                p = sp;
                t = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// The set `[...]` starting at `pattern[open]`: whether `c` is in it and
/// the index after its `]`, or `None` when no `]` closes it.
fn class(pattern: &[char], open: usize, c: char) -> Option<(bool, usize)> {
    let mut i = open + 1;
    let negated = matches!(pattern.get(i), Some('!'));
    if negated {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let ch = *pattern.get(i)?;
        // A `]` right after `[` or `[!` is a member, not the end.
        if ch == ']' && !first {
            return Some((matched != negated, i + 1));
        }
        first = false;
        if pattern.get(i + 1) == Some(&'-') && pattern.get(i + 2).is_some_and(|e| *e != ']') {
            let end = pattern[i + 2];
            matched |= ch <= c && c <= end;
            i += 3;
        } else {
            matched |= ch == c;
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, text: &str) -> bool {
        fnmatch(
            &pattern.chars().collect::<Vec<_>>(),
            &text.chars().collect::<Vec<_>>(),
        )
    }

    #[test]
    fn star_crosses_slashes_as_fnmatch_does() {
        assert!(m("*.txt", "a.txt"));
        assert!(m("*.txt", "a/b/c.txt"));
        assert!(m("a/*", "a/b/c"));
        assert!(!m("*.txt", "a.txt.gz"));
        assert!(m("*", ""));
        assert!(m("a*b*c", "aXbYbZc"));
        assert!(!m("a*b*c", "aXbYbZ"));
        assert!(m("**", "x/y"));
    }

    #[test]
    fn question_marks_sets_and_literals() {
        assert!(m("file-?.bin", "file-1.bin"));
        assert!(!m("file-?.bin", "file-12.bin"));
        assert!(m("[abc].txt", "b.txt"));
        assert!(!m("[abc].txt", "d.txt"));
        assert!(m("[!abc].txt", "d.txt"));
        assert!(!m("[!abc].txt", "a.txt"));
        assert!(m("[a-c]x", "bx"));
        assert!(!m("[a-c]x", "dx"));
        assert!(m("[]]", "]"));
        assert!(m("[a-]", "-"));
        assert!(m("[x", "[x"), "an unclosed set is literal");
        assert!(!m("A.txt", "a.txt"), "case-sensitive");
        assert!(m("é/中文/*", "é/中文/文件 1.txt"));
    }

    #[test]
    fn later_filters_win_and_default_is_include() {
        let none = Filters::default();
        assert!(none.includes("anything"));
        let f = Filters::of(&[("exclude", "*"), ("include", "*.txt")]);
        assert!(f.includes("a/b.txt"));
        assert!(!f.includes("a/b.bin"));
        // The other order: the exclude of everything comes last and wins.
        let f = Filters::of(&[("include", "*.txt"), ("exclude", "*")]);
        assert!(!f.includes("a/b.txt"));
        let f = Filters::of(&[
            ("exclude", "logs/*"),
            ("include", "logs/keep-*"),
            ("exclude", "*.tmp"),
        ]);
        assert!(f.includes("top.txt"));
        assert!(!f.includes("logs/old.log"));
        assert!(f.includes("logs/keep-1.log"));
        assert!(!f.includes("logs/keep-1.tmp"));
    }
}
