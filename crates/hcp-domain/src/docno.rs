//! Document numbers (发文字号, 文号) such as 东政管督〔2026〕12号: the issuing office's abbreviation
//! (发文机关代字), the year in 〔〕 and a sequence number unique per office and year.
//!
//! Every office that issues notices has its own abbreviation: a district's 政务服务管理办公室 and
//! its 政务服务中心 are two offices and must never print the same 文号. The abbreviation is derived
//! from the unit here (kind and name), the server keeps the first candidate no other office holds
//! (falling back to longer ones, then to the unit's code), and it never changes afterwards.
//! The sequence is owned by the server; clients reserve small blocks of it (see the server's
//! `doc_numbers` module) so that a notice can be numbered offline too.

use crate::org::OrgKind;

/// The name under which a unit issues documents: an administrative unit (city, district, park,
/// town) through its 政务服务管理办公室, any other unit (a hall, a department) under its own name.
pub fn issuing_office_name(kind: OrgKind, unit_name: &str) -> String {
    let name = unit_name.trim();
    match kind {
        OrgKind::City | OrgKind::District | OrgKind::Park | OrgKind::Town => format!("{name}政务服务管理办公室"),
        _ => name.to_owned(),
    }
}

/// Suffixes that name the kind of place, dropped before the place's characters are taken.
const PLACE_SUFFIXES: [&str; 9] = ["政务服务中心", "便民服务中心", "街道", "园区", "新区", "区", "市", "县", "镇"];

/// The place part of a unit's name: 东湖区政务服务中心 → 东湖, 江城市 → 江城.
fn place(unit_name: &str) -> String {
    let mut name = unit_name.trim().to_owned();
    for _ in 0..2 {
        if let Some(s) = PLACE_SUFFIXES.iter().find(|s| name.ends_with(*s) && name.chars().count() > s.chars().count())
        {
            name.truncate(name.len() - s.len());
        }
    }
    name
}

/// The office's part of the abbreviation: 政管督 for a 政务服务管理办公室's supervision, 政服督 for a
/// 政务服务中心, 便服督 for a 便民服务中心, 督 for any other unit.
fn office_part(kind: OrgKind, unit_name: &str) -> &'static str {
    match kind {
        OrgKind::City | OrgKind::District | OrgKind::Park | OrgKind::Town => "政管督",
        OrgKind::Hall if unit_name.contains("便民服务") => "便服督",
        OrgKind::Hall => "政服督",
        _ => "督",
    }
}

/// The abbreviations an office may take, preferred first: the place's first character, then its
/// first two, then the whole place, then the unit's code appended (unique by construction). The
/// server keeps the first one no other office holds.
pub fn abbreviation_candidates(kind: OrgKind, unit_name: &str, unit_code: &str) -> Vec<String> {
    let place = place(unit_name);
    let office = office_part(kind, unit_name);
    let chars: Vec<char> = place.chars().collect();
    let mut out: Vec<String> = Vec::new();
    for n in [1, 2, chars.len()] {
        if n == 0 || n > chars.len() {
            continue;
        }
        let c = format!("{}{office}", chars[..n].iter().collect::<String>());
        if !out.contains(&c) {
            out.push(c);
        }
    }
    let code = unit_code.trim();
    let last = format!("{place}{office}{code}");
    if !out.contains(&last) {
        out.push(last);
    }
    out
}

/// A document number as printed: 东政管督〔2026〕12号.
pub fn format_doc_number(abbreviation: &str, year: i32, number: u32) -> String {
    format!("{abbreviation}〔{year}〕{number}号")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_district_office_and_its_hall_have_different_abbreviations() {
        let office = abbreviation_candidates(OrgKind::District, "东湖区", "439901");
        let hall = abbreviation_candidates(OrgKind::Hall, "东湖区政务服务中心", "439901-H");
        assert_eq!(office[0], "东政管督");
        assert_eq!(hall[0], "东政服督");
        assert!(office.iter().all(|o| !hall.contains(o)), "{office:?} {hall:?}");
        assert_eq!(issuing_office_name(OrgKind::District, "东湖区"), "东湖区政务服务管理办公室");
        assert_eq!(issuing_office_name(OrgKind::Hall, "东湖区政务服务中心"), "东湖区政务服务中心");
    }

    #[test]
    fn longer_candidates_and_the_code_follow() {
        assert_eq!(
            abbreviation_candidates(OrgKind::District, "东山区", "439903"),
            vec!["东政管督", "东山政管督", "东山政管督439903"]
        );
        let town = abbreviation_candidates(OrgKind::Hall, "长宁街道便民服务中心", "T1-H");
        assert_eq!(town, vec!["长便服督", "长宁便服督", "长宁便服督T1-H"]);
        assert_eq!(abbreviation_candidates(OrgKind::City, "江城市", "439900")[0], "江政管督");
        // A name that is only a suffix keeps it rather than becoming empty.
        assert_eq!(abbreviation_candidates(OrgKind::District, "区", "1")[0], "区政管督");
        assert_eq!(format_doc_number("东政管督", 2026, 12), "东政管督〔2026〕12号");
    }
}
