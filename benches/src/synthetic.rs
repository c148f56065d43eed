//! Synthetic Vietnamese articles in vnfeed's text layout, for filling a store at scale.
//!
//! Every word bank and template below is written for this generator. An article is a pure
//! function of its number and the seed, so a run can be repeated exactly; the datelines climb
//! with the number (an archive imported oldest first) and about three in four articles land in
//! one or more of the shipped categories through their keywords, the rest only in `all`.

use std::path::PathBuf;

use chrono::{DateTime, Duration, FixedOffset, TimeZone};
use vnfeed::import::Source;

const PLACE_FIRST: &[&str] = &[
    "Tân", "Phú", "Hòa", "Bình", "An", "Thạnh", "Long", "Đông", "Xuân", "Vĩnh", "Quảng", "Hưng",
    "Yên", "Thuận", "Phước", "Mỹ",
];
const PLACE_SECOND: &[&str] = &[
    "Lập", "Hưng", "Mỹ", "Phước", "Lộc", "Sơn", "Thủy", "Điền", "Hải", "Giang", "Khê", "Trung",
    "Tiến", "Thịnh", "Hòa", "Nguyên",
];
const UNIT: &[&str] = &["xã", "phường", "thị trấn", "huyện", "thôn", "bản"];

/// What the article is about: its subjects, actions and closing lines carry the keywords that
/// put it in a feed (or none, for the articles only `all` shows).
struct Beat {
    subjects: &'static [&'static str],
    actions: &'static [&'static str],
    sentences: &'static [&'static str],
}

const BEATS: &[Beat] = &[
    Beat {
        subjects: &[
            "Công an",
            "Đội cảnh sát hình sự",
            "Lực lượng an ninh",
            "Công an xã",
        ],
        actions: &[
            "bắt giữ {n} đối tượng trộm cắp xe máy",
            "triệt phá đường dây cá độ qua mạng",
            "tuần tra bảo đảm trật tự an toàn xã hội dịp lễ",
            "thu giữ {n} bánh heroin, điều tra đường dây ma túy",
            "diễn tập phòng cháy chữa cháy tại khu chợ",
            "cảnh báo thủ đoạn lừa đảo chiếm đoạt tài sản",
        ],
        sentences: &[
            "Lực lượng công an đã phối hợp với dân quân tổ chức {n} tổ tuần tra vào ban đêm.",
            "Qua đấu tranh, các đối tượng khai nhận đã gây ra {n} vụ trộm trong tháng.",
            "Người dân được hướng dẫn cách nhận biết các cuộc gọi giả danh cơ quan chức năng.",
            "Tình hình an ninh trên địa bàn cơ bản ổn định, không để xảy ra điểm nóng.",
            "Vụ việc đang được củng cố hồ sơ để xử lý theo quy định của pháp luật.",
        ],
    },
    Beat {
        subjects: &[
            "Đồn Biên phòng",
            "Bộ đội Biên phòng",
            "Tổ công tác biên phòng",
        ],
        actions: &[
            "tuần tra bảo vệ mốc quốc giới số {n}",
            "kiểm soát người và phương tiện qua cửa khẩu",
            "giúp dân vùng biên giới sửa nhà sau lũ",
            "tuyên truyền pháp luật về đường biên cho {n} hộ dân",
            "phối hợp giữ gìn chủ quyền lãnh thổ trên tuyến biên giới",
        ],
        sentences: &[
            "Tổ tuần tra đã đi bộ hơn {n} ki-lô-mét dọc đường biên, kiểm tra từng cột mốc.",
            "Cửa khẩu ghi nhận lượng hàng hóa thông quan tăng so với cùng kỳ năm trước.",
            "Cán bộ biên phòng cùng già làng vận động bà con không vượt biên trái phép.",
            "Những đoạn đường tuần tra bị sạt lở đã được phát quang và gia cố tạm thời.",
        ],
    },
    Beat {
        subjects: &["Đảng ủy", "Chi bộ", "Ban Thường vụ Huyện ủy", "Tỉnh ủy"],
        actions: &[
            "kết nạp {n} đảng viên mới",
            "tổ chức sinh hoạt chuyên đề quý",
            "sơ kết công tác xây dựng Đảng sáu tháng",
            "đối thoại với đoàn viên thanh niên về chuyển đổi số",
            "kiểm tra việc thực hiện nghị quyết của cấp ủy",
        ],
        sentences: &[
            "Bí thư chi bộ nhấn mạnh vai trò gương mẫu của mỗi đảng viên ở khu dân cư.",
            "Hội nghị đã thảo luận {n} ý kiến đóng góp vào dự thảo báo cáo của cấp ủy.",
            "Các đảng viên trẻ được giao nhiệm vụ theo dõi, giúp đỡ hộ khó khăn.",
            "Đảng bộ đặt mục tiêu hoàn thành các chỉ tiêu trước thời hạn.",
        ],
    },
    Beat {
        subjects: &[
            "Ủy ban nhân dân",
            "Hội Nông dân",
            "Trường tiểu học",
            "Trạm y tế",
        ],
        actions: &[
            "khánh thành cầu dân sinh mới",
            "trao {n} suất học bổng cho học sinh nghèo",
            "tổ chức ngày hội trồng cây đầu xuân",
            "khám sức khỏe miễn phí cho {n} người cao tuổi",
            "hướng dẫn nông dân chuyển sang giống lúa chịu mặn",
        ],
        sentences: &[
            "Công trình có tổng vốn hơn {n} tỷ đồng, do nhân dân và nhà nước cùng góp.",
            "Nhiều gia đình đã đến từ sáng sớm, mang theo cây giống và dụng cụ.",
            "Các em học sinh bày tỏ niềm vui khi nhận được sách vở và xe đạp mới.",
            "Mùa màng năm nay được dự báo khá hơn nhờ thời tiết thuận lợi.",
            "Chính quyền địa phương cam kết duy trì hoạt động này hằng năm.",
        ],
    },
];

