//! Ratings, one day at a time.
//!
//! A day is first drawn as compact skeletons (channel, time, hall, window, staff, item, level),
//! sorted by time so that ids rise with `rated_at` as they would at the server, and only then
//! turned into rows with their strings. The cases stream redraws the same skeletons to find the
//! day's bad reviews without building every row.

use chrono::{DateTime, Datelike, Duration, Utc};
use hcp_domain::Level;
use hcp_protocol::RatingRow;

use crate::data::{BAD_COMMENTS, LONG_GOOD_COMMENTS, SHORT_GOOD_COMMENTS};
use crate::identity::{self, Identity};
use crate::org::Jurisdiction;
use crate::plan::{instant, rfc3339, Clock, DayPlan};
use crate::rng::{stream, Rng, Weighted};
use crate::{Synth, SynthError};

/// A rating with what the server keeps beside the public row.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthRating {
    pub row: RatingRow,
    /// The evaluator's identity (empty for anonymous ratings).
    pub evaluator: Identity,
    /// When the server received it (RFC 3339, UTC), a few seconds to minutes after `rated_at`.
    pub received_at: String,
}

/// The compact draw of one rating.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Skeleton {
    /// Local second of the day of `rated_at`.
    pub secs: u32,
    /// Seconds from rating to receipt.
    pub delay: u32,
    pub channel: u8,
    pub hall: u32,
    pub window: Option<u32>,
    pub dept: u32,
    pub staff: Option<u32>,
    pub item: u16,
    pub level: Level,
    pub real_name: bool,
    /// The comment: 0 for none, else a 1-based index into the bad comments for a bad review,
    /// into the short then the long good comments otherwise.
    pub comment: u16,
    /// A bad review that names the item (`办理…时，…`).
    pub names_item: bool,
    /// One of the day's planted bursts of fake good reviews (刷好评): one person rating the
    /// same staff member many times within minutes, with the same text.
    pub burst: Option<u8>,
    /// A second rating (追评): the index within the day and the channel of the rating it
    /// follows up (same service record, place, staff and evaluator).
    pub follows: Option<(u32, u8)>,
}

/// Channels given at a hall with their shares: QR code, window evaluator, kiosk, phone callback.
const OFFICE_CHANNELS: [(u8, f64); 4] = [(3, 18.0), (4, 42.0), (5, 4.0), (6, 3.0)];
/// Channels given online: portal, app, SMS.
const ONLINE_CHANNELS: [(u8, f64); 3] = [(1, 8.0), (2, 16.0), (7, 6.0)];

/// How much more often a channel carries a bad review than the window evaluator does.
fn channel_badness(channel: u8) -> f64 {
    match channel {
        1 => 1.2,
        2 => 1.3,
        3 => 1.0,
        4 => 0.8,
        5 => 1.0,
        6 => 1.5,
        7 => 1.8,
        _ => 0.0,
    }
}

/// Share of real-name ratings per channel: signed-in portal and app users, callbacks and SMS
/// know who rated; at the window many rate anonymously.
fn real_name_share(channel: u8) -> f64 {
    match channel {
        1 | 2 => 0.95,
        3 => 0.6,
        4 => 0.4,
        5 => 0.5,
        _ => 1.0,
    }
}

/// Seconds from rating to receipt, per channel.
fn receipt_delay(rng: &mut Rng, channel: u8) -> u32 {
    match channel {
        4 | 5 => rng.between(1, 20),
        1..=3 => rng.between(1, 60),
        6 => rng.between(5, 120),
        7 => rng.between(10, 600),
        _ => 0,
    }
}

pub(crate) struct DayTables {
    office_channels: Weighted,
    online_channels: Weighted,
    clock: Clock,
}

impl DayTables {
    pub fn new() -> DayTables {
        DayTables {
            office_channels: Weighted::new(OFFICE_CHANNELS.map(|c| c.1)),
            online_channels: Weighted::new(ONLINE_CHANNELS.map(|c| c.1)),
            clock: Clock::new(),
        }
    }
}

