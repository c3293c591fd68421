//! Evaluation content codes (评价内容代码).
//!
//! A rating may carry content codes that say what was good or bad, such as 110 ("exceeded the legal
//! processing time without reason"). A code has three digits and its first digit is the rating
//! level it belongs to. Like the level codes themselves, the direction of that digit depends on
//! the source (GB/T 39046: 1 = very satisfied; Zhejiang-style: 1 = very dissatisfied), so the
//! code only exposes the digit and importers map it per source.

use serde::{Deserialize, Serialize};

use crate::level::{Level, LevelCodeError};

/// A validated content code: three digits, the first one 1–5 (so 100–599).
#[cfg_attr(feature = "specta", derive(specta::Type), specta(transparent))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub struct ContentCode(u16);

/// A value that is not a content code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentCodeError {
    #[error("评价内容代码 {0} 无效：应为三位数字")]
    NotThreeDigits(u32),
    #[error("评价内容代码 {0} 无效：首位表示评价等级，应为 1–5")]
    BadLevelDigit(u16),
    #[error("评价内容代码“{0}”无效：应为三位数字")]
    NotANumber(String),
}

impl ContentCode {
    pub fn new(code: u16) -> Result<ContentCode, ContentCodeError> {
        match code {
            100..=599 => Ok(ContentCode(code)),
            600..=999 => Err(ContentCodeError::BadLevelDigit(code)),
            _ => Err(ContentCodeError::NotThreeDigits(u32::from(code))),
        }
    }

    /// Parses a code written as three digits, such as `"110"`.
    pub fn parse(s: &str) -> Result<ContentCode, ContentCodeError> {
        let t = s.trim();
        if t.len() != 3 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ContentCodeError::NotANumber(s.to_owned()));
        }
        let code: u16 = t.parse().map_err(|_| ContentCodeError::NotANumber(s.to_owned()))?;
        if code < 100 {
            return Err(ContentCodeError::NotThreeDigits(u32::from(code)));
        }
        ContentCode::new(code)
    }

    pub fn value(self) -> u16 {
        self.0
    }

    /// The first digit, 1–5: the level the code belongs to, in the source's direction.
    pub fn level_digit(self) -> u8 {
        // 100..=599 / 100 is 1..=5, which always fits.
        u8::try_from(self.0 / 100).unwrap_or(0)
    }

    /// The level when the digit runs in the GB/T 39046 direction (1 = very satisfied).
    pub fn gbt39046_level(self) -> Result<Level, LevelCodeError> {
        Level::from_gbt39046_code(i64::from(self.level_digit()))
    }

    /// The level when the digit runs in the Zhejiang direction (1 = very dissatisfied).
    pub fn zhejiang_level(self) -> Result<Level, LevelCodeError> {
        Level::from_zhejiang_code(i64::from(self.level_digit()))
    }
}

/// What the sub-codes of a bad review (first digit 1 非常不满意 or 2 不满意, as this platform stores
/// codes) mean, in Chinese and English: 110 is "exceeded the legal processing time".
const BAD_MEANINGS: [(u16, &str, &str); 10] = [
    (1, "办事指南不准确、政策解释不一致", "Inaccurate guide or inconsistent policy answers"),
    (2, "材料未一次性告知、重复提交", "Documents not listed at once, submitted twice"),
    (3, "办事流程繁琐、环节多", "Cumbersome procedure, too many steps"),
    (4, "工作人员服务态度差", "Poor attitude of staff"),
    (5, "信息系统故障无法办理", "IT system failure, could not be served"),
    (6, "排队等候时间长、窗口空岗", "Long queue or unattended window"),
    (7, "推诿扯皮、索要不必要的证明材料", "Passed around, asked for needless certificates"),
    (8, "办事不公开、不透明", "Opaque handling"),
    (9, "设施设备故障未及时修复", "Broken equipment not repaired"),
    (10, "超过法定（承诺）办理时限", "Exceeded the legal (promised) processing time"),
];

/// What the sub-codes of a good or neutral rating (first digit 3–5) mean.
const GOOD_MEANINGS: [(u16, &str, &str); 5] = [
    (1, "办事效率高", "Efficient service"),
    (2, "服务态度好", "Friendly staff"),
    (3, "一次办成、少跑腿", "Done in one visit"),
    (4, "指引清晰、一次告知", "Clear guidance, told everything at once"),
    (5, "环境整洁、便利", "Clean, convenient hall"),
];

