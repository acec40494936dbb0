//! Cleaning of scraped text (titles, abstracts, author names) before it is indexed and shown.
//!
//! Invariant: [`clean_text`] returns text with no LaTeX markup (escapes, commands, group braces,
//! `$` math delimiters), no HTML entities, no whitespace runs or control characters, and no
//! line-break hyphenation of the `Ini- tial` kind. It runs in time linear in the input and never
//! panics. Where a rule could damage real text (`8x- and 4x- faster`, `$5 and $10`) it leaves the
//! text as it is: a stray markup character costs less than a mangled word. So a Windows path
//! (`C:\Users\me`) is kept as written, and a logo (`\LaTeX`) is its name.
//!
//! Typographic quotes and dashes are kept; folding them is the analyzer's job.

/// Bumped whenever cleaning changes the text of some paper, since an index holds the text as it
/// was cleaned: it is part of the index format version, so an index cleaned otherwise is rebuilt
/// from its sources as one built by other analyzers is, rather than showing and matching the old
/// text until someone thinks of `--rebuild`.
/// 1: logos (`\LaTeX`) are their names, and a Windows path (`C:\Users\me`) is kept as written.
/// 2: an author list written out twice over is read once ([`crate::paper::authors_once`]).
/// 3: two names joined by "and" in one author entry are two authors
/// ([`crate::paper::author_list`]).
/// 4: LaTeX letters (`{\o}`, `\ss`, `{\L}`) and accents on any letter (`\v{s}`, `{\H o}`,
/// `\"{\i}`) are letters, not dropped; `\href{url}{text}` and `\footnote{...}` are kept apart
/// from the words beside them; and listings are read as the twenty-second session reads them
/// (a no-break space after `#N`, an author list over several lines, a title's own `[Word]`).
pub const CLEANING_VERSION: u32 = 4;

/// Cleans one scraped text field for indexing and display.
///
/// ```
/// # use paperdex::clean::clean_text;
/// assert_eq!(
///     clean_text("up to 14\\% faster on $E(2)$, \\textit{see} A &amp; B.\n  Ini- tial"),
///     "up to 14% faster on E(2), see A & B. Initial"
/// );
/// ```
#[must_use]
pub fn clean_text(s: &str) -> String {
    let decoded = decode(s);
    let text = if decoded.contains("- ") {
        dehyphenate(&decoded)
    } else {
        decoded
    };
    // After decoding, which can make a combining mark of an entity (`nai&#776;ve`).
    composed(text)
}

/// `s` composed ([`compose`]), reusing it where it already is.
#[must_use]
pub fn composed(s: String) -> String {
    match compose(&s) {
        std::borrow::Cow::Borrowed(_) => s,
        std::borrow::Cow::Owned(c) => c,
    }
}

/// `s` in Unicode's composed form (NFC): `a` followed by a combining diaeresis, as text copied
/// from PDFs and macOS file names often has it, becomes the one letter `ä`, which the analyzer
/// folds to `a` like any other `ä`. Left apart, the mark would split the word in two (`nai` +
/// `ve`), and `naive` or `Sandstrom` would not find it. Queries are composed the same way
/// ([`crate::query::parse`]), so each side meets the other whichever form it was typed in.
#[must_use]
pub fn compose(s: &str) -> std::borrow::Cow<'_, str> {
    use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};
    if s.is_ascii() || is_nfc_quick(s.chars()) == IsNormalized::Yes {
        std::borrow::Cow::Borrowed(s)
    } else {
        std::borrow::Cow::Owned(s.nfc().collect())
    }
}

/// Output buffer that collapses whitespace runs into one space and trims both ends.
struct Out {
    text: String,
    pending_space: bool,
}

impl Out {
    fn with_capacity(n: usize) -> Self {
        Out {
            text: String::with_capacity(n),
            pending_space: false,
        }
    }

    /// Appends printable ASCII words separated by single spaces (no other whitespace, no control
    /// characters), which start and end with a word.
    fn push_plain(&mut self, s: &str) {
        if self.pending_space && !self.text.is_empty() {
            self.text.push(' ');
        }
        self.pending_space = false;
        self.text.push_str(s);
    }

    fn push(&mut self, c: char) {
        // Control characters other than whitespace are noise from scraping; treat them as a
        // separator so words on either side stay apart.
        if c.is_whitespace() || c.is_control() {
            self.space();
            return;
        }
        if is_invisible(c) {
            return;
        }
        if self.pending_space && !self.text.is_empty() {
            self.text.push(' ');
        }
        self.pending_space = false;
        self.text.push(c);
    }

    fn push_str(&mut self, s: &str) {
        for c in s.chars() {
            self.push(c);
        }
    }

    fn space(&mut self) {
        self.pending_space = true;
    }