fn at_window(j: &Jurisdiction, rng: &mut Rng, channel: u8, secs: u32, hall_table: &Weighted) -> Option<Skeleton> {
    let hi = hall_table.draw(rng)?;
    let hall = j.halls.get(hi)?;
    let wi = hall.window_weights.draw(rng)?;
    let window = hall.windows.get(wi)?;
    let dept = hall.depts.get(window.dept)?;
    let staff = rng.pick(&window.staff).copied();
    let item = rng.index(dept.items.len());
    Some(Skeleton {
        secs,
        delay: receipt_delay(rng, channel),
        channel,
        hall: hi as u32,
        window: Some(wi as u32),
        dept: window.dept as u32,
        staff: staff.map(|s| s as u32),
        item: item as u16,
        level: Level::VerySatisfied,
        real_name: rng.chance(real_name_share(channel)),
        comment: 0,
        names_item: false,
        burst: None,
        follows: None,
    })
}

fn online(j: &Jurisdiction, rng: &mut Rng, channel: u8, secs: u32) -> Option<Skeleton> {
    let hi = j.online_halls.draw(rng)?;
    let hall = j.halls.get(hi)?;
    let di = hall.dept_weights.draw(rng)?;
    let dept = hall.depts.get(di)?;
    // Half of the online services name the staff member who processed them.
    let staff = if rng.chance(0.5) { rng.pick(&dept.staff).copied() } else { None };
    let item = rng.index(dept.items.len());
    Some(Skeleton {
        secs,
        delay: receipt_delay(rng, channel),
        channel,
        hall: hi as u32,
        window: None,
        dept: di as u32,
        staff: staff.map(|s| s as u32),
        item: item as u16,
        level: Level::VerySatisfied,
        real_name: rng.chance(real_name_share(channel)),
        comment: 0,
        names_item: false,
        burst: None,
        follows: None,
    })
}

fn missing(plan: &DayPlan, what: &str) -> SynthError {
    SynthError::Jurisdiction { date: plan.date, what: what.to_owned() }
}

