//! Long texts (article bodies, event descriptions) are stored as Markdown and served as
//! Markdown, sanitised HTML or plain text, for the app, for the web and for screen readers
//! or low-bandwidth use.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

/// HTML for a Markdown text, with anything unsafe (scripts, handlers, styles) removed.
pub(crate) fn to_html(markdown: &str) -> String {
    let parser = Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    );
    let mut raw = String::with_capacity(markdown.len() * 2);
    html::push_html(&mut raw, parser);
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer"))
        .clean(&raw)
        .to_string()
}

/// Plain text for a Markdown text: the words, with paragraphs and list items on their own lines.
pub(crate) fn to_plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for event in Parser::new(markdown) {
        match event {
            Event::Text(text) | Event::Code(text) => out.push_str(&text),
            Event::SoftBreak => out.push(' '),
            Event::HardBreak => out.push('\n'),
            Event::Start(Tag::Item) => out.push_str("- "),
            Event::End(
                TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::CodeBlock,
            ) => out.push('\n'),
            _ => {}
        }
    }
    let mut lines: Vec<&str> = out.lines().map(str::trim_end).collect();
    lines.dedup_by(|a, b| a.is_empty() && b.is_empty());
    lines.join("\n").trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_sanitised() {
        let html = to_html(
            "# Titre\n\nUn [lien](https://toulouse.fr) <script>alert(1)</script> <b onclick=\"x()\">gras</b>",
        );
        assert!(html.contains("<h1>Titre</h1>"), "{html}");
        assert!(html.contains("href=\"https://toulouse.fr\""), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onclick"), "{html}");
    }

    #[test]
    fn plain_text_keeps_words_and_lines() {
        let text = to_plain_text("# Titre\n\nUn *paragraphe*\navec [lien](x).\n\n- un\n- deux");
        assert_eq!(text, "Titre\nUn paragraphe avec lien.\n- un\n- deux");
    }
}