    fn push_entity(&mut self, e: Entity) {
        match e {
            Entity::Char(c) => self.push(c),
            Entity::Literal(s) => self.push_str(s),
        }
    }
}

/// What a `{` opened, so its `}` knows what to do.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Group {
    /// An ordinary group: the braces are dropped, the content kept.
    Plain,
    /// The numerator of `\frac{a}{b}`: a `/` goes between it and the denominator.
    Numerator,
    /// The argument of a command whose argument is not text (`\cite{key}`): dropped.
    Skip,
    /// Text set apart from the words around it (`\href{url}{text}`'s address, a
    /// `\footnote{...}`): a space on each side, so `code\footnote{x}` is not one word.
    Spaced,
}

/// Decodes LaTeX and HTML markup and collapses whitespace, in one pass.
fn decode(s: &str) -> String {
    let math = math_delimiters(s);
    // `math` is sorted and visited in order, so a cursor finds each delimiter in O(1).
    let mut math_next = 0;
    let mut out = Out::with_capacity(s.len());
    let mut groups: Vec<Group> = Vec::new();
    // Number of enclosing `Skip` groups: while positive, text is dropped.
    let mut skipping = 0usize;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            // A Windows path (`C:\Users\me`) is not LaTeX: kept as written, to its end.
            b'\\' if drive_letter_before(bytes, i) => {
                let end = bytes[i..]
                    .iter()
                    .position(u8::is_ascii_whitespace)
                    .map_or(bytes.len(), |p| i + p);
                if skipping == 0 {
                    out.push_str(&s[i..end]);
                }
                i = end;
            }
            b'\\' => {
                let (emit, next) = latex_command(s, i);
                i = next;
                match emit {
                    Emit::Text(t) if skipping == 0 => out.push_str(t),
                    Emit::Char(c) if skipping == 0 => out.push(c),
                    Emit::Space if skipping == 0 => out.space(),
                    Emit::OpenGroup(g) if bytes.get(i) == Some(&b'{') => {
                        i += 1;
                        match g {
                            Group::Skip => skipping += 1,
                            Group::Spaced => out.space(),
                            _ => {}
                        }
                        groups.push(g);
                    }
                    _ => {}
                }
            }
            b'{' => {
                groups.push(Group::Plain);
                i += 1;
            }
            b'}' => {
                i += 1;
                match groups.pop() {
                    Some(Group::Skip) => skipping = skipping.saturating_sub(1),
                    // Not before punctuation: `see \href{url}.` ends `url.`.
                    Some(Group::Spaced)
                        if bytes
                            .get(i)
                            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'{') =>
                    {
                        out.space();
                    }
                    Some(Group::Numerator) if bytes.get(i) == Some(&b'{') && skipping == 0 => {
                        out.push('/');
                    }
                    _ => {}
                }
            }
            b'$' if {
                while math.get(math_next).is_some_and(|&m| m < i) {
                    math_next += 1;
                }
                math.get(math_next) == Some(&i)
            } =>
            {
                // `$$` display math is one delimiter.
                i += if bytes.get(i + 1) == Some(&b'$') {
                    2
                } else {
                    1
                };
            }
            b'&' => {
                let (c, next) = html_entity(s, i);
                if skipping == 0 {
                    out.push_entity(c);
                }
                i = next;
            }
            _ if is_plain(b) => {
                // Most of an abstract is plain ASCII words between single spaces, which need no
                // change: copied a run at a time.
                let mut end = i + 1;
                while end < bytes.len() {
                    if is_plain(bytes[end])
                        || (bytes[end] == b' ' && bytes.get(end + 1).copied().is_some_and(is_plain))
                    {
                        end += 1;
                    } else {
                        break;
                    }
                }
                if skipping == 0 {
                    out.push_plain(&s[i..end]);
                }
                i = end;
            }
            _ => {
                // Copy one whole UTF-8 character; `i` is always on a character boundary.
                let c = s[i..].chars().next().unwrap_or(' ');
                if skipping == 0 {
                    out.push(c);
                }
                i += c.len_utf8();
            }
        }
    }
    out.text
}

/// Whether the backslash at `i` continues a Windows path: it follows a drive letter that
/// starts a word (after a space, `(` or a quote) and what follows, up to the next space, has
/// none of LaTeX's `{ } $ ^`. Maths has the same shape, and is far more common in abstracts:
/// `$f:\mathbb{R}^d$`, `(A:\textbf{x})`, `\cite{b:\y}`.
fn drive_letter_before(bytes: &[u8], i: usize) -> bool {
    let starts_word = i == 2
        || (i > 2 && matches!(bytes[i - 3], b'(' | b'"' | b'\''))
        || (i > 2 && bytes[i - 3].is_ascii_whitespace());
    i >= 2
        && bytes[i - 1] == b':'
        && bytes[i - 2].is_ascii_alphabetic()
        && starts_word
        && !bytes[i..]
            .iter()
            .take_while(|b| !b.is_ascii_whitespace())
            .any(|b| matches!(b, b'{' | b'}' | b'$' | b'^'))
}

