//! The operation catalogue: the one list of the API's operations.
//!
//! Each operation is one [`Operation`] row of [`OPERATIONS`] (its id, method, path template,
//! success status, request and response component schemas, and the error statuses it can
//! answer) plus the `#[utoipa::path]` function that holds its documentation. Everything else
//! derives from the rows: the spec's `paths` are assembled from them
//! ([`crate::openapi_document`]), the sandbox routes and names operations by them, and the
//! tests check that every row is routed by the sandbox, exercised by the contract suite's
//! `run` and covered by the client tests.
//!
//! Adding an operation: a variant of [`OperationId`], a documented `#[utoipa::path]` function
//! below, and a row of [`OPERATIONS`] that names it.

use std::fmt;

use utoipa::openapi::path::HttpMethod;

use crate::users::{CreateUserRequest, ListUsersQuery, UpdateUserRequest, User, UserList};
use crate::verifications::{
    CreateVerificationRequest, ListVerificationsQuery, Verification, VerificationList,
};

/// The id of every operation (`operationId` in the spec).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OperationId {
    /// `POST /v1/users`.
    CreateUser,
    /// `GET /v1/users`.
    ListUsers,
    /// `GET /v1/users/{userId}`.
    GetUser,
    /// `PATCH /v1/users/{userId}`.
    UpdateUser,
    /// `POST /v1/users/{userId}/verifications`.
    CreateVerification,
    /// `GET /v1/users/{userId}/verifications`.
    ListVerifications,
    /// `GET /v1/users/{userId}/verifications/{verificationId}`.
    GetVerification,
}

impl OperationId {
    /// The `operationId` as the spec writes it (`createUser`).
    pub fn as_str(self) -> &'static str {
        match self {
            OperationId::CreateUser => "createUser",
            OperationId::ListUsers => "listUsers",
            OperationId::GetUser => "getUser",
            OperationId::UpdateUser => "updateUser",
            OperationId::CreateVerification => "createVerification",
            OperationId::ListVerifications => "listVerifications",
            OperationId::GetVerification => "getVerification",
        }
    }

    /// The id an `operationId` string names.
    pub fn parse(text: &str) -> Option<Self> {
        OPERATIONS
            .iter()
            .map(|op| op.id)
            .find(|id| id.as_str() == text)
    }

    /// This operation's catalogue row.
    pub fn operation(self) -> &'static Operation {
        match OPERATIONS.iter().find(|op| op.id == self) {
            Some(operation) => operation,
            // `every_id_has_exactly_one_row` proves this cannot happen.
            None => panic!("{self} has no row in OPERATIONS"),
        }
    }
}

impl fmt::Display for OperationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The HTTP methods the API uses (RFC 9110 §9.3; `PATCH` is RFC 5789).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `PATCH`.
    Patch,
    /// `PUT`.
    Put,
    /// `DELETE`.
    Delete,
}

impl Method {
    /// The method as HTTP writes it (`GET`).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }

    /// The method as an OpenAPI Path Item writes it (`get`).
    pub fn openapi_key(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
            Method::Patch => "patch",
            Method::Put => "put",
            Method::Delete => "delete",
        }
    }

    fn utoipa(self) -> HttpMethod {
        match self {
            Method::Get => HttpMethod::Get,
            Method::Post => HttpMethod::Post,
            Method::Patch => HttpMethod::Patch,
            Method::Put => HttpMethod::Put,
            Method::Delete => HttpMethod::Delete,
        }
    }
}

/// One operation of the API.
pub struct Operation {
    /// Its id.
    pub id: OperationId,
    /// Its method.
    pub method: Method,
    /// Its OpenAPI path template, such as `/v1/users/{userId}`.
    pub path: &'static str,
    /// The tag that groups it in the spec (`Users`, `Verifications`).
    pub tag: &'static str,
    /// The status of success.
    pub success: u16,
    /// The component schema of the JSON request body, if it takes one.
    pub request: Option<&'static str>,
    /// The component schema of the success response body.
    pub response: &'static str,
    /// The error statuses it can answer besides its success, each with the shared error
    /// response of that status. `400` covers malformed requests (and a missing idempotency
    /// key on POSTs), `401` bad credentials, `404` an unknown user or session, `409`
    /// idempotency and state conflicts, `413`/`415` bodies too large or not JSON, `422`
    /// bodies that break the schema, `429` rate limits and `500` failures on BalamPay's side.
    pub errors: &'static [u16],
    /// The documentation written on its `#[utoipa::path]` function.
    describe: fn() -> Described,
}

/// A catalogue row whose `#[utoipa::path]` function describes another operation (a mistake
/// of this crate, found when the spec is assembled and by this module's tests).
#[derive(Debug, thiserror::Error)]
#[error(
    "assemble the spec: the catalogue row {row} ({} {}) has a #[utoipa::path] function describing {described}",
    .row.operation().method.as_str(),
    .row.operation().path
)]
pub struct CatalogueMismatch {
    /// The row.
    pub row: OperationId,
    /// What its function describes instead.
    pub described: String,
}

