//! A tool call's body on the wire, as the catalog action says its provider takes it: JSON, or
//! `application/x-www-form-urlencoded` (Stripe). Form bodies nest the way Stripe reads them:
//! `metadata[plan]=pro`, `items[0][price]=price_1`; `true`/`false` and numbers as text; `null`
//! and an empty object or list as an empty value, which Stripe reads as "unset".

use http::HeaderValue;
use portico_catalog::BodyEncoding;
use serde_json::Value;

use super::call::BadArguments;

/// The body's content type and bytes.
pub fn encode(encoding: BodyEncoding, body: &Value) -> Result<(HeaderValue, String), BadArguments> {
    match encoding {
        BodyEncoding::Json => Ok((HeaderValue::from_static("application/json"), body.to_string())),
        BodyEncoding::Form => {
            let Value::Object(fields) = body else {
                return Err(BadArguments("`body`: must be an object to be form-encoded".into()));
            };
            let mut pairs = Vec::new();
            for (name, value) in fields {
                flatten(name.clone(), value, &mut pairs);
            }
            let form = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
            Ok((HeaderValue::from_static("application/x-www-form-urlencoded"), form))
        }
    }
}

/// `value` under the field name `key`, as `key=v`, `key[inner]=v` or `key[0]=v` pairs.
fn flatten(key: String, value: &Value, pairs: &mut Vec<(String, String)>) {
    match value {
        Value::Object(fields) if !fields.is_empty() => {
            for (name, inner) in fields {
                flatten(format!("{key}[{name}]"), inner, pairs);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, inner) in items.iter().enumerate() {
                flatten(format!("{key}[{i}]"), inner, pairs);
            }
        }
        Value::String(text) => pairs.push((key, text.clone())),
        Value::Bool(_) | Value::Number(_) => pairs.push((key, value.to_string())),
        Value::Null | Value::Object(_) | Value::Array(_) => pairs.push((key, String::new())),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn form(body: Value) -> String {
        let (content_type, text) = encode(BodyEncoding::Form, &body).unwrap();
        assert_eq!(content_type, "application/x-www-form-urlencoded");
        text
    }

    #[test]
    fn nests_the_stripe_way() {
        let body = json!({
            "email": "jane@example.com",
            "metadata": {"plan": "pro"},
            "items": [{"price": "price_1", "quantity": 2}],
            "expand": ["customer"],
            "live": false,
        });
        assert_eq!(
            form(body),
            "email=jane%40example.com&expand%5B0%5D=customer&items%5B0%5D%5Bprice%5D=price_1\
             &items%5B0%5D%5Bquantity%5D=2&live=false&metadata%5Bplan%5D=pro"
        );
    }

    #[test]
    fn empty_and_null_values_unset() {
        assert_eq!(form(json!({"metadata": {}, "description": null, "tags": []})), "description=&metadata=&tags=");
    }

    #[test]
    fn a_form_body_must_be_an_object_and_json_stays_json() {
        assert!(encode(BodyEncoding::Form, &json!([1])).unwrap_err().0.contains("`body`"));
        let (content_type, text) = encode(BodyEncoding::Json, &json!({"a": [1]})).unwrap();
        assert_eq!((content_type.to_str().unwrap(), text.as_str()), ("application/json", r#"{"a":[1]}"#));
    }
}
