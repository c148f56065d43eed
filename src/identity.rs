//! Feed identity: the site file `site.toml` of the feeds directory (the site's title,
//! description, icon and logo), the per-feed `icon` and `logo` a feed definition may give,
//! and vnfeed's own icon and logo, built into the binary and used where none is given.
//!
//! Shapes follow the formats: the icon is square (Atom `icon`, JSON Feed `icon`, the RSS
//! `<image>`), the logo twice as wide as high (Atom `logo`), the favicon a small square (JSON
//! Feed `favicon`, the pages' `<link rel="icon">`).

use std::path::Path;

use serde::Deserialize;

use crate::definitions::FeedDefError;

/// The site file's name in the feeds directory; every other `*.toml` there is a feed.
pub const SITE_FILE: &str = "site.toml";

/// The site's name when neither `--site-title` nor the site file gives one.
pub const DEFAULT_TITLE: &str = "vnfeed";

/// One image of the built-in set, served from the binary at `path`.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    pub path: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
    /// Width and height in pixels; `None` for the SVG, which scales.
    pub size: Option<(u32, u32)>,
}

/// 512 x 512: JSON Feed asks for "relatively large, such as 512 x 512" and Atom for 1:1.
pub const ICON: Builtin = Builtin {
    path: "/icon.png",
    content_type: "image/png",
    bytes: include_bytes!("../assets/icon.png"),
    size: Some((512, 512)),
};
/// 64 x 64, JSON Feed's example size for a favicon.
pub const FAVICON: Builtin = Builtin {
    path: "/favicon.png",
    content_type: "image/png",
    bytes: include_bytes!("../assets/favicon.png"),
    size: Some((64, 64)),
};
/// 512 x 256: Atom asks for a logo twice as wide as high (RFC 4287 4.2.8).
pub const LOGO: Builtin = Builtin {
    path: "/logo.png",
    content_type: "image/png",
    bytes: include_bytes!("../assets/logo.png"),
    size: Some((512, 256)),
};
/// The icon as a vector, for browsers (PNG stays the one for feed readers, many of which
/// show no SVG).
pub const ICON_SVG: Builtin = Builtin {
    path: "/icon.svg",
    content_type: "image/svg+xml",
    bytes: include_bytes!("../assets/icon.svg"),
    size: None,
};

/// Every built-in image: a fixed set of about 13 KB in all, so serving them needs no bound
/// beyond this list.
pub const BUILTINS: [Builtin; 4] = [ICON, FAVICON, LOGO, ICON_SVG];

/// The built-in image served at `path`, if any.
pub fn builtin(path: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.path == path)
}

/// An image as the configuration names it: an `https://` URL, or a path on this server
/// (`/media/logo.png`), which the renderers make absolute with the base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub url: String,
    /// Known for the built-in images only: a configured image is not fetched to measure it.
    pub size: Option<(u32, u32)>,
}

impl Image {
    fn builtin(b: &Builtin) -> Image {
        Image {
            url: b.path.to_string(),
            size: b.size,
        }
    }

    fn configured(url: String) -> Image {
        Image { url, size: None }
    }
}

/// The images of a site or of one feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Images {
    pub icon: Image,
    pub logo: Image,
    pub favicon: Image,
    /// The SVG icon, for pages: only with the built-in set.
    pub svg: Option<Image>,
}

impl Images {
    /// vnfeed's own icon and logo.
    pub fn builtin() -> Images {
        Images {
            icon: Image::builtin(&ICON),
            logo: Image::builtin(&LOGO),
            favicon: Image::builtin(&FAVICON),
            svg: Some(Image::builtin(&ICON_SVG)),
        }
    }

    /// These images with a feed's or a site's own icon and logo in place, where given. A
    /// configured icon is also the favicon: it is the one square image the newsroom chose.
    pub fn with(&self, icon: Option<&str>, logo: Option<&str>) -> Images {
        let mut out = self.clone();
        if let Some(icon) = icon {
            out.icon = Image::configured(icon.to_string());
            out.favicon = out.icon.clone();
            out.svg = None;
        }
        if let Some(logo) = logo {
            out.logo = Image::configured(logo.to_string());
        }
        out
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSiteFile {
    title: Option<String>,
    description: Option<String>,
    icon: Option<String>,
    logo: Option<String>,
}

/// What `site.toml` says, validated. Every field is optional; an absent file is all defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteFile {
    /// Shown in every feed title and page; `--site-title` wins over it.
    pub title: Option<String>,
    /// The combined feed's description, and the index page's.
    pub description: Option<String>,
    pub icon: Option<String>,
    pub logo: Option<String>,
}

impl SiteFile {
    /// Reads `dir/site.toml`; a directory without one gives the defaults.
    pub fn load(dir: &Path) -> Result<SiteFile, FeedDefError> {
        let path = dir.join(SITE_FILE);
        match crate::definitions::read_definition(&path)? {
            Some(text) => SiteFile::parse(&path, &text),
            None => Ok(SiteFile::default()),
        }
    }

    /// The site file built into the binary (the repository's `feeds/site.toml`), if any.
    pub fn embedded() -> SiteFile {
        crate::definitions::embedded_files()
            .into_iter()
            .find(|(path, _)| path.file_name().is_some_and(|n| n == SITE_FILE))
            .map(|(path, text)| SiteFile::parse(&path, text))
            .transpose()
            .expect("the shipped site file is valid (tested)")
            .unwrap_or_default()
    }

