//! docs/openapi.json checked against the running server, property-based.
//!
//! For every operation of the document, proptest picks a credential (none, a garbage token, an
//! application session, the fixtures' owner or another user), path ids (existing, unknown,
//! malformed), query parameters and bodies (valid by the documented schema, mutated, or random
//! JSON and bytes). Every answer must be below 500, carry a status the document lists for the
//! operation, and have a body that validates against the documented schema (every 4xx is an
//! `ErrorBody`). The validator is a subset of JSON Schema 2020-12, enough for what schemars
//! emits: `type`, `properties`, `required`, `additionalProperties`, `items`, `enum`, `anyOf`,
//! `oneOf`, `$ref`, `minimum`, `maximum` and the object-id `pattern`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use cube_server::domain::apps::AppSettings;
use proptest::prelude::*;
use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::support::{APP, Answer, KEY, TestServer};

const DOC: &str = include_str!("../../../../docs/openapi.json");
const HEX24: &str = "^[0-9a-f]{24}$";

fn doc() -> Value {
    serde_json::from_str(DOC).expect("docs/openapi.json is JSON")
}

/// One operation of the document.
#[derive(Debug, Clone)]
struct Operation {
    path: String,
    method: String,
    op: Value,
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            out.push(Operation {
                path: path.clone(),
                method: method.to_ascii_uppercase(),
                op: op.clone(),
            });
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// A JSON Schema subset validator.

struct Validator<'d> {
    doc: &'d Value,
}

impl Validator<'_> {
    fn resolve<'s>(&'s self, schema: &'s Value) -> &'s Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r.strip_prefix("#/components/schemas/").unwrap_or(r);
                &self.doc["components"]["schemas"][name]
            }
            None => schema,
        }
    }

    /// The reasons `value` breaks `schema`, empty when it validates.
    fn check(&self, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
        if schema.get("$ref").is_some() {
            let target = self.resolve(schema);
            assert!(target.is_object(), "unresolved {schema}");
            self.check(target, value, at, errors);
            // `$ref` may sit beside other keywords (description, default): those add nothing.
        }
        if *schema == Value::Bool(false) {
            errors.push(format!("{at}: nothing is allowed here"));
            return;
        }
        if let Some(types) = schema.get("type") {
            let ok = match types {
                Value::String(t) => is_type(t, value),
                Value::Array(ts) => ts
                    .iter()
                    .filter_map(Value::as_str)
                    .any(|t| is_type(t, value)),
                _ => true,
            };
            if !ok {
                errors.push(format!("{at}: {value} is not of type {types}"));
                return;
            }
        }
        if let Some(Value::Array(options)) = schema.get("enum") {
            if !options.iter().any(|o| json_eq(o, value)) {
                errors.push(format!("{at}: {value} is not one of {options:?}"));
            }
        }
        if let (Some(min), Some(n)) = (
            schema.get("minimum").and_then(Value::as_f64),
            value.as_f64(),
        ) {
            if n < min {
                errors.push(format!("{at}: {n} < minimum {min}"));
            }
        }
        if let (Some(max), Some(n)) = (
            schema.get("maximum").and_then(Value::as_f64),
            value.as_f64(),
        ) {
            if n > max {
                errors.push(format!("{at}: {n} > maximum {max}"));
            }
        }
        if let (Some(p), Some(s)) = (
            schema.get("pattern").and_then(Value::as_str),
            value.as_str(),
        ) {
            if p == HEX24
                && !(s.len() == 24 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            {
                errors.push(format!("{at}: {s:?} does not match {p}"));
            }
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(Value::Array(branches)) = schema.get(key) {
                let passing = branches
                    .iter()
                    .filter(|b| {
                        let mut e = Vec::new();
                        self.check(b, value, at, &mut e);
                        e.is_empty()
                    })
                    .count();
                let ok = if key == "oneOf" {
                    passing == 1
                } else {
                    passing >= 1
                };
                if !ok {
                    errors.push(format!("{at}: {value} matches {passing} branches of {key}"));
                }
            }
        }
        if let Value::Object(obj) = value {
            let properties = schema.get("properties").and_then(Value::as_object);
            if let Some(Value::Array(required)) = schema.get("required") {
                for r in required.iter().filter_map(Value::as_str) {
                    if !obj.contains_key(r) {
                        errors.push(format!("{at}: missing required `{r}`"));
                    }
                }
            }
            for (k, v) in obj {
                let sub = format!("{at}.{k}");
                match properties.and_then(|p| p.get(k)) {
                    Some(s) => self.check(s, v, &sub, errors),
                    None => match schema.get("additionalProperties") {
                        Some(Value::Bool(false)) => errors.push(format!("{sub}: not allowed")),
                        Some(s @ Value::Object(_)) => self.check(s, v, &sub, errors),
                        _ => {}
                    },
                }
            }
        }
        if let (Value::Array(items), Some(s)) = (value, schema.get("items")) {
            for (i, v) in items.iter().enumerate() {
                self.check(s, v, &format!("{at}[{i}]"), errors);
            }
        }
    }
}

