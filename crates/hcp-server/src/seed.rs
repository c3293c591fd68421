//! Synthetic data: `hcp-server seed --profile demo` builds a demo city with districts, halls,
//! departments, windows, staff, users of every role, ratings from every channel and bad-review
//! cases in every state. Deterministic for a given `--seed` and `--today`.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use hcp_domain::case::machine::{EscalationBasis, VerifyOutcome, VisitMethod};
use hcp_domain::{Calendar, CaseCommand, CaseSource, CaseState, Level, OrgKind, Role, ScopePath};
use hcp_protocol::{CommandEnvelope, CommandStatus, ComplaintIn, EvaluatorIn, LevelIn, OrgUnitRow, RatingIn, StaffRow};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::auth::hash_password;
use crate::db::{org_units, staff, users, Conn, Db, DbError, DbResult};
use crate::intake;
use crate::workflow::{self, Principal};

/// The password of every demo account (printed in the README).
pub const DEMO_PASSWORD: &str = "Hcp@2026";

#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub evaluations: usize,
    pub seed: u64,
    /// The date the data leads up to (Beijing time).
    pub today: NaiveDate,
}

/// What a seed run produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub org_units: usize,
    pub staff: usize,
    pub users: usize,
    pub ratings: usize,
    pub cases: usize,
    pub case_events: usize,
}

/// A demo account: user name, display name, role, and the unit it belongs to.
pub struct DemoAccount {
    pub username: &'static str,
    pub display_name: &'static str,
    pub role: Role,
    pub unit: &'static str,
}

/// Every demo account. `unit` names a unit created by the demo profile.
pub const DEMO_ACCOUNTS: &[DemoAccount] = &[
    DemoAccount { username: "admin", display_name: "系统管理员", role: Role::Administrator, unit: "江城市" },
    DemoAccount { username: "city.supervisor", display_name: "周督查", role: Role::Supervisor, unit: "江城市" },
    DemoAccount {
        username: "donghu.manager",
        display_name: "王主任",
        role: Role::HallManager,
        unit: "东湖区政务服务中心",
    },
    DemoAccount { username: "donghu.supervisor", display_name: "李科长", role: Role::Supervisor, unit: "东湖区" },
    DemoAccount {
        username: "donghu.liaison", display_name: "赵联络员", role: Role::DisciplineLiaison, unit: "东湖区"
    },
    DemoAccount {
        username: "donghu.handler",
        display_name: "陈承办",
        role: Role::DepartmentHandler,
        unit: "东湖区市场监督管理局窗口",
    },
    DemoAccount {
        username: "donghu.staff", display_name: "刘敏", role: Role::StaffMember, unit: "东湖区政务服务中心"
    },
    DemoAccount {
        username: "xishan.manager",
        display_name: "孙主任",
        role: Role::HallManager,
        unit: "西山区政务服务中心",
    },
    DemoAccount { username: "xishan.supervisor", display_name: "吴科长", role: Role::Supervisor, unit: "西山区" },
    DemoAccount {
        username: "gaoxin.manager",
        display_name: "郑主任",
        role: Role::HallManager,
        unit: "高新区政务服务中心",
    },
    DemoAccount {
        username: "xishan.handler",
        display_name: "黄承办",
        role: Role::DepartmentHandler,
        unit: "西山区市场监督管理局窗口",
    },
    DemoAccount {
        username: "gaoxin.handler",
        display_name: "林承办",
        role: Role::DepartmentHandler,
        unit: "高新区市场监督管理局窗口",
    },
];

struct Dept {
    name: &'static str,
    /// The department handler's user name suffix (`donghu.handler.rs`); the first department's
    /// handler is the documented `donghu.handler`.
    key: &'static str,
    items: &'static [(&'static str, &'static str)],
}

const DEPTS: &[Dept] = &[
    Dept {
        name: "市场监督管理局窗口",
        key: "ms",
        items: &[("MS-0101", "个体工商户设立登记"), ("MS-0102", "企业开办一件事"), ("MS-0103", "食品经营许可")],
    },
    Dept {
        name: "人力资源和社会保障局窗口",
        key: "rs",
        items: &[("RS-0201", "社会保障卡补换"), ("RS-0202", "失业保险金申领"), ("RS-0203", "就业创业证申领")],
    },
    Dept {
        name: "公安分局户政窗口", key: "ga", items: &[("GA-0301", "居民身份证换领"), ("GA-0302", "户口迁移登记")]
    },
    Dept {
        name: "不动产登记中心窗口",
        key: "bd",
        items: &[("BD-0401", "不动产转移登记"), ("BD-0402", "不动产抵押登记")],
    },
    Dept {
        name: "税务局窗口", key: "sw", items: &[("SW-0501", "增值税发票领用"), ("SW-0502", "个人所得税汇算咨询")]
    },
    Dept {
        name: "医疗保障局窗口",
        key: "yb",
        items: &[("YB-0601", "城乡居民医保参保登记"), ("YB-0602", "异地就医备案")],
    },
];