    /// Parses the text of a site file; errors name `file` and the line or field.
    pub fn parse(file: &Path, text: &str) -> Result<SiteFile, FeedDefError> {
        let raw: RawSiteFile =
            toml::from_str(text).map_err(|e| FeedDefError::toml(file, text, &e))?;
        let clean = |field: &str, value: Option<String>| match value {
            Some(v) if v.trim().is_empty() => Err(FeedDefError::field(
                file,
                field,
                "must not be empty (leave it out for the default)".into(),
            )),
            v => Ok(v.map(|v| crate::vietnamese::text::clean_line(&v))),
        };
        Ok(SiteFile {
            title: clean("title", raw.title)?,
            description: clean("description", raw.description)?,
            icon: image_url(file, "icon", raw.icon)?,
            logo: image_url(file, "logo", raw.logo)?,
        })
    }

    /// The site's images: these over the built-in ones.
    pub fn images(&self) -> Images {
        Images::builtin().with(self.icon.as_deref(), self.logo.as_deref())
    }
}

/// The configured images that are paths this server will answer 404 for: neither a built-in
/// image nor, with a media directory, a file under `/media/`. Said at start-up, since
/// whether the file exists is the media directory's business at request time.
pub fn unserved<'a>(urls: impl Iterator<Item = &'a str>, media_dir: bool) -> Vec<&'a str> {
    urls.filter(|url| url.starts_with('/'))
        .filter(|url| builtin(url).is_none())
        .filter(|url| !(media_dir && url.starts_with(crate::media::URL_PREFIX)))
        .collect()
}

/// Checks an `icon` or `logo` value: an `https://` URL (pages allow images from this server
/// and over https only, see `http::headers`) or a path on this server starting with `/`.
pub fn image_url(
    file: &Path,
    field: &str,
    value: Option<String>,
) -> Result<Option<String>, FeedDefError> {
    let Some(value) = value else { return Ok(None) };
    let bad = |why: &str| Err(FeedDefError::field(file, field, format!("`{value}` {why}")));
    if value.starts_with("//") {
        return bad("is a scheme-relative URL: write https://... or a path starting with /");
    }
    if value.starts_with('/') {
        return match url::Url::parse("https://base.invalid").and_then(|b| b.join(&value)) {
            Ok(u) if u.path() == value.split(['?', '#']).next().unwrap_or("") => Ok(Some(value)),
            _ => bad("is not a plain path (no spaces, `..` or `\\`)"),
        };
    }
    match url::Url::parse(&value) {
        Ok(u) if u.scheme() == "https" && u.host().is_some() => Ok(Some(u.to_string())),
        Ok(_) => bad("must be an https:// URL or a path on this server starting with /"),
        Err(e) => bad(&format!(
            "is not a URL ({e}): write https://... or a path starting with /"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SiteFile, String> {
        SiteFile::parse(Path::new("feeds/site.toml"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn a_site_file_gives_title_description_and_images() {
        let site = parse(
            "title = \"Báo Biên Tập\"\ndescription = \"Tin tức\"\nicon = \"/media/icon.png\"\n\
             logo = \"https://cdn.example/logo.png\"\n",
        )
        .unwrap();
        assert_eq!(site.title.as_deref(), Some("Báo Biên Tập"));
        let images = site.images();
        assert_eq!(images.icon.url, "/media/icon.png");
        assert_eq!(images.favicon.url, "/media/icon.png");
        assert_eq!(images.logo.url, "https://cdn.example/logo.png");
        assert_eq!(images.svg, None);
        assert_eq!(parse("").unwrap(), SiteFile::default());
        assert_eq!(parse("").unwrap().images(), Images::builtin());
    }

    #[test]
    fn bad_site_files_name_the_file_and_the_field() {
        for (text, expected) in [
            (
                "icon = \"http://cdn.example/i.png\"",
                "feeds/site.toml field `icon`: `http://cdn.example/i.png` must be an https:// URL",
            ),
            (
                "logo = \"//cdn.example/l.png\"",
                "feeds/site.toml field `logo`: `//cdn.example/l.png` is a scheme-relative URL",
            ),
            (
                "logo = \"/media/../secret\"",
                "feeds/site.toml field `logo`: `/media/../secret` is not a plain path",
            ),
            (
                "icon = \"logo.png\"",
                "feeds/site.toml field `icon`: `logo.png` is not a URL",
            ),
            (
                "title = \" \"",
                "feeds/site.toml field `title`: must not be empty",
            ),
            (
                "titel = \"x\"",
                "feeds/site.toml line 1: unknown field `titel`",
            ),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.starts_with(expected), "{text}: {err}");
        }
    }

    #[test]
    fn paths_this_server_does_not_serve_are_found() {
        let urls = [
            "/icon.png",
            "/media/a.png",
            "/anh/b.png",
            "https://cdn.example/c.png",
        ];
        assert_eq!(unserved(urls.into_iter(), true), ["/anh/b.png"]);
        assert_eq!(
            unserved(urls.into_iter(), false),
            ["/media/a.png", "/anh/b.png"]
        );
    }

    #[test]
    fn the_builtin_images_are_what_they_say() {
        for b in BUILTINS {
            assert_eq!(builtin(b.path).unwrap().path, b.path);
            if let Some((w, h)) = b.size {
                // PNG: the IHDR chunk's width and height, big-endian, at bytes 16..24.
                assert_eq!(&b.bytes[..8], b"\x89PNG\r\n\x1a\n", "{}", b.path);
                let be = |at: usize| u32::from_be_bytes(b.bytes[at..at + 4].try_into().unwrap());
                assert_eq!((be(16), be(20)), (w, h), "{}", b.path);
            } else {
                assert!(
                    b.bytes
                        .starts_with(b"<svg xmlns=\"http://www.w3.org/2000/svg\"")
                );
            }
        }
        assert_eq!(ICON.size.map(|(w, h)| w == h), Some(true), "square icon");
        assert_eq!(LOGO.size.map(|(w, h)| w == 2 * h), Some(true), "2:1 logo");
    }
}
