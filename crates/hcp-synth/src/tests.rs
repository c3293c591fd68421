//! Properties of whole generated data sets: determinism, counts, distributions, references,
//! replay, formats.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

use chrono::{DateTime, NaiveDate, Utc};
use hcp_domain::case::machine::AppealState;
use hcp_domain::{replay, CaseEvent, CaseSource, CaseState, EscalationLevel, Level, OrgKind, Role};

use super::*;

fn small(seed: u64) -> Profile {
    Profile { seed, ..Profile::bench(2025).scaled(100_000) }
}

fn generate(profile: Profile) -> (Synth, Vec<SynthRating>, Vec<SynthCase>) {
    let synth = Synth::new(profile).expect("valid profile");
    let ratings: Vec<SynthRating> = synth.ratings().collect::<Result<_, _>>().expect("every rating generates");
    let cases: Vec<SynthCase> = synth.cases().collect::<Result<_, _>>().expect("every case generates");
    (synth, ratings, cases)
}

fn digest(synth: &Synth, ratings: &[SynthRating], cases: &[SynthCase]) -> u64 {
    let mut h = DefaultHasher::new();
    let j = synth.jurisdiction();
    format!("{:?}{:?}{:?}", j.units, j.staff, j.users).hash(&mut h);
    for r in ratings {
        format!("{r:?}").hash(&mut h);
    }
    for c in cases {
        format!("{c:?}").hash(&mut h);
    }
    h.finish()
}

fn parse(t: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(t).expect("RFC 3339").with_timezone(&Utc)
}

/// One generated data set shared by the tests that only read it.
fn shared() -> &'static (Synth, Vec<SynthRating>, Vec<SynthCase>) {
    static DATA: std::sync::OnceLock<(Synth, Vec<SynthRating>, Vec<SynthCase>)> = std::sync::OnceLock::new();
    DATA.get_or_init(|| generate(small(7)))
}

#[test]
fn the_same_seed_gives_the_same_data_and_another_seed_other_data() {
    let (sa, ra, ca) = generate(Profile { evaluations: 8_000, cases: 800, ..small(11) });
    let (sb, rb, cb) = generate(Profile { evaluations: 8_000, cases: 800, ..small(11) });
    let (sc, rc, cc) = generate(Profile { evaluations: 8_000, cases: 800, ..small(12) });
    assert_eq!(digest(&sa, &ra, &ca), digest(&sb, &rb, &cb));
    assert_ne!(digest(&sa, &ra, &ca), digest(&sc, &rc, &cc));
}

#[test]
fn counts_match_the_profile() {
    let (synth, ratings, cases) = shared();
    let p = synth.profile();
    assert_eq!(ratings.len() as u64, p.evaluations);
    assert_eq!(synth.rating_count(), p.evaluations);
    assert_eq!(cases.len() as u64, p.cases);
    assert_eq!(synth.case_count(), p.cases);
    let bad = ratings.iter().filter(|r| r.row.level.is_bad()).count() as u64;
    assert_eq!(bad, p.bad_reviews());
    assert_eq!(bad, synth.bad_review_count());
    let bad_cases = cases.iter().filter(|c| c.row.source == CaseSource::BadReview).count() as u64;
    assert_eq!(bad_cases, bad, "every bad review opens exactly one case");
    for (i, r) in ratings.iter().enumerate() {
        assert_eq!(r.row.id, i as i64 + 1, "rating ids are dense");
    }
    let mut event_id = 0;
    for (i, c) in cases.iter().enumerate() {
        assert_eq!(c.row.id, i as i64 + 1, "case ids are dense");
        for e in &c.events {
            event_id += 1;
            assert_eq!(e.id, event_id, "event ids are dense");
        }
    }
}