/// A byte that stands for itself: printable ASCII other than LaTeX's and HTML's markup.
fn is_plain(b: u8) -> bool {
    b.is_ascii_graphic() && !matches!(b, b'\\' | b'{' | b'}' | b'$' | b'&')
}

/// What a `\command` turns into.
enum Emit<'a> {
    Text(&'a str),
    Char(char),
    Space,
    /// Nothing is emitted; if a `{` follows, it opens a group of this kind.
    OpenGroup(Group),
    Nothing,
}

/// Reads the LaTeX command starting at the backslash at `i`; returns what to emit and where the
/// text continues.
fn latex_command(s: &str, i: usize) -> (Emit<'_>, usize) {
    let bytes = s.as_bytes();
    let Some(&next) = bytes.get(i + 1) else {
        return (Emit::Nothing, i + 1);
    };
    if next.is_ascii_alphabetic() {
        let end = bytes[i + 1..]
            .iter()
            .position(|b| !b.is_ascii_alphabetic())
            .map_or(bytes.len(), |p| i + 1 + p);
        let name = &s[i + 1..end];
        if let Some(letter) = letter_command(name) {
            // Inside a word, a control word ends at the space after it, which is not text:
            // `S\o ren`. After a space it is a word's first letter, or a word of its own
            // (`2.1 \AA resolution`), and the space stays.
            let in_word = i > 0 && bytes[i - 1].is_ascii_alphabetic();
            let end = if in_word
                && bytes.get(end) == Some(&b' ')
                && bytes.get(end + 1).is_some_and(u8::is_ascii_alphabetic)
            {
                end + 1
            } else {
                end
            };
            return (Emit::Text(letter), end);
        }
        // `\v{s}`, or `{\H o}` in a group of its own: `\r and` in text is no accent.
        let grouped = i > 0 && bytes[i - 1] == b'{';
        if let [accent] = name.as_bytes() {
            if let Some((c, after)) = accented(bytes, *accent, end, grouped) {
                return (Emit::Char(c), after);
            }
        }
        return (command(name, bytes.get(end) == Some(&b'{')), end);
    }
    let emit = match next {
        b'%' | b'&' | b'_' | b'#' | b'$' | b'{' | b'}' | b'|' => Emit::Char(char::from(next)),
        // `\\` is a line break, `\,` `\;` `\:` `\ ` are spacing.
        b'\\' | b',' | b';' | b':' | b' ' => Emit::Space,
        // Accents: `\'e`, `\'{e}` and `\"{\i}` become `é` and `ï`.
        b'\'' | b'`' | b'"' | b'^' | b'~' | b'=' | b'.' => {
            if let Some((c, end)) = accented(bytes, next, i + 2, false) {
                return (Emit::Char(c), end);
            }
            Emit::Nothing
        }
        // `\(`, `\)`, `\[`, `\]` delimit math, `\!` is negative space, `\-` a hyphenation hint.
        b'(' | b')' | b'[' | b']' | b'!' | b'-' => Emit::Nothing,
        // Not a command: a backslash before anything else is kept as written.
        _ => return (Emit::Char('\\'), i + 1),
    };
    (emit, i + 2)
}

/// The accented letter an accent command makes, and where the text goes on after it: `accent`
/// is the command's name (`'`, `"`, `v`, `H`, ...) and the letter follows at `at` as `{e}`,
/// `{\i}`, after one space (`\v s`, `{\H o}`) or, after a symbol accent, right away (`\'e`).
/// An accent with no precomposed letter is dropped and its letter kept: a combining mark left
/// in a word would split it in two. `None` if no letter follows, or `accent` is none.
fn accented(bytes: &[u8], accent: u8, at: usize, spaced: bool) -> Option<(char, usize)> {
    let symbol = !accent.is_ascii_alphabetic();
    let mark = match accent {
        b'\'' => '\u{301}',
        b'`' => '\u{300}',
        b'"' => '\u{308}',
        b'^' => '\u{302}',
        b'~' => '\u{303}',
        b'=' => '\u{304}',
        b'.' => '\u{307}',
        b'H' => '\u{30B}',
        b'v' => '\u{30C}',
        b'c' => '\u{327}',
        b'u' => '\u{306}',
        b'r' => '\u{30A}',
        b'k' => '\u{328}',
        b'd' => '\u{323}',
        b'b' => '\u{331}',
        _ => return None,
    };
    // `\i` and `\j` are the dotless letters accents are put on.
    let letter_at = |j: usize| -> Option<(u8, usize)> {
        match bytes.get(j..)? {
            [b'\\', l @ (b'i' | b'j'), rest @ ..]
                if !rest.first().is_some_and(u8::is_ascii_alphabetic) =>
            {
                Some((*l, j + 2))
            }
            [l, ..] if l.is_ascii_alphabetic() => Some((*l, j + 1)),
            _ => None,
        }
    };
    let (letter, end) = match bytes.get(at)? {
        b'{' => {
            let (letter, end) = letter_at(at + 1)?;
            (bytes.get(end) == Some(&b'}')).then_some((letter, end + 1))?
        }
        // A control word's space is not text (`{\H o}`); a control symbol's is (`al.\. No`).
        b' ' if spaced && !symbol => letter_at(at + 1)?,
        _ if symbol => letter_at(at)?,
        _ => return None,
    };
    let letter = char::from(letter);
    let composed = unicode_normalization::char::compose(letter, mark)?;
    // Only the accented letters of European names and words (Latin-1 and Latin Extended-A):
    // `\"token\"`, a quote escaped in scraped text, is no `ẗoken`.
    if !('\u{C0}'..='\u{17F}').contains(&composed) {
        return None;
    }
    Some((composed, end))
}

