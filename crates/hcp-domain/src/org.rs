//! Organisation units and jurisdiction scope (辖区).
//!
//! Units form a tree: city → district/county/park → town/subdistrict → village/community, with
//! service halls, departments and windows hanging below. Every unit has a materialised path of the
//! ids from the root, such as `/1/4/17/`; a user's scope is their unit's path, and a row is in scope
//! when its unit path starts with it ("a user sees their unit and everything below it").

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// 市
    City,
    /// 区县
    District,
    /// 园区
    Park,
    /// 乡镇 / 街道
    Town,
    /// 村 / 社区
    Community,
    /// 政务服务大厅 / 便民服务中心
    Hall,
    /// 部门 / 分大厅
    Department,
    /// 窗口
    Window,
}

crate::str_enum!(OrgKind {
    City => "city",
    District => "district",
    Park => "park",
    Town => "town",
    Community => "community",
    Hall => "hall",
    Department => "department",
    Window => "window",
});

impl OrgKind {
    /// Which kinds may sit directly below this one.
    pub fn may_contain(self, child: OrgKind) -> bool {
        use OrgKind::*;
        match self {
            City => matches!(child, District | Park | Hall | Department),
            District | Park => matches!(child, Town | Hall | Department),
            Town => matches!(child, Community | Hall),
            Community => matches!(child, Hall),
            Hall => matches!(child, Department | Window),
            Department => matches!(child, Window),
            Window => false,
        }
    }
}

/// A materialised path such as `/1/4/17/`: the ids from the root to a unit, each followed by `/`.
#[cfg_attr(feature = "specta", derive(specta::Type), specta(transparent))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ScopePath(String);

impl ScopePath {
    /// The path of a root unit.
    pub fn root(id: i64) -> ScopePath {
        ScopePath(format!("/{id}/"))
    }

    /// The path of a child unit below this one.
    pub fn child(&self, id: i64) -> ScopePath {
        ScopePath(format!("{}{id}/", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `other` is this unit or lies below it.
    pub fn contains(&self, other: &ScopePath) -> bool {
        other.0.starts_with(&self.0)
    }

    /// The ids from the root down to this unit.
    pub fn ids(&self) -> Vec<i64> {
        self.0.split('/').filter(|s| !s.is_empty()).filter_map(|s| s.parse().ok()).collect()
    }

    /// The district a unit belongs to: its first two levels (city, district), e.g. `/1/4/` (the
    /// city itself for the city's own path). Departments, handlers and the staff roster of a
    /// case are its district's.
    pub fn district(&self) -> ScopePath {
        ScopePath(self.ids().into_iter().take(2).fold(String::from("/"), |mut p, id| {
            p.push_str(&format!("{id}/"));
            p
        }))
    }

    /// The exclusive upper bound of the paths in scope, for range scans: every path that starts
    /// with this one sorts in `[self, upper_bound)` because ids are digits and `/` < `0` < `~`.
    pub fn upper_bound(&self) -> String {
        format!("{}~", self.0)
    }
}

impl TryFrom<String> for ScopePath {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let ok = s.len() >= 3
            && s.starts_with('/')
            && s.ends_with('/')
            && s[1..s.len() - 1].split('/').all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
        if ok {
            Ok(ScopePath(s))
        } else {
            Err(format!("辖区路径“{s}”无效：应形如 /1/4/17/"))
        }
    }
}

impl From<ScopePath> for String {
    fn from(p: ScopePath) -> String {
        p.0
    }
}

impl std::fmt::Display for ScopePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_units_district_is_its_first_two_levels() {
        let hall = ScopePath::root(1).child(4).child(9).child(12);
        assert_eq!(hall.district().as_str(), "/1/4/");
        assert_eq!(ScopePath::root(1).child(4).district().as_str(), "/1/4/");
        assert_eq!(ScopePath::root(1).district().as_str(), "/1/");
    }
    use super::*;

    #[test]
    fn a_scope_contains_itself_and_its_descendants_only() {
        let city = ScopePath::root(1);
        let district = city.child(4);
        let hall = district.child(17);
        let other_district = city.child(41);
        assert!(city.contains(&hall));
        assert!(district.contains(&hall));
        assert!(hall.contains(&hall));
        assert!(!hall.contains(&district));
        // /1/4/ must not contain /1/41/: the trailing slash keeps sibling ids apart.
        assert!(!district.contains(&other_district));
        assert_eq!(hall.ids(), vec![1, 4, 17]);
    }

    #[test]
    fn the_upper_bound_sorts_after_every_descendant() {
        let d = ScopePath::root(1).child(4);
        let below = d.child(999_999).child(12);
        assert!(below.as_str() < d.upper_bound().as_str());
        assert!(d.as_str() <= below.as_str());
        let sibling = ScopePath::root(1).child(5);
        assert!(sibling.as_str() >= d.upper_bound().as_str() || !d.contains(&sibling));
    }

    #[test]
    fn malformed_paths_are_rejected() {
        for bad in ["", "/", "1/2/", "/1/2", "/1//2/", "/a/"] {
            assert!(ScopePath::try_from(bad.to_owned()).is_err(), "{bad}");
        }
        assert!(ScopePath::try_from("/1/2/".to_owned()).is_ok());
    }

    #[test]
    fn tree_shape_rules() {
        assert!(OrgKind::City.may_contain(OrgKind::District));
        assert!(OrgKind::Hall.may_contain(OrgKind::Window));
        assert!(!OrgKind::Window.may_contain(OrgKind::Hall));
        assert_eq!(OrgKind::parse("hall"), Some(OrgKind::Hall));
        assert_eq!(OrgKind::parse("nope"), None);
    }
}
