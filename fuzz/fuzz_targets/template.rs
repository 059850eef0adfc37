#![no_main]
//! `${…}` templates: parsing never panics, and rendering inserts values verbatim.
use libfuzzer_sys::fuzz_target;
use portico_catalog::Template;

fuzz_target!(|data: (&str, &str)| {
    let (source, value) = data;
    if let Ok(template) = Template::parse(source) {
        let rendered = template.render(|_| Some(value));
        let count = template.variables().count();
        if let Ok(out) = rendered {
            assert!(out.len() >= value.len() * count);
        }
        let _ = template.render_partial(|_| None);
    }
});
