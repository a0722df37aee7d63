//! Secret-bearing strings whose `Debug` never shows the value.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Defines a string newtype whose `Debug` prints `***`.
macro_rules! redacted_string {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            #[doc = concat!("Wraps a value as a `", stringify!($name), "`.")]
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The value itself, for the wire or for signing; never log it.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "(***)"))
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }
    };
}

redacted_string!(
    /// An application's authorization key (`auth_key`), sent with every session request.
    AuthKey
);
redacted_string!(
    /// An application's authorization secret (`authSecret`), the HMAC key of session signatures.
    AuthSecret
);
redacted_string!(
    /// A user's password.
    Password
);
redacted_string!(
    /// An opaque token: a session token, or an identity provider's access token or secret.
    Token
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        assert_eq!(
            format!("{:?}", AuthSecret::new("Kz8dsH")),
            "AuthSecret(***)"
        );
        assert_eq!(format!("{:?}", Password::from("hunter2")), "Password(***)");
        assert_eq!(format!("{:?}", Token::from("tok".to_owned())), "Token(***)");
        assert_eq!(format!("{:?}", AuthKey::new("key")), "AuthKey(***)");
        assert!(!format!("{:#?}", Some(Password::new("hunter2"))).contains("hunter2"));
    }

    #[test]
    fn serializes_as_the_plain_string() {
        let json = serde_json::to_string(&Password::new("p&ss")).unwrap();
        assert_eq!(json, r#""p&ss""#);
        let back: Password = serde_json::from_str(&json).unwrap();
        assert_eq!(back.expose(), "p&ss");
    }
}
