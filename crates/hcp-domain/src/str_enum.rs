//! One definition of a fieldless enum's stored names: [`str_enum!`](crate::str_enum) implements
//! `ALL`, `as_str` and `parse` from a single list, so the three cannot disagree. The names are the
//! ones serde writes (each enum's `#[serde(rename_all = …)]`); [`assert_serde_names!`](crate::assert_serde_names)
//! checks that in the tests.

/// Implements `ALL` (every value, in the list's order), `as_str` (the stored name, as serialized)
/// and `parse` (its inverse) for a fieldless enum:
///
/// ```
/// #[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// enum Light { Red, Green }
/// hcp_domain::str_enum!(Light { Red => "red", Green => "green" });
/// assert_eq!(Light::parse("green"), Some(Light::Green));
/// assert_eq!(Light::ALL.map(Light::as_str), ["red", "green"]);
/// ```
#[macro_export]
macro_rules! str_enum {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: [$ty; [$($name),+].len()] = [$($ty::$variant),+];

            /// The stored name (as serialized).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }

            /// The value stored as `s`, if any.
            pub fn parse(s: &str) -> Option<$ty> {
                match s {
                    $($name => Some($ty::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

/// Asserts, for each listed [`str_enum!`] type, that serde writes and reads every value under its
/// stored name and that the names are distinct.
#[macro_export]
macro_rules! assert_serde_names {
    ($($ty:ty),+ $(,)?) => {
        $(
            let mut seen = std::collections::BTreeSet::new();
            for v in <$ty>::ALL {
                let name = v.as_str();
                assert!(seen.insert(name), "{} names {name} twice", stringify!($ty));
                assert_eq!(serde_json::to_value(v).expect("serialize"), serde_json::Value::from(name), "{}", stringify!($ty));
                assert_eq!(serde_json::from_value::<$ty>(serde_json::Value::from(name)).expect("deserialize"), v);
                assert_eq!(<$ty>::parse(name), Some(v));
            }
            assert_eq!(<$ty>::parse("no such name"), None);
        )+
    };
}

#[cfg(test)]
mod tests {
    use crate::case::machine::CommandKind;
    use crate::integrity::{FlagKind, Severity};
    use crate::league::LeagueOf;
    use crate::merit::AwardKind;
    use crate::self_assessment::{Heading, ReviewDecision, Status};
    use crate::survey::SurveyMethod;
    use crate::{CaseSource, CaseState, EscalationLevel, OrgKind, Role, Stage};

    #[test]
    fn every_stored_name_is_the_serialized_name() {
        assert_serde_names!(
            CommandKind,
            FlagKind,
            Severity,
            LeagueOf,
            AwardKind,
            Heading,
            ReviewDecision,
            Status,
            SurveyMethod,
            CaseSource,
            CaseState,
            EscalationLevel,
            OrgKind,
            Role,
            Stage,
        );
    }
}
