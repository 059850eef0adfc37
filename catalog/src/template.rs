//! `${name}` templates: how a credential is injected into a request (`Bearer ${apiKey}`) and how
//! per-connection settings fill a URL (`https://${connectionConfig.subdomain}.example.com`).
//!
//! Templates are parsed once when the catalog loads, so a malformed one fails at start-up and
//! rendering a request never has to parse.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Var(String),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("unclosed `${{` at byte {0}")]
    Unclosed(usize),
    #[error("empty variable name at byte {0}")]
    EmptyName(usize),
    #[error("invalid variable name `{0}`: use letters, digits, `_` and `.`")]
    InvalidName(String),
    #[error("no value for `${{{0}}}`")]
    Missing(String),
}

impl Template {
    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        let mut segments = Vec::new();
        let mut rest = source;
        let mut offset = 0;
        while let Some(start) = rest.find("${") {
            if start > 0 {
                segments.push(Segment::Literal(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let end = after.find('}').ok_or(TemplateError::Unclosed(offset + start))?;
            let name = &after[..end];
            if name.is_empty() {
                return Err(TemplateError::EmptyName(offset + start));
            }
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                || name.starts_with('.')
                || name.ends_with('.')
            {
                return Err(TemplateError::InvalidName(name.to_string()));
            }
            segments.push(Segment::Var(name.to_string()));
            let consumed = start + 2 + end + 1;
            offset += consumed;
            rest = &rest[consumed..];
        }
        if !rest.is_empty() {
            segments.push(Segment::Literal(rest.to_string()));
        }
        Ok(Template { source: source.to_string(), segments })
    }

    /// The variable names the template uses, in order of appearance.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Var(name) => Some(name.as_str()),
            Segment::Literal(_) => None,
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Renders with values from `lookup`; a variable without a value is an error, never an
    /// empty string (an empty `Bearer ` header would be a confusing upstream 401).
    pub fn render<'a>(&self, lookup: impl Fn(&str) -> Option<&'a str>) -> Result<String, TemplateError> {
        let mut out = String::with_capacity(self.source.len() + 32);
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => out.push_str(text),
                Segment::Var(name) => out.push_str(lookup(name).ok_or_else(|| TemplateError::Missing(name.clone()))?),
            }
        }
        Ok(out)
    }

    /// Replaces only the variables `lookup` knows and keeps the others as `${name}`: used at load
    /// time for `${portico.…}` variables, leaving per-connection ones for request time.
    pub fn render_partial<'a>(&self, lookup: impl Fn(&str) -> Option<&'a str>) -> String {
        let mut out = String::with_capacity(self.source.len());
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => out.push_str(text),
                Segment::Var(name) => match lookup(name) {
                    Some(value) => out.push_str(value),
                    None => {
                        out.push_str("${");
                        out.push_str(name);
                        out.push('}');
                    }
                },
            }
        }
        out
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn renders_variables_between_literals() {
        let t = Template::parse("Bearer ${apiKey}").unwrap();
        assert_eq!(t.render(|n| (n == "apiKey").then_some("k1")).unwrap(), "Bearer k1");
        let t = Template::parse("https://${connectionConfig.subdomain}.zendesk.com/api/v2").unwrap();
        assert_eq!(t.variables().collect::<Vec<_>>(), ["connectionConfig.subdomain"]);
        assert_eq!(t.render(|_| Some("acme")).unwrap(), "https://acme.zendesk.com/api/v2");
    }

    #[test]
    fn a_missing_value_is_an_error_not_an_empty_string() {
        let t = Template::parse("Bearer ${apiKey}").unwrap();
        assert_eq!(t.render(|_| None), Err(TemplateError::Missing("apiKey".into())));
    }

    #[test]
    fn rejects_malformed_templates() {
        assert_eq!(Template::parse("a ${apiKey"), Err(TemplateError::Unclosed(2)));
        assert_eq!(Template::parse("${}"), Err(TemplateError::EmptyName(0)));
        assert!(matches!(Template::parse("${a b}"), Err(TemplateError::InvalidName(_))));
        assert!(matches!(Template::parse("${.a}"), Err(TemplateError::InvalidName(_))));
    }

    #[test]
    fn partial_rendering_keeps_unknown_variables() {
        let t = Template::parse("${portico.mockProviderUrl}/x/${apiKey}").unwrap();
        let out = t.render_partial(|n| (n == "portico.mockProviderUrl").then_some("http://m"));
        assert_eq!(out, "http://m/x/${apiKey}");
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in ".*") {
            let _ = Template::parse(&s);
        }

        #[test]
        fn text_without_markers_renders_to_itself(s in "[^$]*") {
            let t = Template::parse(&s).unwrap();
            prop_assert_eq!(t.render(|_| None).unwrap(), s);
        }

        #[test]
        fn a_value_is_inserted_verbatim(prefix in "[^$]*", value in ".*", suffix in "[^$]*") {
            let t = Template::parse(&format!("{prefix}${{apiKey}}{suffix}")).unwrap();
            let out = t.render(|_| Some(value.as_str())).unwrap();
            prop_assert_eq!(out, format!("{prefix}{value}{suffix}"));
        }
    }
}
