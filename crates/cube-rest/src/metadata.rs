//! What every endpoint declares once: its name, method, path template and the auth it needs.

use http::Method;

/// Which credentials an endpoint needs; the server checks them, the client supplies them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthKind {
    /// No credentials (session creation carries its own in the body).
    None,
    /// Sign-up: a `CB-AuthKey` header when there is no session, or any valid `CB-Token`.
    AuthKeyOrSession,
    /// Any valid session token, with or without a user.
    AppSession,
    /// A token of a session that has a user (otherwise 403 "Forbidden. Need user.").
    UserSession,
}

/// The static description of one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// The endpoint's module name, e.g. `create_dialog`.
    pub name: &'static str,
    /// The HTTP method.
    pub method: Method,
    /// The path template without the `.json` suffix, e.g. `/chat/Dialog/{id}/admins`.
    pub path: &'static str,
    /// The credentials the endpoint needs.
    pub auth: AuthKind,
    /// True when the official SDK reads the answer as text (wire.md §2.5): any 2xx body is success.
    pub text_response: bool,
}

impl Metadata {
    /// The names of the template's `{param}` segments, in order.
    pub fn path_params(&self) -> impl Iterator<Item = &'static str> {
        self.path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
    }

    /// Fills the template's `{param}` segments with `args` (already path-safe) and adds `.json`.
    pub(crate) fn fill_path(&self, args: &[&str]) -> String {
        let mut out = String::with_capacity(self.path.len() + 16);
        let mut args = args.iter();
        for seg in self.path.split('/').skip(1) {
            out.push('/');
            if seg.starts_with('{') {
                out.push_str(args.next().copied().unwrap_or_default());
            } else {
                out.push_str(seg);
            }
        }
        out.push_str(".json");
        out
    }

    /// Matches a request path (already stripped of `.json`) against the template.
    ///
    /// Returns the percent-decoded `{param}` values and the number of literal segments that
    /// matched (more literals is a more specific route: `/users/v2` beats `/users/{id}`).
    pub(crate) fn match_path(&self, path: &str) -> Option<(Vec<String>, usize)> {
        let mut want = self.path.split('/').skip(1);
        let mut got = path.split('/').skip(1);
        let mut args = Vec::new();
        let mut literals = 0;
        loop {
            match (want.next(), got.next()) {
                (None, None) => return Some((args, literals)),
                (Some(w), Some(g)) if w.starts_with('{') => {
                    if g.is_empty() {
                        return None;
                    }
                    let decoded = percent_encoding::percent_decode_str(g).decode_utf8().ok()?;
                    args.push(decoded.into_owned());
                }
                (Some(w), Some(g)) if w == g => literals += 1,
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: Metadata = Metadata {
        name: "update_admins",
        method: Method::PUT,
        path: "/chat/Dialog/{id}/admins",
        auth: AuthKind::UserSession,
        text_response: false,
    };

    #[test]
    fn fills_and_matches_templates() {
        assert_eq!(M.fill_path(&["abc"]), "/chat/Dialog/abc/admins.json");
        assert_eq!(
            M.match_path("/chat/Dialog/a%2Cb/admins"),
            Some((vec!["a,b".to_owned()], 3))
        );
        assert_eq!(M.match_path("/chat/Dialog//admins"), None);
        assert_eq!(M.match_path("/chat/Dialog/x"), None);
        assert_eq!(M.path_params().collect::<Vec<_>>(), ["id"]);
    }
}