#[test]
fn second_ratings_follow_an_earlier_rating_of_the_same_service() {
    let (_, ratings, _) = shared();
    let by_key: HashMap<(&str, &str), &SynthRating> = ratings
        .iter()
        .filter(|r| r.row.rating_count == 1)
        .map(|r| ((r.row.source.as_str(), r.row.service_record_no.as_str()), r))
        .collect();
    let seconds: Vec<&SynthRating> = ratings.iter().filter(|r| r.row.rating_count == 2).collect();
    assert!(!seconds.is_empty(), "no second rating");
    assert!(seconds.len() < ratings.len() / 100);
    for r in seconds {
        let first = by_key[&(r.row.source.as_str(), r.row.service_record_no.as_str())];
        assert!(first.row.id < r.row.id);
        assert_eq!(
            (first.row.unit_path.as_str(), first.row.staff_id, first.row.item_code.as_str()),
            (r.row.unit_path.as_str(), r.row.staff_id, r.row.item_code.as_str())
        );
        assert_eq!(first.evaluator, r.evaluator);
        assert_eq!(first.row.real_name, r.row.real_name);
        assert!(matches!(r.row.channel, 1 | 2 | 7));
    }
}

#[test]
fn planted_bursts_of_fake_good_reviews_are_found_by_the_integrity_rules() {
    use hcp_domain::{detect, FlagKind, IntegrityParams, RatingEvidence};
    let (_, ratings, _) = shared();
    // Phone and certificate only: the text rule is quadratic and meant for one unit at a time.
    let evidence: Vec<RatingEvidence> = ratings
        .iter()
        .map(|r| RatingEvidence {
            rating_id: r.row.id,
            rated_at: parse(&r.row.rated_at),
            level: r.row.level,
            staff_id: r.row.staff_id,
            rater_staff_id: None,
            device_id: None,
            phone_hash: r.evaluator.phone.clone(),
            certificate_hash: r.evaluator.cert.clone(),
            service_record_no: Some(r.row.service_record_no.clone()),
            text: None,
        })
        .collect();
    let flags = detect(&evidence, &[], &IntegrityParams::default());
    let bursts: Vec<_> = flags.iter().filter(|f| f.kind == FlagKind::BurstSamePhone).collect();
    assert!(bursts.len() >= 10, "{} phone bursts", bursts.len());
    for f in &bursts {
        let group: Vec<&SynthRating> = f.rating_ids.iter().map(|id| &ratings[(*id - 1) as usize]).collect();
        assert!(group
            .iter()
            .all(|r| r.row.window_id == group[0].row.window_id && r.row.staff_id == group[0].row.staff_id));
        assert!(group.iter().all(|r| r.row.level == Level::VerySatisfied && r.row.comment == group[0].row.comment));
    }
    // Every copy-pasted text belongs to a burst the rules found.
    let flagged: usize = bursts.iter().map(|f| f.rating_ids.len()).sum();
    let pasted = ratings.iter().filter(|r| r.row.comment == "服务非常好，非常满意，点赞！").count();
    assert_eq!(pasted, flagged);
    // Nothing else looks like a burst, and a follow-up (追评) is within what the rules allow.
    assert!(!flags.iter().any(|f| f.kind == FlagKind::ManyRatingsOneRecord));
}

#[test]
fn the_highest_bad_share_still_adds_up() {
    let profile = Profile { evaluations: 20_000, cases: 4_000, bad_share: 0.2, ..small(13) };
    let (synth, ratings, cases) = generate(profile);
    let bad = ratings.iter().filter(|r| r.row.level.is_bad()).count() as u64;
    assert_eq!(bad, 4_000);
    assert_eq!(bad, synth.bad_review_count());
    assert_eq!(cases.len(), 4_000);
    assert!(cases.iter().all(|c| c.row.source == CaseSource::BadReview));
}

#[test]
fn the_iterators_know_their_length() {
    let synth = Synth::new(Profile { evaluations: 3_000, cases: 300, ..small(3) }).expect("valid");
    let mut r = synth.ratings();
    assert_eq!(r.size_hint(), (3_000, Some(3_000)));
    r.next();
    assert_eq!(r.size_hint(), (2_999, Some(2_999)));
    assert_eq!(synth.cases().size_hint(), (300, Some(300)));
}

