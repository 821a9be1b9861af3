//! AWS enumerations as the models read them: [`aws_enum!`](crate::aws_enum).

/// How a model spells a value AWS did not report.
pub const NOT_REPORTED: &str = "UNKNOWN";

/// Declares an AWS enumeration: one variant per documented value, and `Unknown(String)` for a
/// value this build does not know (kept as sent, so reports spell it as AWS does) or, as
/// `Unknown("UNKNOWN")`, none reported. AWS adds values to its enumerations over time; an unknown
/// one must reach the plan as itself, never as a known state.
///
/// ```
/// dr_core::aws_enum! {
///     /// A job's state.
///     JobState {
///         /// Running.
///         Active = "ACTIVE",
///         /// Stopped for good.
///         Failed = "FAILED",
///     }
/// }
/// assert_eq!(JobState::from("ACTIVE"), JobState::Active);
/// assert_eq!(JobState::from("PAUSED").as_str(), "PAUSED");
/// assert_eq!(JobState::from(None).as_str(), "UNKNOWN");
/// ```
#[macro_export]
macro_rules! aws_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
            /// A value this build does not know, or `UNKNOWN` when none was reported.
            Unknown(String),
        }

        impl $name {
            /// Every value this build knows, in the order the model lists them.
            pub const KNOWN: &'static [Self] = &[$(Self::$variant,)+];

            /// The value's name in UpperCamelCase (`InitialSync` for `INITIAL_SYNC`), as metric
            /// names spell it; `Unknown` for a value this build does not know.
            pub fn camel_name(&self) -> &'static str {
                match self {
                    $(Self::$variant => stringify!($variant),)+
                    Self::Unknown(_) => "Unknown",
                }
            }

            /// The value as AWS spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Unknown(raw) => raw,
                }
            }
        }

        impl ::std::default::Default for $name {
            /// No value reported.
            fn default() -> Self {
                Self::Unknown($crate::enums::NOT_REPORTED.to_owned())
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(text: &str) -> Self {
                match text {
                    $($text => Self::$variant,)+
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        /// The value AWS reported, `UNKNOWN` when it reported none.
        impl ::std::convert::From<::std::option::Option<&str>> for $name {
            fn from(text: ::std::option::Option<&str>) -> Self {
                text.map_or_else(::std::default::Default::default, Self::from)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

#[cfg(test)]
mod tests {
    crate::aws_enum! {
        /// A test enumeration.
        Colour {
            /// Red.
            Red = "RED",
            /// Green.
            Green = "GREEN",
        }
    }

    #[test]
    fn a_documented_value_reads_as_its_variant_and_back() {
        for colour in [Colour::Red, Colour::Green] {
            assert_eq!(Colour::from(colour.as_str()), colour);
        }
    }

    #[test]
    fn a_value_this_build_does_not_know_is_kept_as_sent() {
        assert_eq!(Colour::from("BLUE"), Colour::Unknown("BLUE".into()));
        assert_eq!(Colour::from("BLUE").to_string(), "BLUE");
    }

    #[test]
    fn no_value_reads_as_unknown() {
        assert_eq!(Colour::from(None), Colour::Unknown("UNKNOWN".into()));
        assert_eq!(Colour::default(), Colour::from(None));
    }

    #[test]
    fn every_known_value_is_listed_with_its_camel_name() {
        let names: Vec<&str> = Colour::KNOWN.iter().map(Colour::camel_name).collect();
        assert_eq!(names, ["Red", "Green"]);
        assert_eq!(Colour::from("BLUE").camel_name(), "Unknown");
    }

    #[test]
    fn matching_is_exact_so_case_matters() {
        assert_eq!(Colour::from("red"), Colour::Unknown("red".into()));
    }
}