/// What a `#[utoipa::path]` function says of its operation.
pub(crate) struct Described {
    pub(crate) path: String,
    pub(crate) methods: Vec<HttpMethod>,
    pub(crate) operation: utoipa::openapi::path::Operation,
}

fn describe<P: utoipa::Path>() -> Described {
    Described {
        path: P::path(),
        methods: P::methods(),
        operation: P::operation(),
    }
}

impl Operation {
    /// The operation's documentation, checked against its row: a function that describes
    /// another method, path or operation id is a mistake of this crate, named here.
    pub(crate) fn described(&self) -> Result<Described, CatalogueMismatch> {
        let mut described = (self.describe)();
        let id = described.operation.operation_id.as_deref().unwrap_or("");
        if described.path != self.path
            || described.methods != [self.method.utoipa()]
            || id != self.id.as_str()
        {
            return Err(CatalogueMismatch {
                row: self.id,
                described: format!(
                    "{id} ({} method(s) on {})",
                    described.methods.len(),
                    described.path
                ),
            });
        }
        described.operation.tags = Some(vec![self.tag.to_owned()]);
        Ok(described)
    }
}

/// Every operation, in the order the spec lists them.
pub const OPERATIONS: &[Operation] = &[
    Operation {
        id: OperationId::CreateUser,
        method: Method::Post,
        path: "/v1/users",
        tag: "Users",
        success: 201,
        request: Some("CreateUserRequest"),
        response: "User",
        errors: &[400, 401, 409, 413, 415, 422, 429, 500],
        describe: describe::<__path_create_user>,
    },
    Operation {
        id: OperationId::ListUsers,
        method: Method::Get,
        path: "/v1/users",
        tag: "Users",
        success: 200,
        request: None,
        response: "UserList",
        errors: &[400, 401, 429, 500],
        describe: describe::<__path_list_users>,
    },
    Operation {
        id: OperationId::GetUser,
        method: Method::Get,
        path: "/v1/users/{userId}",
        tag: "Users",
        success: 200,
        request: None,
        response: "User",
        errors: &[400, 401, 404, 429, 500],
        describe: describe::<__path_get_user>,
    },
    Operation {
        id: OperationId::UpdateUser,
        method: Method::Patch,
        path: "/v1/users/{userId}",
        tag: "Users",
        success: 200,
        request: Some("UpdateUserRequest"),
        response: "User",
        errors: &[400, 401, 404, 409, 413, 415, 422, 429, 500],
        describe: describe::<__path_update_user>,
    },
    Operation {
        id: OperationId::CreateVerification,
        method: Method::Post,
        path: "/v1/users/{userId}/verifications",
        tag: "Verifications",
        success: 201,
        request: Some("CreateVerificationRequest"),
        response: "Verification",
        errors: &[400, 401, 404, 409, 413, 415, 422, 429, 500],
        describe: describe::<__path_create_verification>,
    },
    Operation {
        id: OperationId::ListVerifications,
        method: Method::Get,
        path: "/v1/users/{userId}/verifications",
        tag: "Verifications",
        success: 200,
        request: None,
        response: "VerificationList",
        errors: &[400, 401, 404, 429, 500],
        describe: describe::<__path_list_verifications>,
    },
    Operation {
        id: OperationId::GetVerification,
        method: Method::Get,
        path: "/v1/users/{userId}/verifications/{verificationId}",
        tag: "Verifications",
        success: 200,
        request: None,
        response: "Verification",
        errors: &[400, 401, 404, 429, 500],
        describe: describe::<__path_get_verification>,
    },
];

/// The operation a method and path template name (`GET`, `/v1/users/{userId}`).
pub fn find(method: &str, path: &str) -> Option<&'static Operation> {
    OPERATIONS
        .iter()
        .find(|op| op.method.as_str().eq_ignore_ascii_case(method) && op.path == path)
}

// utoipa attaches an operation's description to a function. These functions exist only to
// carry the annotations: the schema crate knows nothing of HTTP servers, and the sandbox
// implements the operations.

#[utoipa::path(
    post,
    path = "/v1/users",
    operation_id = "createUser",
    summary = "Create a user",
    description = "Creates an individual or a business user. Creation needs only the contact fields; what verification needs (date of birth, address and government ID for individuals; tax ID, address and beneficial owners for businesses) may come now, later with `updateUser`, or in an `api` verification session. Sends the `user.created` webhook.",
    params(IdempotencyKey),
    request_body(content = CreateUserRequest, description = "The user to create.", content_type = "application/json"),
    responses((status = 201, description = "The user was created (or, on an idempotent replay, had been).", body = User)),
)]
#[allow(dead_code)]
fn create_user() {}

#[utoipa::path(
    get,
    path = "/v1/users",
    operation_id = "listUsers",
    summary = "List users",
    description = "Lists the users of this API key, newest first, one page at a time. Filters combine: a user is listed when it matches all of them.",
    params(ListUsersQuery),
    responses((status = 200, description = "One page of users.", body = UserList)),
)]
#[allow(dead_code)]
fn list_users() {}

