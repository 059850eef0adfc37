//! Keyboard and focus (WCAG 2.2 AA): focus moves into the dialog when the loader says it is shown
//! (a cross-origin frame's `autofocus` is blocked), Tab and Shift+Tab stay inside the dialog, and
//! the arrow keys move through the integration list. Esc is handled with closing, in `lib.rs`.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, KeyboardEvent};

const FOCUSABLE: &str = ".pm-dialog button:not([disabled]), .pm-dialog input, .pm-dialog a[href]";
/// Where focus lands on each screen: its first field, else its main button, else any control.
const FIRST_CHOICES: [&str; 4] =
    [".pm-body input", ".pm-body .pm-primary:not([disabled])", ".pm-body button:not([disabled])", ".pm-close"];

fn all(selector: &str) -> Vec<HtmlElement> {
    let Ok(list) = document().query_selector_all(selector) else {
        return Vec::new();
    };
    (0..list.length()).filter_map(|i| list.get(i)?.dyn_into::<HtmlElement>().ok()).collect()
}

fn active() -> Option<web_sys::Element> {
    document().active_element()
}

fn is_active(element: &HtmlElement) -> bool {
    active().is_some_and(|a| js_sys::Object::is(&a, element))
}

/// Moves focus to the current screen's first control.
pub fn focus_first_control() {
    let first = FIRST_CHOICES.iter().find_map(|s| document().query_selector(s).ok().flatten());
    if let Some(first) = first.and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
        let _ = first.focus();
    }
}

/// Tab from the last control goes to the first, Shift+Tab from the first to the last.
fn trap_tab(event: &KeyboardEvent) {
    let controls = all(FOCUSABLE);
    let (Some(first), Some(last)) = (controls.first(), controls.last()) else {
        return;
    };
    let inside = controls.iter().any(is_active);
    let target = match (event.shift_key(), inside) {
        (true, _) if is_active(first) || !inside => last,
        (false, _) if is_active(last) || !inside => first,
        _ => return,
    };
    event.prevent_default();
    let _ = target.focus();
}

/// Up and Down move between the search box and the integrations.
fn move_in_list(event: &KeyboardEvent, step: isize) {
    let items = all(".pm-search, .pm-item");
    let Some(index) = items.iter().position(is_active) else {
        return;
    };
    let next = (index as isize + step).clamp(0, items.len() as isize - 1) as usize;
    event.prevent_default();
    let _ = items[next].focus();
}

pub fn on_keydown(event: &KeyboardEvent) {
    match event.key().as_str() {
        "Tab" => trap_tab(event),
        "ArrowDown" => move_in_list(event, 1),
        "ArrowUp" => move_in_list(event, -1),
        _ => {}
    }
}