/// The surnames of the generated department handlers (`何承办`, …), none shared with a documented
/// account.
const HANDLER_SURNAMES: &[&str] =
    &["何", "罗", "马", "郭", "胡", "朱", "高", "徐", "杨", "邓", "冯", "曹", "彭", "曾", "萧"];

const TOWN_ITEMS: &[(&str, &str)] =
    &[("JD-0701", "居住证办理"), ("JD-0702", "老年人优待证办理"), ("JD-0703", "城乡居民医保参保登记")];

const SURNAMES: &[&str] = &[
    "张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马",
    "罗",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英",
    "桂英", "建华", "志强", "海燕",
];

const GOOD_COMMENTS: &[&str] = &[
    "",
    "",
    "",
    "",
    "办事效率高，工作人员很耐心",
    "一次就办好了，点赞",
    "窗口服务热情周到",
    "材料一次告知清楚，不用来回跑",
    "环境整洁，引导清晰",
    "帮老人填表很细心，谢谢",
    "预约后到现场十分钟就办完了",
    "网上提交材料，现场只签了个字",
    "工作人员主动帮忙复印，省了不少事",
    "周末延时服务很方便",
    "不动产登记比以前快多了",
    "导办员全程陪同，很贴心",
    "社保卡当场就拿到了",
    "营业执照一天就领到",
    "解释政策很清楚，听懂了",
    "自助机有人指导，操作不难",
    "好",
    "满意",
];

/// Bad-review texts with their content codes (national direction: the first digit is the level,
/// 1 = 非常不满意, 2 = 不满意).
const BAD_COMMENTS: &[(&str, u16)] = &[
    ("窗口工作人员态度冷淡，问了两遍才回答", 4),
    ("材料清单没有一次性告知，前后跑了三趟", 2),
    ("排队等了两个多小时，只开了一个窗口", 6),
    ("系统故障无法办理，也没有任何说明", 5),
    ("超过承诺时限还没有办结，打电话也没人回复", 3),
    ("网上申报后还要求到现场再交一遍纸质材料", 2),
    ("工作人员中途离岗，窗口长时间无人", 6),
    ("政策解释前后不一致，不同窗口说法不同", 1),
    ("办事指南与实际要求不符", 1),
    ("预约了也要重新排队取号", 6),
];

const HOTLINE_TEXTS: &[&str] = &[
    "市民来电反映：在区政务服务中心办理社保卡补换，被告知需回户籍地办理，与网上指南不符",
    "市民来电反映：不动产登记窗口要求提供已取消的证明材料",
    "企业来电反映：企业开办一件事办理超过承诺时限",
    "市民来电反映：便民服务中心工作日下午提前下班",
];

const SUPERVISION_TEXTS: &[&str] = &[
    "督查发现：体验式办理中，窗口未执行一次性告知制度",
    "督查发现：自助终端长期故障未报修",
    "督查发现：窗口工作人员未佩戴工作牌",
];

/// Beijing time (UTC+8), the zone every hall works in.
fn beijing() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| chrono::Offset::fix(&Utc))
}

fn rfc3339(t: NaiveDateTime) -> String {
    match beijing().from_local_datetime(&t).single() {
        Some(dt) => dt.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        None => t.format("%Y-%m-%dT%H:%M:%S+08:00").to_string(),
    }
}

/// The statutory working-day calendar every deadline and age in the demo data uses.
fn calendar() -> &'static Calendar {
    static CAL: std::sync::OnceLock<Calendar> = std::sync::OnceLock::new();
    CAL.get_or_init(Calendar::bundled)
}

fn working_days_between(a: NaiveDate, b: NaiveDate) -> i64 {
    calendar().working_days_between(a, b)
}

/// A window and the staff serving at it.
type Window = (OrgUnitRow, Vec<StaffRow>);
/// A service item: (code, name).
type Item = (&'static str, &'static str);

struct Hall {
    unit: OrgUnitRow,
    /// The district or park the hall belongs to.
    district: OrgUnitRow,
    /// (department, its items, its windows); town halls have one entry without a department.
    depts: Vec<(Option<OrgUnitRow>, Vec<Item>, Vec<Window>)>,
    weight: u32,
}

struct Seeder<'a, 'c> {
    conn: &'a Conn<'c>,
    rng: StdRng,
    at: String,
    report: SeedReport,
    staff_no: usize,
    units: Vec<OrgUnitRow>,
}