fn is_type(t: &str, v: &Value) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => true,
    }
}

fn json_eq(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

#[test]
fn the_validator_accepts_and_refuses_what_it_should() {
    let doc = doc();
    let v = Validator { doc: &doc };
    let error = json!({ "$ref": "#/components/schemas/ErrorBody" });
    let mut e = Vec::new();
    v.check(
        &error,
        &json!({"errors": {"base": ["Required session does not exist"]}}),
        "$",
        &mut e,
    );
    v.check(&error, &json!({"errors": ["Unauthorized"]}), "$", &mut e);
    assert!(e.is_empty(), "{e:?}");
    for bad in [
        json!({}),
        json!({"errors": "x"}),
        json!({"errors": {"base": "x"}}),
        json!("x"),
    ] {
        let mut e = Vec::new();
        v.check(&error, &bad, "$", &mut e);
        assert!(!e.is_empty(), "{bad} passed");
    }
    let dialog = json!({ "$ref": "#/components/schemas/Dialog" });
    let mut e = Vec::new();
    v.check(&dialog, &json!({"_id": "XYZ", "type": "2"}), "$", &mut e);
    assert!(e.iter().any(|m| m.contains("_id")), "{e:?}");
    assert!(e.iter().any(|m| m.contains("type")), "{e:?}");
}

// ---------------------------------------------------------------------------------------------
// Request generation: proptest picks the operation, the credential and a seed; the seed drives
// the details (which fields, valid or not), so a failure reproduces from proptest's record.

/// splitmix64: a tiny deterministic generator for the details of one case.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn hex24(&mut self) -> String {
        format!(
            "{:012x}{:012x}",
            self.next() & 0xFFFF_FFFF_FFFF,
            self.next() & 0xFFFF_FFFF_FFFF
        )
    }

    fn junk_string(&mut self) -> String {
        const PARTS: &[&str] = &[
            "",
            "a",
            "0",
            "-1",
            "99999999999999999999999",
            "null",
            "undefined",
            " ",
            "é",
            "😀",
            "<x>",
            "%",
            "&",
            "=",
            ",",
            "[",
            "]",
            "{",
            "\"",
            "\\",
            "\u{0}",
            "5f1e6a0c3d9e4a0001a1b2c3",
        ];
        (0..self.below(4)).map(|_| *self.pick(PARTS)).collect()
    }

    fn junk_json(&mut self, depth: u32) -> Value {
        match self.below(if depth == 0 { 5 } else { 7 }) {
            0 => Value::Null,
            1 => Value::Bool(self.chance(50)),
            2 => json!(*self.pick(&[0i64, 1, -1, 2, 4, 5, i64::MAX, i64::MIN])),
            3 => json!(*self.pick(&[0.5f64, -3.25, 1e300])),
            4 => Value::String(self.junk_string()),
            5 => Value::Array(
                (0..self.below(3))
                    .map(|_| self.junk_json(depth - 1))
                    .collect(),
            ),
            _ => Value::Object(
                (0..self.below(3))
                    .map(|_| (self.junk_string(), self.junk_json(depth - 1)))
                    .collect(),
            ),
        }
    }
}

/// What exists on the server for one case.
struct Fixtures {
    owner_login: String,
    app_token: String,
    owner_token: String,
    other_token: String,
    owner: i64,
    other: i64,
    group: String,
    public: String,
    message: String,
}

static LOGINS: AtomicU64 = AtomicU64::new(0);

