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
    fn serde_validates() {
        let c: ContentCode = serde_json::from_str("110").expect("valid");
        assert_eq!(c.value(), 110);
        assert_eq!(serde_json::to_string(&c).expect("json"), "110");
        assert!(serde_json::from_str::<ContentCode>("700").is_err());
        assert!(serde_json::from_str::<ContentCode>("12").is_err());
    }
}
