//! One module per replicated entity: its server and replica tables, the columns both hold, and
//! the mapping between those columns and its protocol row (the [`crate::Replicated`] impl).

pub mod attachment;
pub mod award;
pub mod case_event;
pub mod org_unit;
pub mod rating;
pub mod rating_stat;
pub mod self_assessment;
pub mod service_item;
pub mod setting;
pub mod staff;
pub mod survey_result;