async fn fixtures(server: &TestServer) -> Fixtures {
    let n = LOGINS.fetch_add(1, Ordering::Relaxed);
    let app_token = server.app_token().await;
    let owner_login = format!("oa-owner-{n}");
    let (owner_token, owner) = server.user(&owner_login).await;
    let (other_token, other) = server.user(&format!("oa-other-{n}")).await;
    let group = server
        .dialog(
            &owner_token,
            json!({"type": 2, "name": "g", "occupants_ids": [other]}),
        )
        .await;
    let public = server
        .dialog(&owner_token, json!({"type": 4, "name": "p"}))
        .await;
    let message = server.message(&owner_token, &group, "hello").await;
    Fixtures {
        owner_login,
        app_token,
        owner_token,
        other_token,
        owner,
        other,
        group,
        public,
        message,
    }
}

impl Fixtures {
    fn user_id(&self, rng: &mut Rng) -> Value {
        match rng.below(5) {
            0 => json!(self.owner),
            1 => json!(self.other),
            2 => json!(self.other.to_string()),
            3 => json!(0),
            _ => json!(987_654_321),
        }
    }

    fn dialog_id(&self, rng: &mut Rng) -> String {
        match rng.below(4) {
            0 | 1 => self.group.clone(),
            2 => self.public.clone(),
            _ => rng.hex24(),
        }
    }

    fn message_id(&self, rng: &mut Rng) -> String {
        if rng.chance(70) {
            self.message.clone()
        } else {
            rng.hex24()
        }
    }
}

/// Percent-encodes everything but unreserved characters and `,`.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~,".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A value the schema allows (mostly), from the fixtures where an id is wanted.
fn valid_value(
    v: &Validator<'_>,
    schema: &Value,
    name: &str,
    f: &Fixtures,
    rng: &mut Rng,
) -> Value {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return match r.rsplit('/').next() {
            Some("UserId") => f.user_id(rng),
            Some("DialogId") => json!(f.dialog_id(rng)),
            Some("Attachment") => {
                json!({"type": "image", "uid": "blob-1", "url": "https://x/y.png"})
            }
            _ => valid_value(v, v.resolve(schema), name, f, rng),
        };
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(branches)) = schema.get(key) {
            let branch = rng.pick(branches).clone();
            return valid_value(v, &branch, name, f, rng);
        }
    }
    if let Some(Value::Array(options)) = schema.get("enum") {
        return rng.pick(options).clone();
    }
    let ty = match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ => "object",
    };
    match ty {
        "string" if schema.get("pattern").and_then(Value::as_str) == Some("^[0-9]+$") => {
            json!(rng.pick(&["0", "1", "2", "10", "100"]).to_string())
        }
        "string" if name.ends_with("ids") => {
            let mut ids: Vec<String> = Vec::new();
            for _ in 0..=rng.below(2) {
                ids.push(if name.contains("dialog") {
                    f.dialog_id(rng)
                } else if name.contains("message") {
                    f.message_id(rng)
                } else {
                    f.user_id(rng).to_string().trim_matches('"').to_owned()
                });
            }
            json!(ids.join(", "))
        }
        "string" => match name {
            "login" => json!(f.owner_login),
            "password" => json!(format!("{}-pass1", f.owner_login)),
            "email" => json!(format!("{}@example.com", f.owner_login)),
            "provider" => json!(*rng.pick(&["facebook", "firebase_phone", "nope"])),
            _ => json!(*rng.pick(&["x", "Team", "hello", "alice", "image", ""])),
        },
        "integer" if name == "type" => json!(*rng.pick(&[2, 3, 4, 2, 3, 4, 1, 0, 10])),
        "integer" => json!(*rng.pick(&[1, 2, 3, 4, 0, 10, -1])),
        "boolean" => json!(rng.chance(50)),
        "array" => {
            let items = schema.get("items").cloned().unwrap_or(json!({}));
            json!(
                (0..rng.below(3))
                    .map(|_| valid_value(v, &items, name, f, rng))
                    .collect::<Vec<_>>()
            )
        }
        "object" => match name {
            "user" => {
                let n = LOGINS.fetch_add(1, Ordering::Relaxed);
                let mut u = json!({"login": format!("oa-new-{n}"), "full_name": "New User"});
                if rng.chance(50) {
                    u["password"] = json!("password1");
                    let old = if rng.chance(70) {
                        format!("{}-pass1", f.owner_login)
                    } else {
                        "wrong-pass".to_owned()
                    };
                    u["old_password"] = json!(old);
                }
                u
            }
            "push_all" | "pull_all" => {
                let key = *rng.pick(&["occupants_ids", "admins_ids", "pinned_messages_ids"]);
                let id = if key == "pinned_messages_ids" {
                    json!(f.message)
                } else {
                    f.user_id(rng)
                };
                json!({ key: [id] })
            }
            "permissions" => json!({"allow_preview": rng.chance(50)}),
            "extensions" => json!({"k": "v"}),
            "keys" => json!({"token": "t"}),
            "firebase_phone" | "firebase_email" => {
                json!({"project_id": "p", "access_token": "a.b.c"})
            }
            _ => json!({}),
        },
        _ => Value::Null,
    }
}