#[test]
fn levels_channels_and_days_are_distributed_realistically() {
    let (synth, ratings, _) = shared();
    let n = ratings.len() as f64;
    let share = |f: &dyn Fn(&SynthRating) -> bool| ratings.iter().filter(|r| f(r)).count() as f64 / n;
    let bad = share(&|r| r.row.level.is_bad());
    assert!((bad - 0.01).abs() < 0.001, "bad share {bad}");
    for (level, lo, hi) in [
        (Level::VerySatisfied, 0.78, 0.88),
        (Level::Satisfied, 0.08, 0.15),
        (Level::BasicallySatisfied, 0.03, 0.07),
        (Level::Dissatisfied, 0.004, 0.008),
        (Level::VeryDissatisfied, 0.002, 0.006),
    ] {
        let s = share(&|r| r.row.level == level);
        assert!((lo..=hi).contains(&s), "{level:?} share {s}");
    }
    for channel in 1..=8u8 {
        let s = share(&|r| r.row.channel == channel);
        assert!(s > 0.01, "channel {channel} share {s}");
    }
    assert!((share(&|r| r.row.channel == 4) - 0.42).abs() < 0.02);

    let cal = synth.calendar();
    let rules = hcp_domain::DeadlineRules::default();
    let local = |r: &SynthRating| rules.local_date(parse(&r.row.rated_at));
    let off_day = |r: &SynthRating| !cal.is_working_day(local(r));
    let hall_channel = |r: &SynthRating| matches!(r.row.channel, 3..=6);
    assert!(!ratings.iter().any(|r| hall_channel(r) && off_day(r)), "halls are closed on days off");
    let off = share(&|r| off_day(r));
    assert!(off > 0.01 && off < 0.08, "ratings on days off {off}");
    // Hall ratings fall in office hours.
    for r in ratings.iter().filter(|r| hall_channel(r)) {
        let t = parse(&r.row.rated_at) + chrono::Duration::hours(8);
        let minute = chrono::Timelike::hour(&t) * 60 + chrono::Timelike::minute(&t);
        assert!((8 * 60 + 30..17 * 60 + 30).contains(&minute), "{}", r.row.rated_at);
    }
    // Every month has ratings; time order follows ids.
    let months: HashSet<u32> = ratings.iter().map(|r| chrono::Datelike::month(&local(r))).collect();
    assert_eq!(months.len(), 12);
    assert!(ratings.windows(2).all(|w| parse(&w[0].row.rated_at) <= parse(&w[1].row.rated_at)));
    let first = NaiveDate::from_ymd_opt(2025, 1, 1).expect("date");
    assert!(ratings.iter().all(|r| local(r) >= first && parse(&r.row.rated_at) < synth.as_of()));
}