#[utoipa::path(
    get,
    path = "/v1/users/{userId}",
    operation_id = "getUser",
    summary = "Get a user",
    description = "Returns one user, with its current account and verification status.",
    params(UserPath),
    responses((status = 200, description = "The user.", body = User)),
)]
#[allow(dead_code)]
fn get_user() {}

#[utoipa::path(
    patch,
    path = "/v1/users/{userId}",
    operation_id = "updateUser",
    summary = "Update a user",
    description = "Changes the fields given and leaves the others as they are. The body's `type` must be the user's type (otherwise `409`, `user_type_mismatch`: a user's type never changes). A verified user's identity fields (names, date of birth, government ID, tax ID) cannot change: such a change answers `422`.",
    params(UserPath),
    request_body(content = UpdateUserRequest, description = "The fields to change.", content_type = "application/json"),
    responses((status = 200, description = "The user, as changed.", body = User)),
)]
#[allow(dead_code)]
fn update_user() {}

#[utoipa::path(
    post,
    path = "/v1/users/{userId}/verifications",
    operation_id = "createVerification",
    summary = "Create a verification session",
    description = "Starts identity verification of the user: KYC for an individual, KYB for a business. An `embedded-link` session answers with a `provider_link` to send the user to; an `api` session runs the check on the data in the request (merged over the user's). The user's `verification_status` becomes `pending`; the outcome arrives by webhook. A user with a session still `pending` or `under_review`, or already verified, gets `409`, as does KYC data for the other type of user (`user_type_mismatch`).",
    params(UserPath, IdempotencyKey),
    request_body(content = CreateVerificationRequest, description = "The session to start.", content_type = "application/json"),
    responses((status = 201, description = "The session was created (or, on an idempotent replay, had been).", body = Verification)),
)]
#[allow(dead_code)]
fn create_verification() {}

#[utoipa::path(
    get,
    path = "/v1/users/{userId}/verifications",
    operation_id = "listVerifications",
    summary = "List a user's verification sessions",
    description = "Lists the user's verification sessions, newest first, one page at a time.",
    params(UserPath, ListVerificationsQuery),
    responses((status = 200, description = "One page of sessions.", body = VerificationList)),
)]
#[allow(dead_code)]
fn list_verifications() {}

#[utoipa::path(
    get,
    path = "/v1/users/{userId}/verifications/{verificationId}",
    operation_id = "getVerification",
    summary = "Get a verification session",
    description = "Returns one verification session of the user, with its status and, once rejected, the reasons.",
    params(VerificationPath),
    responses((status = 200, description = "The session.", body = Verification)),
)]
#[allow(dead_code)]
fn get_verification() {}

/// The `idempotency-key` header of every POST.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
struct IdempotencyKey {
    /// A key you choose, unique per distinct request (1 to 255 printable ASCII characters; a
    /// UUID is a good choice). Retrying with the same key and body replays the first response;
    /// the same key with a different body answers `409`.
    #[param(
        rename = "idempotency-key",
        min_length = 1,
        max_length = 255,
        pattern = "^[\\x21-\\x7E]+$",
        example = "user-123"
    )]
    idempotency_key: String,
}

/// The path of one user.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
struct UserPath {
    /// The user's id.
    #[param(rename = "userId")]
    user_id: uuid::Uuid,
}

/// The path of one verification session.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
struct VerificationPath {
    /// The user's id.
    #[param(rename = "userId")]
    user_id: uuid::Uuid,
    /// The verification session's id.
    #[param(rename = "verificationId")]
    verification_id: uuid::Uuid,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every id, by an exhaustive match: a new variant does not compile until it is here.
    fn all() -> Vec<OperationId> {
        let every = [
            OperationId::CreateUser,
            OperationId::ListUsers,
            OperationId::GetUser,
            OperationId::UpdateUser,
            OperationId::CreateVerification,
            OperationId::ListVerifications,
            OperationId::GetVerification,
        ];
        for id in every {
            match id {
                OperationId::CreateUser
                | OperationId::ListUsers
                | OperationId::GetUser
                | OperationId::UpdateUser
                | OperationId::CreateVerification
                | OperationId::ListVerifications
                | OperationId::GetVerification => {}
            }
        }
        every.to_vec()
    }

    #[test]
    fn every_id_has_exactly_one_row() {
        for id in all() {
            let rows = OPERATIONS.iter().filter(|op| op.id == id).count();
            assert_eq!(rows, 1, "{id} has {rows} rows in OPERATIONS");
            assert_eq!(OperationId::parse(id.as_str()), Some(id));
        }
        assert_eq!(OPERATIONS.len(), all().len());
    }

    #[test]
    fn every_row_agrees_with_its_description() {
        for operation in OPERATIONS {
            operation
                .described()
                .unwrap_or_else(|error| panic!("{error}"));
            assert_eq!(
                find(operation.method.as_str(), operation.path).map(|op| op.id),
                Some(operation.id)
            );
        }
    }
}
