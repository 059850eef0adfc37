//! A platform's logo, or its monogram when the image does not load (an operator's own platform
//! may have no `/logos/<slug>.svg`): never a broken image.

use leptos::prelude::*;

/// The first letter of the name, upper case (ASCII), for the monogram.
fn initial(name: &str) -> String {
    name.chars().find(|c| c.is_alphanumeric()).map(|c| c.to_ascii_uppercase().to_string()).unwrap_or_default()
}

/// Decorative either way (`alt=""`, `aria-hidden`): the platform's name is always written beside it.
pub fn logo(url: String, name: &str, size: u32) -> impl IntoView {
    let failed = RwSignal::new(false);
    let letter = initial(name);
    move || {
        if failed.get() {
            view! { <span class="pm-logo pm-monogram" aria-hidden="true" data-testid="monogram">{letter.clone()}</span> }
                .into_any()
        } else {
            view! {
                <img class="pm-logo" src=url.clone() alt="" width=size height=size on:error=move |_| failed.set(true)/>
            }
            .into_any()
        }
    }
}
