//! `virt-inspector --xpath`: evaluates an XPath query over XML read from stdin and prints the
//! result the way 1.48 does (libxml2's formatted dump of each node, strings as they are).

use super::xml::{escape_attribute, escape_text};
use super::Ctx;
use std::io::{Read, Write};
use sxd_document::dom::{ChildOfElement, Element};
use sxd_xpath::nodeset::Node;
use sxd_xpath::{Context, Factory, Value};

/// A parse error laid out as libxml2 reports one: the line, the reason, the line's text and a
/// caret under the place. libxml2's reason is given for input that is not XML at all; other
/// damage gets a general one (the parser used here does not name the fault in words).
fn parser_error(input: &str, location: usize) -> String {
    let location = location.min(input.len());
    let before = input.get(..location).unwrap_or(input);
    let line_no = 1 + before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line_end = input[line_start..]
        .find('\n')
        .map_or(input.len(), |i| line_start + i);
    let reason = if input.trim_start().starts_with('<') {
        "the document is not well-formed XML"
    } else {
        "Start tag expected, '<' not found"
    };
    format!(
        "Entity: line {}: parser error : {}\n{}\n{}^\n",
        line_no,
        reason,
        &input[line_start..line_end],
        " ".repeat(input[line_start..location.max(line_start)].chars().count())
    )
}

/// Runs the query; returns the exit status.
pub fn run_query(ctx: &Ctx, query: &str) -> i32 {
    let mut input = String::new();
    if std::io::stdin().read_to_string(&mut input).is_err() {
        eprintln!("{}: unable to parse XML from stdin", ctx.prog);
        return 1;
    }
    let package = match sxd_document::parser::parse(&input) {
        Ok(p) => p,
        Err(e) => {
            eprint!("{}", parser_error(&input, e.location()));
            eprintln!("{}: unable to parse XML from stdin", ctx.prog);
            return 1;
        }
    };
    let doc = package.as_document();
    let xpath = match Factory::new().build(query) {
        Ok(Some(x)) => x,
        _ => {
            eprintln!("XPath error : Invalid expression");
            eprintln!("{}: unable to evaluate XPath expression", ctx.prog);
            return 1;
        }
    };
    let value = match xpath.evaluate(&Context::new(), doc.root()) {
        Ok(v) => v,
        Err(_) => {
            eprintln!("XPath error : Invalid expression");
            eprintln!("{}: unable to evaluate XPath expression", ctx.prog);
            return 1;
        }
    };
    let mut out = String::new();
    match value {
        Value::Nodeset(nodes) => {
            for node in nodes.document_order() {
                dump_node(&mut out, node);
                out.push('\n');
            }
        }
        Value::String(s) => {
            if !s.is_empty() {
                out.push_str(&s);
                if !s.ends_with('\n') {
                    out.push('\n');
                }
            }
        }
        other => {
            out.push_str(&other.string());
            out.push('\n');
        }
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    0
}

fn dump_node(out: &mut String, node: Node) {
    match node {
        Node::Element(e) => dump_element(out, e, 0),
        Node::Attribute(a) => out.push_str(&format!(
            " {}=\"{}\"",
            a.name().local_part(),
            escape_attribute(a.value())
        )),
        Node::Text(t) => out.push_str(&escape_text(t.text())),
        Node::Comment(c) => out.push_str(&format!("<!--{}-->", c.text())),
        Node::Root(r) => {
            for child in r.children() {
                if let sxd_document::dom::ChildOfRoot::Element(e) = child {
                    dump_element(out, e, 0);
                }
            }
        }
        Node::ProcessingInstruction(_) | Node::Namespace(_) => {}
    }
}

/// An element as libxml2 formats it: indented children unless the element holds text.
fn dump_element(out: &mut String, e: Element, level: usize) {
    out.push('<');
    out.push_str(e.name().local_part());
    for a in e.attributes() {
        out.push_str(&format!(
            " {}=\"{}\"",
            a.name().local_part(),
            escape_attribute(a.value())
        ));
    }
    // Blank text between elements is dropped, as libxml2 drops it when parsing with NOBLANKS.
    let children: Vec<ChildOfElement> = e
        .children()
        .into_iter()
        .filter(|c| !matches!(c, ChildOfElement::Text(t) if t.text().trim().is_empty()))
        .collect();
    if children.is_empty() {
        out.push_str("/>");
        return;
    }
    out.push('>');
    let has_text = children
        .iter()
        .any(|c| matches!(c, ChildOfElement::Text(_)));
    for c in &children {
        if !has_text {
            out.push('\n');
            out.push_str(&"  ".repeat(level + 1));
        }
        match c {
            ChildOfElement::Element(child) => {
                dump_element(out, *child, if has_text { level } else { level + 1 })
            }
            ChildOfElement::Text(t) => out.push_str(&escape_text(t.text())),
            ChildOfElement::Comment(cm) => out.push_str(&format!("<!--{}-->", cm.text())),
            ChildOfElement::ProcessingInstruction(_) => {}
        }
    }
    if !has_text {
        out.push('\n');
        out.push_str(&"  ".repeat(level));
    }
    out.push_str(&format!("</{}>", e.name().local_part()));
}

#[cfg(test)]
mod tests {
    use super::parser_error;

    #[test]
    fn parse_errors_are_laid_out_as_libxml2s() {
        assert_eq!(
            parser_error("junk\n", 0),
            "Entity: line 1: parser error : Start tag expected, '<' not found\njunk\n^\n"
        );
        assert_eq!(
            parser_error("<a><b>\n", 7),
            "Entity: line 2: parser error : the document is not well-formed XML\n\n^\n"
        );
        assert_eq!(
            parser_error("<a>\n  <b x=>", 9),
            "Entity: line 2: parser error : the document is not well-formed XML\n  <b x=>\n     ^\n"
        );
    }
}