/// The letter a LaTeX letter command stands for (`\o` is `ø`, `\ss` is `ß`), as author names
/// written for BibTeX have them (`S{\o}ren`, `{\L}ukasz`, `Stra{\ss}en`).
fn letter_command(name: &str) -> Option<&'static str> {
    Some(match name {
        "o" => "ø",
        "O" => "Ø",
        "l" => "ł",
        "L" => "Ł",
        "ss" => "ß",
        "SS" => "SS",
        "aa" => "å",
        "AA" => "Å",
        "ae" => "æ",
        "AE" => "Æ",
        "oe" => "œ",
        "OE" => "Œ",
        "i" => "i",
        "j" => "j",
        "dh" => "ð",
        "DH" => "Ð",
        "th" => "þ",
        "TH" => "Þ",
        "ng" => "ŋ",
        "NG" => "Ŋ",
        _ => return None,
    })
}

/// Maps a command name to its output. `has_arg` is true when a `{` follows directly.
fn command(name: &str, has_arg: bool) -> Emit<'_> {
    match name {
        "frac" | "dfrac" | "tfrac" if has_arg => Emit::OpenGroup(Group::Numerator),
        "cite" | "citep" | "citet" | "ref" | "eqref" | "label" | "footnotemark" if has_arg => {
            Emit::OpenGroup(Group::Skip)
        }
        "href" | "footnote" | "thanks" if has_arg => Emit::OpenGroup(Group::Spaced),
        "sqrt" => Emit::Char('√'),
        "times" => Emit::Char('×'),
        "cdot" => Emit::Char('·'),
        "pm" => Emit::Char('±'),
        "leq" | "le" => Emit::Char('≤'),
        "geq" | "ge" => Emit::Char('≥'),
        "neq" | "ne" => Emit::Char('≠'),
        "approx" => Emit::Char('≈'),
        "sim" => Emit::Char('∼'),
        "in" => Emit::Char('∈'),
        "infty" => Emit::Char('∞'),
        "ell" => Emit::Char('ℓ'),
        "to" | "rightarrow" => Emit::Char('→'),
        "leftarrow" => Emit::Char('←'),
        "ldots" | "dots" | "cdots" => Emit::Char('…'),
        "eps" => Emit::Text("epsilon"),
        // Logos: what they print is the name a reader searches for.
        "TeX" | "LaTeX" | "BibTeX" | "XeTeX" | "LuaTeX" | "ConTeXt" => Emit::Text(name),
        "LaTeXe" => Emit::Text("LaTeX2e"),
        // Named symbols and operators: their name is the word a reader searches for.
        "alpha" | "beta" | "gamma" | "delta" | "epsilon" | "varepsilon" | "zeta" | "eta"
        | "theta" | "vartheta" | "iota" | "kappa" | "lambda" | "mu" | "nu" | "xi" | "pi"
        | "rho" | "sigma" | "tau" | "upsilon" | "phi" | "varphi" | "chi" | "psi" | "omega"
        | "Gamma" | "Delta" | "Theta" | "Lambda" | "Xi" | "Pi" | "Sigma" | "Phi" | "Psi"
        | "Omega" | "log" | "ln" | "exp" | "min" | "max" | "sup" | "inf" | "lim" | "arg"
        | "argmin" | "argmax" | "sin" | "cos" | "tan" | "det" | "dim" | "sum" | "prod" | "int"
        | "partial" | "nabla" | "forall" | "exists" | "emptyset" | "mid" => Emit::Text(name),
        // Any other command: `\textit{x}` keeps `x`, a bare `\em` or `\left` vanishes.
        _ if has_arg => Emit::OpenGroup(Group::Plain),
        _ => Emit::Nothing,
    }
}

