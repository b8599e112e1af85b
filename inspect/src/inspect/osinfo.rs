//! The libosinfo short ID (`inspect_get_osinfo`), built from the other getters' answers as
//! libguestfs 1.48 builds it.

/// The getter values osinfo depends on ("unknown" where unset, major/minor 0).
pub struct OsinfoInput<'a> {
    pub os_type: &'a str,
    pub distro: &'a str,
    pub major: i32,
    pub minor: i32,
    pub product_name: &'a str,
    pub product_variant: &'a str,
}

/// The osinfo short ID, or `unknown`.
pub fn osinfo(i: &OsinfoInput) -> String {
    let (distro, major, minor) = (i.distro, i.major, i.minor);
    match i.os_type {
        "linux" => {
            match distro {
                "centos" if major >= 8 => return format!("{}{}", distro, major),
                "centos" if major == 7 => return format!("{}{}.0", distro, major),
                "centos" if major == 6 => return format!("{}{}.{}", distro, major, minor),
                "rocky" if major >= 8 => return format!("{}{}", distro, major),
                "debian" if major >= 4 => return format!("{}{}", distro, major),
                "fedora" | "mageia" => return format!("{}{}", distro, major),
                "sles" => {
                    let base = if major >= 15 { "sle" } else { "sles" };
                    return if minor == 0 {
                        format!("{}{}", base, major)
                    } else {
                        format!("{}{}sp{}", base, major, minor)
                    };
                }
                "ubuntu" => return format!("{}{}.{:02}", distro, major, minor),
                "archlinux" | "gentoo" | "voidlinux" => return distro.to_string(),
                "altlinux" if major >= 8 => return format!("alt{}.{}", major, minor),
                "altlinux" => return format!("{}{}.{}", distro, major, minor),
                _ => {}
            }
            if distro != "unknown" && (major > 0 || minor > 0) {
                return format!("{}{}.{}", distro, major, minor);
            }
        }
        "freebsd" | "netbsd" | "openbsd" => return format!("{}{}.{}", distro, major, minor),
        "dos" if distro == "msdos" => return "msdos6.22".into(),
        "windows" => {
            if let Some(id) = windows(i) {
                return id.into();
            }
        }
        _ => {}
    }
    "unknown".into()
}

fn windows(i: &OsinfoInput) -> Option<&'static str> {
    let server = i.product_variant.contains("Server");
    Some(match (i.major, i.minor) {
        (5, 1) => "winxp",
        (5, 2) => {
            if i.product_name.contains("XP") {
                "winxp"
            } else if i.product_name.contains("R2") {
                "win2k3r2"
            } else {
                "win2k3"
            }
        }
        (6, 0) => {
            if server {
                "win2k8"
            } else {
                "winvista"
            }
        }
        (6, 1) => {
            if server {
                "win2k8r2"
            } else {
                "win7"
            }
        }
        (6, 2) => {
            if server {
                "win2k12"
            } else {
                "win8"
            }
        }
        (6, 3) => {
            if server {
                "win2k12r2"
            } else {
                "win8.1"
            }
        }
        (10, 0) => {
            if server {
                if i.product_name.contains("2022") {
                    "win2k22"
                } else if i.product_name.contains("2019") {
                    "win2k19"
                } else {
                    "win2k16"
                }
            } else {
                "win10"
            }
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(t: &str, d: &str, maj: i32, min: i32) -> String {
        osinfo(&OsinfoInput {
            os_type: t,
            distro: d,
            major: maj,
            minor: min,
            product_name: "unknown",
            product_variant: "unknown",
        })
    }

    fn win(maj: i32, min: i32, name: &str, variant: &str) -> String {
        osinfo(&OsinfoInput {
            os_type: "windows",
            distro: "windows",
            major: maj,
            minor: min,
            product_name: name,
            product_variant: variant,
        })
    }

    #[test]
    fn linux_ids() {
        assert_eq!(id("linux", "fedora", 14, 0), "fedora14");
        assert_eq!(id("linux", "debian", 5, 0), "debian5");
        assert_eq!(id("linux", "debian", 3, 1), "debian3.1");
        assert_eq!(id("linux", "ubuntu", 10, 10), "ubuntu10.10");
        assert_eq!(id("linux", "ubuntu", 22, 4), "ubuntu22.04");
        assert_eq!(id("linux", "archlinux", 0, 0), "archlinux");
        assert_eq!(id("linux", "coreos", 899, 13), "coreos899.13");
        assert_eq!(id("linux", "centos", 7, 9), "centos7.0");
        assert_eq!(id("linux", "centos", 6, 10), "centos6.10");
        assert_eq!(id("linux", "centos", 8, 4), "centos8");
        assert_eq!(id("linux", "centos", 5, 11), "centos5.11");
        assert_eq!(id("linux", "rhel", 9, 4), "rhel9.4");
        assert_eq!(id("linux", "sles", 12, 0), "sles12");
        assert_eq!(id("linux", "sles", 15, 5), "sle15sp5");
        assert_eq!(id("linux", "altlinux", 8, 2), "alt8.2");
        assert_eq!(id("linux", "altlinux", 7, 0), "altlinux7.0");
        assert_eq!(id("linux", "unknown", 5, 1), "unknown");
        assert_eq!(id("linux", "slackware", 0, 0), "unknown");
        assert_eq!(id("freebsd", "freebsd", 0, 0), "freebsd0.0");
        assert_eq!(id("dos", "msdos", 0, 0), "msdos6.22");
        assert_eq!(id("dos", "freedos", 0, 0), "unknown");
        assert_eq!(id("hurd", "debian", 0, 0), "unknown");
    }

    #[test]
    fn windows_ids() {
        assert_eq!(
            win(6, 1, "Microsoft Windows 7 Phony Edition", "Client"),
            "win7"
        );
        assert_eq!(win(6, 1, "Windows Server 2008 R2", "Server"), "win2k8r2");
        assert_eq!(win(5, 2, "Windows XP Professional x64", "unknown"), "winxp");
        assert_eq!(win(5, 2, "Windows Server 2003 R2", "unknown"), "win2k3r2");
        assert_eq!(
            win(10, 0, "Windows Server 2019 Standard", "Server"),
            "win2k19"
        );
        assert_eq!(win(10, 0, "Windows Server 2022", "Server Core"), "win2k22");
        assert_eq!(win(10, 0, "Windows Server 2016", "Server"), "win2k16");
        assert_eq!(win(10, 0, "Windows 10 Pro", "Client"), "win10");
        assert_eq!(win(5, 0, "Windows 2000", "unknown"), "unknown");
    }
}
