//! Error shapes: what the client makes of refusals, and what the server answers for bad requests.

use cube_model::ErrorBody;
use cube_rest::EndpointResponse;
use cube_rest::{ApiError, FromHttpRequestError, FromHttpResponseError, chat, parse_request};
use http::StatusCode;

use crate::support::server_request;

fn refusal(status: u16, body: &str) -> ApiError {
    let resp = http::Response::builder()
        .status(status)
        .body(body.as_bytes().to_vec())
        .expect("response");
    match chat::get_notifications::Response::try_from_http_response(&resp) {
        Err(FromHttpResponseError::Api(e)) => e,
        other => panic!("{other:?}"),
    }
}

#[test]
fn api_errors_keep_every_body_shape() {
    let e = refusal(
        401,
        r#"{"errors":{"base":["Required session does not exist"]}}"#,
    );
    assert!(e.is_session_expired());
    assert_eq!(
        e.to_string(),
        "server answered 401 Unauthorized: Required session does not exist"
    );

    let e = refusal(401, r#"{"errors":["Unauthorized"]}"#);
    assert!(!e.is_session_expired());
    assert_eq!(e.body, ErrorBody::List(vec!["Unauthorized".into()]));

    let e = refusal(
        403,
        r#"{"errors":{"base":["Required session does not exist"]}}"#,
    );
    assert!(
        !e.is_session_expired(),
        "only a 401 means an expired session"
    );

    let e = refusal(422, r#"{"errors":{"login":["has already been taken"]}}"#);
    assert_eq!(e.messages(), ["login has already been taken"]);

    let e = refusal(502, "<html>bad gateway</html>");
    assert_eq!(e.status, StatusCode::BAD_GATEWAY);
    assert_eq!(e.body, ErrorBody::Raw("<html>bad gateway</html>".into()));
    assert_eq!(
        e.to_string(),
        "server answered 502 Bad Gateway: <html>bad gateway</html>"
    );

    let e = refusal(500, "");
    assert_eq!(e.to_string(), "server answered 500 Internal Server Error");
}

#[test]
fn json_endpoints_refuse_empty_success_bodies() {
    let resp = http::Response::builder()
        .status(200)
        .body(Vec::new())
        .expect("response");
    assert!(matches!(
        chat::get_notifications::Response::try_from_http_response(&resp),
        Err(FromHttpResponseError::Deserialization { .. })
    ));
    // Text endpoints take any 2xx body, JSON or not.
    let resp = http::Response::builder()
        .status(200)
        .body(b"\"ok\"".to_vec())
        .expect("response");
    assert!(chat::update_messages::Response::try_from_http_response(&resp).is_ok());
    let resp = http::Response::builder()
        .status(202)
        .body(b"whatever".to_vec())
        .expect("response");
    assert_eq!(
        chat::delete_messages::Response::try_from_http_response(&resp)
            .expect("text")
            .result,
        None
    );
}

fn answer(method: &str, uri: &str, ct: Option<&str>, body: &str) -> (StatusCode, String) {
    let headers: Vec<(&str, &str)> = ct.map(|c| ("content-type", c)).into_iter().collect();
    let e = parse_request(&server_request(method, uri, &headers, body.as_bytes()))
        .expect_err("refused");
    let (status, body) = e.error_response();
    assert_eq!(status, e.status());
    (status, String::from_utf8(body.to_bytes()).expect("utf-8"))
}

#[test]
fn server_answers_for_bad_requests() {
    let json = Some("application/json");
    assert_eq!(
        answer("GET", "/nope.json", None, "").0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        answer("PATCH", "/chat/Dialog", None, "").0,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(
        answer("GET", "/users/abc.json", None, ""),
        (
            StatusCode::NOT_FOUND,
            r#"{"errors":{"base":["Not found"]}}"#.to_owned()
        )
    );
    assert_eq!(
        answer("POST", "/chat/Dialog.json", json, "{").0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        answer("POST", "/chat/Dialog.json", json, "[]").0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        answer("POST", "/chat/Dialog.json", json, "{}"),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            r#"{"errors":{"type":["is required"]}}"#.to_owned()
        )
    );
    assert_eq!(
        answer(
            "POST",
            "/chat/Dialog.json",
            json,
            r#"{"type":2,"occupants_ids":{"a":1}}"#
        ),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            r#"{"errors":{"occupants_ids":["must be a list"]}}"#.to_owned()
        )
    );
    assert_eq!(
        answer("POST", "/users.json", json, r#"{"user":"bob"}"#),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            r#"{"errors":{"user":["must be an object"]}}"#.to_owned()
        )
    );
    assert_eq!(
        answer(
            "PUT",
            "/chat/Dialog/5f1e6a0c3d9e4a0001a1b2c3.json",
            json,
            r#"{"push_all":{"occupants_ids":["x"]}}"#
        ),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            r#"{"errors":{"push_all.occupants_ids":["must be a list of user ids"]}}"#.to_owned()
        )
    );
    assert_eq!(
        answer(
            "POST",
            "/chat/Message.json",
            json,
            r#"{"chat_dialog_id":"zz","message":"x"}"#
        )
        .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        answer("GET", "/chat/Dialog.json?limit=ten", None, "").0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        answer("GET", "/chat/Dialog.json?name[like]=x", None, "").0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        answer("GET", "/chat/Dialog.json?a=%FF", None, "").0,
        StatusCode::BAD_REQUEST
    );
}

