//! Query-string parameters of the listing endpoints, read and checked the same way everywhere:
//! a bad value is `422 invalid_query` naming the parameter and what it must be.

use std::collections::BTreeMap;

use portico_wire::ErrorCode;

use crate::error::{ApiError, ApiResult};

/// The whole number `name`, if present, within `min..=max`.
pub fn whole_number(query: &BTreeMap<String, String>, name: &str, min: i64, max: i64) -> ApiResult<Option<i64>> {
    query
        .get(name)
        .map(|v| {
            v.trim().parse::<i64>().ok().filter(|n| (min..=max).contains(n)).ok_or_else(|| {
                ApiError::unprocessable(
                    ErrorCode::InvalidQuery,
                    format!("`{name}` must be a whole number from {min} to {max}."),
                )
            })
        })
        .transpose()
}

/// A comma-separated list, without empty items.
pub fn comma_list(value: Option<&str>) -> Vec<String> {
    value
        .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_checked_against_their_range() {
        let query: BTreeMap<String, String> = [("limit".to_string(), " 20".to_string())].into();
        assert_eq!(whole_number(&query, "limit", 1, 100).unwrap(), Some(20));
        assert_eq!(whole_number(&query, "page", 1, 100).unwrap(), None);
        let err = whole_number(&query, "limit", 1, 10).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidQuery);
        assert!(err.message.contains("`limit` must be a whole number from 1 to 10"));
        assert_eq!(comma_list(Some("a, ,b")), ["a", "b"]);
    }
}