#[test]
fn every_reference_resolves_and_matches_the_server_formats() {
    let (synth, ratings, cases) = shared();
    let j = synth.jurisdiction();
    let unit = |id: i64| j.unit(id).unwrap_or_else(|| panic!("unit {id}"));
    let user = |id: i64| j.users.get((id - 1) as usize).unwrap_or_else(|| panic!("user {id}"));
    for r in ratings {
        let row = &r.row;
        let hall = unit(row.unit_id);
        assert_eq!(hall.kind, OrgKind::Hall);
        assert!(row.unit_path.starts_with(&hall.path));
        match row.window_id {
            Some(w) => {
                let w = unit(w);
                assert_eq!(w.kind, OrgKind::Window);
                assert_eq!(w.path, row.unit_path);
                let parent = w.parent_id.map(unit).expect("a window has a parent");
                let dept = (parent.kind == OrgKind::Department).then_some(parent.id);
                assert_eq!(row.department_id, dept);
            }
            None => {
                assert_eq!(row.unit_path, hall.path);
                assert_eq!(row.department_id, None);
            }
        }
        if let Some(s) = row.staff_id {
            let staff = j.staff.get((s - 1) as usize).expect("staff");
            assert_eq!(staff.unit_id, hall.id, "rated staff work in the hall");
        }
        assert_eq!(parse(&row.rated_at).to_rfc3339_opts(chrono::SecondsFormat::Secs, true), row.rated_at);
        assert!(parse(&r.received_at) >= parse(&row.rated_at));
        assert_eq!(
            row.evaluator_masked,
            mask_evaluator(row.real_name, r.evaluator.name.as_deref(), r.evaluator.phone.as_deref())
        );
        for c in &row.content_codes {
            let digit = c / 100;
            let expected = match row.level {
                Level::VeryDissatisfied => 1,
                Level::Dissatisfied => 2,
                Level::BasicallySatisfied => 3,
                Level::Satisfied => 4,
                Level::VerySatisfied => 5,
            };
            assert_eq!(digit, expected, "content code {c} of a {:?} rating", row.level);
        }
        assert!(!row.item_code.is_empty() && !row.item_name.is_empty());
    }
    let keys: HashSet<(&str, &str, i64)> =
        ratings.iter().map(|r| (r.row.source.as_str(), r.row.service_record_no.as_str(), r.row.rating_count)).collect();
    assert_eq!(keys.len(), ratings.len(), "the intake key is unique");

    let case_nos: HashSet<&str> = cases.iter().map(|c| c.row.case_no.as_str()).collect();
    assert_eq!(case_nos.len(), cases.len());
    for c in cases {
        let row = &c.row;
        let hall = unit(row.unit_id);
        assert_eq!(hall.kind, OrgKind::Hall);
        assert!(row.unit_path.starts_with(&hall.path), "{} in {}", row.unit_path, hall.path);
        assert!(j.units.iter().any(|u| u.path == row.unit_path));
        if let Some(rid) = row.rating_id {
            let rating = &ratings[(rid - 1) as usize].row;
            assert!(rating.level.is_bad());
            assert_eq!(rating.unit_path, row.unit_path);
            assert_eq!(Some(rating.level), row.level);
            assert_eq!(parse(&ratings[(rid - 1) as usize].received_at), parse(&row.created_at));
        }
        assert_eq!(row.rating_id.is_some(), row.source == CaseSource::BadReview);
        assert_eq!(c.ticket_no.is_some(), row.source == CaseSource::Hotline12345);
        if let Some(h) = row.handler_user_id {
            assert_eq!(user(h).row.role, Role::DepartmentHandler);
            let dept = row.department_id.map(unit).expect("an assigned case has a department");
            assert_eq!(dept.kind, OrgKind::Department);
            assert!(user(h).row.unit_path.starts_with(&dept.path));
            // The server's rule: the department lies in the case's district.
            let district: String = row
                .unit_path
                .split('/')
                .filter(|s| !s.is_empty())
                .take(2)
                .fold(String::from("/"), |acc, id| format!("{acc}{id}/"));
            assert!(dept.path.starts_with(&district));
        }
        let prefix = format!("{}-", row.source.case_no_prefix());
        assert!(row.case_no.starts_with(&prefix) && row.case_no.ends_with(&format!("{:06}", row.id)));
        for e in &c.events {
            assert_eq!(e.case_id, row.id);
            assert_eq!(e.unit_path, row.unit_path);
            match e.actor_user_id {
                None => assert_eq!(e.actor_name, "系统"),
                Some(u) => assert_eq!(e.actor_name, user(u).row.display_name),
            }
            assert!(parse(&e.at) < synth.as_of());
        }
        assert!(c.events.windows(2).all(|w| parse(&w[0].at) <= parse(&w[1].at)), "events in time order");
    }
}

#[test]
fn every_case_replays_to_its_aggregate_and_its_row_agrees() {
    let (_, _, cases) = shared();
    for c in cases {
        let events: Vec<CaseEvent> = c
            .events
            .iter()
            .map(|e| serde_json::from_value(e.data.clone()).expect("event data is a domain event"))
            .collect();
        for (e, row) in events.iter().zip(&c.events) {
            assert_eq!(e.kind(), row.kind);
            assert_eq!(parse(&row.at), e.at);
            assert_eq!(row.actor_user_id.unwrap_or(0), e.actor.user_id);
        }
        let replayed = replay(&events).expect("the log replays");
        let aggregate = c.row.aggregate.as_deref().expect("aggregate");
        assert_eq!(&replayed, aggregate, "case {}", c.row.id);
        aggregate.check_invariants().unwrap_or_else(|e| panic!("case {}: {e}", c.row.id));
        assert_eq!(c.row.state, aggregate.state);
        assert_eq!(c.row.version, aggregate.version as i64);
        assert_eq!(c.row.version as usize, c.events.len());
        assert_eq!(c.row.handler_user_id, aggregate.assignee_id);
        assert_eq!(c.row.deadline, aggregate.due_date.map(|d| d.format("%Y-%m-%d").to_string()));
        assert_eq!(parse(&c.row.updated_at), aggregate.updated_at);
        assert_eq!(c.row.summary, aggregate.summary);
    }
}