/// Finds the byte offsets of `$` characters that delimit inline math.
///
/// Pandoc's rule keeps prices intact: an opening `$` is followed by a non-space, a closing `$` is
/// preceded by a non-space and not followed by a digit. So `$E(2)$` is math, `$5 and $10` is not.
/// An unpaired `$` is left as text.
fn math_delimiters(s: &str) -> Vec<usize> {
    let bytes = s.as_bytes();
    let mut found = Vec::new();
    if !bytes.contains(&b'$') {
        return found;
    }
    let mut open: Option<usize> = None;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            // An escaped character is never a delimiter.
            b'\\' => {
                i += 2;
                continue;
            }
            b'$' => {
                let width = if bytes.get(i + 1) == Some(&b'$') {
                    2
                } else {
                    1
                };
                let before = i.checked_sub(1).map(|p| bytes[p]);
                let after = bytes.get(i + width).copied();
                match open {
                    Some(start)
                        if before.is_some_and(|b| !b.is_ascii_whitespace())
                            && !after.is_some_and(|b| b.is_ascii_digit()) =>
                    {
                        found.push(start);
                        found.push(i);
                        open = None;
                    }
                    // A `$` that cannot close (`$5 and $10`) may still open: start over there.
                    _ => {
                        if after.is_some_and(|b| !b.is_ascii_whitespace()) {
                            open = Some(i);
                        }
                    }
                }
                i += width;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// A decoded HTML entity: a character, or the text kept as is when it is not an entity.
enum Entity {
    Char(char),
    Literal(&'static str),
}

/// Decodes the HTML entity starting at the `&` at `i`; returns it and where the text continues.
/// Anything that is not a well-formed entity is kept as a literal `&`.
fn html_entity(s: &str, i: usize) -> (Entity, usize) {
    let not_entity = (Entity::Literal("&"), i + 1);
    let bytes = s.as_bytes();
    // Entity names are short; bounding the look-ahead keeps the scan linear.
    let window = &bytes[i + 1..bytes.len().min(i + 12)];
    let Some(semi) = window.iter().position(|&b| b == b';') else {
        return not_entity;
    };
    let name = &s[i + 1..i + 1 + semi];
    let next = i + 2 + semi;
    let c = if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => num.parse::<u32>().ok(),
        };
        match code.and_then(char::from_u32) {
            Some(c) if c != '\0' => c,
            _ => return not_entity,
        }
    } else {
        match name {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            "nbsp" => ' ',
            "ndash" => '–',
            "mdash" => '—',
            "hellip" => '…',
            "lsquo" => '‘',
            "rsquo" => '’',
            "ldquo" => '“',
            "rdquo" => '”',
            "times" => '×',
            "minus" => '−',
            // A line-break hint inside a word: dropped by `Out::push`.
            "shy" => '\u{AD}',
            _ => return not_entity,
        }
    };
    (Entity::Char(c), next)
}

/// Words that follow a suspended hyphen or a dash in real text (`data- and model-parallelism`,
/// `first- or second-order`, `space- which`): the hyphen is not a line break there, and no
/// syllable broken off a longer word is one of these.
const FUNCTION_WORDS: &[&str] = &[
    "and", "or", "to", "vs", "versus", "nor", "as", "but", "than", "then", "via", "with", "which",
    "that", "this", "these", "those", "where", "when", "while", "is", "are", "was", "were", "be",
    "in", "on", "at", "by", "for", "from", "of", "the", "a", "an", "we", "it", "its", "not", "if",
];

/// Second halves of compounds (`real- world`, `model- based`): the break is joined keeping the
/// hyphen, because `realworld` would be a worse word than `real- world`.
const COMPOUND_TAILS: &[&str] = &[
    "based",
    "world",
    "art",
    "the",
    "of",
    "level",
    "dimensional",
    "scale",
    "specific",
    "aware",
    "free",
    "wise",
    "like",
    "driven",
    "grained",
    "agnostic",
    "oriented",
    "order",
    "shot",
    "time",
    "trained",
    "supervised",
    "end",
    "source",
    "step",
    "stage",
    "domain",
    "modal",
    "task",
    "layer",
    "class",
    "sample",
    "view",
    "term",
    "range",
    "quality",
    "resolution",
    "efficient",
    "dependent",
    "independent",
    "invariant",
    "consistent",
    "sensitive",
    "constrained",
    "guided",
    "conditioned",
    "augmented",
    "attention",
    "training",
    "learning",
    "tuning",
    "known",
    "rank",
    "making",
];

/// First halves that make a compound whatever follows (`self- attention`, `few- shot`).
const COMPOUND_HEADS: &[&str] = &[
    "self", "semi", "cross", "state", "real", "high", "low", "large", "small", "fine", "coarse",
    "long", "short", "well", "zero", "few", "open", "top", "human", "multi", "non", "meta",
    "micro", "mini", "pseudo", "inter", "intra", "near", "machine",
];

/// Joins line-break hyphenation (`Ini- tial` → `Initial`, `real- world` → `real-world`).
///
/// Only a hyphen directly after a word of letters ending in a lowercase letter, followed by one
/// space and a lowercase word, is a candidate; suspended hyphens (`data- and`) and anything with
/// digits (`8x- and 4x- faster`) are left alone.
fn dehyphenate(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find("- ") {
        let (before, after) = (&rest[..pos], &rest[pos + 2..]);
        out.push_str(before);
        match hyphen_join(&out, after) {
            Join::Drop => {}
            Join::KeepHyphen => out.push('-'),
            Join::No => out.push_str("- "),
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

enum Join {
    /// A syllable break: drop the hyphen and the space.
    Drop,
    /// A compound broken at its hyphen: drop the space only.
    KeepHyphen,
    /// Real text: leave it.
    No,
}

/// Longest word (in characters) considered on either side of a break. Bounding the scans keeps
/// [`dehyphenate`] linear even on `a- a- a- ...`; no real word is this long.
const MAX_WORD: usize = 48;

/// Decides how to join the break between `out` (text up to the hyphen) and `after` (text after
/// the space).
fn hyphen_join(out: &str, after: &str) -> Join {
    // The letters right before the hyphen, and what precedes them.
    let mut head_start = out.len();
    for (n, (p, c)) in out.char_indices().rev().enumerate() {
        if !c.is_alphabetic() {
            break;
        }
        if n == MAX_WORD {
            return Join::No;
        }
        head_start = p;
    }
    let head = &out[head_start..];
    let preceding = out[..head_start].chars().next_back();
    if head.is_empty() || !head.chars().next_back().is_some_and(char::is_lowercase) {
        return Join::No;
    }
    let tail_len = after
        .char_indices()
        .take(MAX_WORD + 1)
        .find(|&(_, c)| !c.is_alphabetic())
        .map_or(after.len(), |(p, _)| p);
    if after[..tail_len].chars().count() > MAX_WORD {
        return Join::No;
    }
    let tail = &after[..tail_len];
    if tail.is_empty() || !tail.chars().all(char::is_lowercase) {
        return Join::No;
    }
    // `state- of-the-art`, `particular- hyper-ellipses`: the tail starts a hyphenated compound.
    if after[tail_len..].starts_with('-') {
        return Join::KeepHyphen;
    }
    if FUNCTION_WORDS.contains(&tail) {
        return Join::No;
    }
    match preceding {
        // `state-of- the-art`: already a compound, keep it one.
        Some('-') => return Join::KeepHyphen,
        None | Some(' ' | '(' | '[' | '"' | '\'' | '“' | '‘') => {}
        // `4x-`, `3D-`, `https://humanoid- bench`: digits or symbols glued to the word; not a
        // syllable break, or not prose at all.
        Some(_) => return Join::No,
    }
    let head_lower = head.to_lowercase();
    if COMPOUND_TAILS.contains(&tail)
        || (COMPOUND_HEADS.contains(&head_lower.as_str()) && tail.len() >= 4)
    {
        Join::KeepHyphen
    } else {
        Join::Drop
    }
}

/// Zero-width characters, stray byte-order marks and soft hyphens (a line-break hint inside a
/// word, `Co\u{AD}operation`): they carry nothing for search or display, so the text drops them,
/// and so does a query (pasted from the same page, `zero\u{200B}width` is the word `zerowidth`).
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}' | '\u{FEFF}' | '\u{AD}' | '\u{2060}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decomposed_accents_are_composed_and_soft_hyphens_dropped() {
        assert_eq!(
            clean_text("nai\u{308}ve Sandstro\u{308}m"),
            "naïve Sandström"
        );
        assert_eq!(clean_text("Co\u{AD}operation"), "Cooperation");
        assert_eq!(
            clean_text("nai&#776;ve Co&shy;operation"),
            "naïve Cooperation"
        );
        assert!(matches!(
            compose("plain ascii"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
    use proptest::prelude::*;

    #[test]
    fn latex_escapes_are_unescaped() {
        assert_eq!(
            clean_text(r"14\% and 2\% \& \_x \#1 \$5"),
            "14% and 2% & _x #1 $5"
        );
    }

    #[test]
    fn latex_accents_are_composed() {
        assert_eq!(
            clean_text(r#"C\'esar, Sandstr\"om, Sandstr\"{o}m, Mu\~noz, \'{}x, \^"#),
            "César, Sandström, Sandström, Muñoz, x,"
        );
    }

    #[test]
    fn latex_letters_and_accents_on_any_letter_are_kept() {
        assert_eq!(
            clean_text(
                r"S{\o}ren ; {\L}ukasz ; Przemys{\l}aw ; Erd{\H o}s ; Du{\v{s}}an ; \v{C}ech"
            ),
            "Søren ; Łukasz ; Przemysław ; Erdős ; Dušan ; Čech"
        );
        assert_eq!(
            clean_text(
                r#"Stra{\ss}en, {\AA}ngstr{\"o}m, na\"{\i}ve, S\o ren, Fran\c{c}ois, \'{g}"#
            ),
            "Straßen, Ångström, naïve, Søren, François, g"
        );
        // An accent no letter here takes is dropped, its letter kept whole.
        assert_eq!(clean_text(r"\v{q}x and \H{}y"), "qx and y");
        assert_eq!(clean_text(r#"a \"token\" and \r and"#), "a token and and");
        // A letter command standing as a word keeps its space.
        assert_eq!(
            clean_text(r"a 2.1 \AA resolution, \i in"),
            "a 2.1 Å resolution, i in"
        );
        // After a symbol, a space is text: `\.` then a word is no accent on it.
        assert_eq!(clean_text(r"et al.\. No"), "et al. No");
        // Commands that only start like a letter's are other commands.
        assert_eq!(clean_text(r"$\omega \leq \ln 2$"), "omega ≤ ln 2");
    }

    #[test]
    fn links_and_footnotes_stay_apart_from_the_words_beside_them() {
        assert_eq!(
            clean_text(r"See \href{https://x.org}{our code}. Work\footnote{Done at X.} here"),
            "See https://x.org our code. Work Done at X. here"
        );
        assert_eq!(
            clean_text(r"at~\href{https://x.org}."),
            "at~ https://x.org."
        );
    }

    #[test]
    fn url_with_broken_hyphen_is_left_alone() {
        let s = "at https://humanoid- bench.github.io.";
        assert_eq!(clean_text(s), s);
    }

    #[test]
    fn latex_text_commands_keep_their_argument() {
        assert_eq!(
            clean_text(r"up to \textit{746\%} on \textbf{bold} \emph{em} \texttt{code}"),
            "up to 746% on bold em code"
        );
        assert_eq!(clean_text(r"$\mathrm{Re}$ and $\mathbf{x}$"), "Re and x");
    }

    #[test]
    fn bare_symbols_keep_their_name_and_unknown_commands_vanish() {
        assert_eq!(
            clean_text(r"an $\alpha$-divergence {\em with} $O(\log n)$ and \foo done"),
            "an alpha-divergence with O(log n) and done"
        );
        assert_eq!(
            clean_text(r"$2\times$ at $\epsilon \leq 1$"),
            "2× at epsilon ≤ 1"
        );
    }

    #[test]
    fn logos_keep_their_name() {
        assert_eq!(
            clean_text(r"a \LaTeX{} class, \LaTeX\ macros, \TeX, \BibTeX and \LaTeXe"),
            "a LaTeX class, LaTeX macros, TeX, BibTeX and LaTeX2e"
        );
    }

    #[test]
    fn windows_paths_are_not_latex() {
        assert_eq!(
            clean_text(r"kept in C:\Users\me\data.csv or D:\x, then \textit{b}"),
            r"kept in C:\Users\me\data.csv or D:\x, then b"
        );
        // A command after a word that ends in a colon is still LaTeX, and so is maths of the
        // same shape (all found in real abstracts).
        assert_eq!(clean_text(r"Note:\textbf{bold}"), "Note:bold");
        assert_eq!(
            clean_text(r"Let $f:\mathbb{S}^{d}\times S$ and $G:\mathbb{R}\to\mathbb{R}$ hold"),
            "Let f:S^d× S and G:R→R hold"
        );
        assert_eq!(clean_text(r"(A:\textbf{strong})"), "(A:strong)");
        assert_eq!(clean_text(r"{C:\x} y"), "C: y");
        assert_eq!(
            clean_text(r"Intro\cite{b:\y} then the rest."),
            "Intro then the rest."
        );
        assert_eq!(clean_text(r"in (C:\tmp\x.txt)"), r"in (C:\tmp\x.txt)");
    }

    #[test]
    fn math_delimiters_are_removed() {
        assert_eq!(
            clean_text("equivariant to $E(2)$ maps"),
            "equivariant to E(2) maps"
        );
        assert_eq!(clean_text("display $$x^2$$ here"), "display x^2 here");
        assert_eq!(clean_text(r"\(x\) and \[y\]"), "x and y");
    }

    #[test]
    fn dollar_prices_are_not_math() {
        assert_eq!(clean_text("costs $5 and $10 each"), "costs $5 and $10 each");
        assert_eq!(clean_text("a lone $ sign"), "a lone $ sign");
    }

    #[test]
    fn frac_and_cite_are_readable() {
        assert_eq!(
            clean_text(r"$\frac{1}{n}$ rate \cite{smith20}."),
            "1/n rate ."
        );
        assert_eq!(clean_text(r"$\sqrt{T}$"), "√T");
    }

    #[test]
    fn escaped_braces_survive_group_braces_do_not() {
        assert_eq!(
            clean_text(r"$\{1, \dots, n\}$ and {GPT}-4"),
            "{1, …, n} and GPT-4"
        );
    }

    #[test]
    fn html_entities_are_decoded() {
        assert_eq!(
            clean_text("A &amp; B &lt;x&gt; &quot;q&quot; it&#39;s it&#x27;s &#8212; &mdash;"),
            "A & B <x> \"q\" it's it's — —"
        );
    }

    #[test]
    fn broken_entities_are_kept() {
        assert_eq!(
            clean_text("R&D &amp &#xZZ; &#0; &"),
            "R&D &amp &#xZZ; &#0; &"
        );
    }

    #[test]
    fn whitespace_is_collapsed_and_trimmed() {
        assert_eq!(clean_text("  a\n\tb\u{a0}\u{a0}c \r\n "), "a b c");
        assert_eq!(clean_text(""), "");
        assert_eq!(clean_text(" \n "), "");
    }

    #[test]
    fn typographic_quotes_and_dashes_are_kept() {
        assert_eq!(
            clean_text("Today’s “best” — GPUs–TPUs"),
            "Today’s “best” — GPUs–TPUs"
        );
    }

    #[test]
    fn hyphenation_break_is_joined() {
        assert_eq!(
            clean_text("Ini- tial results were pro- posed. How- ever, it is discrim- inative"),
            "Initial results were proposed. However, it is discriminative"
        );
    }

    #[test]
    fn hyphenation_break_across_lines_is_joined() {
        assert_eq!(clean_text("tem-\n poral"), "temporal");
    }

    #[test]
    fn suspended_hyphen_is_not_joined() {
        let s = "combines data- and model-parallelism, first- or second-order, one- to many, space- which";
        assert_eq!(clean_text(s), s);
    }

    #[test]
    fn hyphen_after_digit_is_not_joined() {
        let s = "provides 8x- and 4x- faster predictions, 3D- aware";
        assert_eq!(clean_text(s), s);
    }

    #[test]
    fn broken_compound_keeps_its_hyphen() {
        assert_eq!(
            clean_text("on real- world data, the state-of- the-art, model- based, self- attention"),
            "on real-world data, the state-of-the-art, model-based, self-attention"
        );
        assert_eq!(
            clean_text("state- of-the-art and meta- learning, mini- batch"),
            "state-of-the-art and meta-learning, mini-batch"
        );
    }

    #[test]
    fn hyphen_before_capital_or_dash_is_not_joined() {
        let s = "pre- Transformer and a - b and x -- y";
        assert_eq!(clean_text(s), s);
    }

    #[test]
    fn trailing_backslash_and_unclosed_groups_do_not_panic() {
        assert_eq!(clean_text("abc\\"), "abc");
        assert_eq!(clean_text(r"\textit{open \cite{x"), "open");
        assert_eq!(clean_text("}}} a {{"), "a");
    }

    #[test]
    fn long_input_is_linear() {
        // Adversarial for naive look-ahead: many `$` and `&` with no partner.
        let s = "$a &x ".repeat(200_000);
        let started = std::time::Instant::now();
        let _ = clean_text(&s);
        let _ = clean_text(&"- ".repeat(300_000));
        let _ = clean_text(&format!("{}- x", "a".repeat(1_000_000)));
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    proptest! {
        #[test]
        fn never_panics(s in any::<String>()) {
            let _ = clean_text(&s);
        }

        #[test]
        fn never_panics_on_markup_soup(s in r"[a-zA-Z \\${}&#;x0-9\-\n%_~]{0,200}") {
            let out = clean_text(&s);
            prop_assert!(!out.starts_with(' ') && !out.ends_with(' '));
            prop_assert!(!out.contains("  "));
        }

        #[test]
        fn plain_words_are_unchanged(words in prop::collection::vec("[A-Za-z0-9.,]{1,12}", 0..20)) {
            let s = words.join(" ");
            prop_assert_eq!(clean_text(&s), s);
        }

        #[test]
        fn cleaning_is_idempotent_on_plain_text(s in "[a-zA-Z ,.()\n\t]{0,100}") {
            let once = clean_text(&s);
            prop_assert_eq!(clean_text(&once), once.clone());
        }
    }
}