#[test]
fn limits_are_typed_errors() {
    let many: Vec<String> = (0..1001).map(|i| i.to_string()).collect();
    let body = format!(r#"{{"type":2,"occupants_ids":[{}]}}"#, many.join(","));
    let e = parse_request(&server_request(
        "POST",
        "/chat/Dialog.json",
        &[],
        body.as_bytes(),
    ))
    .expect_err("too many");
    assert!(
        matches!(e, FromHttpRequestError::TooManyItems { max: 1000, .. }),
        "{e:?}"
    );
    assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let body = format!(r#"{{"type":2,"occupants_ids":"{}"}}"#, many.join(", "));
    let e = parse_request(&server_request(
        "POST",
        "/chat/Dialog.json",
        &[],
        body.as_bytes(),
    ))
    .expect_err("too many");
    assert!(
        matches!(e, FromHttpRequestError::TooManyItems { .. }),
        "{e:?}"
    );

    let ids: Vec<String> = (0..1001).map(|i| format!("{i:024x}")).collect();
    let path = format!("/chat/Message/{}.json", ids.join(","));
    let e = parse_request(&server_request("DELETE", &path, &[], b"")).expect_err("too many");
    assert!(
        matches!(e, FromHttpRequestError::TooManyItems { .. }),
        "{e:?}"
    );

    let query: Vec<String> = (0..5000).map(|i| format!("k{i}=v")).collect();
    let uri = format!("/chat/Dialog.json?{}", query.join("&"));
    let e = parse_request(&server_request("GET", &uri, &[], b"")).expect_err("too many pairs");
    assert_eq!(e.status(), StatusCode::BAD_REQUEST);

    let big = vec![b' '; cube_rest::MAX_BODY_BYTES + 1];
    let e = parse_request(&server_request("POST", "/chat/Dialog.json", &[], &big))
        .expect_err("too large");
    assert_eq!(e.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[test]
fn form_bodies_and_delete_parameters_are_read_everywhere() {
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let r = parse_request(&server_request(
        "POST",
        "/chat/Dialog",
        &form,
        b"occupants_ids=1783453&type=3",
    ))
    .expect("form");
    let cube_rest::AnyRequest::CreateDialog(r) = r else {
        panic!("{r:?}")
    };
    assert_eq!(r.occupants_ids, [cube_model::UserId(1_783_453)]);

    let r = parse_request(&server_request(
        "POST",
        "/chat/Message",
        &form,
        b"chat_dialog_id=5f1e6a0c3d9e4a0001a1b2c3&message=hi+there&attachments[0][type]=image&attachments[0][uid]=u1&send_to_chat=1&color=red",
    ))
    .expect("form message");
    let cube_rest::AnyRequest::CreateMessage(r) = r else {
        panic!("{r:?}")
    };
    assert_eq!(r.message.as_deref(), Some("hi there"));
    assert_eq!(r.attachments[0].uid.as_deref(), Some("u1"));
    assert!(r.send_to_chat);
    assert_eq!(r.custom.get("color"), Some(&serde_json::Value::from("red")));

    for (uri, body) in [
        ("/chat/Dialog/5f1e6a0c3d9e4a0001a1b2c3.json?force=1", ""),
        ("/chat/Dialog/5f1e6a0c3d9e4a0001a1b2c3.json", "force=1"),
    ] {
        let r =
            parse_request(&server_request("DELETE", uri, &form, body.as_bytes())).expect("delete");
        let cube_rest::AnyRequest::DeleteDialog(r) = r else {
            panic!("{r:?}")
        };
        assert!(r.force, "{uri} {body}");
    }

    let r = parse_request(&server_request(
        "POST",
        "/session",
        &form,
        b"application_id=385&auth_key=k&user[login]=a&user[password]=p&nonce=1&timestamp=2&signature=ab",
    ))
    .expect("form session");
    let cube_rest::AnyRequest::CreateSession(r) = r else {
        panic!("{r:?}")
    };
    assert_eq!(
        r.credentials,
        cube_auth::SessionCredentials::login("a", "p")
    );
    assert_eq!(r.signed.as_ref().map(|s| s.nonce), Some(1));
    assert_eq!(r.raw_params["user"]["login"], "a");
}

#[test]
fn refusals_become_whole_http_answers() {
    let e =
        parse_request(&server_request("PATCH", "/chat/Dialog.json", &[], b"")).expect_err("405");
    let resp = e.to_http_response();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(resp.headers()["allow"], "POST, GET");
    assert_eq!(
        resp.headers()["content-type"],
        "application/json; charset=utf-8"
    );

    let resp =
        cube_rest::error_http_response(StatusCode::UNAUTHORIZED, &ErrorBody::session_not_found());
    let back = chat::get_notifications::Response::try_from_http_response(&resp).expect_err("401");
    assert!(back.api_error().is_some_and(ApiError::is_session_expired));
}
