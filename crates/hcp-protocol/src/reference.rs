//! Reference data: units, staff, service items, settings and accounts.

use super::*;

/// An organisation unit (city, district, town, hall, department, window).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OrgUnitRow {
    pub id: i64,
    pub parent_id: Option<i64>,
    #[schema(value_type = String, example = "hall")]
    pub kind: OrgKind,
    pub name: String,
    /// Administrative division code (行政区划代码) or internal unit code.
    pub code: String,
    pub path: String,
    /// False once an administrator deactivated the unit (已停用): it stays in the history
    /// (cases, ratings, statistics) but receives no new ratings, cases or assignments.
    #[serde(default = "unit_active_default")]
    pub active: bool,
}

fn unit_active_default() -> bool {
    true
}

/// A staff member (工作人员) working at a hall window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StaffRow {
    pub id: i64,
    /// The hall the staff member works in.
    pub unit_id: i64,
    pub department_id: Option<i64>,
    pub window_id: Option<i64>,
    pub name: String,
    pub employee_no: String,
    pub unit_path: String,
}

/// A government service item (政务服务事项) handled at a hall or by a department.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ServiceItemRow {
    pub id: i64,
    /// The hall or department that handles the item.
    pub unit_id: i64,
    pub unit_path: String,
    /// The item's code in the province's item catalogue (事项编码).
    pub code: String,
    pub name: String,
    /// The promised processing time in working days (承诺办结时限), when the catalogue gives one.
    pub promised_working_days: Option<i64>,
    pub active: bool,
}

/// A setting of a jurisdiction, distributed through the change feed: the statutory working-day
/// calendar (`calendar`, set at the root) or a jurisdiction's deadline and escalation policy
/// (`policy`). A setting applies to its unit and everything below it; the nearest one wins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SettingRow {
    pub id: i64,
    pub unit_id: i64,
    pub unit_path: String,
    /// `calendar` or `policy`.
    pub key: String,
    /// The setting as JSON (`hcp_domain::Calendar` data, or [`JurisdictionPolicy`]).
    pub value: serde_json::Value,
    pub updated_at: String,
}

/// The setting keys.
pub mod setting_keys {
    pub const CALENDAR: &str = "calendar";
    pub const POLICY: &str = "policy";
}

/// A jurisdiction's deadline and escalation policy (the `policy` setting).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct JurisdictionPolicy {
    #[schema(value_type = Object)]
    pub deadlines: hcp_domain::DeadlineRules,
    #[schema(value_type = Object)]
    pub escalation: hcp_domain::EscalationPolicy,
    /// The deadline watch's working hours and reminder rhythm (optional in a policy body: the
    /// defaults, 08:30–17:30 and every 5 working days, when absent).
    #[schema(value_type = Object)]
    pub watch: hcp_domain::watch::WatchPolicy,
    /// The staff and window leagues' rules (optional in a policy body: a minimum sample of 10
    /// ratings when absent).
    #[schema(value_type = Object)]
    pub assessment: hcp_domain::league::AssessmentPolicy,
    /// How much rating history the jurisdiction's laptops hold in full (optional in a policy body:
    /// the current and the previous month when absent).
    pub replication: ReplicationPolicy,
}

/// How much rating history a replica holds in full (see [`crate::sync::Window`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ReplicationPolicy {
    /// Months held in full, the current one included (1–120; default 2). Earlier months come as
    /// the server's month statistics, and their ratings only when they opened a case.
    pub window_months: u32,
}

impl Default for ReplicationPolicy {
    fn default() -> Self {
        ReplicationPolicy { window_months: 2 }
    }
}

impl ReplicationPolicy {
    pub const MAX_MONTHS: u32 = 120;

    pub fn validate(&self) -> Result<(), String> {
        if (1..=Self::MAX_MONTHS).contains(&self.window_months) {
            Ok(())
        } else {
            Err(format!("本机保存的完整评价月数须在 1 到 {} 之间", Self::MAX_MONTHS))
        }
    }
}

/// A user as other users see them (no credentials): for assignee pickers and timelines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UserRow {
    pub id: i64,
    pub display_name: String,
    #[schema(value_type = String, example = "department_handler")]
    pub role: Role,
    pub unit_id: i64,
    pub unit_path: String,
    pub active: bool,
}