impl ContentCode {
    /// The sub-code after the level digit (110 → 10).
    pub fn sub_code(self) -> u16 {
        self.0 % 100
    }

    fn meaning(self) -> Option<(&'static str, &'static str)> {
        let table: &[(u16, &str, &str)] = if self.level_digit() <= 2 { &BAD_MEANINGS } else { &GOOD_MEANINGS };
        table.iter().find(|(sub, _, _)| *sub == self.sub_code()).map(|(_, zh, en)| (*zh, *en))
    }

    /// What the code means, in Chinese (`None` for a sub-code this platform does not define).
    pub fn label_zh(self) -> Option<&'static str> {
        self.meaning().map(|(zh, _)| zh)
    }

    /// What the code means, in English.
    pub fn label_en(self) -> Option<&'static str> {
        self.meaning().map(|(_, en)| en)
    }

    /// The code with its meaning, e.g. `110 超过法定（承诺）办理时限`, or `103（未定义的代码）`.
    pub fn describe_zh(self) -> String {
        match self.label_zh() {
            Some(l) => format!("{self} {l}"),
            None => format!("{self}（未定义的代码）"),
        }
    }

    /// The code with its meaning in English, e.g. `110 Exceeded the legal (promised) processing time`.
    pub fn describe_en(self) -> String {
        match self.label_en() {
            Some(l) => format!("{self} {l}"),
            None => format!("{self} (undefined code)"),
        }
    }
}

impl TryFrom<u16> for ContentCode {
    type Error = ContentCodeError;
    fn try_from(code: u16) -> Result<Self, Self::Error> {
        ContentCode::new(code)
    }
}

impl From<ContentCode> for u16 {
    fn from(c: ContentCode) -> u16 {
        c.0
    }
}

impl std::fmt::Display for ContentCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_codes_have_three_digits_and_a_level_digit() {
        let c = ContentCode::new(110).expect("valid");
        assert_eq!(c.level_digit(), 1);
        assert_eq!(c.value(), 110);
        assert_eq!(c.to_string(), "110");
        assert_eq!(ContentCode::parse("501").map(|c| c.level_digit()), Ok(5));
        assert_eq!(c.gbt39046_level(), Ok(Level::VerySatisfied));
        assert_eq!(c.zhejiang_level(), Ok(Level::VeryDissatisfied));
        for code in 100..=599u16 {
            let c = ContentCode::new(code).expect("in range");
            assert!((1..=5).contains(&c.level_digit()));
            assert!(c.gbt39046_level().is_ok());
        }
    }

    #[test]
    fn invalid_codes_are_rejected_in_chinese() {
        assert_eq!(ContentCode::new(99), Err(ContentCodeError::NotThreeDigits(99)));
        assert_eq!(ContentCode::new(1000), Err(ContentCodeError::NotThreeDigits(1000)));
        assert_eq!(ContentCode::new(610), Err(ContentCodeError::BadLevelDigit(610)));
        assert!(ContentCode::new(0).is_err());
        for bad in ["", "11", "1100", "abc", "-10", "011", "6 0"] {
            assert!(ContentCode::parse(bad).is_err(), "{bad}");
        }
        let msg = ContentCode::new(700).expect_err("bad").to_string();
        assert!(msg.contains("应为 1–5"), "{msg}");
    }

    #[test]
    fn codes_carry_their_meaning() {
        let late = ContentCode::new(110).expect("valid");
        assert_eq!(late.sub_code(), 10);
        assert_eq!(late.describe_zh(), "110 超过法定（承诺）办理时限");
        assert_eq!(late.describe_en(), "110 Exceeded the legal (promised) processing time");
        assert_eq!(ContentCode::new(204).expect("valid").label_zh(), Some("工作人员服务态度差"));
        assert_eq!(ContentCode::new(501).expect("valid").label_zh(), Some("办事效率高"));
        assert_eq!(ContentCode::new(399).expect("valid").describe_zh(), "399（未定义的代码）");
        for digit in 1..=5u16 {
            for sub in 1..=5u16 {
                assert!(ContentCode::new(digit * 100 + sub).expect("valid").label_en().is_some());
            }
        }
    }

    #[test]
    fn serde_validates() {
        let c: ContentCode = serde_json::from_str("110").expect("valid");
        assert_eq!(c.value(), 110);
        assert_eq!(serde_json::to_string(&c).expect("json"), "110");
        assert!(serde_json::from_str::<ContentCode>("700").is_err());
        assert!(serde_json::from_str::<ContentCode>("12").is_err());
    }
}