#[test]
fn cases_reach_every_state_and_attribute() {
    let (synth, _, cases) = shared();
    let aggregates: Vec<&hcp_domain::Case> = cases.iter().filter_map(|c| c.row.aggregate.as_deref()).collect();
    let states: HashMap<CaseState, usize> = aggregates.iter().fold(HashMap::new(), |mut m, a| {
        *m.entry(a.state).or_default() += 1;
        m
    });
    for s in CaseState::ALL {
        assert!(states.get(&s).copied().unwrap_or(0) > 0, "no case in state {s:?}: {states:?}");
    }
    for level in EscalationLevel::ALL {
        assert!(aggregates.iter().any(|a| a.escalation == level), "no case escalated to {level:?}");
    }
    for appeal in [AppealState::Pending, AppealState::Upheld, AppealState::Overturned] {
        assert!(aggregates.iter().any(|a| a.appeal == appeal), "no appeal {appeal:?}");
    }
    assert!(aggregates.iter().any(|a| a.accountability_decisions > 0), "no accountability decision");
    assert!(aggregates.iter().any(|a| a.reopen_count > 0), "no case went round again");
    assert!(aggregates.iter().any(|a| a.resolved_on_spot), "no on-the-spot resolution");
    assert!(aggregates.iter().any(|a| a.extension_working_days_granted > 0), "no extension granted");
    // 限期整改 cases (CaseSource::Assessment) come from the server's bottom rule, not from the city.
    for source in [CaseSource::BadReview, CaseSource::Hotline12345, CaseSource::Supervision] {
        assert!(aggregates.iter().any(|a| a.source == source), "no case from {source:?}");
    }
    // Overdue at the as-of moment: a running deadline that has passed.
    let rules = hcp_domain::DeadlineRules::default();
    let today = rules.local_date(synth.as_of());
    let overdue = aggregates.iter().filter(|a| a.clock().is_some_and(|(_, due)| due < today)).count();
    assert!(overdue > 0, "no overdue case");
    // Most cases of the year are done; the open ones are recent.
    let closed = states.get(&CaseState::Closed).copied().unwrap_or(0) as f64 / cases.len() as f64;
    assert!(closed > 0.7, "closed share {closed}");
}

#[test]
fn identities_are_well_formed() {
    let (_, ratings, _) = shared();
    let mut certs = 0;
    for r in ratings {
        let e = &r.evaluator;
        if !r.row.real_name {
            assert_eq!(e, &Identity::default());
            assert_eq!(r.row.evaluator_masked, "匿名用户");
            continue;
        }
        let name = e.name.as_deref().expect("a real-name rating names the evaluator");
        assert!((2..=4).contains(&name.chars().count()), "{name}");
        if let Some(p) = &e.phone {
            assert!(is_valid_mobile(p), "{p}");
        }
        if let Some(c) = &e.cert {
            assert!(is_valid_cert(c), "{c}");
            certs += 1;
        }
    }
    assert!(certs > 1_000);
}

#[test]
fn profiles_are_validated() {
    let p = Profile::bench(2025);
    assert_eq!(p.evaluations, 1_000_000);
    assert_eq!(p.cases, 100_000);
    assert_eq!(p.bad_reviews(), 10_000);
    assert!(p.validate().is_ok());
    assert!(matches!(Profile { cases: 10, ..p.clone() }.validate(), Err(ProfileError::TooFewCases { .. })));
    assert!(matches!(Profile { bad_share: 0.5, ..p.clone() }.validate(), Err(ProfileError::BadShare(_))));
    assert!(matches!(Profile { year: 1900, ..p.clone() }.validate(), Err(ProfileError::Year(_))));
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
    assert!(Profile { as_of: d(2025, 11, 22), ..p.clone() }.validate().is_ok());
    assert!(Profile { as_of: d(2026, 1, 1), ..p.clone() }.validate().is_ok());
    assert!(Profile { as_of: d(2025, 1, 1), ..p.clone() }.validate().is_err());
    assert!(Profile { as_of: d(2026, 3, 1), ..p.clone() }.validate().is_err());
    // One month: from its first day up to the next month's.
    let november = Profile { from: d(2025, 11, 1), as_of: d(2025, 12, 1), ..p.clone() };
    assert!(november.validate().is_ok());
    assert!(Profile { from: d(2025, 12, 1), ..november.clone() }.validate().is_err(), "from after as_of");
    assert!(Profile { from: d(2024, 12, 1), ..november }.validate().is_err(), "another year");
}

