//! The disks of a libvirt domain XML document, read as libguestfs 1.48 reads them
//! (lib/libvirt-domain.c, `for_each_disk`): every `//devices/disk` in document order, with
//! its source, `driver/@type` format, `<readonly/>` flag and logical block size. Disks whose
//! source cannot be read from the XML are left out, as 1.48 leaves them out.

use sxd_document::dom::Element;
use sxd_document::parser;
use sxd_xpath::nodeset::Node;
use sxd_xpath::{Context, Factory, Value};

/// Where a disk's data is, as the XML says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiskSource {
    /// `<disk type='file'>`: `source/@file`.
    File(String),
    /// `<disk type='block'>`: `source/@dev`.
    Block(String),
    /// `<disk type='network'>`: the protocol, the export or image name (may be empty), the
    /// `source/host` servers as `NAME[:PORT]`, and the credentials of `<auth>`.
    Network {
        protocol: String,
        name: String,
        servers: Vec<String>,
        auth: Option<Auth>,
    },
    /// `<disk type='volume'>`: a volume of a libvirt storage pool.
    Volume { pool: String, volume: String },
}

/// `<auth username=…><secret type=… uuid=…|usage=…/></auth>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Auth {
    pub username: String,
    /// `secret/@type`: `ceph`, `iscsi`, `volume`, `none`…
    pub secret_type: String,
    pub secret: SecretRef,
}

/// How `<secret>` names the libvirt secret holding the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    Uuid(String),
    Usage(String),
}

/// One `<disk>` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disk {
    pub source: DiskSource,
    /// `driver/@type` (`raw`, `qcow2`…), when given.
    pub format: Option<String>,
    /// `<readonly/>` is present.
    pub readonly: bool,
    /// `blockio/@logical_block_size`; 0 when absent or not a number.
    pub blocksize: i32,
}

/// The SELinux labels of `/domain/seclabel[@model='selinux']` (sVirt), when there is exactly
/// one such element and it has both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelinuxLabel {
    pub label: String,
    pub imagelabel: String,
}

/// The libvirt XML could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unparsable;

/// The disks of a domain XML document, in document order.
pub fn disks(xml: &str) -> Result<Vec<Disk>, Unparsable> {
    let package = parser::parse(xml).map_err(|_| Unparsable)?;
    let doc = package.as_document();
    let xpath = Query::new();
    let Some(Value::Nodeset(nodes)) = xpath.eval(doc.root(), "//devices/disk") else {
        return Ok(Vec::new());
    };
    Ok(nodes
        .document_order()
        .into_iter()
        .filter_map(|n| n.element())
        .filter_map(|e| disk(&xpath, e))
        .collect())
}

/// The domain's SELinux process and image labels.
pub fn selinux_label(xml: &str) -> Result<Option<SelinuxLabel>, Unparsable> {
    let package = parser::parse(xml).map_err(|_| Unparsable)?;
    let doc = package.as_document();
    let xpath = Query::new();
    let Some(Value::Nodeset(nodes)) = xpath.eval(doc.root(), "/domain/seclabel[@model='selinux']")
    else {
        return Ok(None);
    };
    let nodes: Vec<Element> = nodes
        .document_order()
        .into_iter()
        .filter_map(|n| n.element())
        .collect();
    let [seclabel] = nodes.as_slice() else {
        return Ok(None);
    };
    let child = |name: &str| xpath.first(*seclabel, &format!("./{}", name));
    Ok(child("label")
        .zip(child("imagelabel"))
        .map(|(label, imagelabel)| SelinuxLabel { label, imagelabel }))
}

/// One `<disk>`, or None when 1.48 skips it (no type, no source, an unknown type…).
fn disk(xpath: &Query, e: Element) -> Option<Disk> {
    let source = match xpath.first(e, "./@type")?.as_str() {
        "file" => DiskSource::File(xpath.first(e, "./source/@file")?),
        "block" => DiskSource::Block(xpath.first(e, "./source/@dev")?),
        "network" => {
            let protocol = xpath.first(e, "./source/@protocol")?;
            // The name is optional (an NBD export, for one).
            let name = xpath.first(e, "./source/@name").unwrap_or_default();
            let auth = match xpath.first(e, "./auth/@username") {
                Some(username) => Some(auth(xpath, e, username)?),
                None => None,
            };
            let servers = xpath
                .elements(e, "./source/host")
                .into_iter()
                .map(|h| {
                    let name = h.attribute_value("name").unwrap_or_default();
                    match h.attribute_value("port") {
                        Some(port) => format!("{}:{}", name, port),
                        None => name.to_string(),
                    }
                })
                .collect();
            DiskSource::Network {
                protocol,
                name,
                servers,
                auth,
            }
        }
        "volume" => DiskSource::Volume {
            pool: xpath.first(e, "./source/@pool")?,
            volume: xpath.first(e, "./source/@volume")?,
        },
        _ => return None,
    };
    Some(Disk {
        source,
        format: xpath.first(e, "./driver/@type"),
        readonly: !xpath.elements(e, "./readonly").is_empty(),
        blocksize: xpath
            .first(e, "./blockio/@logical_block_size")
            .map_or(0, |s| leading_int(&s)),
    })
}

