//! Rendering: pure functions from a feed's view of the store to bytes. No I/O, no clock:
//! the same view always renders the same bytes, so ETags change only when content does.

pub mod atom;
pub mod body;
pub mod history;
pub mod html;
pub mod json;
pub mod opml;
pub mod rss;
pub mod sitemap;
mod view;

use crate::model::Format;

pub use history::Nav;
pub use view::{FeedView, GENERATOR, ImageRef, Site, VERSION};

/// Items in a feed unless configured otherwise.
pub const DEFAULT_LIMIT: usize = 50;

/// Renders a feed in a format, without history links.
pub fn feed(view: &FeedView<'_>, format: Format) -> Vec<u8> {
    document(view, &Nav::None, format)
}

/// Renders one document of a feed's history: a page of the paged feed or an archive page.
pub fn document(view: &FeedView<'_>, nav: &Nav, format: Format) -> Vec<u8> {
    match format {
        Format::Rss => rss::render(view, nav),
        Format::Atom => atom::render(view, nav),
        Format::Json => json::render(view, nav),
    }
}
