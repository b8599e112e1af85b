//! An XML writer that produces exactly what libxml2's text writer writes with indentation on
//! (as virt-inspector uses it): `<?xml version="1.0"?>`, two-space indentation, elements with
//! only text written on one line, empty elements self-closed.

/// Escapes text content like libxml2 (`&`, `<`, `>`, `"` and carriage return).
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes an attribute value like libxml2 (also newlines and tabs).
pub fn escape_attribute(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

#[derive(PartialEq)]
enum Content {
    /// The start tag is still open (`<name attr="…"`).
    Open,
    Text,
    Children,
}

pub struct XmlWriter {
    out: String,
    stack: Vec<(String, Content)>,
}

impl Default for XmlWriter {
    fn default() -> Self {
        XmlWriter::new()
    }
}

impl XmlWriter {
    pub fn new() -> XmlWriter {
        XmlWriter {
            out: String::from("<?xml version=\"1.0\"?>\n"),
            stack: Vec::new(),
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.stack.len() {
            self.out.push_str("  ");
        }
    }

    /// Closes the parent's start tag before it gets content.
    fn close_start_tag(&mut self) {
        if let Some((_, content)) = self.stack.last_mut() {
            if *content == Content::Open {
                self.out.push('>');
            }
        }
    }

    pub fn start(&mut self, name: &str) {
        let has_parent = !self.stack.is_empty();
        self.close_start_tag();
        if let Some((_, content)) = self.stack.last_mut() {
            *content = Content::Children;
        }
        if has_parent {
            self.out.push('\n');
        }
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        self.stack.push((name.to_string(), Content::Open));
    }

    pub fn attribute(&mut self, name: &str, value: &str) {
        self.out
            .push_str(&format!(" {}=\"{}\"", name, escape_attribute(value)));
    }

    pub fn text(&mut self, text: &str) {
        self.close_start_tag();
        if let Some((_, content)) = self.stack.last_mut() {
            *content = Content::Text;
        }
        self.out.push_str(&escape_text(text));
    }

    /// Base64 content, broken into lines of 72 characters with CRLF like libxml2.
    pub fn base64(&mut self, data: &[u8]) {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        self.close_start_tag();
        if let Some((_, content)) = self.stack.last_mut() {
            *content = Content::Text;
        }
        let mut line = 0;
        for chunk in data.chunks(3) {
            if line >= 72 {
                self.out.push_str("\r\n");
                line = 0;
            }
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    self.out
                        .push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    self.out.push('=');
                }
            }
            line += 4;
        }
    }

    pub fn end(&mut self) {
        if let Some((name, content)) = self.stack.pop() {
            match content {
                Content::Open => self.out.push_str("/>"),
                Content::Text => self.out.push_str(&format!("</{}>", name)),
                Content::Children => {
                    self.out.push('\n');
                    self.indent();
                    self.out.push_str(&format!("</{}>", name));
                }
            }
        }
    }

    /// `<name>text</name>`.
    pub fn element(&mut self, name: &str, text: &str) {
        self.start(name);
        self.text(text);
        self.end();
    }

    /// The finished document.
    pub fn finish(mut self) -> String {
        while !self.stack.is_empty() {
            self.end();
        }
        self.out.push('\n');
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_like_libxml2() {
        let mut w = XmlWriter::new();
        w.start("operatingsystems");
        w.start("operatingsystem");
        w.element("root", "/dev/sda1");
        w.start("mountpoints");
        w.start("mountpoint");
        w.attribute("dev", "/dev/sda1");
        w.text("/");
        w.end();
        w.end();
        w.start("filesystem");
        w.attribute("dev", "/dev/mapper/x");
        w.end();
        w.start("applications");
        w.end();
        w.element("description", "a \"b\" <c> & d\n.");
        w.end();
        w.end();
        assert_eq!(
            w.finish(),
            "<?xml version=\"1.0\"?>\n<operatingsystems>\n  <operatingsystem>\n    <root>/dev/sda1</root>\n    <mountpoints>\n      <mountpoint dev=\"/dev/sda1\">/</mountpoint>\n    </mountpoints>\n    <filesystem dev=\"/dev/mapper/x\"/>\n    <applications/>\n    <description>a &quot;b&quot; &lt;c&gt; &amp; d\n.</description>\n  </operatingsystem>\n</operatingsystems>\n"
        );
        let mut w = XmlWriter::new();
        w.start("operatingsystems");
        w.end();
        assert_eq!(w.finish(), "<?xml version=\"1.0\"?>\n<operatingsystems/>\n");
    }

    #[test]
    fn base64_matches_the_standard_alphabet() {
        let mut w = XmlWriter::new();
        w.start("icon");
        w.base64(b"hello world");
        w.end();
        assert!(w.finish().contains("<icon>aGVsbG8gd29ybGQ=</icon>"));
    }
}