/// One generated request.
#[derive(Debug)]
struct Generated {
    method: Method,
    path: String,
    token: Option<String>,
    content_type: Option<&'static str>,
    body: Vec<u8>,
}

const FILTERS: &[&str] = &[
    "name[ctn]=Te",
    "type[in]=2,3",
    "type[in]=2%2C3",
    "updated_at[gt]=1",
    "sort_desc=created_at",
    "sort_asc=_id",
    "date_sent[lt]=abc",
    "_id[nin]=x",
    "login=alice",
    "id[in][]=5",
    "limit=-1",
    "skip=abc",
    "count=1",
    "x[y][z]=1",
    "%ZZ=1",
    "created_at[gt]=1700000000",
    "limit=1000000",
    "offset=3",
    "sort_desc=nope",
    "id[all]=1,2",
    "a[]=1&a[]=2",
    "occupants_ids[all]=1",
];

/// How often a generated part is junk rather than valid, in percent: a clean request has none.
fn junk_rate(clean: bool, percent: u64) -> u64 {
    if clean { 0 } else { percent }
}

fn generate(
    op: &Operation,
    credential: u8,
    clean: bool,
    f: &Fixtures,
    v: &Validator<'_>,
    rng: &mut Rng,
) -> Generated {
    let token = match credential {
        0 => None,
        1 => Some("0123456789abcdef-not-a-token".to_owned()),
        2 => Some(f.app_token.clone()),
        3 | 4 => Some(f.owner_token.clone()),
        _ => Some(f.other_token.clone()),
    };
    let params: Vec<Value> = op.op["parameters"].as_array().cloned().unwrap_or_default();

    // The path, its `{param}`s filled.
    let mut path = String::new();
    for segment in op.path.split('/').skip(1) {
        path.push('/');
        if segment.starts_with('{') {
            // Never empty: `/users/` is another route (`POST /users`), not a bad id.
            let value = if rng.chance(junk_rate(clean, 15)) {
                Some(rng.junk_string())
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "x".to_owned())
            } else if op.path.starts_with("/users") {
                f.user_id(rng).to_string().trim_matches('"').to_owned()
            } else if op.path.starts_with("/chat/Message") {
                let mut ids = vec![f.message_id(rng)];
                if rng.chance(25) {
                    ids.push(rng.hex24());
                }
                ids.join(",")
            } else {
                let mut ids = vec![f.dialog_id(rng)];
                if op.method == "DELETE" && rng.chance(25) {
                    ids.push(f.dialog_id(rng));
                }
                ids.join(",")
            };
            path.push_str(&encode(&value));
        } else {
            path.push_str(segment);
        }
    }
    if rng.chance(60) {
        path.push_str(".json");
    }

    // The query string.
    let mut pairs: Vec<String> = Vec::new();
    for p in params.iter().filter(|p| p["in"] == "query") {
        let name = p["name"].as_str().unwrap_or_default();
        if p["required"] == true && rng.chance(90) || rng.chance(50) {
            let value = if rng.chance(junk_rate(clean, 15)) {
                rng.junk_string()
            } else {
                match valid_value(v, &p["schema"], name, f, rng) {
                    Value::String(s) => s,
                    other => other.to_string(),
                }
            };
            pairs.push(format!("{}={}", encode(name), encode(&value)));
        }
    }
    if op.op["description"]
        .as_str()
        .is_some_and(|d| d.contains("Query filters"))
    {
        for _ in 0..rng.below(if clean { 0 } else { 3 }) {
            pairs.push((*rng.pick(FILTERS)).to_owned());
        }
    }
    if op.method == "GET" && rng.chance(junk_rate(clean, 10)) {
        pairs.push(format!(
            "{}={}",
            encode(&rng.junk_string()),
            encode(&rng.junk_string())
        ));
    }
    if !pairs.is_empty() {
        path.push('?');
        path.push_str(&pairs.join("&"));
    }

    // The body.
    let content = op.op["requestBody"]["content"].as_object();
    let (content_type, body) = match content.and_then(|c| c.iter().next()) {
        Some((ct, media)) if clean || rng.chance(85) => {
            let schema = &media["schema"];
            let mut obj = Map::new();
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if let Some(props) = schema["properties"].as_object() {
                for (name, s) in props {
                    let wanted = if required.contains(&name.as_str()) {
                        rng.chance(92)
                    } else {
                        rng.chance(45)
                    };
                    if wanted {
                        let value = if rng.chance(100 - junk_rate(clean, 15)) {
                            valid_value(v, s, name, f, rng)
                        } else {
                            rng.junk_json(2)
                        };
                        obj.insert(name.clone(), value);
                    }
                }
            }
            if rng.chance(junk_rate(clean, 15)) {
                obj.insert(rng.junk_string(), rng.junk_json(2));
            }
            if ct.starts_with("application/json") {
                let mut body = Value::Object(obj);
                // Session creation needs the application's real credentials to get anywhere.
                if op.path == "/session" && (clean || rng.chance(80)) {
                    body["application_id"] = json!(APP);
                    body["auth_key"] = json!(KEY);
                }
                (Some("application/json"), body.to_string().into_bytes())
            } else {
                let form: Vec<String> = obj
                    .iter()
                    .map(|(k, v)| {
                        let v = match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        format!("{}={}", encode(k), encode(&v))
                    })
                    .collect();
                (
                    Some("application/x-www-form-urlencoded; charset=UTF-8"),
                    form.join("&").into_bytes(),
                )
            }
        }
        _ => match rng.below(5) {
            0 => (
                Some("application/json"),
                rng.junk_json(3).to_string().into_bytes(),
            ),
            1 => (Some("application/json"), b"{\"unterminated\": ".to_vec()),
            2 => (
                Some("application/x-www-form-urlencoded"),
                b"a=%ZZ&b[=1&force=2".to_vec(),
            ),
            3 => (None, vec![0xff, 0xfe, b'{']),
            _ => (None, Vec::new()),
        },
    };
    Generated {
        method: Method::from_bytes(op.method.as_bytes()).expect("method"),
        path,
        token,
        content_type,
        body,
    }
}