impl Seeder<'_, '_> {
    fn unit(&mut self, parent: Option<&OrgUnitRow>, kind: OrgKind, name: &str, code: &str) -> DbResult<OrgUnitRow> {
        let u = org_units::insert(self.conn, parent, kind, name, code, &self.at)?;
        self.report.org_units += 1;
        self.units.push(u.clone());
        Ok(u)
    }

    fn person_name(&mut self) -> String {
        let s = SURNAMES.choose(&mut self.rng).copied().unwrap_or("张");
        let g = GIVEN.choose(&mut self.rng).copied().unwrap_or("伟");
        format!("{s}{g}")
    }

    fn staff_for(
        &mut self,
        hall: &OrgUnitRow,
        dept: Option<&OrgUnitRow>,
        window: &OrgUnitRow,
    ) -> DbResult<Vec<StaffRow>> {
        let mut out = Vec::new();
        for _ in 0..2 {
            self.staff_no += 1;
            let name = self.person_name();
            let row = StaffRow {
                id: 0,
                unit_id: hall.id,
                department_id: dept.map(|d| d.id),
                window_id: Some(window.id),
                name: name.clone(),
                employee_no: format!("GH{:05}", self.staff_no),
                unit_path: window.path.clone(),
            };
            let id = staff::insert(self.conn, &row, &self.at)?;
            self.report.staff += 1;
            out.push(StaffRow { id, ..row });
        }
        Ok(out)
    }

    fn district_hall(&mut self, district: &OrgUnitRow, short: &str, code: &str) -> DbResult<Hall> {
        let hall = self.unit(Some(district), OrgKind::Hall, &format!("{short}政务服务中心"), &format!("{code}-H"))?;
        let mut depts = Vec::new();
        for (i, d) in DEPTS.iter().enumerate() {
            let dept = self.unit(
                Some(&hall),
                OrgKind::Department,
                &format!("{short}{}", d.name),
                &format!("{code}-D{:02}", i + 1),
            )?;
            let mut windows = Vec::new();
            for w in 0..2 {
                let n = i * 2 + w + 1;
                let window =
                    self.unit(Some(&dept), OrgKind::Window, &format!("{n}号窗口"), &format!("{code}-W{n:02}"))?;
                let people = self.staff_for(&hall, Some(&dept), &window)?;
                windows.push((window, people));
            }
            depts.push((Some(dept), d.items.to_vec(), windows));
        }
        Ok(Hall { unit: hall, district: district.clone(), depts, weight: 10 })
    }

    fn town_hall(&mut self, district: &OrgUnitRow, town: &OrgUnitRow, code: &str) -> DbResult<Hall> {
        let hall = self.unit(Some(town), OrgKind::Hall, &format!("{}便民服务中心", town.name), &format!("{code}-H"))?;
        let mut windows = Vec::new();
        for n in 1..=2 {
            let window = self.unit(Some(&hall), OrgKind::Window, &format!("{n}号窗口"), &format!("{code}-W{n:02}"))?;
            let people = self.staff_for(&hall, None, &window)?;
            windows.push((window, people));
        }
        Ok(Hall {
            unit: hall,
            district: district.clone(),
            depts: vec![(None, TOWN_ITEMS.to_vec(), windows)],
            weight: 2,
        })
    }
}

/// Seeds the demo city into an empty database. Refuses to touch a database that has users.
pub fn seed_demo(db: &Db, opts: &SeedOptions) -> Result<SeedReport, DbError> {
    let hashed = hash_password(DEMO_PASSWORD).map_err(|e| DbError::Config(format!("hash: {e}")))?;
    let opts = opts.clone();
    db.write_blocking(move |conn| {
        if users::count(conn)? > 0 {
            return Err(DbError::Config("the database already holds data; seed only an empty database".into()));
        }
        seed_into(conn, &opts, &hashed)
    })
}

