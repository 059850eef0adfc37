//! Answers every operation of a kind can give, added to the OpenAPI document in one place rather
//! than repeated on each handler: a JSON body can be malformed (400 `invalid_json`), of another
//! media type (415) or of the wrong shape (422); a credential can be missing or wrong (401) and
//! wrong ones are counted per address (429). Schemathesis holds the document to what the server
//! answers (`cargo xtask test`).

use utoipa::openapi::path::Operation;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};

fn error_answer(description: &str) -> RefOr<Response> {
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
    ResponseBuilder::new().description(description).content("application/json", content).build().into()
}

fn add_missing(operation: &mut Operation, status: &str, description: &str) {
    operation.responses.responses.entry(status.to_string()).or_insert_with(|| error_answer(description));
}

/// Adds the common error answers each operation can give and does not document itself.
pub fn document_common_answers(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        for operation in operations.into_iter().flatten() {
            if operation.request_body.is_some() {
                add_missing(operation, "400", "The body is not valid JSON (`invalid_json`)");
                add_missing(operation, "415", "The body is not `application/json` (`unsupported_media_type`)");
                add_missing(operation, "422", "The body or a parameter is not what this operation takes");
            }
            if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                add_missing(operation, "401", "The credential is missing, malformed, expired or revoked");
                add_missing(operation, "429", "Too many requests; see `Retry-After`");
            }
        }
    }
}
