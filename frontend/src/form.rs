//! The connect form of a platform that takes credentials (API key, basic, client credentials):
//! the catalog's fields with their labels and help as the catalog gives them, checked in the
//! browser first (required, pattern), then by Portico against the platform.

use std::collections::BTreeMap;

use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;
use portico_wire::{CreateConnectionRequest, ErrorCode, FormField, IntegrationCard};

use crate::api::Failure;
use crate::i18n::{self, t, tf, tp};
use crate::{logo, Modal, Screen};

/// Client-side check before sending: required and pattern (the server checks again).
pub(crate) fn field_problem(field: &FormField, value: &str) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        return field.required.then(|| tf("form.required", &[("field", &field.label)]));
    }
    let pattern = field.pattern.as_deref()?;
    let re = js_sys::RegExp::new(&format!("^(?:{pattern})$"), "");
    if re.test(value) {
        None
    } else {
        Some(match &field.example {
            Some(example) => tf("form.pattern_example", &[("field", &field.label), ("example", example)]),
            None => tf("form.pattern", &[("field", &field.label)]),
        })
    }
}

pub(crate) fn form_view(modal: Modal, card: IntegrationCard) -> impl IntoView {
    let values: Vec<(FormField, RwSignal<String>, RwSignal<Option<String>>)> =
        card.fields.iter().map(|f| (f.clone(), RwSignal::new(String::new()), RwSignal::new(None))).collect();
    let values = StoredValue::new(values);
    let error = RwSignal::new(None::<String>);
    let submitting = RwSignal::new(false);
    let name = card.name.clone();
    let platform = card.platform.clone();

    let submit = {
        let name = name.clone();
        move |e: ev::SubmitEvent| {
            e.prevent_default();
            if submitting.get_untracked() {
                return;
            }
            let mut ok = true;
            let mut fields = BTreeMap::new();
            values.with_value(|values| {
                for (field, value, problem) in values {
                    let text = value.get_untracked();
                    let found = field_problem(field, &text);
                    ok &= found.is_none();
                    problem.set(found);
                    if !text.trim().is_empty() {
                        fields.insert(field.name.clone(), text.trim().to_string());
                    }
                }
            });
            if !ok {
                error.set(None);
                return;
            }
            let Some(api) = modal.api.get_value() else {
                modal.fail(Failure::local(ErrorCode::TokenMissing));
                return;
            };
            submitting.set(true);
            error.set(None);
            let request = CreateConnectionRequest { platform: platform.clone(), fields };
            let name = name.clone();
            spawn_local(async move {
                match api.create_connection(&request).await {
                    Ok(connection) => {
                        modal.session.update(|s| {
                            if let Some(s) = s {
                                s.connections.push(connection.clone());
                            }
                        });
                        modal.bridge.with_value(|b| b.success(&connection));
                        modal.screen.set(Screen::Connected { connection, name });
                    }
                    Err(failure) => {
                        let failure = failure.about(&name);
                        submitting.set(false);
                        modal.bridge.with_value(|b| b.error(failure.code, &failure.message));
                        if failure.ends_session() {
                            modal.screen.set(Screen::Failed(failure));
                        } else {
                            error.set(Some(i18n::failure_text(&failure)));
                        }
                    }
                }
            });
        }
    };

    let inputs = values.with_value(|values| {
        values
            .iter()
            .map(|(field, value, problem)| {
                let (value, problem) = (*value, *problem);
                let id = format!("pm-field-{}", field.name.replace('.', "-"));
                let help_id = format!("{id}-help");
                let revealed = RwSignal::new(false);
                let secret = field.secret;
                let input_type = move || if secret && !revealed.get() { "password" } else { "text" };
                view! {
                    <div class="pm-field">
                        <label for=id.clone()>{field.label.clone()}</label>
                        <div class="pm-input-row">
                            <input
                                id=id.clone()
                                name=field.name.clone()
                                type=input_type
                                autocomplete="off"
                                spellcheck="false"
                                placeholder=field.example.clone().unwrap_or_default()
                                aria-invalid=move || problem.get().is_some().to_string()
                                aria-describedby=help_id.clone()
                                data-testid=format!("field-{}", field.name)
                                prop:value=value
                                on:input=move |e| {
                                    value.set(event_target_value(&e));
                                    problem.set(None);
                                }
                            />
                            {secret.then(|| view! {
                                <button type="button" class="pm-reveal" on:click=move |_| revealed.update(|r| *r = !*r)>
                                    {move || t(if revealed.get() { "form.hide" } else { "form.show" })}
                                </button>
                            })}
                        </div>
                        <small id=help_id class="pm-help">{field.help.clone().unwrap_or_default()}</small>
                        <Show when=move || problem.get().is_some()>
                            <small class="pm-field-error" role="alert">{move || problem.get().unwrap_or_default()}</small>
                        </Show>
                    </div>
                }
            })
            .collect_view()
    });

    let back_visible = modal.session.with_untracked(|s| s.as_ref().is_some_and(|s| s.integrations.len() > 1));
    let button_name = name.clone();
    view! {
        <div class="pm-form-view" data-testid="form" data-platform=card.platform.clone()>
            <Show when=move || back_visible>
                <button class="pm-back" on:click=move |_| modal.screen.set(Screen::List)>{t("nav.back")}</button>
            </Show>
            <div class="pm-form-head">
                {logo::logo(card.logo_url.clone(), &card.name, 40)}
                <h2>{tp("form.title", &name)}</h2>
            </div>
            <p class="pm-muted">
                {tp("form.privacy", &name)}
            </p>
            {card.docs_url.clone().map(|url| view! {
                <p class="pm-muted"><a href=url target="_blank" rel="noopener noreferrer">{tp("form.docs", &card.name)}</a></p>
            })}
            <form on:submit=submit novalidate>
                {inputs}
                <Show when=move || error.get().is_some()>
                    <p class="pm-error" role="alert" data-testid="form-error">{move || error.get().unwrap_or_default()}</p>
                </Show>
                <button type="submit" class="pm-primary" disabled=move || submitting.get() data-testid="submit">
                    {move || if submitting.get() { tp("form.checking", &button_name) } else { t("form.submit") }}
                </button>
            </form>
        </div>
    }
}