fn seed_into(conn: &Conn<'_>, opts: &SeedOptions, password_hash: &str) -> DbResult<SeedReport> {
    let now = NaiveDateTime::new(opts.today, NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default());
    let mut s = Seeder {
        conn,
        rng: StdRng::seed_from_u64(opts.seed),
        at: rfc3339(now),
        report: SeedReport::default(),
        staff_no: 0,
        units: Vec::new(),
    };

    let city = s.unit(None, OrgKind::City, "江城市", "439900")?;
    let mut halls = Vec::new();
    let districts = [
        ("东湖区", "439901", OrgKind::District, ["东湖街道", "湖滨街道"]),
        ("西山区", "439902", OrgKind::District, ["西山街道", "青石镇"]),
        ("高新区", "439971", OrgKind::Park, ["创新街道", "科苑街道"]),
    ];
    for (name, code, kind, towns) in districts {
        let d = s.unit(Some(&city), kind, name, code)?;
        let hall = s.district_hall(&d, name, code)?;
        halls.push(hall);
        for (i, t) in towns.iter().enumerate() {
            let tcode = format!("{code}{:03}", i + 1);
            let town = s.unit(Some(&d), OrgKind::Town, t, &tcode)?;
            let h = s.town_hall(&d, &town, &tcode)?;
            halls.push(h);
        }
    }

    // Users of every role.
    let mut users_by_name: UsersByName = std::collections::HashMap::new();
    let mut dept_handlers: DeptHandlers = std::collections::HashMap::new();
    for a in DEMO_ACCOUNTS {
        let unit = s
            .units
            .iter()
            .find(|u| u.name == a.unit)
            .ok_or_else(|| DbError::Config(format!("demo unit {} missing", a.unit)))?;
        let uid = users::insert(
            conn,
            &users::NewUser {
                username: a.username,
                display_name: a.display_name,
                password_hash,
                role: a.role,
                unit_id: unit.id,
                created_at: &s.at,
            },
        )?;
        if a.role == Role::StaffMember {
            // The demo staff member is a real staff record of their hall: bad reviews of their
            // service name them, and they may appeal.
            let staff_id: Option<i64> =
                conn.query_opt("SELECT id FROM staff WHERE unit_id = ?1 ORDER BY id LIMIT 1", [unit.id], |r| r.get(0))?;
            if let Some(staff_id) = staff_id {
                conn.execute("UPDATE staff SET name = ?1 WHERE id = ?2", crate::args![a.display_name, staff_id])?;
                users::link_staff(conn, uid, staff_id)?;
            }
        }
        users_by_name.insert(a.username, (uid, a.display_name, a.role, unit.clone()));
        s.report.users += 1;
    }

    // Every department of a district hall has a handler, so a case can go to the department it
    // concerns: the documented `<district>.handler` for the first, `<district>.handler.<key>` for
    // the others.
    let mut generated = 0;
    for hall in halls.iter().filter(|h| h.weight >= 10) {
        let prefix = district_prefix(&hall.district);
        for (dept, _, _) in &hall.depts {
            let Some(dept) = dept else { continue };
            if users_by_name.values().any(|(_, _, role, unit)| *role == Role::DepartmentHandler && unit.id == dept.id) {
                continue;
            }
            let Some(d) = DEPTS.iter().find(|d| dept.name.ends_with(d.name)) else { continue };
            let username = format!("{prefix}.handler.{}", d.key);
            let display_name = format!("{}承办", HANDLER_SURNAMES[generated % HANDLER_SURNAMES.len()]);
            generated += 1;
            let uid = users::insert(
                conn,
                &users::NewUser {
                    username: &username,
                    display_name: &display_name,
                    password_hash,
                    role: Role::DepartmentHandler,
                    unit_id: dept.id,
                    created_at: &s.at,
                },
            )?;
            dept_handlers.insert(dept.id, (uid, display_name, dept.path.clone()));
            s.report.users += 1;
        }
    }
    for (uid, name, role, unit) in users_by_name.values() {
        if *role == Role::DepartmentHandler {
            dept_handlers.insert(unit.id, (*uid, (*name).to_owned(), unit.path.clone()));
        }
    }

    // Ratings over the last 120 days, weighted towards the district halls, through the same
    // intake path the channels use: a bad review opens its case there.
    let total_weight: u32 = halls.iter().map(|h| h.weight).sum();
    let mut opened: Vec<(i64, usize, NaiveDateTime)> = Vec::new();
    for n in 0..opts.evaluations {
        let mut pick = s.rng.gen_range(0..total_weight.max(1));
        let Some(hi) = halls.iter().position(|h| {
            if pick < h.weight {
                true
            } else {
                pick -= h.weight;
                false
            }
        }) else {
            continue;
        };
        let hall = &halls[hi];
        let Some((_, items, windows)) = hall.depts.choose(&mut s.rng) else { continue };
        let Some((window, people)) = windows.choose(&mut s.rng) else { continue };
        let Some(person) = people.choose(&mut s.rng) else { continue };
        let Some((item_code, item_name)) = items.choose(&mut s.rng) else { continue };
        // A fifth of the ratings fall in the last week, so every inbox has fresh work.
        let days_ago = if s.rng.gen_bool(0.2) { s.rng.gen_range(0..7) } else { s.rng.gen_range(0..120) };
        let mut day = opts.today - Duration::days(days_ago);
        while !calendar().is_working_day(day) {
            day -= Duration::days(1);
        }
        let minute = s.rng.gen_range(8 * 60 + 30..17 * 60 + 30);
        let at = NaiveDateTime::new(
            day,
            NaiveTime::from_hms_opt(minute / 60, minute % 60, s.rng.gen_range(0..60)).unwrap_or_default(),
        );
        let level = match s.rng.gen_range(0..1000) {
            0..=679 => Level::VerySatisfied,
            680..=859 => Level::Satisfied,
            860..=929 => Level::BasicallySatisfied,
            930..=979 => Level::Dissatisfied,
            _ => Level::VeryDissatisfied,
        };
        let channel: u8 = match s.rng.gen_range(0..100) {
            0..=44 => 4,
            45..=64 => 3,
            65..=79 => 2,
            80..=87 => 1,
            88..=92 => 7,
            93..=95 => 5,
            96..=97 => 6,
            _ if level.is_bad() => 4,
            _ => 8,
        };
        let (comment, codes) = if level.is_bad() {
            let (text, sub) = BAD_COMMENTS.choose(&mut s.rng).copied().unwrap_or(("", 1));
            let digit: u16 = if level == Level::VeryDissatisfied { 1 } else { 2 };
            (text.to_owned(), vec![digit * 100 + sub])
        } else {
            (GOOD_COMMENTS.choose(&mut s.rng).copied().unwrap_or("").to_owned(), vec![])
        };
        let name = s.person_name();
        let phone = format!("1{}{:09}", s.rng.gen_range(3..10), s.rng.gen_range(0..1_000_000_000u64));
        let real_name = s.rng.gen_bool(0.7);
        let rating = RatingIn {
            source: if channel == 4 { "hall-device".into() } else { "jc-zwfw".into() },
            service_record_no: format!("JC{}{:07}", day.format("%Y%m%d"), n + 1),
            rating_count: 1,
            unit_code: hall.unit.code.clone(),
            window_code: Some(window.code.clone()),
            staff_employee_no: Some(person.employee_no.clone()),
            item_code: (*item_code).to_owned(),
            item_name: (*item_name).to_owned(),
            channel,
            level: LevelIn::Name(level.as_str().to_owned()),
            content_codes: codes,
            comment,
            evaluator: EvaluatorIn { name: real_name.then_some(name), phone: real_name.then_some(phone), cert: None },
            real_name,
            rated_at: rfc3339(at),
            device_id: None,
        };
        match intake::rating(conn, &rating, utc(at), calendar())? {
            Ok((_, _, case)) => {
                s.report.ratings += 1;
                if let Some(case_id) = case {
                    opened.push((case_id, hi, at));
                }
            }
            Err((_, message)) => return Err(DbError::Config(format!("seed rating refused: {message}"))),
        }
    }

    integrity_leads(&mut s, &halls, opts.today)?;

    // Complaints from the 12345 hotline and supervisors' own findings, in the district halls.
    let district_halls: Vec<usize> = (0..halls.len()).filter(|i| halls[*i].weight >= 10).collect();
    for i in 0..24 {
        let Some(&hi) = district_halls.get(i % district_halls.len().max(1)) else { break };
        let hall = &halls[hi];
        let days_ago = s.rng.gen_range(0..60);
        let mut day = opts.today - Duration::days(days_ago);
        while !calendar().is_working_day(day) {
            day -= Duration::days(1);
        }
        let created = NaiveDateTime::new(day, NaiveTime::from_hms_opt(10, 15, 0).unwrap_or_default());
        let result = if i % 3 == 2 {
            let Some(dept) = hall.depts.get(i % hall.depts.len().max(1)).and_then(|d| d.0.clone()) else { continue };
            let supervisor = actors(&users_by_name, &dept_handlers, &hall.district)?.supervisor;
            let env = CommandEnvelope {
                command_id: format!("{}seed-supervision-{i}", workflow::SYSTEM_ID_PREFIX),
                client_seq: None,
                case_id: None,
                base_version: None,
                attachments: Vec::new(),
                command: CaseCommand::Create {
                    source: CaseSource::Supervision,
                    unit: scope(&dept.path)?,
                    rated_staff_id: None,
                    real_name: false,
                    summary: SUPERVISION_TEXTS[i % SUPERVISION_TEXTS.len()].to_owned(),
                    content_codes: vec![],
                    service_item_id: None,
                },
            };
            workflow::execute(conn, &supervisor, &env, None, None, utc(created), calendar())?
        } else {
            let c = ComplaintIn {
                ticket_no: format!("12345-{}-{i:03}", day.format("%Y%m%d")),
                unit_code: hall.unit.code.clone(),
                summary: HOTLINE_TEXTS[i % HOTLINE_TEXTS.len()].to_owned(),
                real_name: true,
                caller: EvaluatorIn { name: Some(s.person_name()), phone: None, cert: None },
                received_at: rfc3339(created),
            };
            match intake::complaint(conn, &c, utc(created), calendar())? {
                Ok(r) => r,
                Err((_, message)) => return Err(DbError::Config(format!("seed complaint refused: {message}"))),
            }
        };
        match (result.status, result.case) {
            (CommandStatus::Applied, Some(case)) => opened.push((case.id, hi, created)),
            _ => return Err(DbError::Config(format!("seed case refused: {:?}", result.message))),
        }
    }

    // Move every case along its lifecycle as far as its age suggests, through the real commands.
    s.report.cases = opened.len();
    for (case_id, hi, created) in opened {
        let who = actors(&users_by_name, &dept_handlers, &halls[hi].district)?;
        advance(&mut s, &who, case_id, created, opts.today)?;
    }
    s.report.case_events = conn.query_row("SELECT count(*) FROM case_events", (), |r| r.get::<i64>(0))? as usize;
    Ok(s.report)
}

