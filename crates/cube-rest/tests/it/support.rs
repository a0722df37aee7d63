//! Helpers shared by the test modules.

use cube_rest::AnyRequest;

/// Clears what only the server side fills (the raw session parameters), so that a request
/// parsed by the server compares equal to the one the client built.
pub fn normalize(req: AnyRequest) -> AnyRequest {
    match req {
        AnyRequest::CreateSession(mut r) => {
            r.raw_params.clear();
            AnyRequest::CreateSession(r)
        }
        other => other,
    }
}

/// An `http::Request` as a server receives it (origin-form URI).
pub fn server_request(
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> http::Request<Vec<u8>> {
    let mut b = http::Request::builder().method(method).uri(path_and_query);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(body.to_vec()).expect("valid test request")
}