/// Checks one answer against the operation's documented responses.
fn check_answer(
    op: &Operation,
    v: &Validator<'_>,
    req: &Generated,
    answer: &Answer,
) -> Result<(), String> {
    let (status, body) = (answer.status, &answer.body);
    let context = || {
        format!(
            "{} {} ({:?} token): {status} {body}",
            req.method,
            req.path,
            req.token.as_deref().map(|t| &t[..4.min(t.len())])
        )
    };
    if status >= 500 {
        return Err(format!("server error: {}", context()));
    }
    let responses = &op.op["responses"];
    let Some(response) = responses
        .get(status.to_string())
        .or_else(|| responses.get(format!("{}XX", status / 100)))
    else {
        return Err(format!(
            "status {status} is not documented for {} {}: {}",
            op.method,
            op.path,
            context()
        ));
    };
    let schema = &response["content"]["application/json"]["schema"];
    if schema.is_null() {
        if !body.is_null() {
            return Err(format!("documented as empty, got a body: {}", context()));
        }
        return Ok(());
    }
    if body.is_null() && response["x-may-be-empty"] == true {
        return Ok(());
    }
    let content_type = answer
        .headers
        .get("content-type")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("application/json") {
        return Err(format!(
            "JSON answer sent as {content_type:?}: {}",
            context()
        ));
    }
    let mut errors = Vec::new();
    v.check(schema, body, "$", &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("{}\n  {}", context(), errors.join("\n  ")))
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_answer_is_documented_and_validates(
        picks in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..6, any::<bool>(), any::<u64>()), 4)
    ) {
        let doc = doc();
        let ops = operations(&doc);
        let v = Validator { doc: &doc };
        let rt = runtime();
        let outcome: Result<(), String> = rt.block_on(async {
            let server = server().await;
            let f = fixtures(server).await;
            for (index, credential, clean, seed) in &picks {
                let op = index.get(&ops);
                let mut rng = Rng(*seed);
                let req = generate(op, *credential, *clean, &f, &v, &mut rng);
                let answer = server
                    .raw(req.method.clone(), &req.path, req.token.as_deref(), req.content_type, req.body.clone())
                    .await;
                check_answer(op, &v, &req, &answer)?;
            }
            Ok(())
        });
        prop_assert!(outcome.is_ok(), "{}", outcome.unwrap_err());
    }
}

