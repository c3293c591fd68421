//! The roles the central server knows.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum Role {
    /// 大厅负责人 / 政务客服: verifies, resolves on the spot, assigns.
    HallManager,
    /// 督查人员: watches deadlines, escalates, prints notices, publishes rankings.
    Supervisor,
    /// 纪检监察联络员: reviews cases, records accountability decisions.
    DisciplineLiaison,
    /// 承办人: rectifies assigned cases.
    DepartmentHandler,
    /// 窗口工作人员: the rated staff member, who may appeal.
    StaffMember,
    /// 系统管理员: reference data and users.
    Administrator,
}

crate::str_enum!(Role {
    HallManager => "hall_manager",
    Supervisor => "supervisor",
    DisciplineLiaison => "discipline_liaison",
    DepartmentHandler => "department_handler",
    StaffMember => "staff_member",
    Administrator => "administrator",
});

impl Role {
    pub fn label_zh(self) -> &'static str {
        match self {
            Role::HallManager => "大厅负责人",
            Role::Supervisor => "督查人员",
            Role::DisciplineLiaison => "纪检监察联络员",
            Role::DepartmentHandler => "承办人",
            Role::StaffMember => "窗口工作人员",
            Role::Administrator => "系统管理员",
        }
    }

    /// Whether the role may see evaluators' identities (after giving a reason, which is logged).
    pub fn may_reveal_evaluator(self) -> bool {
        matches!(self, Role::HallManager | Role::Supervisor | Role::DisciplineLiaison)
    }

    /// Whether the role sees the integrity-flag queue (异常评价线索).
    pub fn may_view_integrity_flags(self) -> bool {
        matches!(self, Role::HallManager | Role::Supervisor | Role::DisciplineLiaison)
    }

    /// Whether the role decides integrity flags: the hall manager first-line, supervisors above.
    pub fn may_decide_integrity_flags(self) -> bool {
        matches!(self, Role::HallManager | Role::Supervisor)
    }

    /// Whether the role issues rectification notices (整改通知书) under its own office's document
    /// numbers: the supervision office, and the hall for its own cases.
    pub fn may_issue_notices(self) -> bool {
        matches!(self, Role::HallManager | Role::Supervisor)
    }

    /// Whether the role confirms 服务明星 / 办事能手: the supervision office, which publishes the
    /// leagues they come from.
    pub fn may_confirm_awards(self) -> bool {
        matches!(self, Role::Supervisor)
    }

    /// Whether the role publishes the official 月调度通报 (monthly dispatch report): the
    /// supervision office only (a hall reads its statistics but does not publish the report).
    pub fn may_publish_monthly_report(self) -> bool {
        matches!(self, Role::Supervisor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn staff_and_handlers_never_see_evaluators() {
        assert!(!Role::StaffMember.may_reveal_evaluator());
        assert!(!Role::DepartmentHandler.may_reveal_evaluator());
        assert!(Role::Supervisor.may_reveal_evaluator());
    }

    #[test]
    fn notices_and_the_monthly_report_come_from_the_offices_that_issue_them() {
        let issuers: Vec<Role> = Role::ALL.into_iter().filter(|r| r.may_issue_notices()).collect();
        assert_eq!(issuers, vec![Role::HallManager, Role::Supervisor]);
        let publishers: Vec<Role> = Role::ALL.into_iter().filter(|r| r.may_publish_monthly_report()).collect();
        assert_eq!(publishers, vec![Role::Supervisor]);
    }
}
