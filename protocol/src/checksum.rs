//! File checksums as libguestfs's `checksum` call computes them (the output of `md5sum`,
//! `sha256sum`, … and `cksum` for `crc`).

use crate::error::{Error, Result};
use md5::Digest;

/// A checksum being computed over a stream of bytes.
pub enum Checksummer {
    Crc(Cksum),
    Md5(md5::Md5),
    Sha1(sha1::Sha1),
    Sha224(sha2::Sha224),
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

impl Checksummer {
    /// `csumtype` as libguestfs accepts it (in any case, as 1.48's `STRCASEEQ`).
    pub fn new(csumtype: &str) -> Result<Checksummer> {
        Ok(match csumtype.to_ascii_lowercase().as_str() {
            "crc" => Checksummer::Crc(Cksum::default()),
            "md5" => Checksummer::Md5(md5::Md5::new()),
            "sha1" => Checksummer::Sha1(sha1::Sha1::new()),
            "sha224" => Checksummer::Sha224(sha2::Sha224::new()),
            "sha256" => Checksummer::Sha256(sha2::Sha256::new()),
            "sha384" => Checksummer::Sha384(sha2::Sha384::new()),
            "sha512" => Checksummer::Sha512(sha2::Sha512::new()),
            _ => {
                return Err(Error::msg(
                    "unknown checksum type, expecting crc|md5|sha1|sha224|sha256|sha384|sha512",
                ))
            }
        })
    }

    pub fn update(&mut self, data: &[u8]) {
        match self {
            Checksummer::Crc(c) => c.update(data),
            Checksummer::Md5(h) => h.update(data),
            Checksummer::Sha1(h) => h.update(data),
            Checksummer::Sha224(h) => h.update(data),
            Checksummer::Sha256(h) => h.update(data),
            Checksummer::Sha384(h) => h.update(data),
            Checksummer::Sha512(h) => h.update(data),
        }
    }

    /// The checksum as the tool prints it: lower-case hex, or a decimal number for `crc`.
    pub fn finish(self) -> String {
        match self {
            Checksummer::Crc(c) => c.finish().to_string(),
            Checksummer::Md5(h) => hex(&h.finalize()),
            Checksummer::Sha1(h) => hex(&h.finalize()),
            Checksummer::Sha224(h) => hex(&h.finalize()),
            Checksummer::Sha256(h) => hex(&h.finalize()),
            Checksummer::Sha384(h) => hex(&h.finalize()),
            Checksummer::Sha512(h) => hex(&h.finalize()),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{:02x}", b);
    }
    s
}

/// POSIX `cksum`: CRC-32 with polynomial 0x04C11DB7, MSB first, over the data followed by
/// its length, inverted.
#[derive(Default)]
pub struct Cksum {
    crc: u32,
    len: u64,
}

const CKSUM_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = (i as u32) << 24;
        let mut k = 0;
        while k < 8 {
            c = if c & 0x8000_0000 != 0 {
                (c << 1) ^ 0x04C1_1DB7
            } else {
                c << 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

impl Cksum {
    pub fn update(&mut self, data: &[u8]) {
        for &b in data {
            self.crc = (self.crc << 8) ^ CKSUM_TABLE[((self.crc >> 24) as u8 ^ b) as usize];
        }
        self.len += data.len() as u64;
    }

    pub fn finish(mut self) -> u32 {
        let mut n = self.len;
        while n != 0 {
            let b = (n & 0xff) as u8;
            self.crc = (self.crc << 8) ^ CKSUM_TABLE[((self.crc >> 24) as u8 ^ b) as usize];
            n >>= 8;
        }
        !self.crc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(kind: &str, data: &[u8]) -> String {
        let mut c = Checksummer::new(kind).unwrap();
        c.update(data);
        c.finish()
    }

    #[test]
    fn matches_coreutils() {
        // Values from `printf 'hello\n' | md5sum`, `sha256sum` and `cksum`.
        assert_eq!(sum("md5", b"hello\n"), "b1946ac92492d2347c6235b4d2611184");
        assert_eq!(
            sum("sha256", b"hello\n"),
            "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
        );
        assert_eq!(sum("crc", b"hello\n"), "3015617425");
        assert_eq!(sum("crc", b""), "4294967295");
    }

    #[test]
    fn rejects_unknown_types() {
        assert!(Checksummer::new("md4").is_err());
    }
}
