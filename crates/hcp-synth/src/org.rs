//! The jurisdiction: the organisation tree, the staff at the windows and the users who work the
//! cases, with ids dense from 1 in creation order (parents before children).

use hcp_domain::{OrgKind, Role, ScopePath};
use hcp_protocol::{OrgUnitRow, StaffRow, UserRow};

use crate::data::{self, DeptSpec};
use crate::identity::person_name;
use crate::rng::{stream, Rng, Weighted};

/// A user account, with what the server keeps beside the public row.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthUser {
    pub row: UserRow,
    /// The sign-in name, e.g. `donghu.manager`; the writer chooses the password.
    pub username: String,
    /// The staff record a staff member's account is linked to (rated staff may appeal).
    pub staff_id: Option<i64>,
}

/// The synthetic jurisdiction: small enough to hold in memory.
#[derive(Debug, Clone)]
pub struct Jurisdiction {
    /// Every organisation unit, ids 1..=n, parents before children.
    pub units: Vec<OrgUnitRow>,
    /// Every staff member, ids 1..=n.
    pub staff: Vec<StaffRow>,
    /// Every user, ids 1..=n.
    pub users: Vec<SynthUser>,
    pub(crate) halls: Vec<Hall>,
    pub(crate) offices: Vec<Office>,
    pub(crate) staff_info: Vec<StaffInfo>,
    /// Draws a hall for a rating given at a window, in proportion to its traffic.
    pub(crate) office_halls: Weighted,
    /// Draws a hall for a rating given online.
    pub(crate) online_halls: Weighted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HallKind {
    City,
    District,
    Town,
    Community,
}

#[derive(Debug, Clone)]
pub(crate) struct Hall {
    pub id: i64,
    pub path: String,
    pub name: String,
    pub kind: HallKind,
    /// The 6-digit division code of the district (for identity numbers of local people).
    pub division: u32,
    pub depts: Vec<HallDept>,
    pub windows: Vec<Window>,
    pub window_weights: Weighted,
    pub dept_weights: Weighted,
    /// Hall managers whose scope contains the hall (user indices).
    pub managers: Vec<usize>,
    /// The office that supervises the hall and takes its assignments.
    pub office: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct HallDept {
    /// `None` for the one pseudo-department of a town or community hall.
    pub id: Option<i64>,
    pub path: String,
    pub items: &'static [(&'static str, &'static str)],
    /// Staff indices.
    pub staff: Vec<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct Window {
    pub id: i64,
    pub path: String,
    /// Index into the hall's `depts`.
    pub dept: usize,
    /// Staff indices.
    pub staff: Vec<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct StaffInfo {
    /// The user index of the staff member's account.
    pub user: usize,
    /// How likely the staff member is to draw a bad review, relative to others (1 = typical).
    pub badness: f64,
}

/// Who supervises a district (or the city hall) and where its cases are assigned.
#[derive(Debug, Clone)]
pub(crate) struct Office {
    pub supervisors: Vec<usize>,
    pub liaisons: Vec<usize>,
    pub targets: Vec<AssignTarget>,
}

/// A department cases can be assigned to, with its handlers (user indices).
#[derive(Debug, Clone)]
pub(crate) struct AssignTarget {
    pub dept_id: i64,
    pub handlers: Vec<usize>,
}

/// A hall as built, before its people and office are attached.
struct HallParts {
    /// The hall's index among the units.
    unit: usize,
    depts: Vec<HallDept>,
    windows: Vec<Window>,
    window_weights: Vec<f64>,
    dept_weights: Vec<f64>,
}

struct Builder {
    rng: Rng,
    units: Vec<OrgUnitRow>,
    staff: Vec<StaffRow>,
    staff_info: Vec<StaffInfo>,
    users: Vec<SynthUser>,
    staff_no: usize,
}

impl Builder {
    fn unit(&mut self, parent: Option<usize>, kind: OrgKind, name: &str, code: &str) -> usize {
        let id = self.units.len() as i64 + 1;
        let (parent_id, path) = match parent.and_then(|p| self.units.get(p)) {
            Some(p) => (Some(p.id), format!("{}{id}/", p.path)),
            None => (None, ScopePath::root(id).to_string()),
        };
        self.units.push(OrgUnitRow {
            id,
            parent_id,
            kind,
            name: name.to_owned(),
            code: code.to_owned(),
            path,
            active: true,
        });
        self.units.len() - 1
    }

    fn row(&self, index: usize) -> (i64, String) {
        self.units.get(index).map_or((0, String::new()), |u| (u.id, u.path.clone()))
    }

    fn user(&mut self, username: String, display_name: String, role: Role, unit: usize) -> usize {
        let (unit_id, unit_path) = self.row(unit);
        let id = self.users.len() as i64 + 1;
        self.users.push(SynthUser {
            row: UserRow { id, display_name, role, unit_id, unit_path, active: true },
            username,
            staff_id: None,
        });
        self.users.len() - 1
    }

    /// A user with a generated name.
    fn person(&mut self, username: String, role: Role, unit: usize) -> usize {
        let name = person_name(&mut self.rng);
        self.user(username, name, role, unit)
    }

    /// Two users of one role: `base` and `base2`.
    fn two(&mut self, base: &str, role: Role, unit: usize) -> Vec<usize> {
        vec![self.person(base.to_owned(), role, unit), self.person(format!("{base}2"), role, unit)]
    }

    fn hall(&self, parts: HallParts, kind: HallKind, division: u32, managers: Vec<usize>, office: usize) -> Hall {
        let (id, path) = self.row(parts.unit);
        Hall {
            id,
            path,
            name: self.units.get(parts.unit).map(|u| u.name.clone()).unwrap_or_default(),
            kind,
            division,
            depts: parts.depts,
            windows: parts.windows,
            window_weights: Weighted::new(parts.window_weights),
            dept_weights: Weighted::new(parts.dept_weights),
            managers,
            office,
        }
    }

    fn staff_member(&mut self, hall: usize, dept: Option<usize>, window: usize) -> usize {
        self.staff_no += 1;
        let name = person_name(&mut self.rng);
        let (hall_id, _) = self.row(hall);
        let (window_id, window_path) = self.row(window);
        let employee_no = format!("GH{:05}", self.staff_no);
        let id = self.staff.len() as i64 + 1;
        self.staff.push(StaffRow {
            id,
            unit_id: hall_id,
            department_id: dept.map(|d| self.row(d).0),
            window_id: Some(window_id),
            name: name.clone(),
            employee_no: employee_no.clone(),
            unit_path: window_path,
        });
        let user = self.user(employee_no.to_lowercase(), name, Role::StaffMember, window);
        if let Some(u) = self.users.get_mut(user) {
            u.staff_id = Some(id);
        }
        // Most people are fine; a few draw far more bad reviews than the rest.
        let badness = if self.rng.chance(0.05) { self.rng.skewed(3.0, 8.0) } else { self.rng.skewed(0.3, 2.0) };
        self.staff_info.push(StaffInfo { user, badness });
        self.staff.len() - 1
    }

    /// A government-service centre with departments: `windows` windows, 100–300 staff.
    fn big_hall(
        &mut self,
        parent: usize,
        name: &str,
        code: &str,
        depts: &[&'static DeptSpec],
        windows: usize,
    ) -> HallParts {
        let hall = self.unit(Some(parent), OrgKind::Hall, &format!("{name}政务服务中心"), &format!("{code}-H"));
        // Every department has a window; the rest go by load.
        let loads: Vec<f64> = depts.iter().map(|d| d.load).collect();
        let extra = crate::rng::apportion(windows.saturating_sub(depts.len()) as u64, &loads);
        let min_staff = 100.max(2 * windows);
        let max_staff = 300.min(4 * windows).max(min_staff);
        let staff_total = self.rng.between(min_staff as u32, max_staff as u32) as usize;
        let per_window = crate::rng::apportion(staff_total as u64, &vec![1.0; windows.max(1)]);
        let mut hall_depts = Vec::new();
        let mut hall_windows = Vec::new();
        let mut window_weights = Vec::new();
        let mut n = 0usize;
        for (i, (d, more)) in depts.iter().zip(extra).enumerate() {
            let dept = self.unit(
                Some(hall),
                OrgKind::Department,
                &format!("{name}{}", d.name),
                &format!("{code}-D{:02}", i + 1),
            );
            let (dept_id, dept_path) = self.row(dept);
            let mut dept_staff = Vec::new();
            for _ in 0..1 + more as usize {
                n += 1;
                let window = self.unit(Some(dept), OrgKind::Window, &format!("{n}号窗口"), &format!("{code}-W{n:03}"));
                let people = per_window.get(n - 1).copied().unwrap_or(2).max(1);
                let staff: Vec<usize> = (0..people).map(|_| self.staff_member(hall, Some(dept), window)).collect();
                dept_staff.extend(staff.iter().copied());
                let (window_id, window_path) = self.row(window);
                hall_windows.push(Window { id: window_id, path: window_path, dept: i, staff });
                window_weights.push(d.load * (0.6 + 0.8 * self.rng.unit()));
            }
            hall_depts.push(HallDept { id: Some(dept_id), path: dept_path, items: d.items, staff: dept_staff });
        }
        HallParts { unit: hall, depts: hall_depts, windows: hall_windows, window_weights, dept_weights: loads }
    }

    /// A town's service centre or a community station: a few windows, no departments.
    fn small_hall(
        &mut self,
        parent: usize,
        name: String,
        code: &str,
        windows: usize,
        staff_per_window: (u32, u32),
    ) -> HallParts {
        let hall = self.unit(Some(parent), OrgKind::Hall, &name, &format!("{code}-H"));
        let (_, hall_path) = self.row(hall);
        let mut all_staff = Vec::new();
        let mut hall_windows = Vec::new();
        let mut weights = Vec::new();
        for n in 1..=windows {
            let window = self.unit(Some(hall), OrgKind::Window, &format!("{n}号窗口"), &format!("{code}-W{n:02}"));
            let people = self.rng.between(staff_per_window.0, staff_per_window.1);
            let staff: Vec<usize> = (0..people).map(|_| self.staff_member(hall, None, window)).collect();
            all_staff.extend(staff.iter().copied());
            let (window_id, window_path) = self.row(window);
            hall_windows.push(Window { id: window_id, path: window_path, dept: 0, staff });
            weights.push(0.6 + 0.8 * self.rng.unit());
        }
        let dept = HallDept { id: None, path: hall_path, items: data::TOWN_ITEMS, staff: all_staff };
        HallParts {
            unit: hall,
            depts: vec![dept],
            windows: hall_windows,
            window_weights: weights,
            dept_weights: vec![1.0],
        }
    }
}

/// The departments of a hall: every department in a district or city centre; parks leave out the
/// quieter ones.
fn dept_specs(kind: OrgKind) -> Vec<&'static DeptSpec> {
    data::DEPTS.iter().filter(|d| kind != OrgKind::Park || d.load >= 0.6).collect()
}

fn handler_targets(b: &mut Builder, slug: &str, depts: &[HallDept]) -> Vec<AssignTarget> {
    let mut targets = Vec::new();
    for (i, d) in depts.iter().enumerate() {
        let Some(dept_id) = d.id else { continue };
        let Some(unit) = b.units.iter().position(|u| u.id == dept_id) else { continue };
        let count = if b.rng.chance(0.4) { 2 } else { 1 };
        let mut handlers = Vec::new();
        for k in 0..count {
            let username = match (i, k) {
                (0, 0) => format!("{slug}.handler"),
                (_, 0) => format!("{slug}.handler{:02}", i + 1),
                _ => format!("{slug}.handler{:02}b", i + 1),
            };
            handlers.push(b.person(username, Role::DepartmentHandler, unit));
        }
        targets.push(AssignTarget { dept_id, handlers });
    }
    targets
}

/// The first staff member of a centre signs in as `{slug}.staff` (the demo profile's
/// `donghu.staff`); the others by their employee number.
fn name_first_staff_account(b: &mut Builder, slug: &str, depts: &[HallDept]) {
    let first = depts.first().and_then(|d| d.staff.first()).and_then(|s| b.staff_info.get(*s)).map(|s| s.user);
    if let Some(user) = first.and_then(|u| b.users.get_mut(u)) {
        user.username = format!("{slug}.staff");
    }
}

impl Jurisdiction {
    /// Builds the city for `seed`: the city's own centre, nine districts, counties and parks
    /// with a centre of 40–100 windows and 100–300 staff each, towns with service centres and
    /// communities with stations; the users of every role who work the cases.
    pub fn build(seed: u64) -> Jurisdiction {
        let mut b = Builder {
            rng: Rng::new(seed, &[stream::ORG]),
            units: Vec::new(),
            staff: Vec::new(),
            staff_info: Vec::new(),
            users: Vec::new(),
            staff_no: 0,
        };
        let mut halls: Vec<Hall> = Vec::new();
        let mut offices: Vec<Office> = Vec::new();
        let city_division: u32 = data::CITY_CODE.parse().unwrap_or(439900);

        let city = b.unit(None, OrgKind::City, data::CITY_NAME, data::CITY_CODE);
        b.user("admin".into(), "系统管理员".into(), Role::Administrator, city);
        let city_supervisors = b.two("city.supervisor", Role::Supervisor, city);
        let city_liaison = b.person("city.liaison".into(), Role::DisciplineLiaison, city);

        // The city's own centre, the biggest of all.
        let windows = b.rng.between(85, 100) as usize;
        let parts = b.big_hall(city, data::CITY_NAME, data::CITY_CODE, &dept_specs(OrgKind::City), windows);
        let managers = b.two("cityhall.manager", Role::HallManager, parts.unit);
        let targets = handler_targets(&mut b, "city", &parts.depts);
        name_first_staff_account(&mut b, "cityhall", &parts.depts);
        offices.push(Office { supervisors: city_supervisors, liaisons: vec![city_liaison], targets });
        halls.push(b.hall(parts, HallKind::City, city_division, managers, 0));

        for spec in data::DISTRICTS {
            let district = b.unit(Some(city), spec.kind, spec.name, spec.code);
            let division: u32 = spec.code.parse().unwrap_or(city_division);
            let windows = b.rng.between(40, 100) as usize;
            let parts = b.big_hall(district, spec.name, spec.code, &dept_specs(spec.kind), windows);
            let managers = b.two(&format!("{}.manager", spec.slug), Role::HallManager, parts.unit);
            let supervisors = b.two(&format!("{}.supervisor", spec.slug), Role::Supervisor, district);
            let liaison = b.person(format!("{}.liaison", spec.slug), Role::DisciplineLiaison, district);
            let targets = handler_targets(&mut b, spec.slug, &parts.depts);
            name_first_staff_account(&mut b, spec.slug, &parts.depts);
            let office = offices.len();
            offices.push(Office { supervisors, liaisons: vec![liaison], targets });
            halls.push(b.hall(parts, HallKind::District, division, managers, office));

            for (t, town_name) in spec.towns.iter().enumerate() {
                let tcode = format!("{}{:03}", spec.code, t + 1);
                let town = b.unit(Some(district), OrgKind::Town, town_name, &tcode);
                // The town's centre director oversees the centre and the community stations.
                let manager = b.person(format!("{}.town{}.manager", spec.slug, t + 1), Role::HallManager, town);
                let windows = b.rng.between(3, 8) as usize;
                let parts = b.small_hall(town, format!("{town_name}便民服务中心"), &tcode, windows, (1, 2));
                halls.push(b.hall(parts, HallKind::Town, division, vec![manager], office));
                let communities = b.rng.between(2, 3) as usize;
                let first = b.rng.index(data::COMMUNITIES.len());
                for c in 0..communities {
                    let cname = data::COMMUNITIES.get((first + c) % data::COMMUNITIES.len()).copied().unwrap_or("社区");
                    let ccode = format!("{tcode}{:03}", c + 1);
                    let community = b.unit(Some(town), OrgKind::Community, cname, &ccode);
                    let windows = b.rng.between(1, 2) as usize;
                    let parts = b.small_hall(community, format!("{cname}便民服务站"), &ccode, windows, (1, 1));
                    halls.push(b.hall(parts, HallKind::Community, division, vec![manager], office));
                }
            }
        }

        let office_halls = Weighted::new(halls.iter().map(|h| {
            let w = h.windows.len() as f64;
            match h.kind {
                HallKind::City => w * 1.2,
                HallKind::District => w,
                HallKind::Town => w * 0.5,
                HallKind::Community => w * 0.25,
            }
        }));
        let online_halls = Weighted::new(halls.iter().map(|h| {
            let w = h.windows.len() as f64;
            match h.kind {
                HallKind::City => w * 1.5,
                HallKind::District => w,
                HallKind::Town => w * 0.3,
                HallKind::Community => w * 0.1,
            }
        }));
        Jurisdiction {
            units: b.units,
            staff: b.staff,
            users: b.users,
            halls,
            offices,
            staff_info: b.staff_info,
            office_halls,
            online_halls,
        }
    }

    /// The user account with this user name.
    pub fn user_by_name(&self, username: &str) -> Option<&SynthUser> {
        self.users.iter().find(|u| u.username == username)
    }

    /// The unit with this id.
    pub fn unit(&self, id: i64) -> Option<&OrgUnitRow> {
        usize::try_from(id - 1).ok().and_then(|i| self.units.get(i))
    }

    pub(crate) fn user_row(&self, index: usize) -> Option<&UserRow> {
        self.users.get(index).map(|u| &u.row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halls_have_40_to_100_windows_and_100_to_300_staff() {
        let j = Jurisdiction::build(1);
        let big: Vec<&Hall> =
            j.halls.iter().filter(|h| matches!(h.kind, HallKind::City | HallKind::District)).collect();
        assert_eq!(big.len(), 1 + data::DISTRICTS.len());
        for h in big {
            assert!((40..=100).contains(&h.windows.len()), "{} has {} windows", h.name, h.windows.len());
            let staff = j.staff.iter().filter(|s| s.unit_id == h.id).count();
            assert!((100..=300).contains(&staff), "{} has {staff} staff", h.name);
        }
    }

    #[test]
    fn ids_are_dense_and_paths_follow_parents() {
        let j = Jurisdiction::build(2);
        for (i, u) in j.units.iter().enumerate() {
            assert_eq!(u.id, i as i64 + 1);
            match u.parent_id.and_then(|p| j.unit(p)) {
                Some(p) => {
                    assert!(p.id < u.id);
                    assert_eq!(u.path, format!("{}{}/", p.path, u.id));
                    assert!(p.kind.may_contain(u.kind), "{:?} below {:?}", u.kind, p.kind);
                }
                None => assert_eq!(u.path, format!("/{}/", u.id)),
            }
            assert!(ScopePath::try_from(u.path.clone()).is_ok());
        }
        let codes: std::collections::HashSet<&str> = j.units.iter().map(|u| u.code.as_str()).collect();
        assert_eq!(codes.len(), j.units.len(), "unit codes are unique");
        let names: std::collections::HashSet<&str> = j.users.iter().map(|u| u.username.as_str()).collect();
        assert_eq!(names.len(), j.users.len(), "user names are unique");
        for (i, s) in j.staff.iter().enumerate() {
            assert_eq!(s.id, i as i64 + 1);
        }
        for (i, u) in j.users.iter().enumerate() {
            assert_eq!(u.row.id, i as i64 + 1);
            let unit = j.unit(u.row.unit_id).map(|x| x.path.clone());
            assert_eq!(unit.as_deref(), Some(u.row.unit_path.as_str()));
        }
    }

    #[test]
    fn the_demo_accounts_exist_with_their_roles() {
        let j = Jurisdiction::build(3);
        for (name, role, unit) in [
            ("city.supervisor", Role::Supervisor, "江城市"),
            ("donghu.manager", Role::HallManager, "东湖区政务服务中心"),
            ("donghu.supervisor", Role::Supervisor, "东湖区"),
            ("donghu.liaison", Role::DisciplineLiaison, "东湖区"),
            ("donghu.handler", Role::DepartmentHandler, "东湖区市场监督管理局窗口"),
            ("xishan.manager", Role::HallManager, "西山区政务服务中心"),
            ("gaoxin.manager", Role::HallManager, "高新区政务服务中心"),
            ("donghu.staff", Role::StaffMember, "1号窗口"),
        ] {
            let u = j.user_by_name(name).unwrap_or_else(|| panic!("{name} missing"));
            assert_eq!(u.row.role, role, "{name}");
            assert_eq!(j.unit(u.row.unit_id).map(|x| x.name.as_str()), Some(unit), "{name}");
        }
    }

    #[test]
    fn the_same_seed_builds_the_same_city() {
        let (a, b, c) = (Jurisdiction::build(9), Jurisdiction::build(9), Jurisdiction::build(10));
        assert_eq!(a.units, b.units);
        assert_eq!(a.staff, b.staff);
        assert_eq!(a.users, b.users);
        assert_ne!(a.staff, c.staff);
    }
}
