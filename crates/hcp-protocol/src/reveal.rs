//! Evaluator identities: masked by default, revealed with a reason.

use super::*;

/// `POST /api/v1/ratings/{id}/reveal`: why the caller needs the evaluator's identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealRequest {
    /// At least 4 characters; recorded with the caller and the time.
    pub reason: String,
}

/// The evaluator's identity, for the one caller who asked (never replicated, never cached).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RevealedEvaluator {
    pub rating_id: i64,
    pub real_name: bool,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub cert: Option<String>,
}

/// Masks an evaluator for everyone without the right to see them: `张*（138****5678）`. Mobile
/// numbers (11 digits starting with 1) keep their first 3 and last 4 digits; any other number only
/// its last 2, so a landline is never readable from the mask.
pub fn mask_evaluator(real_name: bool, name: Option<&str>, phone: Option<&str>) -> String {
    if !real_name {
        return "匿名用户".to_owned();
    }
    let name = name.and_then(|n| n.chars().next()).map(|c| format!("{c}*"));
    let phone = phone
        .map(|p| p.chars().filter(char::is_ascii_digit).collect::<Vec<char>>())
        .filter(|d| d.len() >= 4)
        .map(|d| {
            let tail2: String = d[d.len() - 2..].iter().collect();
            if d.len() == 11 && d[0] == '1' {
                let head: String = d[..3].iter().collect();
                let tail: String = d[d.len() - 4..].iter().collect();
                format!("{head}****{tail}")
            } else {
                format!("****{tail2}")
            }
        });
    match (name, phone) {
        (Some(n), Some(p)) => format!("{n}（{p}）"),
        (Some(n), None) => n,
        (None, Some(p)) => p,
        (None, None) => "实名用户".to_owned(),
    }
}