/// Draws a day's ratings, sorted by time; exactly `plan.bad` of them are bad reviews.
pub(crate) fn day_skeletons(
    synth: &Synth,
    tables: &DayTables,
    day: usize,
    plan: &DayPlan,
) -> Result<Vec<Skeleton>, SynthError> {
    let j = &synth.jurisdiction;
    let mut rng = Rng::new(synth.profile.seed, &[stream::RATING_DAY, day as u64]);
    let mut out = Vec::with_capacity(plan.ratings() as usize);
    for _ in 0..plan.office {
        let channel = tables.office_channels.draw(&mut rng).and_then(|i| OFFICE_CHANNELS.get(i)).map_or(4, |c| c.0);
        let secs = tables.clock.office(&mut rng);
        out.push(at_window(j, &mut rng, channel, secs, &j.office_halls).ok_or_else(|| missing(plan, "a window"))?);
    }
    for _ in 0..plan.online {
        let channel = tables.online_channels.draw(&mut rng).and_then(|i| ONLINE_CHANNELS.get(i)).map_or(2, |c| c.0);
        let secs = if channel == 7 { tables.clock.sms(&mut rng) } else { tables.clock.online(&mut rng) };
        out.push(online(j, &mut rng, channel, secs).ok_or_else(|| missing(plan, "a department"))?);
    }
    for _ in 0..plan.default {
        let secs = tables.clock.nightly(&mut rng);
        out.push(at_window(j, &mut rng, 8, secs, &j.office_halls).ok_or_else(|| missing(plan, "a window"))?);
    }
    plant_bursts(synth, &mut rng, &mut out, plan.office as usize);
    out.sort_by_key(|s| s.secs);
    // Received the same local day, so nothing spills past the period's end.
    for s in &mut out {
        s.delay = s.delay.min(86_399u32.saturating_sub(s.secs));
    }

    // Second ratings (追评): now and then someone rates the same service again online, later
    // the same day.
    let mut followed = vec![false; out.len()];
    for i in 1..out.len() {
        if !matches!(out[i].channel, 1 | 2 | 7) || !rng.chance(0.004) {
            continue;
        }
        let k = rng.index(i);
        let first = out[k];
        if followed[k] || first.channel == 8 || first.follows.is_some() || first.burst.is_some() {
            continue;
        }
        followed[k] = true;
        let s = &mut out[i];
        s.follows = Some((k as u32, first.channel));
        s.hall = first.hall;
        s.window = first.window;
        s.dept = first.dept;
        s.staff = first.staff;
        s.item = first.item;
        s.real_name = first.real_name;
    }

    // Bad reviews: exactly as planned, more likely for some staff and channels.
    let weight = |s: &Skeleton| {
        if s.burst.is_some() {
            return 0.0;
        }
        // A second rating is usually a complaint that the first did not settle.
        let again = if s.follows.is_some() { 2.0 } else { 1.0 };
        again
            * channel_badness(s.channel)
            * s.staff.and_then(|i| j.staff_info.get(i as usize)).map_or(1.0, |x| x.badness)
    };
    let max_w = out.iter().map(weight).fold(0.0, f64::max);
    let mut bad = vec![false; out.len()];
    let mut picked = 0u64;
    let mut attempts = 0u64;
    let limit = plan.bad * 200 + 1_000;
    while picked < plan.bad && attempts < limit && max_w > 0.0 {
        attempts += 1;
        let i = rng.index(out.len());
        if !bad[i] && rng.unit() * max_w < weight(&out[i]) {
            bad[i] = true;
            picked += 1;
        }
    }
    // Should rejection sampling run long on a tiny day, take the remaining ones in order.
    for (i, s) in out.iter().enumerate() {
        if picked >= plan.bad {
            break;
        }
        if !bad[i] && weight(s) > 0.0 {
            bad[i] = true;
            picked += 1;
        }
    }

    for (s, is_bad) in out.iter_mut().zip(bad) {
        if s.burst.is_some() {
            s.level = Level::VerySatisfied;
        } else if is_bad {
            s.level = if rng.chance(0.4) { Level::VeryDissatisfied } else { Level::Dissatisfied };
            s.comment = rng.index(BAD_COMMENTS.len()) as u16 + 1;
            s.names_item = rng.chance(0.6);
            // People who complain more often leave their name (to be called back); a second
            // rating keeps the first one's evaluator.
            s.real_name = s.real_name || (s.follows.is_none() && rng.chance(0.4));
        } else if s.channel == 8 {
            // Guangdong's rule: unrated after 7 days counts as 基本满意.
            s.level = Level::BasicallySatisfied;
        } else {
            let u = rng.unit();
            s.level = if u < 0.86 {
                Level::VerySatisfied
            } else if u < 0.98 {
                Level::Satisfied
            } else {
                Level::BasicallySatisfied
            };
            if rng.chance(0.25) {
                s.comment = if rng.chance(0.85) {
                    rng.index(SHORT_GOOD_COMMENTS.len()) + 1
                } else {
                    SHORT_GOOD_COMMENTS.len() + rng.index(LONG_GOOD_COMMENTS.len()) + 1
                } as u16;
            }
        }
    }
    Ok(out)
}

/// Bursts of fake good reviews (刷好评) a day may hold, and how often a working day has one.
const MAX_BURSTS_PER_DAY: u32 = 2;
const BURST_CHANCE: f64 = 0.2;
/// Bursts only hide in days busy enough to leave room for the planned bad reviews.
const BURST_MIN_OFFICE: usize = 40;
/// The copy-pasted text of every rating in a burst, with its content sub-code (attitude).
const BURST_TEXT: (&str, u16) = ("服务非常好，非常满意，点赞！", 2);

