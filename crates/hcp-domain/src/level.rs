//! Rating levels (评价等级) and channels (评价渠道).

use serde::{Deserialize, Serialize};

/// The five levels of a rating, named explicitly on the wire because national data codes disagree
/// on direction (GB/T 39046: 1 = very satisfied; Zhejiang-style: 1 = very dissatisfied).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum Level {
    VerySatisfied,
    Satisfied,
    BasicallySatisfied,
    Dissatisfied,
    VeryDissatisfied,
}

/// A code that does not name one of the five levels.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LevelCodeError {
    #[error("评价等级代码 {0} 无效：应为 1–5")]
    OutOfRange(i64),
    #[error("评价等级名称“{0}”无效")]
    UnknownName(String),
}

impl Level {
    pub const ALL: [Level; 5] = [
        Level::VerySatisfied,
        Level::Satisfied,
        Level::BasicallySatisfied,
        Level::Dissatisfied,
        Level::VeryDissatisfied,
    ];

    /// 不满意 and 非常不满意 are bad reviews (差评).
    pub fn is_bad(self) -> bool {
        matches!(self, Level::Dissatisfied | Level::VeryDissatisfied)
    }

    /// GB/T 39046-2020: 1 = very satisfied … 5 = very dissatisfied.
    pub fn from_gbt39046_code(code: i64) -> Result<Level, LevelCodeError> {
        match code {
            1..=5 => Ok(Level::ALL[(code - 1) as usize]),
            _ => Err(LevelCodeError::OutOfRange(code)),
        }
    }

    pub fn gbt39046_code(self) -> i64 {
        Level::ALL.iter().position(|l| *l == self).map_or(0, |i| i as i64 + 1)
    }

    /// Zhejiang-style interfaces: 1 = very dissatisfied … 5 = very satisfied.
    pub fn from_zhejiang_code(code: i64) -> Result<Level, LevelCodeError> {
        match code {
            1..=5 => Ok(Level::ALL[(5 - code) as usize]),
            _ => Err(LevelCodeError::OutOfRange(code)),
        }
    }

    pub fn zhejiang_code(self) -> i64 {
        6 - self.gbt39046_code()
    }

    /// The wire name (`very_satisfied` …).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::VerySatisfied => "very_satisfied",
            Level::Satisfied => "satisfied",
            Level::BasicallySatisfied => "basically_satisfied",
            Level::Dissatisfied => "dissatisfied",
            Level::VeryDissatisfied => "very_dissatisfied",
        }
    }

    pub fn parse(name: &str) -> Result<Level, LevelCodeError> {
        Level::ALL.into_iter().find(|l| l.as_str() == name).ok_or_else(|| LevelCodeError::UnknownName(name.to_owned()))
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Level::VerySatisfied => "非常满意",
            Level::Satisfied => "满意",
            Level::BasicallySatisfied => "基本满意",
            Level::Dissatisfied => "不满意",
            Level::VeryDissatisfied => "非常不满意",
        }
    }
}

/// Rating channels 1–8 as the national platform numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum Channel {
    /// 1 网上办事大厅
    PcPortal,
    /// 2 移动端
    MobileApp,
    /// 3 二维码
    QrCode,
    /// 4 政务大厅平板电脑 / 窗口评价器
    HallDevice,
    /// 5 其他大厅终端 / 自助终端
    SelfServiceTerminal,
    /// 6 电话回访
    PhoneCallback,
    /// 7 短信
    Sms,
    /// 8 系统默认评价
    SystemDefault,
}

impl Channel {
    pub const ALL: [Channel; 8] = [
        Channel::PcPortal,
        Channel::MobileApp,
        Channel::QrCode,
        Channel::HallDevice,
        Channel::SelfServiceTerminal,
        Channel::PhoneCallback,
        Channel::Sms,
        Channel::SystemDefault,
    ];

    pub fn code(self) -> u8 {
        Channel::ALL.iter().position(|c| *c == self).map_or(0, |i| i as u8 + 1)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Channel::PcPortal => "网上办事大厅",
            Channel::MobileApp => "移动端",
            Channel::QrCode => "二维码",
            Channel::HallDevice => "窗口评价器",
            Channel::SelfServiceTerminal => "自助终端",
            Channel::PhoneCallback => "电话回访",
            Channel::Sms => "短信",
            Channel::SystemDefault => "系统默认评价",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Channel::PcPortal => "Web portal",
            Channel::MobileApp => "Mobile app",
            Channel::QrCode => "QR code",
            Channel::HallDevice => "Window device",
            Channel::SelfServiceTerminal => "Self-service kiosk",
            Channel::PhoneCallback => "Phone callback",
            Channel::Sms => "SMS",
            Channel::SystemDefault => "Default rating",
        }
    }
}

impl TryFrom<u8> for Channel {
    type Error = String;
    fn try_from(code: u8) -> Result<Self, Self::Error> {
        match code {
            1..=8 => Ok(Channel::ALL[(code - 1) as usize]),
            _ => Err(format!("评价渠道代码 {code} 无效：应为 1–8")),
        }
    }
}

impl From<Channel> for u8 {
    fn from(c: Channel) -> u8 {
        c.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbt_and_zhejiang_codes_run_in_opposite_directions() {
        assert_eq!(Level::from_gbt39046_code(1), Ok(Level::VerySatisfied));
        assert_eq!(Level::from_gbt39046_code(5), Ok(Level::VeryDissatisfied));
        assert_eq!(Level::from_zhejiang_code(1), Ok(Level::VeryDissatisfied));
        assert_eq!(Level::from_zhejiang_code(5), Ok(Level::VerySatisfied));
        for l in Level::ALL {
            assert_eq!(Level::from_gbt39046_code(l.gbt39046_code()), Ok(l));
            assert_eq!(Level::from_zhejiang_code(l.zhejiang_code()), Ok(l));
            assert_eq!(Level::parse(l.as_str()), Ok(l));
        }
        assert_eq!(Level::from_gbt39046_code(0), Err(LevelCodeError::OutOfRange(0)));
        assert_eq!(Level::from_zhejiang_code(6), Err(LevelCodeError::OutOfRange(6)));
    }

    #[test]
    fn only_the_two_lowest_levels_are_bad_reviews() {
        let bad: Vec<_> = Level::ALL.into_iter().filter(|l| l.is_bad()).collect();
        assert_eq!(bad, vec![Level::Dissatisfied, Level::VeryDissatisfied]);
    }

    #[test]
    fn channels_round_trip_through_their_codes() {
        for c in Channel::ALL {
            assert_eq!(Channel::try_from(c.code()), Ok(c));
        }
        assert!(Channel::try_from(0).is_err());
        assert!(Channel::try_from(9).is_err());
    }
}