/// Ratings that show what the integrity detection finds, in the busiest hall: a burst from one
/// rating device, copy-pasted praise from one phone, a staff member rating their own service, and
/// one evaluator's bad reviews clustered on one staff member.
fn integrity_leads(s: &mut Seeder<'_, '_>, halls: &[Hall], today: NaiveDate) -> DbResult<()> {
    let Some(hall) =
        halls.iter().find(|h| h.unit.name == "东湖区政务服务中心").or_else(|| halls.iter().max_by_key(|h| h.weight))
    else {
        return Ok(());
    };
    let Some((_, items, windows)) = hall.depts.first() else { return Ok(()) };
    let (Some((window, people)), Some((item_code, item_name))) = (windows.first(), items.first()) else {
        return Ok(());
    };
    let (Some(a), Some(b)) = (people.first(), people.get(1)) else { return Ok(()) };
    // The self-rating staff member's certificate is on the roster (only its hash is kept).
    let cert_b = "110101199001011234";
    if let Some(h) = crate::integrity::cert_hash(cert_b) {
        s.conn.execute("UPDATE staff SET cert_hash = ?2 WHERE id = ?1", crate::args![b.id, h])?;
    }
    let mut day = today - Duration::days(2);
    while !calendar().is_working_day(day) {
        day -= Duration::days(1);
    }
    let at = |d: NaiveDate, h: u32, m: u32| NaiveDateTime::new(d, NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default());
    let mut n = 0;
    let mut rate = |s: &mut Seeder<'_, '_>,
                    when: NaiveDateTime,
                    staff: &StaffRow,
                    level: Level,
                    comment: &str,
                    evaluator: EvaluatorIn,
                    device: Option<&str>|
     -> DbResult<()> {
        n += 1;
        let r = RatingIn {
            source: "hall-device".into(),
            service_record_no: format!("JC{}L{n:03}", when.format("%Y%m%d")),
            rating_count: 1,
            unit_code: hall.unit.code.clone(),
            window_code: Some(window.code.clone()),
            staff_employee_no: Some(staff.employee_no.clone()),
            item_code: (*item_code).to_owned(),
            item_name: (*item_name).to_owned(),
            channel: 4,
            level: LevelIn::Name(level.as_str().to_owned()),
            content_codes: if level.is_bad() {
                vec![if level == Level::VeryDissatisfied { 101 } else { 201 }]
            } else {
                vec![]
            },
            comment: comment.to_owned(),
            real_name: evaluator.name.is_some(),
            evaluator,
            rated_at: rfc3339(when),
            device_id: device.map(str::to_owned),
        };
        match intake::rating(s.conn, &r, utc(when), calendar())? {
            Ok(_) => {
                s.report.ratings += 1;
                Ok(())
            }
            Err((_, message)) => Err(DbError::Config(format!("seed rating refused: {message}"))),
        }
    };
    let anonymous = EvaluatorIn::default;
    // Six "very satisfied" from one tablet in ten minutes.
    for i in 0..6 {
        rate(s, at(day, 15, 2 + 2 * i), a, Level::VerySatisfied, "", anonymous(), Some("PAD-0101"))?;
    }
    // Four copy-pasted praises of one staff member from one phone within twenty minutes.
    let phone = EvaluatorIn { name: Some("刘明".into()), phone: Some("13912345678".into()), cert: None };
    for i in 0..4 {
        rate(
            s,
            at(day, 10, 5 + 6 * i),
            b,
            Level::VerySatisfied,
            "窗口工作人员服务热情，办事效率很高！",
            phone.clone(),
            None,
        )?;
    }
    // Staff member b rates the service they gave.
    let own = EvaluatorIn { name: Some(b.name.clone()), phone: None, cert: Some(cert_b.into()) };
    rate(s, at(day, 16, 40), b, Level::VerySatisfied, "", own, None)?;
    // One evaluator's three bad reviews of staff member a within three weeks.
    let angry = EvaluatorIn {
        name: Some("王强".into()),
        phone: Some("13800001111".into()),
        cert: Some("110101198505052222".into()),
    };
    for (i, text) in ["态度不好", "又让我跑了一趟", "还是不给办"].iter().enumerate() {
        let d = day - Duration::days(7 * i as i64);
        rate(s, at(d, 11, 0), a, Level::VeryDissatisfied, text, angry.clone(), None)?;
    }
    Ok(())
}

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    beijing().from_local_datetime(&t).single().map_or_else(|| t.and_utc(), |d| d.with_timezone(&Utc))
}