const WHEN: &[&str] = &[
    "trong đêm",
    "từ sáng sớm",
    "cuối tuần qua",
    "đầu tháng",
    "trước mùa mưa",
    "sau kỳ nghỉ lễ",
];
const CAPTIONS: &[&str] = &[
    "Quang cảnh buổi làm việc tại trụ sở",
    "Lực lượng chức năng có mặt tại hiện trường",
    "Bà con phấn khởi tham gia hoạt động",
    "Đoàn công tác trên đường tuần tra",
];
const AUTHORS: &[&str] = &[
    "Minh Châu",
    "Quốc Bảo",
    "Thanh Hương",
    "Đức Anh",
    "Ngọc Diệp",
    "Hoàng Long",
    "Thảo Vy",
];

/// How long an article is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    /// A lead and three to five short paragraphs: about 1.3 KB, the size the scale run's
    /// store figures were first measured with.
    Short,
    /// The size of a real story (the article this project started from is about 4 KB): a
    /// lead, four or five paragraphs of six to eight sentences, a caption and an author.
    Seed,
}

/// Article `n` (0-based) of seed size: see [`article_of`].
pub fn article(n: u64, seed: u64) -> Source {
    article_of(n, seed, Length::Seed)
}

/// Makes article `n` (0-based). Articles are five minutes apart from 1 January 2016, 07:00,
/// Vietnam time, so a million span about nine and a half years.
pub fn article_of(n: u64, seed: u64, length: Length) -> Source {
    let mut rng = fastrand::Rng::with_seed(seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let pick = |rng: &mut fastrand::Rng, list: &[&'static str]| list[rng.usize(..list.len())];
    // A template from `list` with its `{n}` filled in.
    let phrase = |rng: &mut fastrand::Rng, list: &[&'static str]| {
        let template = list[rng.usize(..list.len())];
        template.replace("{n}", &rng.u32(2..200).to_string())
    };

    let beat = &BEATS[rng.usize(..BEATS.len())];
    let place = format!(
        "{} {} {}",
        pick(&mut rng, UNIT),
        pick(&mut rng, PLACE_FIRST),
        pick(&mut rng, PLACE_SECOND)
    );
    let subject = pick(&mut rng, beat.subjects);
    let action = phrase(&mut rng, beat.actions);
    let when = pick(&mut rng, WHEN);
    let published = start() + Duration::minutes(5 * n as i64);
    let title = format!(
        "{subject} {place} {action} {when} ngày {}",
        published.format("%-d/%-m")
    );

    let mut text = String::with_capacity(2048);
    text.push_str(&title);
    text.push_str("\n\n");
    text.push_str(&published.format("%H:%M %d/%m/%Y").to_string());
    text.push_str("\n\n");
    // The lead, then three to five paragraphs of two or three sentences.
    text.push_str(&format!(
        "{when_cap}, {subject_lower} {place} đã {action}. {}\n\n",
        phrase(&mut rng, beat.sentences),
        when_cap = capitalize(when),
        subject_lower = lower_first(subject),
    ));
    let (paragraphs, sentences, caption) = match length {
        Length::Short => (rng.usize(3..=5), 2..=3, rng.bool()),
        Length::Seed => (rng.usize(4..=5), 6..=8, true),
    };
    for i in 0..paragraphs {
        if i == 1 && caption {
            let caption = pick(&mut rng, CAPTIONS);
            text.push_str(&format!("{caption}\n{caption}.\n\n"));
        }
        let sentences = rng.usize(sentences.clone());
        let paragraph: Vec<String> = (0..sentences)
            .map(|_| phrase(&mut rng, beat.sentences))
            .collect();
        text.push_str(&paragraph.join(" "));
        text.push_str("\n\n");
    }
    text.push_str(pick(&mut rng, AUTHORS));
    text.push('\n');

    Source {
        path: PathBuf::from(format!("tong-hop-{n:07}.txt")),
        bytes: text.into_bytes(),
    }
}

fn start() -> DateTime<FixedOffset> {
    FixedOffset::east_opt(7 * 3600)
        .expect("+07:00 is a valid offset")
        .with_ymd_and_hms(2016, 1, 1, 7, 0, 0)
        .single()
        .expect("a fixed offset has no gaps")
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// "Công an" -> "công an", but a proper name like "Đảng ủy" keeps its capital.
fn lower_first(s: &str) -> String {
    if s.starts_with("Đảng") || s.starts_with("Tỉnh") || s.starts_with("Ban") {
        return s.to_string();
    }
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles_parse_and_are_repeatable() {
        let feeds = vnfeed::feeds::FeedSet::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../feeds"),
        )
        .unwrap();
        let mut categorized = 0;
        for n in 0..400 {
            let source = article(n, 7);
            assert_eq!(source.bytes, article(n, 7).bytes);
            let (drafts, _) = vnfeed::import::parse_source(&source, &feeds)
                .unwrap_or_else(|e| panic!("article {n}: {e}"));
            assert_eq!(drafts.len(), 1);
            categorized += usize::from(!drafts[0].categories.is_empty());
        }
        assert!((200..=380).contains(&categorized), "{categorized} of 400");
    }

    /// Seed-sized articles weigh what a real story does (about 4 KB); short ones a third.
    #[test]
    fn lengths_weigh_what_they_say() {
        let mean = |length| {
            (0..400)
                .map(|n| article_of(n, 7, length).bytes.len())
                .sum::<usize>()
                / 400
        };
        let (seed, short) = (mean(Length::Seed), mean(Length::Short));
        assert!(
            (3_400..=4_600).contains(&seed),
            "seed-sized mean {seed} bytes"
        );
        assert!((900..=1_800).contains(&short), "short mean {short} bytes");
    }
}