/// A profile of one month puts every rating in that month.
#[test]
fn a_profile_of_one_month_rates_only_in_it() {
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
    let profile = Profile { from: d(2025, 11, 1), as_of: d(2025, 12, 1), evaluations: 5_000, cases: 600, ..small(4) };
    let (_, ratings, cases) = generate(profile);
    assert_eq!(ratings.len(), 5_000);
    assert!(
        ratings
            .iter()
            .all(|r| r.row.rated_at.as_str() >= "2025-10-31T16:00:00Z"
                && r.row.rated_at.as_str() < "2025-11-30T16:00:00Z")
    );
    assert_eq!(cases.len(), 600);
}

#[test]
fn a_profile_can_lead_up_to_today() {
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
    let p = Profile::leading_up_to(d(2026, 11, 22));
    assert_eq!((p.year, p.as_of), (2026, Some(d(2026, 11, 22))));
    assert!(p.validate().is_ok());
    let p = Profile::leading_up_to(d(2026, 1, 1));
    assert_eq!((p.year, p.as_of), (2025, Some(d(2026, 1, 1))));
    assert!(p.validate().is_ok());
    // A year's first days hold few working days, but every count still adds up.
    let (_, ratings, cases) =
        generate(Profile { evaluations: 2_000, cases: 200, ..Profile::leading_up_to(d(2026, 1, 6)) });
    assert_eq!((ratings.len(), cases.len()), (2_000, 200));
    // 1 January alone: a holiday, halls closed, ratings online only.
    let (_, ratings, cases) =
        generate(Profile { evaluations: 500, cases: 50, ..Profile::leading_up_to(d(2026, 1, 2)) });
    assert_eq!((ratings.len(), cases.len()), (500, 50));
    assert!(ratings.iter().all(|r| matches!(r.row.channel, 1 | 2 | 7 | 8)));
}

#[test]
fn a_year_so_far_stops_at_its_as_of_day() {
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
    let profile = Profile { as_of: Some(as_of), evaluations: 5_000, cases: 500, ..small(5) };
    let (synth, ratings, cases) = generate(Profile { year: 2026, ..profile });
    assert_eq!(ratings.len(), 5_000);
    assert_eq!(cases.len(), 500);
    let end = synth.as_of();
    assert_eq!(end.to_rfc3339(), "2026-11-21T16:00:00+00:00");
    assert!(ratings.iter().all(|r| parse(&r.received_at) < end));
    assert!(cases.iter().flat_map(|c| &c.events).all(|e| parse(&e.at) < end));
    assert!(cases.iter().any(|c| c.row.case_no.starts_with("CP-2026-")));
}

#[test]
fn a_generator_can_feed_writer_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Synth>();
    send_sync::<SynthRating>();
    send_sync::<SynthCase>();
    fn send<T: Send>() {}
    send::<Ratings<'static>>();
    send::<Cases<'static>>();
}

#[test]
fn big_centres_are_busier_than_town_centres_and_stations() {
    let (synth, ratings, _) = shared();
    let j = synth.jurisdiction();
    let mut per_hall: HashMap<i64, usize> = HashMap::new();
    for r in ratings {
        *per_hall.entry(r.row.unit_id).or_default() += 1;
    }
    let mean = |kind: OrgKind| {
        // A hall's kind is told by its parent: the city or a district/park for the big centres.
        let halls: Vec<i64> = j
            .units
            .iter()
            .filter(|u| u.kind == OrgKind::Hall)
            .filter(|u| u.parent_id.and_then(|p| j.unit(p)).is_some_and(|p| p.kind == kind))
            .map(|u| u.id)
            .collect();
        halls.iter().map(|h| per_hall.get(h).copied().unwrap_or(0)).sum::<usize>() as f64 / halls.len() as f64
    };
    let (district, town, community) = (mean(OrgKind::District), mean(OrgKind::Town), mean(OrgKind::Community));
    assert!(district > 10.0 * town, "{district} vs {town}");
    assert!(town > community, "{town} vs {community}");
    assert!(community > 0.0);
}