fn scope(path: &str) -> DbResult<ScopePath> {
    ScopePath::try_from(path.to_owned()).map_err(DbError::Corrupt)
}

/// The people who work a district's cases.
struct Actors {
    manager: Principal,
    supervisor: Principal,
    /// The district's handler for cases of no department (the town centres'): the first
    /// department's.
    handler: Principal,
    handler_department: i64,
    /// The handler of each department of the district hall, by department id.
    departments: std::collections::HashMap<i64, Principal>,
}

type UsersByName = std::collections::HashMap<&'static str, (i64, &'static str, Role, OrgUnitRow)>;
/// Department id → (user id, display name, unit path) of its handler.
type DeptHandlers = std::collections::HashMap<i64, (i64, String, String)>;

fn district_prefix(district: &OrgUnitRow) -> &'static str {
    match district.name.as_str() {
        "东湖区" => "donghu",
        "西山区" => "xishan",
        _ => "gaoxin",
    }
}

fn actors(users: &UsersByName, dept_handlers: &DeptHandlers, district: &OrgUnitRow) -> DbResult<Actors> {
    let prefix = district_prefix(district);
    let get = |name: String| {
        users
            .iter()
            .find(|(k, _)| **k == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| DbError::Config(format!("demo user {name} missing")))
    };
    let manager = get(format!("{prefix}.manager"))?;
    let supervisor = get(format!("{prefix}.supervisor")).or_else(|_| get("city.supervisor".into()))?;
    let handler = get(format!("{prefix}.handler"))?;
    let mut departments = std::collections::HashMap::new();
    for (dept_id, (uid, name, path)) in dept_handlers.iter().filter(|(_, h)| h.2.starts_with(&district.path)) {
        departments.insert(
            *dept_id,
            Principal { user_id: *uid, name: name.clone(), role: Role::DepartmentHandler, scope: scope(path)? },
        );
    }
    Ok(Actors {
        // The hall manager also works the cases of the district's town centres.
        manager: Principal {
            user_id: manager.0,
            name: manager.1.into(),
            role: manager.2,
            scope: scope(&district.path)?,
        },
        supervisor: Principal {
            user_id: supervisor.0,
            name: supervisor.1.into(),
            role: supervisor.2,
            scope: scope(&supervisor.3.path)?,
        },
        handler: Principal {
            user_id: handler.0,
            name: handler.1.into(),
            role: handler.2,
            scope: scope(&handler.3.path)?,
        },
        handler_department: handler.3.id,
        departments,
    })
}

