//! Fake but well-formed personal data: Chinese names, mobile numbers and resident identity card
//! numbers (居民身份证号码, GB 11643-1999), and the server's masking of an evaluator.

use chrono::{Datelike, Duration, NaiveDate};

use crate::rng::Rng;

/// An evaluator's identity as the server stores it apart from the rating row (personal data:
/// never replicated, revealed only with a logged reason).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub name: Option<String>,
    /// An 11-digit mobile number starting with 1 and 3–9.
    pub phone: Option<String>,
    /// An 18-character resident identity card number with a valid GB 11643 check character.
    pub cert: Option<String>,
}

/// Common surnames, the most frequent first (weighted towards the front when drawn).
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "高",
    "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "于",
    "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆",
    "汪", "范", "金", "石", "廖", "贾", "夏", "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛",
    "欧阳", "司马",
];

/// Characters of given names.
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀", "霞",
    "平", "刚", "桂", "英", "华", "建", "国", "文", "辉", "玲", "婷", "鹏", "宇", "浩", "晨", "欣", "怡", "佳", "子",
    "梓", "涵", "睿", "博", "思", "雨", "嘉", "俊", "海", "燕", "志", "红", "兰", "凤", "春", "晓", "东", "亮", "斌",
    "颖", "琳", "倩", "雪", "慧", "峰", "凯", "轩", "诗", "悦", "瑶", "航", "彬", "莉", "萍", "琴", "云", "飞", "林",
];

/// A Chinese name: a surname and one or two given-name characters.
pub(crate) fn person_name(rng: &mut Rng) -> String {
    // Squaring a uniform draw favours the common surnames at the front of the list.
    let u = rng.unit();
    let si = ((u * u) * SURNAMES.len() as f64) as usize;
    let surname = SURNAMES.get(si).copied().unwrap_or("王");
    let first = rng.pick(GIVEN).copied().unwrap_or("伟");
    let mut name = String::with_capacity(12);
    name.push_str(surname);
    name.push_str(first);
    if rng.chance(0.62) {
        name.push_str(rng.pick(GIVEN).copied().unwrap_or("华"));
    }
    name
}

/// Mobile number prefixes (the first three digits) of the three carriers.
const MOBILE_PREFIXES: &[u16] = &[
    130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 145, 147, 150, 151, 152, 153, 155, 156, 157, 158, 159, 166, 173,
    175, 176, 177, 178, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 191, 198, 199,
];

pub(crate) fn mobile(rng: &mut Rng) -> String {
    let prefix = rng.pick(MOBILE_PREFIXES).copied().unwrap_or(138);
    format!("{prefix}{:08}", rng.below(100_000_000))
}

/// Division codes of other places, for people registered outside the city.
const OTHER_DIVISIONS: &[u32] = &[
    110101, 110105, 120101, 310104, 310115, 320102, 330106, 340102, 350102, 360102, 370102, 410105, 420106, 430104,
    440106, 440305, 450103, 500103, 510107, 520102, 530102, 610113, 620102,
];

/// The check character of an 18-character identity number (GB 11643-1999, ISO 7064 MOD 11-2).
pub fn cert_check_char(first17: &[u8]) -> Option<char> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    if first17.len() != 17 || !first17.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = first17.iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    CHECK.get((sum % 11) as usize).copied()
}

/// Whether `s` is a well-formed 18-character identity number: a division code, a real birth
/// date, a sequence number and the right check character.
pub fn is_valid_cert(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let birth = std::str::from_utf8(&b[6..14]).ok().and_then(|d| NaiveDate::parse_from_str(d, "%Y%m%d").ok());
    birth.is_some() && cert_check_char(&b[..17]) == Some(char::from(b[17]))
}

/// Whether `s` is an 11-digit mainland mobile number (1, then 3–9, then 9 digits).
pub fn is_valid_mobile(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11 && b.iter().all(u8::is_ascii_digit) && b[0] == b'1' && (b'3'..=b'9').contains(&b[1])
}

/// An identity number of someone registered in `local_division` (most people) or elsewhere,
/// aged 18–80 on `on`.
pub(crate) fn cert(rng: &mut Rng, local_division: u32, on: NaiveDate) -> String {
    let division =
        if rng.chance(0.8) { local_division } else { rng.pick(OTHER_DIVISIONS).copied().unwrap_or(local_division) };
    let age_days = i64::from(rng.between(18 * 365 + 5, 80 * 365));
    let birth = on - Duration::days(age_days);
    let seq = rng.below(1000);
    let first17 = format!("{division:06}{:04}{:02}{:02}{seq:03}", birth.year(), birth.month(), birth.day());
    let check = cert_check_char(first17.as_bytes()).unwrap_or('0');
    let mut out = first17;
    out.push(check);
    out
}

/// Masks an evaluator exactly as the server does (the one implementation, in `hcp-protocol`).
pub use hcp_protocol::mask_evaluator;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_character_follows_gb_11643() {
        // The standard's own example: 11010519491231002X.
        assert_eq!(cert_check_char(b"11010519491231002"), Some('X'));
        assert!(is_valid_cert("11010519491231002X"));
        assert!(!is_valid_cert("110105194912310021"), "wrong check character");
        assert!(!is_valid_cert("11010519491331002X"), "no 13th month");
        assert!(!is_valid_cert("1101051949123100"), "too short");
        assert_eq!(cert_check_char(b"1101051949123100a"), None);
    }

    #[test]
    fn generated_identities_are_well_formed() {
        let mut rng = Rng::new(5, &[]);
        let on = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap_or_default();
        for _ in 0..2_000 {
            let c = cert(&mut rng, 439901, on);
            assert!(is_valid_cert(&c), "{c}");
            let p = mobile(&mut rng);
            assert!(is_valid_mobile(&p), "{p}");
            let n = person_name(&mut rng);
            let len = n.chars().count();
            assert!((2..=4).contains(&len), "{n}");
            assert!(n.chars().all(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch)), "{n}");
        }
        assert!(!is_valid_mobile("12812345678"));
        assert!(!is_valid_mobile("1381234567"));
    }

    #[test]
    fn masking_matches_the_server() {
        assert_eq!(mask_evaluator(true, Some("张三丰"), Some("13812345678")), "张*（138****5678）");
        assert_eq!(mask_evaluator(false, Some("张三丰"), Some("13812345678")), "匿名用户");
        assert_eq!(mask_evaluator(true, None, Some("123")), "实名用户");
        assert_eq!(mask_evaluator(true, None, Some("0731-5823456")), "****56");
        assert_eq!(mask_evaluator(true, None, Some("1234567")), "****67");
        assert_eq!(mask_evaluator(true, Some("李"), None), "李*");
    }
}