/// Turns a few of the day's window ratings (the first `office` skeletons) into bursts: 4–8
/// ratings of one staff member at one window, a minute or two apart, by one person.
fn plant_bursts(synth: &Synth, rng: &mut Rng, out: &mut [Skeleton], office: usize) {
    let j = &synth.jurisdiction;
    if office < BURST_MIN_OFFICE {
        return;
    }
    let mut next = 0usize;
    for b in 0..MAX_BURSTS_PER_DAY {
        if !rng.chance(BURST_CHANCE) {
            continue;
        }
        let Some(hi) = j.office_halls.draw(rng) else { continue };
        let Some(hall) = j.halls.get(hi) else { continue };
        let Some(wi) = hall.window_weights.draw(rng) else { continue };
        let Some(window) = hall.windows.get(wi) else { continue };
        let Some(&staff) = rng.pick(&window.staff) else { continue };
        let Some(dept) = hall.depts.get(window.dept) else { continue };
        let size = rng.between(4, 8) as usize;
        let channel = if rng.chance(0.5) { 3 } else { 4 };
        let mut secs = 9 * 3600 + rng.below(7 * 3600) as u32;
        // The day's window ratings are in random order: take the next ones.
        for s in out.iter_mut().skip(next).take(size.min(office.saturating_sub(next))) {
            s.hall = hi as u32;
            s.window = Some(wi as u32);
            s.dept = window.dept as u32;
            s.staff = Some(staff as u32);
            s.item = rng.index(dept.items.len()) as u16;
            s.channel = channel;
            s.secs = secs;
            s.real_name = true;
            s.burst = Some(b as u8);
            secs += rng.between(20, 150);
        }
        next += size;
    }
}

/// The content-code level digit in the national direction (1 = 非常不满意 … 5 = 非常满意).
fn level_digit(level: Level) -> u16 {
    match level {
        Level::VeryDissatisfied => 1,
        Level::Dissatisfied => 2,
        Level::BasicallySatisfied => 3,
        Level::Satisfied => 4,
        Level::VerySatisfied => 5,
    }
}

/// The comment and content codes of a skeleton.
fn comment_of(s: &Skeleton, item_name: &str) -> (String, Vec<u16>) {
    if s.burst.is_some() {
        return (BURST_TEXT.0.to_owned(), vec![level_digit(s.level) * 100 + BURST_TEXT.1]);
    }
    let Some(i) = usize::from(s.comment).checked_sub(1) else {
        return (String::new(), Vec::new());
    };
    let entry = if s.level.is_bad() {
        BAD_COMMENTS.get(i)
    } else {
        SHORT_GOOD_COMMENTS
            .get(i)
            .or_else(|| i.checked_sub(SHORT_GOOD_COMMENTS.len()).and_then(|k| LONG_GOOD_COMMENTS.get(k)))
    };
    let Some((text, sub)) = entry else {
        return (String::new(), Vec::new());
    };
    let codes = vec![level_digit(s.level) * 100 + sub];
    if s.names_item && !text.is_empty() {
        (format!("办理{item_name}时，{text}"), codes)
    } else {
        ((*text).to_owned(), codes)
    }
}

/// Turns a skeleton into the row the server would store, with the evaluator's identity.
pub(crate) fn materialize(synth: &Synth, plan: &DayPlan, id: i64, s: &Skeleton) -> Result<SynthRating, SynthError> {
    let j = &synth.jurisdiction;
    let hall = j.halls.get(s.hall as usize).ok_or_else(|| missing(plan, "a hall"))?;
    let dept = hall.depts.get(s.dept as usize).ok_or_else(|| missing(plan, "a department"))?;
    let window = s.window.and_then(|w| hall.windows.get(w as usize));
    let (item_code, item_name) =
        dept.items.get(usize::from(s.item)).copied().ok_or_else(|| missing(plan, "a service item"))?;
    let rated = instant(&synth.rules, plan.date, s.secs);
    let received = rated + Duration::seconds(i64::from(s.delay));
    let (comment, content_codes) = comment_of(s, item_name);
    // A second rating's evaluator and record are the first rating's.
    let (record_id, record_channel) = match s.follows {
        Some((k, channel)) => (plan.first_rating_id + i64::from(k), channel),
        None => (id, s.channel),
    };
    let evaluator = match (s.real_name, s.burst) {
        (true, Some(b)) => burst_identity(synth, hall.division, plan, b, rated),
        (true, None) => identity_for(synth, hall.division, record_id, record_channel, rated),
        (false, _) => Identity::default(),
    };
    let row = RatingRow {
        id,
        source: if record_channel == 4 { "hall-device".to_owned() } else { "jc-zwfw".to_owned() },
        service_record_no: format!("JC{}{record_id:07}", plan.date.format("%Y%m%d")),
        rating_count: if s.follows.is_some() { 2 } else { 1 },
        unit_id: hall.id,
        unit_path: window.map_or_else(|| hall.path.clone(), |w| w.path.clone()),
        department_id: window.and(dept.id),
        window_id: window.map(|w| w.id),
        staff_id: s.staff.map(|i| i64::from(i) + 1),
        item_code: item_code.to_owned(),
        item_name: item_name.to_owned(),
        channel: s.channel,
        level: s.level,
        content_codes,
        comment,
        evaluator_masked: identity::mask_evaluator(s.real_name, evaluator.name.as_deref(), evaluator.phone.as_deref()),
        real_name: s.real_name,
        rated_at: rfc3339(rated),
    };
    Ok(SynthRating { row, evaluator, received_at: rfc3339(received) })
}

