//! The month statistics' roll-up in the background (see [`crate::db::rating_stats`]): at start and
//! every `every` afterwards, every closed month not rolled up yet is. Idempotent, and each pass is one
//! write transaction, so several server processes on one database may all run it: the first to
//! commit rolls a month up, the others find it done.

use std::time::Duration;

use crate::db::rating_stats;

/// How often the roll-up looks for a newly closed month.
pub const EVERY: Duration = Duration::from_secs(3600);

/// One pass as of the server clock's now: the months rolled up.
pub async fn pass(state: &crate::AppState) -> crate::db::DbResult<Vec<String>> {
    let now = state.clock.now();
    let today = hcp_domain::calendar::beijing_date(now);
    let at = state.clock.now_rfc3339();
    state.db.write(move |c| rating_stats::roll_up_closed(c, today, &at)).await
}

/// Runs [`pass`] now and every `every`, for as long as the runtime lives.
pub fn spawn(state: crate::AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match pass(&state).await {
                Ok(months) if !months.is_empty() => tracing::info!(?months, "month statistics rolled up"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "month statistics roll-up failed; retrying at the next tick"),
            }
        }
    })
}
