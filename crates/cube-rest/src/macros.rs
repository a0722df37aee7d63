//! Response types that many endpoints share in shape: a bare JSON object, or an empty text body.

/// Declares `Response { <field>: <Type> }` answered as the bare JSON of the field with `status`.
macro_rules! json_response {
    ($(#[$doc:meta])* $field:ident: $ty:ty, $status:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub struct Response {
            #[doc = concat!("The `", stringify!($field), "` the server answered with.")]
            pub $field: $ty,
        }

        impl Response {
            #[doc = concat!("A response with `", stringify!($field), "`.")]
            pub fn new($field: $ty) -> Self {
                Response { $field }
            }
        }

        impl $crate::EndpointResponse for Response {
            fn try_into_http_response(
                &self,
            ) -> Result<http::Response<Vec<u8>>, $crate::IntoHttpError> {
                $crate::codec::json_response($status, &self.$field)
            }

            fn try_from_http_response<B: AsRef<[u8]>>(
                resp: &http::Response<B>,
            ) -> Result<Self, $crate::FromHttpResponseError> {
                $crate::codec::decode_json(resp).map(Response::new)
            }
        }
    };
}

/// Declares the empty `Response` of a text endpoint: `200` and no body; any 2xx is success.
macro_rules! empty_response {
    () => {
        /// A text endpoint: `200` with an empty body; any 2xx body is success.
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        #[non_exhaustive]
        pub struct Response {}

        impl Response {
            /// The response.
            pub fn new() -> Self {
                Response {}
            }
        }

        impl $crate::EndpointResponse for Response {
            fn try_into_http_response(
                &self,
            ) -> Result<http::Response<Vec<u8>>, $crate::IntoHttpError> {
                $crate::codec::empty_response()
            }

            fn try_from_http_response<B: AsRef<[u8]>>(
                resp: &http::Response<B>,
            ) -> Result<Self, $crate::FromHttpResponseError> {
                $crate::codec::check_status(resp).map(|()| Response {})
            }
        }
    };
}