/// The evaluator of a real-name rating: a name always, a phone nearly always (always for
/// callbacks and SMS), an identity number when the channel signs people in.
fn identity_for(synth: &Synth, division: u32, id: i64, channel: u8, at: DateTime<Utc>) -> Identity {
    let mut rng = Rng::new(synth.profile.seed, &[stream::IDENTITY, id as u64]);
    let name = identity::person_name(&mut rng);
    let phone = (matches!(channel, 2 | 6 | 7) || rng.chance(0.9)).then(|| identity::mobile(&mut rng));
    let cert = (matches!(channel, 1 | 2) || rng.chance(0.6))
        .then(|| identity::cert(&mut rng, division, synth.rules.local_date(at)));
    Identity { name: Some(name), phone, cert }
}

/// The one person behind a burst: name, phone and identity number, the same on every rating.
fn burst_identity(synth: &Synth, division: u32, plan: &DayPlan, burst: u8, at: DateTime<Utc>) -> Identity {
    let day = i64::from(plan.date.num_days_from_ce()) as u64;
    let mut rng = Rng::new(synth.profile.seed, &[stream::BURST, day, u64::from(burst)]);
    let name = identity::person_name(&mut rng);
    let phone = identity::mobile(&mut rng);
    let cert = identity::cert(&mut rng, division, synth.rules.local_date(at));
    Identity { name: Some(name), phone: Some(phone), cert: Some(cert) }
}

/// The ratings of the whole period, in id order, one day in memory at a time.
pub struct Ratings<'a> {
    synth: &'a Synth,
    tables: DayTables,
    day: usize,
    buffer: std::vec::IntoIter<Skeleton>,
    next_id: i64,
    left: u64,
}

impl<'a> Ratings<'a> {
    pub(crate) fn new(synth: &'a Synth) -> Ratings<'a> {
        Ratings {
            synth,
            tables: DayTables::new(),
            day: 0,
            buffer: Vec::new().into_iter(),
            next_id: 1,
            left: synth.rating_count(),
        }
    }
}

impl Iterator for Ratings<'_> {
    type Item = Result<SynthRating, SynthError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(s) = self.buffer.next() {
                let plan = self.synth.plan.days.get(self.day.checked_sub(1)?)?;
                let id = self.next_id;
                self.next_id += 1;
                self.left = self.left.saturating_sub(1);
                return Some(materialize(self.synth, plan, id, &s));
            }
            let plan = self.synth.plan.days.get(self.day)?;
            let skeletons = day_skeletons(self.synth, &self.tables, self.day, plan);
            self.next_id = plan.first_rating_id;
            self.day += 1;
            match skeletons {
                Ok(skeletons) => self.buffer = skeletons.into_iter(),
                Err(e) => {
                    // Nothing sensible follows a broken day: end the stream after the error.
                    self.day = self.synth.plan.days.len() + 1;
                    return Some(Err(e));
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::try_from(self.left).unwrap_or(usize::MAX);
        (n, Some(n))
    }
}