/// Applies the commands that take a case from `new` to a state that fits its age.
fn advance(
    s: &mut Seeder<'_, '_>,
    who: &Actors,
    case_id: i64,
    created: NaiveDateTime,
    today: NaiveDate,
) -> DbResult<()> {
    let age = working_days_between(created.date(), today);
    let roll = s.rng.gen_range(0..100);
    let target = match age {
        0..=1 => {
            if roll < 65 {
                CaseState::New
            } else {
                CaseState::Verified
            }
        }
        2..=4 => match roll {
            0..=24 => CaseState::Assigned,
            25..=64 => CaseState::InRectification,
            65..=74 => CaseState::ExtensionRequested,
            _ => CaseState::Rectified,
        },
        5..=10 => match roll {
            0..=19 => CaseState::InRectification,
            20..=49 => CaseState::Rectified,
            50..=54 => CaseState::ExclusionRequested,
            _ => CaseState::Closed,
        },
        _ => match roll {
            0..=5 => CaseState::InRectification,
            6..=11 => CaseState::Excluded,
            _ => CaseState::Closed,
        },
    };
    let on_spot = s.rng.gen_range(0..100) < 20;
    let verify = |outcome: VerifyOutcome, reason: &str| CaseCommand::Verify { outcome, reason: reason.into() };
    // The case goes to the handler of the department it concerns; a town centre's case (no
    // department) to the district's first department, which then holds it (see `cases::SCOPE_DDL`).
    let department: Option<i64> =
        s.conn.query_opt("SELECT department_id FROM cases WHERE id = ?1", [case_id], |r| r.get(0))?.flatten();
    let (handler, handler_department) = match department.and_then(|d| who.departments.get(&d).map(|p| (p, d))) {
        Some((p, d)) => (p, d),
        None => (&who.handler, who.handler_department),
    };
    let assign = CaseCommand::Assign { department_id: handler_department, handler_id: handler.user_id, due_date: None };
    let rectify = CaseCommand::ReportRectification {
        measures: "已与群众当面沟通并完成整改，完善一次性告知清单".into(),
        evidence: vec!["整改照片.jpg".into()],
    };
    let mut steps: Vec<(&Principal, CaseCommand)> = Vec::new();
    let genuine = || verify(VerifyOutcome::Genuine, "");
    match target {
        CaseState::New => {}
        CaseState::Verified => steps.push((&who.manager, genuine())),
        CaseState::ExclusionRequested | CaseState::Excluded => {
            steps.push((&who.manager, verify(VerifyOutcome::Malicious, "同一号码短时间内连续差评，经核实与办件无关")));
            if target == CaseState::Excluded {
                steps.push((&who.supervisor, CaseCommand::ApproveExclusion { comment: "同意剔除".into() }));
            }
        }
        _ => {
            steps.push((&who.manager, genuine()));
            if on_spot && matches!(target, CaseState::Rectified | CaseState::Closed) {
                steps.push((
                    &who.manager,
                    CaseCommand::ResolveOnSpot { explanation: "当场向群众解释政策并办结".into() },
                ));
            } else {
                steps.push((&who.manager, assign));
                if target != CaseState::Assigned {
                    steps.push((handler, CaseCommand::Accept));
                }
                if target == CaseState::ExtensionRequested {
                    steps.push((
                        handler,
                        CaseCommand::RequestExtension {
                            reason: "需协调上级部门系统整改".into(),
                            extra_working_days: 5,
                        },
                    ));
                }
                if matches!(target, CaseState::Rectified | CaseState::Closed) {
                    steps.push((handler, rectify));
                }
            }
            if target == CaseState::Closed {
                steps.push((
                    &who.manager,
                    CaseCommand::ReturnVisit {
                        method: VisitMethod::Phone,
                        satisfied: true,
                        note: "群众表示满意".into(),
                    },
                ));
            }
        }
    }
    let limit = NaiveDateTime::new(today, NaiveTime::from_hms_opt(7, 30, 0).unwrap_or_default());
    let mut at = created;
    for (k, (p, cmd)) in steps.into_iter().enumerate() {
        at = (at + Duration::minutes(s.rng.gen_range(30..600))).min(limit).max(at);
        let env = CommandEnvelope {
            command_id: format!("{}seed-{case_id}-{k}", workflow::SYSTEM_ID_PREFIX),
            client_seq: None,
            case_id: Some(case_id),
            base_version: None,
            attachments: Vec::new(),
            command: cmd,
        };
        let r = workflow::execute(s.conn, p, &env, None, None, utc(at), calendar())?;
        if r.status != CommandStatus::Applied {
            return Err(DbError::Config(format!("seed command refused: {:?} {:?}", r.code, r.message)));
        }
    }
    // Overdue rectifications are escalated as the policy requires (refused when not yet due).
    if target == CaseState::InRectification {
        let env = CommandEnvelope {
            command_id: format!("{}seed-{case_id}-escalate", workflow::SYSTEM_ID_PREFIX),
            client_seq: None,
            case_id: Some(case_id),
            base_version: None,
            attachments: Vec::new(),
            command: CaseCommand::Escalate { basis: EscalationBasis::Overdue },
        };
        workflow::execute(s.conn, &who.supervisor, &env, None, None, utc(limit), calendar())?;
    }
    Ok(())
}

