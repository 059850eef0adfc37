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

/// The platforms an agent reaches for first (issue 18): every action of theirs must be usable as a
/// tool without reading the provider's documentation.
const MOST_USED: [&str; 26] = [
    "github",
    "gmail",
    "google-calendar",
    "google-drive",
    "google-sheets",
    "slack",
    "notion",
    "linear",
    "jira",
    "hubspot",
    "salesforce",
    "stripe",
    "shopify",
    "zendesk",
    "intercom",
    "asana",
    "airtable",
    "discord",
    "dropbox",
    "outlook",
    "microsoft-teams",
    "trello",
    "clickup",
    "calendly",
    "zoom",
    "mailchimp",
];

/// POST, PUT and PATCH actions whose provider takes no JSON body, and why.
const NO_JSON_BODY: [(&str, &str); 6] = [
    ("google-drive.upload-file", "the body is the file's bytes or a multipart/related body"),
    ("slack.auth-test", "takes no arguments"),
    ("dropbox.get-current-account", "takes no arguments (an empty body)"),
    ("trello.create-card", "Trello documents the card's fields as query parameters"),
    ("trello.update-card", "Trello documents the card's fields as query parameters"),
    ("mailchimp.send-campaign", "takes no body"),
];

/// What an action of a most-used platform lacks: a description, a description of a path
/// parameter, or the schema of a JSON body.
fn missing_inputs(action: &portico_catalog::Action) -> Vec<String> {
    let mut missing = Vec::new();
    let described = |d: &Option<String>| d.as_deref().is_some_and(|d| !d.trim().is_empty());
    if !described(&action.description) {
        missing.push("a description".to_string());
    }
    for param in action.path_params.iter().filter(|p| !described(&p.description)) {
        missing.push(format!("a description of path parameter `{}`", param.name));
    }
    let writes = matches!(action.method.as_str(), "POST" | "PUT" | "PATCH");
    let exempt = NO_JSON_BODY.iter().any(|(id, _)| *id == action.id);
    if writes && !exempt && action.body.is_none() {
        missing.push("a JSON Schema of its body".to_string());
    }
    missing
}

#[test]
fn the_most_used_platforms_describe_every_action() {
    let catalog = catalog();
    let mut problems = Vec::new();
    for slug in MOST_USED {
        let platform = catalog.get(slug).unwrap_or_else(|| panic!("{slug} is not in the catalog"));
        assert!(!platform.actions.is_empty(), "{slug} has no actions");
        for action in &platform.actions {
            for what in missing_inputs(action) {
                problems.push(format!("{} lacks {what}", action.id));
            }
        }
    }
    assert!(problems.is_empty(), "actions without what an agent needs:\n{}", problems.join("\n"));
}

#[test]
fn the_exemptions_name_real_bodyless_actions() {
    // An exemption outliving its action, or covering one that has a body, hides nothing: drop it.
    let catalog = catalog();
    for (id, why) in NO_JSON_BODY {
        let slug = id.split('.').next().unwrap_or_default();
        let action = catalog.get(slug).and_then(|p| p.action(id)).unwrap_or_else(|| panic!("{id} ({why}) is gone"));
        assert!(action.body.is_none(), "{id} has a body schema now; remove its exemption");
    }
}

#[test]
fn body_schemas_stand_alone() {
    // A tool nests the body's schema under its `body` argument, so a `$ref` to the body's own
    // `$defs` would point at the tool's root and resolve to nothing.
    let mut problems = Vec::new();
    for platform in catalog().iter() {
        for action in &platform.actions {
            let text = action.body.as_ref().map(ToString::to_string).unwrap_or_default();
            if text.contains("\"$ref\"") || text.contains("\"$defs\"") {
                problems.push(action.id.clone());
            }
        }
    }
    assert!(problems.is_empty(), "body schemas with $ref or $defs: {problems:?}");
}
