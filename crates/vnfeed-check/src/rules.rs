//! The rule table: every code `vnfeed check` can report, its severity, what it means, and
//! the W3C Feed Validation Service message it corresponds to. One table, so docs/check-rules.md, the
//! corpus test and the output can never disagree about a rule.

use serde::Serialize;

/// Errors break a spec's MUST; warnings are the practices aggregators rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

macro_rules! rules {
    ($( $variant:ident = $code:literal, $severity:ident, $w3c:literal, $summary:literal; )*) => {
        /// One rule of the checker. `code()` is the stable name scripts match on.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Rule {
            $($variant),*
        }

        impl Rule {
            pub const ALL: &'static [Rule] = &[$(Rule::$variant),*];

            pub fn code(self) -> &'static str {
                match self { $(Rule::$variant => $code),* }
            }

            pub fn severity(self) -> Severity {
                match self { $(Rule::$variant => Severity::$severity),* }
            }

            /// The W3C Feed Validation Service message class(es) this rule matches, or ""
            /// when the W3C validator has no such check.
            pub fn w3c(self) -> &'static str {
                match self { $(Rule::$variant => $w3c),* }
            }

            /// What the rule checks, in one line.
            pub fn summary(self) -> &'static str {
                match self { $(Rule::$variant => $summary),* }
            }
        }
    };
}