/// Reports one very dissatisfied, anonymous review of `item_name` at 东湖区政务服务中心 through the
/// intake path, as a channel would, and returns the id of the case it opened. For tests and demos
/// on a database seeded with the demo profile.
pub fn demo_bad_review(db: &Db, record_no: &str, item_name: &str, comment: &str) -> DbResult<i64> {
    let (record_no, item_name, comment) = (record_no.to_owned(), item_name.to_owned(), comment.to_owned());
    db.write_blocking(move |c| {
        let hall: String =
            c.query_row("SELECT code FROM org_units WHERE name = '东湖区政务服务中心'", (), |r| r.get(0))?;
        let r = RatingIn {
            source: "demo".into(),
            service_record_no: record_no,
            rating_count: 1,
            unit_code: hall,
            window_code: None,
            staff_employee_no: None,
            item_code: "DEMO".into(),
            item_name,
            channel: 4,
            level: LevelIn::Name("very_dissatisfied".into()),
            content_codes: vec![],
            comment,
            evaluator: EvaluatorIn::default(),
            real_name: false,
            rated_at: "2026-11-20T09:00:00+08:00".into(),
            device_id: None,
        };
        match intake::rating(c, &r, Utc::now(), calendar())? {
            Ok((_, _, Some(case_id))) => Ok(case_id),
            Ok(_) => Err(DbError::Config("the review was a duplicate and opened no case".into())),
            Err((_, message)) => Err(DbError::Config(message)),
        }
    })
}
