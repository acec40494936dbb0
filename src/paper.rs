//! The unit paperdex indexes: one paper, as every source format is normalised to it.
//!
//! Invariant: text fields hold clean, human-readable text (no LaTeX escapes, no link markers, no
//! placeholder abstracts); an absent abstract is the empty string.

use serde::{Deserialize, Serialize};

/// One paper, ready to index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Paper {
    /// Unique key in the index: `<file stem>-<N>` for listings, the record's own id for JSON Lines.
    pub id: String,
    /// Venue: the listing's file stem, or the record's `venue` (its `year` is kept in `year`).
    pub venue: String,
    /// The `#N` number in a listing; `None` for JSON sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<u64>,
    /// Publication year where the source gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i64>,
    pub title: String,
    pub authors: Vec<String>,
    #[serde(rename = "abstract")]
    pub abstract_text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A record that could not be turned into a [`Paper`]: where it starts and what is wrong.
///
/// The file name is added by the caller, which knows it; parsers work on lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    /// 1-based line number in the source.
    pub line: u64,
    pub message: String,
}

impl std::fmt::Display for RecordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // After the file name, as `file:7: what is wrong`: the form compilers and grep use,
        // which editors jump to.
        write!(f, "{}: {}", self.line, self.message)
    }
}

impl std::error::Error for RecordError {}

/// How a [`RecordError::read_failure`] message starts, by kind.
const TRUNCATED: &str = "input ended unexpectedly";
const DAMAGED: &str = "the file is damaged";
const UNREADABLE: &str = "read error";

impl RecordError {
    /// The error that ends a source's input at `line`: the file was cut short, is damaged (a
    /// gzip stream that fails to inflate or whose checksum does not match), or cannot be read.
    pub fn read_failure(line: u64, err: &std::io::Error) -> RecordError {
        use std::io::ErrorKind;
        let message = match err.kind() {
            ErrorKind::UnexpectedEof => format!("{TRUNCATED} (truncated file?): {err}"),
            ErrorKind::InvalidData | ErrorKind::InvalidInput => format!(
                "{DAMAGED} ({err}): the rest of it is not read, and the records read before may hold damaged text"
            ),
            _ => format!("{UNREADABLE}: {err}"),
        };
        RecordError { line, message }
    }

    /// Whether this is a [`RecordError::read_failure`]: a problem of the whole file, always
    /// listed, however many invalid records came before it.
    pub fn is_read_failure(&self) -> bool {
        [TRUNCATED, DAMAGED, UNREADABLE]
            .iter()
            .any(|start| self.message.starts_with(start))
    }
}

/// A source's author names as paperdex keeps them: names joined by "and" in one entry split
/// ([`names_apart`]), then a list written out twice over read once ([`authors_once`]).
pub fn author_list(names: Vec<String>) -> Vec<String> {
    // Not at commas alone: `John Smith, Google Brain` and `De la Cruz, Maria Elena` are one
    // author each, and look like two names.
    let names = if names.iter().any(|name| name.contains(" and ")) {
        names.iter().flat_map(|name| names_apart(name)).collect()
    } else {
        names
    };
    authors_once(names)
}

/// The lower-case words a person's name may hold (`van der`, `de`): every other word of a name
/// is capitalised.
pub(crate) const NAME_PARTICLES: &[&str] = &[
    "van", "von", "der", "den", "de", "del", "della", "di", "da", "dos", "das", "du", "la", "le",
    "ter", "ten", "zu", "bin", "al", "y",
];

/// `K. Lai and D. Fox` as the two names it is. Lists split on commas keep the last two names of
/// `A, B and C` together: 79 entries of one public collection. Each part must look like a
/// person's name: two or more words, each capitalised but for a particle (`van der`, `de`), and
/// none a word of a group's name, so `Evangelos and Zervas`, `Department of Electrical and
/// Computer Engineering` or `Stanford Vision and Learning Lab` is kept as written. An entry
/// holding a whole list (`A. Smith, B. Jones and C. Lee`) is split at its commas too.
fn names_apart(entry: &str) -> Vec<String> {
    const GROUPS: &[&str] = &[
        "Lab",
        "Laboratory",
        "Laboratories",
        "Group",
        "Team",
        "Center",
        "Centre",
        "Institute",
        "University",
        "Department",
        "School",
        "College",
        "Engineering",
        "Systems",
        "Sciences",
        "Science",
        "Technology",
        "Technologies",
        "Collaboration",
        "Consortium",
        "Research",
        "Inc.",
        "Ltd.",
        "Corporation",
        "Foundation",
        "Society",
        "Association",
    ];
    let parts: Vec<&str> = entry
        .split(" and ")
        .flat_map(|part| part.split(", "))
        .map(str::trim)
        .collect();
    let named = |part: &&str| {
        let words: Vec<&str> = part.split_whitespace().collect();
        words.len() >= 2
            && words
                .first()
                .is_some_and(|w| w.starts_with(char::is_uppercase))
            && words.iter().all(|w| {
                (w.starts_with(char::is_uppercase) || NAME_PARTICLES.contains(w))
                    && !GROUPS.contains(w)
            })
    };
    if parts.len() > 1 && parts.iter().all(named) {
        parts.into_iter().map(str::to_owned).collect()
    } else {
        vec![entry.to_owned()]
    }
}

