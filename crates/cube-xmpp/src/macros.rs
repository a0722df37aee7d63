//! Helper macros for the many small wire enums.

/// Declares an enum whose variants map to fixed wire strings, with an `Other(String)` variant
/// so that an unknown value never breaks decoding.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this crate does not know, kept verbatim.
            Other(String),
        }

        impl $name {
            /// The wire string.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )*
                    Self::Other(s) => s.as_str(),
                }
            }

            /// The wire string as an element or attribute name (borrowed when known).
            pub fn to_name(&self) -> std::borrow::Cow<'static, str> {
                match self {
                    $( Self::$variant => std::borrow::Cow::Borrowed($text), )*
                    Self::Other(s) => std::borrow::Cow::Owned(s.clone()),
                }
            }

            /// Maps a wire string to a value (unknown strings become `Other`).
            pub fn from_wire(s: &str) -> Self {
                match s {
                    $( $text => Self::$variant, )*
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::from_wire(s))
            }
        }
    };
}

pub(crate) use wire_enum;