rules! {
    // Reading the input.
    Unreadable = "unreadable", Error, "IOError",
        "the file or standard input cannot be read";
    NotWellFormed = "not-well-formed", Error, "SAXError",
        "XML 1.0 well-formedness (forbidden characters, unclosed tags, undeclared prefixes, ...)";
    Encoding = "encoding", Error, "UnicodeError, UnknownEncoding",
        "bytes invalid in the declared or detected encoding, or an unknown encoding name";
    UnknownFormat = "unknown-format", Error, "UndefinedElement (the root), (\"not a feed\" page)",
        "the document is neither RSS 2.0, Atom 1.0 nor JSON Feed";
    JsonSyntax = "json-syntax", Error, "",
        "JSON syntax (RFC 8259)";
    // RSS 2.0.
    RssVersion = "rss-version", Error, "MissingAttribute version, InvalidValue",
        "<rss> must say version=\"2.0\"";
    RssMissingElement = "rss-missing-element", Error, "MissingElement, MissingTitle, MissingLink, MissingDescription",
        "<channel> and its <title>, <link> and <description> are required; so are an image's url, title and link, and the four textInput elements";
    RssItemTitleOrDescription = "rss-item-title-or-description", Error, "ItemMustContainTitleOrDescription",
        "an item needs a title or a description";
    RssGuidPermalink = "rss-guid-permalink", Error, "InvalidPermalink, InvalidHttpGUID, InvalidBooleanAttribute",
        "a guid is a full URL unless isPermaLink=\"false\"; isPermaLink is true or false";
    RssEnclosure = "rss-enclosure", Error, "MissingAttribute, InvalidIntegerAttribute, InvalidNonNegativeInteger, InvalidMIMEAttribute",
        "<enclosure> needs url, length (a whole number) and type (a media type)";
    RssSource = "rss-source", Error, "MissingAttribute (url)",
        "an item's <source> has a url attribute";
    RssTextInputName = "rss-text-input-name", Error, "InvalidFormComponentName",
        "the textInput <name> is a form field name, starting with a letter";
    RssInteger = "rss-integer", Error, "InvalidInteger, InvalidPositiveInteger, InvalidWidth, InvalidHeight, InvalidCommaSeparatedIntegers",
        "<ttl> is a positive whole number of minutes; image width 1 to 144, height 1 to 400; slash:hit_parade whole numbers separated by commas";
    RssCloud = "rss-cloud", Error, "MissingAttribute, InvalidIntegerAttribute",
        "<cloud> has domain, port, path, registerProcedure and protocol; the port is 1 to 65535";
    RssEmail = "rss-email", Error, "InvalidContact",
        "managingEditor, webMaster and item author are e-mail addresses (`a@example.com (Name)`)";
    RssSkip = "rss-skip", Error, "InvalidHour, InvalidDay, DuplicateValue (hour, day), EightDaysAWeek",
        "skipHours holds hours 0 to 23, skipDays English day names, each once, seven days at most";
    RssSyndication = "rss-syndication", Error, "InvalidUpdatePeriod",
        "sy:updatePeriod is hourly, daily, weekly, monthly or yearly (sy:updateFrequency is rss-integer, sy:updateBase date-w3cdtf)";
    UnexpectedAttribute = "unexpected-attribute", Error, "UnexpectedAttribute",
        "an attribute in no namespace that the RSS 2.0 or Atom spec does not give the element (`isPermalink`, Atom 0.3's `mode`)";
    UnexpectedText = "unexpected-text", Error, "UnexpectedText",
        "text beside the elements of an element that holds elements only (rss, channel, item, image, textInput, feed, entry, source, person), in content with src, or beside the root of XML content";
    UnknownElement = "unknown-element", Error, "UndefinedElement, MissingNamespace (in XHTML)",
        "an element the RSS 2.0 or Atom spec does not define where it stands (extensions need a namespace), in Atom text or non-XML content, or in no namespace or a feed vocabulary inside inline XHTML";
    DuplicateEnclosure = "duplicate-enclosure", Warning, "DuplicateEnclosure",
        "an RSS item with more than one enclosure, which RSS 2.0 leaves unclear";
    DuplicateElement = "duplicate-element", Error, "DuplicateElement",
        "an element or JSON member that may appear once appears again";
    DateRfc822 = "date-rfc822", Error, "InvalidRFC2822Date, IncorrectDOW",
        "RSS dates are RFC 822: English day and month names, a real date, a valid zone, a matching weekday";
    DateRfc822Form = "date-rfc822-form", Warning, "ProblematicalRFC822Date",
        "an RFC 822 date in a form many readers misread (two-digit year, lower-case names, comments, no space after the comma, an offset with odd minutes)";
    GeoCoordinate = "geo-coordinate", Error, "InvalidLatitude, InvalidLongitude",
        "a latitude (geo:lat, geourl:latitude, icbm:latitude) is -90 to 90 degrees, a longitude -180 to 180";
    DateW3cdtf = "date-w3cdtf", Error, "InvalidW3CDTFDate",
        "dc:date is a W3C-DTF date (with a zone when it has a time)";
    // Atom 1.0.
    AtomNamespace = "atom-namespace", Error, "NotInANamespace, InvalidNamespace, ObsoleteNamespace",
        "<feed> is in the Atom 1.0 namespace http://www.w3.org/2005/Atom";
    AtomMissingElement = "atom-missing-element", Error, "MissingElement",
        "atom:id, atom:title and atom:updated on the feed and on every entry";
    AtomMissingAuthor = "atom-missing-author", Error, "MissingElement author",
        "an entry has an author, or the feed does";
    AtomPerson = "atom-person", Error, "MissingElement name, InvalidAddrSpec",
        "an author or contributor has a name; email is an address";
    AtomLink = "atom-link", Error, "MissingHref, DuplicateAtomLink, InvalidMIMEType, InvalidNonNegativeInteger",
        "a link has an href; one alternate link per type and hreflang; type is a media type, length a number";
    AtomCategory = "atom-category", Error, "MissingAttribute term",
        "an Atom category has a term";
    UnexpectedWhitespace = "unexpected-whitespace", Error, "UnexpectedWhitespace",
        "no whitespace around an Atom id, date, icon, logo or person uri";
    AtomContentOrAlternate = "atom-content-or-alternate", Error, "MissingContentOrAlternate",
        "an entry without content has a rel=\"alternate\" link";
    AtomText = "atom-text", Error, "InvalidTextType, InvalidMIMEType, MissingXhtmlDiv, NotEscaped",
        "text constructs: type text, html or xhtml; xhtml in one div; no child elements otherwise";
    AtomContent = "atom-content", Error, "InvalidMIMEType, MissingSummary, MissingXhtmlDiv, NotEscaped, NotBase64",
        "content: a valid type; empty when it has src; a summary when it has src or is binary; binary content is base64";
    AtomMisplacedMetadata = "atom-misplaced-metadata", Error, "MisplacedMetadata",
        "a feed's own elements (id, title, link, ...) come before its first entry";
    DateRfc3339 = "date-rfc3339", Error, "InvalidRFC3339Date",
        "Atom and JSON Feed dates are RFC 3339 date-times (upper-case T and Z, seconds, an offset)";
    InvalidUrl = "invalid-url", Error, "InvalidFullLink, InvalidURLAttribute, InvalidIRI, InvalidURI, InvalidUriChar, UriNotIri, InvalidTAG, InvalidURN, InvalidUUID",
        "URLs that must be absolute are; IRIs and IRI references are well-formed";
    InvalidLanguage = "invalid-language", Error, "InvalidLanguage",
        "a language is an ISO 639 code with optional subtags (`vi`, `vi-VN`; not `vn`)";
    DuplicateId = "duplicate-id", Error, "DuplicateValue (guid), DuplicateIds",
        "RSS items and JSON Feed items do not share a guid / id; more than 9 Atom entries do not all share one id";
    // JSON Feed 1.1.
    JsonVersion = "json-version", Error, "",
        "version is https://jsonfeed.org/version/1.1 (or /1)";
    JsonMissingField = "json-missing-field", Error, "",
        "title, items, items[].id; attachments need url and mime_type";
    JsonType = "json-type", Error, "",
        "each known member has the type the spec gives it";
    JsonItemContent = "json-item-content", Error, "",
        "an item has content_html or content_text";
    // Best practices: warnings.
    MissingSelfLink = "missing-self-link", Warning, "MissingSelf, MissingAtomSelfLink",
        "the feed says its own URL (atom:link rel=\"self\", JSON feed_url)";
    SelfLinkMismatch = "self-link-mismatch", Warning, "SelfDoesntMatchLocation",
        "the self URL is the URL the feed was fetched from";
    UnstableGuid = "unstable-guid", Warning, "NotSufficientlyUnique, MissingGuid",
        "an item id that will not stay the same: missing, a small number, the title, or with session or tracking parameters";
    DateNoZone = "date-no-zone", Warning, "",
        "a date whose zone is unknown: -0000, -00:00 or a military letter";
    DateFuture = "date-future", Warning, "ImplausibleDate",
        "a date more than 10 minutes in the future";
    MissingLanguage = "missing-language", Warning, "",
        "the feed says its language (<language>, xml:lang, language)";
    DuplicateItem = "duplicate-item", Warning, "DuplicateEntries",
        "two items with the same link, or the same title and date, or two Atom entries with one id";
    RelativeLink = "relative-link", Warning, "ContainsRelRef",
        "relative URLs in HTML content, or Atom hrefs with no xml:base to resolve them";
    HtmlInText = "html-in-text", Warning, "ContainsHTML, ContainsUndeclaredHTML, NotInline",
        "HTML tags or character references in a plain-text field (RSS titles, Atom type=\"text\", JSON title)";
    HtmlUnsafe = "html-unsafe", Warning, "SecurityRisk, SecurityRiskAttr",
        "HTML content with elements or attributes readers strip as unsafe: script, object, embed, meta, iframe, event handlers (onclick=...), SVG or MathML outside their safe subsets";
    HtmlUnsafeStyle = "html-unsafe-style", Warning, "DangerousStyleAttr",
        "a style attribute in HTML content with CSS readers strip: positioning, url(), expression(), properties outside the common safe list";
    Blank = "blank", Warning, "NotBlank, AttrNotBlank",
        "an element or attribute that is there but empty: titles, ids, content, names, generator, category term, link rel, type and title";
    DuplicateSemantics = "duplicate-semantics", Warning, "DuplicateSemantics, DuplicateItemSemantics, DuplicateDescriptionSemantics",
        "an RSS channel or item that says one thing twice, in RSS and in an extension (pubDate and dc:date, author and dc:creator, ...), or has an inline XHTML description beside its own";
    NonCanonicalId = "non-canonical-id", Warning, "NonCanonicalURI",
        "an Atom id not in its URI's canonical form (lower-case scheme and host, no default port, no dot segments, a / path, upper-case escapes only where needed)";
    UnregisteredLinkRel = "unregistered-link-rel", Warning, "UnregisteredAtomLinkRel",
        "an Atom link rel that is neither an IANA-registered relation nor a full IRI";
    HtmlInvalid = "html-invalid", Warning, "NotHtml",
        "HTML content that is not HTML: an element HTML does not have, or a syntax error (an unclosed tag, a bad character reference)";
    UnregisteredScheme = "unregistered-scheme", Warning, "SchemeNotIANARegistered",
        "a full URL (RSS links, guid permalinks, source, Atom id) whose scheme is not a registered one (`doi:`, `foo:`)";
    RssCharacterData = "rss-character-data", Warning, "CharacterData",
        "a `<` before a letter or `/` in plain-text RSS (titles, names) written as `&lt;` or in CDATA instead of `&#x3C;`, as the RSS Best Practices Profile asks";
    AtomSourceIncomplete = "atom-source-incomplete", Warning, "MissingSourceElement",
        "an Atom entry's source lacks the original feed's id, title or updated (RFC 4287 SHOULD)";
    BadCharacters = "bad-characters", Warning, "BadCharacters",
        "text damaged by a wrong decoding: C1 control characters (Windows-1252 read as Latin-1), U+FFFD, or UTF-8 read twice (`Ã©` for `é`)";
    LocalTimeAsGmt = "local-time-as-gmt", Warning, "",
        "a Vietnamese local time labelled GMT/UTC (see the heuristic in docs/check-rules.md)";
    // HTTP, when the input is a URL.
    HttpFetch = "http-fetch", Error, "IOError, HttpsProtocolError",
        "the URL could not be fetched (bad URL, connection refused, certificate problem, timeout, too large, too many redirects)";
    HttpRedirect = "http-redirect", Warning, "",
        "a permanent redirect (301, 308): subscribers should update the URL";
    HttpStatus = "http-status", Error, "HttpError",
        "the feed answers 200 OK";
    HttpContentType = "http-content-type", Warning, "UnexpectedContentType",
        "Content-Type is present and a type readers accept for this format";
    HttpCharset = "http-charset", Warning, "EncodingMismatch",
        "the Content-Type charset agrees with the document's own encoding";
    HttpNoCharset = "http-no-charset", Warning, "TextXml",
        "an XML feed's Content-Type names its charset";
    HttpValidators = "http-validators", Warning, "",
        "the response carries ETag and/or Last-Modified";
    HttpConditional = "http-conditional", Warning, "",
        "a conditional GET with the response's ETag / Last-Modified answers 304";
    HttpNoGzip = "http-no-gzip", Warning, "Uncompressed",
        "gzip is used when the request accepts it";
    HttpGzipInvalid = "http-gzip-invalid", Error, "IOError (gzip)",
        "gzip bodies decompress to the same document; no gzip when it was not accepted";
    HttpVary = "http-vary", Warning, "",
        "a response that depends on Accept-Encoding says Vary: Accept-Encoding";
}

impl Rule {
    /// Rules about the HTTP exchange rather than the document.
    pub fn is_http(self) -> bool {
        self.code().starts_with("http-")
    }

    pub fn from_code(code: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.code() == code)
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_lowercase_words() {
        let mut seen = std::collections::HashSet::new();
        for rule in Rule::ALL {
            let code = rule.code();
            assert!(seen.insert(code), "{code} twice");
            assert!(
                code.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{code}"
            );
            assert_eq!(Rule::from_code(code), Some(*rule));
        }
    }
}