/// `<auth>` needs a secret type and a secret UUID or usage; without them the disk is skipped.
fn auth(xpath: &Query, e: Element, username: String) -> Option<Auth> {
    let secret_type = xpath.first(e, "./auth/secret/@type")?;
    let secret = match xpath.first(e, "./auth/secret/@uuid") {
        Some(uuid) => SecretRef::Uuid(uuid),
        None => SecretRef::Usage(xpath.first(e, "./auth/secret/@usage")?),
    };
    Some(Auth {
        username,
        secret_type,
        secret,
    })
}

/// `sscanf("%d")`: optional blanks and sign, then digits; 0 when there are none.
fn leading_int(s: &str) -> i32 {
    let t = s.trim_start();
    let (sign, digits) = match t.strip_prefix('-') {
        Some(rest) => (-1i64, rest),
        None => (1, t.strip_prefix('+').unwrap_or(t)),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end]
        .parse::<i64>()
        .ok()
        .and_then(|v| i32::try_from(sign * v).ok())
        .unwrap_or(0)
}

/// XPath evaluation relative to a node.
struct Query {
    factory: Factory,
    context: Context<'static>,
}

impl Query {
    fn new() -> Query {
        Query {
            factory: Factory::new(),
            context: Context::new(),
        }
    }

    fn eval<'d>(&self, node: impl Into<Node<'d>>, expr: &str) -> Option<Value<'d>> {
        let xpath = self.factory.build(expr).ok()??;
        xpath.evaluate(&self.context, node).ok()
    }

    /// The string value of the first node `expr` selects.
    fn first(&self, e: Element, expr: &str) -> Option<String> {
        match self.eval(e, expr)? {
            Value::Nodeset(n) => n.document_order_first().map(|n| n.string_value()),
            _ => None,
        }
    }

    fn elements<'d>(&self, e: Element<'d>, expr: &str) -> Vec<Element<'d>> {
        match self.eval(e, expr) {
            Some(Value::Nodeset(n)) => n
                .document_order()
                .into_iter()
                .filter_map(|n| n.element())
                .collect(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = r#"<domain type='kvm'>
  <name>g</name>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/a.qcow2'/>
      <blockio logical_block_size='4096'/>
    </disk>
    <disk device='disk'><source file='/no-type.img'/></disk>
    <disk type='file' device='cdrom'><target dev='hdc'/></disk>
    <disk type='block' device='disk'>
      <source dev='/dev/vg/lv'/>
      <readonly/>
    </disk>
    <disk type='network' device='disk'>
      <driver type='raw'/>
      <source protocol='rbd' name='pool/image'>
        <host name='mon1' port='6789'/>
        <host name='mon2'/>
      </source>
      <auth username='admin'><secret type='ceph' usage='client.admin'/></auth>
    </disk>
    <disk type='network'><source protocol='nbd'><host name='h'/></source></disk>
    <disk type='network'><source protocol='rbd' name='x'/><auth username='u'/></disk>
    <disk type='volume'><source pool='default' volume='v.img'/></disk>
    <disk type='dir'><source dir='/srv'/></disk>
  </devices>
</domain>"#;

    #[test]
    fn disks_are_read_in_order_and_unreadable_ones_left_out() {
        let d = disks(XML).unwrap();
        assert_eq!(d.len(), 5);
        assert_eq!(d[0].source, DiskSource::File("/a.qcow2".into()));
        assert_eq!(d[0].format.as_deref(), Some("qcow2"));
        assert_eq!(d[0].blocksize, 4096);
        assert!(!d[0].readonly);
        assert_eq!(d[1].source, DiskSource::Block("/dev/vg/lv".into()));
        assert!(d[1].readonly);
        assert_eq!(d[1].format, None);
        assert_eq!(
            d[2].source,
            DiskSource::Network {
                protocol: "rbd".into(),
                name: "pool/image".into(),
                servers: vec!["mon1:6789".into(), "mon2".into()],
                auth: Some(Auth {
                    username: "admin".into(),
                    secret_type: "ceph".into(),
                    secret: SecretRef::Usage("client.admin".into()),
                }),
            }
        );
        assert_eq!(
            d[3].source,
            DiskSource::Network {
                protocol: "nbd".into(),
                name: String::new(),
                servers: vec!["h".into()],
                auth: None,
            }
        );
        assert_eq!(
            d[4].source,
            DiskSource::Volume {
                pool: "default".into(),
                volume: "v.img".into()
            }
        );
    }

    #[test]
    fn block_sizes_are_read_like_sscanf() {
        assert_eq!(leading_int(" 512x"), 512);
        assert_eq!(leading_int("abc"), 0);
        assert_eq!(leading_int("-4"), -4);
    }

    #[test]
    fn selinux_labels_need_one_seclabel_with_both() {
        let one = "<domain><seclabel type='dynamic' model='selinux'><label>L</label>\
                   <imagelabel>I</imagelabel></seclabel><seclabel model='dac'/></domain>";
        assert_eq!(
            selinux_label(one),
            Ok(Some(SelinuxLabel {
                label: "L".into(),
                imagelabel: "I".into()
            }))
        );
        let two = "<domain><seclabel model='selinux'><label>L</label><imagelabel>I</imagelabel>\
                   </seclabel><seclabel model='selinux'/></domain>";
        assert_eq!(selinux_label(two), Ok(None));
        let half = "<domain><seclabel model='selinux'><label>L</label></seclabel></domain>";
        assert_eq!(selinux_label(half), Ok(None));
    }

    #[test]
    fn bad_xml_is_an_error() {
        assert_eq!(disks("<domain>"), Err(Unparsable));
        assert_eq!(disks("<domain/>"), Ok(Vec::new()));
    }
}
