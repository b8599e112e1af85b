//! CSV fields as the C tools write them: quoted only when they contain a space, a quote, a
//! newline or a comma; quotes doubled inside.

pub fn csv_field(s: &str) -> String {
    if s.contains([' ', '"', '\n', ',']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(csv_field("/dev/sda1"), "/dev/sda1");
        assert_eq!(csv_field("a b"), "\"a b\"");
        assert_eq!(csv_field("x,y"), "\"x,y\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field(""), "");
    }
}