/// One runtime and one server for every case: fixtures are made fresh per case.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
    })
}

async fn server() -> &'static TestServer {
    static SERVER: tokio::sync::OnceCell<TestServer> = tokio::sync::OnceCell::const_new();
    SERVER.get_or_init(TestServer::start).await
}

#[test]
fn the_generator_reaches_a_success_of_every_operation() {
    // Without this, the property above could pass on 401s alone.
    let doc = doc();
    let v = Validator { doc: &doc };
    runtime().block_on(async {
        let server = server().await;
        for op in operations(&doc) {
            let f = fixtures(server).await;
            let mut reached = None;
            for seed in 0..300u64 {
                let mut rng = Rng(seed);
                let req = generate(&op, 3, true, &f, &v, &mut rng);
                let a = server
                    .raw(
                        req.method.clone(),
                        &req.path,
                        req.token.as_deref(),
                        req.content_type,
                        req.body.clone(),
                    )
                    .await;
                if let Err(e) = check_answer(&op, &v, &req, &a) {
                    panic!("{e}");
                }
                if (200..300).contains(&a.status) {
                    reached = Some(seed);
                    break;
                }
            }
            assert!(
                reached.is_some(),
                "no clean request of {} {} succeeded",
                op.method,
                op.path
            );
        }
    });
}

#[test]
fn answers_under_application_settings_are_documented_too() {
    let doc = doc();
    let v = Validator { doc: &doc };
    let ops = operations(&doc);
    let op = |method: &str, path: &str| {
        ops.iter()
            .find(|o| o.method == method && o.path == path)
            .cloned()
            .expect("documented")
    };
    let (get_session, create_session) = (op("GET", "/session"), op("POST", "/session"));
    runtime().block_on(async {
        let server = TestServer::with_config(|c| {
            c.with_app_settings(
                APP,
                AppSettings {
                    rate_limit_per_minute: Some(3),
                    ..AppSettings::default()
                },
            )
        })
        .await;
        let token = server.app_token().await;
        let mut limited = Vec::new();
        for _ in 0..5 {
            let a = server
                .raw(Method::GET, "/session.json", Some(&token), None, Vec::new())
                .await;
            let req = Generated {
                method: Method::GET,
                path: "/session.json".into(),
                token: Some(token.clone()),
                content_type: None,
                body: Vec::new(),
            };
            if let Err(e) = check_answer(&get_session, &v, &req, &a) {
                panic!("{e}");
            }
            limited.push(a.status);
        }
        assert_eq!(limited.last(), Some(&429), "{limited:?}");
        let body = json!({"application_id": APP, "auth_key": KEY});
        for _ in 0..4 {
            let a = server
                .json(Method::POST, "/session.json", None, &body)
                .await;
            let req = Generated {
                method: Method::POST,
                path: "/session.json".into(),
                token: None,
                content_type: Some("application/json"),
                body: body.to_string().into_bytes(),
            };
            if let Err(e) = check_answer(&create_session, &v, &req, &a) {
                panic!("{e}");
            }
            limited.push(a.status);
        }
        assert_eq!(limited.last(), Some(&429), "{limited:?}");

        let server = TestServer::with_config(|c| {
            c.with_app_settings(
                APP,
                AppSettings {
                    users_listing: false,
                    ..AppSettings::default()
                },
            )
        })
        .await;
        let token = server.app_token().await;
        let a = server
            .raw(
                Method::GET,
                "/users/v2.json",
                Some(&token),
                None,
                Vec::new(),
            )
            .await;
        let req = Generated {
            method: Method::GET,
            path: "/users/v2.json".into(),
            token: Some(token),
            content_type: None,
            body: Vec::new(),
        };
        assert_eq!(a.status, 403, "{}", a.body);
        if let Err(e) = check_answer(&op("GET", "/users/v2"), &v, &req, &a) {
            panic!("{e}");
        }
    });
}
