//! Language tags (RSS `<language>`, `xml:lang`, JSON Feed `language`): a BCP 47 shape whose
//! two-letter primary subtag is a real ISO 639-1 code, so the common `vn` (a country, not a
//! language) is caught the way the W3C validator catches it.

/// ISO 639-1, the two-letter language codes.
const ISO_639_1: &[&str] = &[
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bh",
    "bi", "bm", "bn", "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da",
    "de", "dv", "dz", "ee", "el", "en", "eo", "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr",
    "fy", "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he", "hi", "ho", "hr", "ht", "hu", "hy", "hz",
    "ia", "id", "ie", "ig", "ii", "ik", "io", "is", "it", "iu", "ja", "jv", "ka", "kg", "ki", "kj",
    "kk", "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li", "ln",
    "lo", "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "na", "nb",
    "nd", "ne", "ng", "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os", "pa", "pi",
    "pl", "ps", "pt", "qu", "rm", "rn", "ro", "ru", "rw", "sa", "sc", "sd", "se", "sg", "si", "sk",
    "sl", "sm", "sn", "so", "sq", "sr", "ss", "st", "su", "sv", "sw", "ta", "te", "tg", "th", "ti",
    "tk", "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug", "uk", "ur", "uz", "ve", "vi", "vo",
    "wa", "wo", "xh", "yi", "yo", "za", "zh", "zu",
];

/// Checks a language tag such as `vi` or `vi-VN`.
pub fn check(tag: &str) -> Result<(), String> {
    let mut subtags = tag.split('-');
    let primary = subtags.next().unwrap_or("").to_ascii_lowercase();
    let shape_ok = match primary.len() {
        // `x-…` private use and `i-…` grandfathered tags.
        1 => matches!(primary.as_str(), "x" | "i"),
        2 | 3 => primary.bytes().all(|b| b.is_ascii_lowercase()),
        _ => false,
    } && subtags
        .clone()
        .all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()));
    if !shape_ok {
        return Err(format!(
            "`{tag}` is not a language tag (such as `vi` or `vi-VN`)"
        ));
    }
    if primary.len() == 2 && ISO_639_1.binary_search(&primary.as_str()).is_err() {
        let hint = if primary == "vn" {
            " (Vietnamese is `vi`; `VN` is the country)"
        } else {
            ""
        };
        return Err(format!("`{primary}` is not an ISO 639 language code{hint}"));
    }
    Ok(())
}

/// Whether a tag says Vietnamese (`vi`, `vi-VN`, any case).
pub fn is_vietnamese(tag: &str) -> bool {
    tag.split('-')
        .next()
        .is_some_and(|p| p.eq_ignore_ascii_case("vi"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_list_is_sorted_for_binary_search() {
        assert!(ISO_639_1.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn tags() {
        for ok in [
            "vi",
            "vi-VN",
            "VI-vn",
            "en-US",
            "zh-Hant-TW",
            "x-klingon",
            "fil",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
        assert!(check("vn").unwrap_err().contains("Vietnamese is `vi`"));
        for bad in ["", "vietnamese", "vi_VN", "vi-", "v1"] {
            assert!(check(bad).is_err(), "{bad}");
        }
        assert!(is_vietnamese("vi-VN") && !is_vietnamese("en"));
    }
}
