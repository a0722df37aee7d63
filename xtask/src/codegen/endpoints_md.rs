//! `docs/endpoints.md`: the table of every REST endpoint, then one section per endpoint.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use cube_rest::fields::{Field, FieldType, Location};

use super::api::{Api, EndpointDoc, auth_label, error_statuses};

/// Generates `docs/endpoints.md`.
pub fn generate(root: &Path) -> Result<String> {
    let api = Api::load(root)?;
    let mut out = String::new();
    out.push_str(super::MARKDOWN_HEADER);
    out.push_str(INTRO);
    out.push_str("\n## All endpoints\n\n");
    out.push_str("| method | path | auth | request fields | success | roles |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for e in &api.endpoints {
        let _ = writeln!(
            out,
            "| `{}` | [`{}`](#{}) | {} | {} | {} | {} |",
            e.meta.method,
            e.meta.path,
            e.meta.name,
            auth_label(e.meta.auth),
            fields_cell(e.fields),
            success_cell(e),
            roles_cell(e),
        );
    }
    for e in &api.endpoints {
        section(&mut out, e);
    }
    Ok(out)
}

const INTRO: &str = "\
# REST endpoints

Every endpoint that cube-rest declares and cube-server serves, generated from cube-rest's endpoint
table (`cube_rest::EndpointKind::ALL`, each endpoint's `Metadata` and `cube_rest::fields`) and
cube-model's types. The same API as a machine-readable document: [`openapi.json`](openapi.json).

- **Paths** take an optional `.json` suffix (`/chat/Dialog.json` and `/chat/Dialog` are the same
  endpoint), as the official SDKs always send it.
- **Auth**: *none*; *session*: a `CB-Token` header with any valid session token (application or
  user); *user session*: a token of a session that has a user (otherwise 403 `Forbidden. Need
  user.`); *`CB-AuthKey` or session*: sign-up also works without a session, with the
  application's auth key in `CB-AuthKey`.
- **Where fields travel**: `path` (a `{param}` segment), `query`, `json` (a key of the JSON body
  of `POST`/`PUT`) or `form` (the form-encoded body of `DELETE`, as the SDK sends `force=1`). The
  location is where the official SDK and cube-client put a field; the server reads the query
  string and the body alike (body values win). A `*` after a name marks a
  required field; a field named `*` stands for any other key.
- **Lists of ids** are accepted as JSON arrays, `\"1,2\"` and `\"1, 2\"`.
- **Errors** are JSON: `{\"errors\":{\"base\":[\"...\"]}}`, `{\"errors\":{\"field\":[\"...\"]}}` or
  `{\"errors\":[\"...\"]}` (schema `ErrorBody`). An unknown or expired token is always
  401 `{\"errors\":{\"base\":[\"Required session does not exist\"]}}`.
- **Roles** name the rows of the roles table (`cube_model::roles::Action`, protocol/roles.md) that
  decide, per dialog type and role, whether the call is allowed; a refusal is a 403.
";

fn location_order(l: Location) -> u8 {
    match l {
        Location::Path => 0,
        Location::Query => 1,
        Location::JsonBody => 2,
        Location::FormBody => 3,
        _ => 4,
    }
}

fn fields_cell(fields: &[Field]) -> String {
    if fields.is_empty() {
        return "none".to_owned();
    }
    let mut locations: Vec<Location> = fields.iter().map(|f| f.location).collect();
    locations.sort_by_key(|l| location_order(*l));
    locations.dedup();
    locations
        .iter()
        .map(|l| {
            let names: Vec<String> = fields
                .iter()
                .filter(|f| f.location == *l)
                .map(|f| format!("`{}`{}", f.name, if f.required { "\\*" } else { "" }))
                .collect();
            format!("{}: {}", l.as_str(), names.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn success_cell(e: &EndpointDoc) -> String {
    match (&e.ok.body, e.ok.may_be_empty) {
        (None, _) => format!("`{}` empty", e.ok.status),
        (Some((name, _)), false) => format!("`{}` `{}`", e.ok.status, escape(name)),
        (Some((name, _)), true) => {
            format!(
                "`{}` empty, or `{}` for several ids",
                e.ok.status,
                escape(name)
            )
        }
    }
}

fn roles_cell(e: &EndpointDoc) -> String {
    if e.roles.is_empty() {
        return String::new();
    }
    e.roles
        .iter()
        .map(|a| format!("`{a:?}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn type_label(ty: FieldType) -> &'static str {
    match ty {
        FieldType::String => "string",
        FieldType::Integer => "integer",
        FieldType::Flag => "`1` or `0`",
        FieldType::UserId => "user id",
        FieldType::DialogId => "dialog id",
        FieldType::UserIds => "user ids",
        FieldType::DialogIds => "dialog ids",
        FieldType::MessageIds => "message ids",
        FieldType::Object => "object",
        FieldType::Attachments => "array of attachments",
        FieldType::Filters => "filters",
        _ => "see source",
    }
}

/// Markdown tables split cells on `|`.
fn escape(s: &str) -> String {
    s.replace('|', "\\|")
}

fn section(out: &mut String, e: &EndpointDoc) {
    let _ = write!(
        out,
        "\n## {name}\n\n`{method} {path}`: {summary}\n\n- auth: {auth}\n- success: {ok}\n",
        name = e.meta.name,
        method = e.meta.method,
        path = e.meta.path,
        summary = e.summary,
        auth = auth_label(e.meta.auth),
        ok = success_cell(e),
    );
    if !e.roles.is_empty() {
        let _ = writeln!(out, "- roles: {}", roles_cell(e));
    }
    let errors: Vec<String> = error_statuses(e)
        .iter()
        .map(|(s, _)| s.to_string())
        .collect();
    let _ = writeln!(out, "- errors (`ErrorBody`): {}", errors.join(", "));
    if e.fields.is_empty() {
        out.push_str("\nNo request fields.\n");
        return;
    }
    out.push_str("\n| field | in | required | type | description |\n|---|---|---|---|---|\n");
    for f in e.fields {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            f.name,
            f.location.as_str(),
            if f.required { "yes" } else { "no" },
            type_label(f.ty),
            escape(f.description),
        );
    }
}