/// `names` with a list written out two or more times over (`A; B; A; B`) cut to one pass.
///
/// 35,696 of the 87,669 records of one public collection (every ICRA and IROS paper) hold their
/// author list twice, which a reader sees as twice the authors and an author search counts
/// twice. A list that only repeats some names (`Jie Zhou` twice among six) is kept as it is:
/// two authors may share a name. A list of one name twice is cut too: the collection holds 641
/// single-author papers doubled so, and two co-authors of one name alone are far rarer.
pub fn authors_once(mut names: Vec<String>) -> Vec<String> {
    let n = names.len();
    // The shortest repeating block wins: `A; A; A; A` is one author.
    let period = (1..=n / 2)
        .filter(|&p| n.is_multiple_of(p))
        .find(|&p| names[p..].chunks_exact(p).all(|block| block == &names[..p]));
    if let Some(p) = period {
        names.truncate(p);
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn once(names: &[&str]) -> Vec<String> {
        authors_once(names.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn an_author_list_written_twice_over_is_read_once() {
        assert_eq!(once(&["A", "B", "C", "A", "B", "C"]), ["A", "B", "C"]);
        assert_eq!(once(&["A", "B", "A", "B", "A", "B"]), ["A", "B"]);
        assert_eq!(once(&["Hang Wu", "Hang Wu"]), ["Hang Wu"]);
    }

    #[test]
    fn names_joined_by_and_in_one_entry_are_split() {
        let list = |names: &[&str]| author_list(names.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            list(&["N. Trawny", "X. S. Zhou and S. I. Roumeliotis"]),
            ["N. Trawny", "X. S. Zhou", "S. I. Roumeliotis"]
        );
        assert_eq!(list(&["K. Lai and D. Fox"]), ["K. Lai", "D. Fox"]);
        assert_eq!(
            list(&["M. Vahedi and A. F. van der Stappen"]),
            ["M. Vahedi", "A. F. van der Stappen"]
        );
        // Written twice over as well: split, then read once.
        assert_eq!(
            list(&[
                "Samuel L. Smith and Quoc V. Le",
                "Samuel L. Smith and Quoc V. Le"
            ]),
            ["Samuel L. Smith", "Quoc V. Le"]
        );
        assert_eq!(
            list(&["A. Smith, B. Jones and C. Lee"]),
            ["A. Smith", "B. Jones", "C. Lee"]
        );
        assert_eq!(list(&["Mary Ann and Ann Marie"]), ["Mary Ann", "Ann Marie"]);

        // Not two names: kept as written.
        for kept in [
            "Evangelos and Zervas",
            "Department of Computer Science and Engineering",
            "Department of Electrical and Computer Engineering",
            "Laboratory for Information and Decision Systems",
            "Institute of Science and Technology Austria",
            "Stanford Vision and Learning Lab",
            "Smith, John and Doe, Jane",
            "Smith, John",
            "Rodriguez, S.",
            "John Smith, Google Brain",
            "De la Cruz, Maria Elena",
            "John Smith, Jr.",
            "Jane and John Smith",
            "Vision and Learning Lab",
            "Alexander Anderson",
            "Ann Band",
            "jane doe and john roe",
        ] {
            assert_eq!(list(&[kept]), [kept]);
        }
    }

    #[test]
    fn a_list_that_only_repeats_some_names_is_kept() {
        let kept = ["Jie Zhou", "Le Tian", "Hui Su", "Jie Zhou"];
        assert_eq!(once(&kept), kept);
        assert_eq!(once(&["A", "B", "A"]), ["A", "B", "A"]);
        assert_eq!(once(&["A", "B", "B", "A"]), ["A", "B", "B", "A"]);
        assert_eq!(once(&["A"]), ["A"]);
        assert!(once(&[]).is_empty());
    }
}
