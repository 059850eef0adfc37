//! Every action's inputs are valid JSON Schema (draft 2020-12), so the agent toolkit can hand them
//! to any framework: the body's schema, and each path and query parameter's.

use portico_catalog::{Catalog, LoadVars};

fn catalog() -> Catalog {
    Catalog::load(&LoadVars { mock_provider_url: Some("http://127.0.0.1:4010".into()) }, None).expect("catalog")
}

#[test]
fn every_action_input_is_a_valid_json_schema() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for platform in catalog().iter() {
        for action in &platform.actions {
            let params = action.path_params.iter().chain(&action.query).map(|p| (p.name.as_str(), &p.schema));
            for (name, schema) in params.chain(action.body.as_ref().map(|b| ("body", b))) {
                checked += 1;
                if let Err(e) = jsonschema::meta::validate(schema) {
                    problems.push(format!("{} {name}: {e}", action.id));
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} schemas read");
    assert!(problems.is_empty(), "invalid schemas:\n{}", problems.join("\n"));
}

#[test]
fn a_broken_schema_is_caught() {
    let broken = serde_json::json!({"type": "object", "properties": {"n": {"type": "integr"}}});
    assert!(jsonschema::meta::validate(&broken).is_err());
}

#[test]
fn the_mock_documents_its_inputs() {
    let catalog = catalog();
    let mock = catalog.get("mock").unwrap();
    let create = mock.action("mock.create-item").unwrap();
    assert_eq!(create.body.as_ref().unwrap()["required"], serde_json::json!(["name"]));
    let get = mock.action("mock.get-item").unwrap();
    assert_eq!(get.path_params.len(), 1);
    assert!(get.path_params[0].required && get.path_params[0].description.is_some());
    let list = mock.action("mock.list-items").unwrap();
    assert_eq!(list.query[0].schema["type"], "integer");
    assert!(!list.query[0].required);
}
