//! `-a URI`: remote disks (`nbd://host:port/export`, `nbd+unix:///?socket=/path`,
//! `ssh://user@host/disk.img`, …) split into what `add-drive` takes: protocol, server list,
//! username, secret (the password in the URI) and path. A word is a URI when it starts with a
//! short lower-case scheme and `://`; anything else is a local file.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uri {
    pub protocol: String,
    pub path: String,
    pub server: Option<Vec<String>>,
    pub username: Option<String>,
    pub password: Option<String>,
}

/// A scheme of at most 8 lower-case letters before `://`.
pub fn looks_like_uri(arg: &str) -> bool {
    match arg.find("://") {
        Some(n) => n <= 8 && arg[..n].bytes().all(|c| c.is_ascii_lowercase()),
        None => false,
    }
}

/// `%XX` escapes decoded.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value of `name` in a query string (`a=b&c=d`; `;` also separates).
fn query_get(query: &str, name: &str) -> Option<String> {
    for part in query.split(['&', ';']) {
        if part.is_empty() {
            continue;
        }
        let (n, v) = match part.split_once('=') {
            Some(("", _)) => continue,
            Some((n, v)) => (unescape(n), unescape(v)),
            None => (unescape(part), String::new()),
        };
        if n == name {
            return Some(v);
        }
    }
    None
}

/// Splits a URI; the error is the message to print (without the program name).
pub fn parse(arg: &str) -> Result<Uri, String> {
    let (scheme, rest) = arg
        .split_once("://")
        .ok_or_else(|| format!("--add: could not parse URI ‘{}’", arg))?;
    if scheme.is_empty() {
        return Err(format!("{}: scheme of URI is NULL or empty", arg));
    }
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let before_query = before_query.split('#').next().unwrap_or_default();
    let (authority, path) = match before_query.find('/') {
        Some(i) => (&before_query[..i], &before_query[i..]),
        None => (before_query, ""),
    };
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
        None => (None, authority),
    };
    let (host, port) = if let Some(h) = hostport.strip_prefix('[') {
        match h.split_once(']') {
            Some((h, p)) => (h.to_string(), p.strip_prefix(':').unwrap_or("")),
            None => return Err(format!("--add: could not parse URI ‘{}’", arg)),
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (unescape(h), p),
            None => (unescape(hostport), ""),
        }
    };
    let port: u32 = if port.is_empty() {
        0
    } else {
        port.parse()
            .map_err(|_| format!("--add: could not parse URI ‘{}’", arg))?
    };
    let socket = query.and_then(|q| query_get(q, "socket"));
    if !host.is_empty() && socket.is_some() {
        return Err(format!(
            "{}: cannot have both a server name and a socket query parameter",
            arg
        ));
    }
    let server = if !host.is_empty() {
        Some(vec![if port == 0 {
            format!("tcp:{}", host)
        } else {
            format!("tcp:{}:{}", host, port)
        }])
    } else {
        socket.map(|s| vec![format!("unix:{}", s)])
    };
    let (username, password) = match userinfo.filter(|u| !u.is_empty()) {
        None => (None, None),
        Some(u) => match u.split_once(':') {
            Some((user, pass)) => (
                Some(unescape(user)),
                Some(unescape(pass)).filter(|p| !p.is_empty()),
            ),
            None => (Some(unescape(u)), None),
        },
    };
    let mut path = unescape(path);
    if path.starts_with('/') && ["gluster", "iscsi", "nbd", "rbd", "sheepdog"].contains(&scheme) {
        path.remove(0);
    }
    Ok(Uri {
        protocol: scheme.to_string(),
        path,
        server,
        username,
        password,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        assert!(looks_like_uri("nbd://h/x"));
        assert!(!looks_like_uri("disk.img"));
        assert!(!looks_like_uri("NBD://h"));
        assert!(!looks_like_uri("verylongscheme://h"));
        let u = parse("nbd://example.com:10809/export").unwrap();
        assert_eq!(u.protocol, "nbd");
        assert_eq!(u.path, "export");
        assert_eq!(u.server, Some(vec!["tcp:example.com:10809".to_string()]));
        let u = parse("ssh://joe:secret@host/disk%20a.img").unwrap();
        assert_eq!(u.username.as_deref(), Some("joe"));
        assert_eq!(u.password.as_deref(), Some("secret"));
        assert_eq!(u.path, "/disk a.img");
        assert_eq!(u.server, Some(vec!["tcp:host".to_string()]));
        let u = parse("nbd+unix:///?socket=/tmp/s").unwrap();
        assert_eq!(u.server, Some(vec!["unix:/tmp/s".to_string()]));
        assert_eq!(u.path, "/");
        assert!(parse("nbd://h/x?socket=/s").is_err());
    }
}
