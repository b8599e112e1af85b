//! XDR (RFC 4506) encoding as the libguestfs protocol uses it: big-endian 4-byte units,
//! 8-byte hypers, length-prefixed strings and opaques padded to a multiple of 4.
//!
//! The decoder works on a byte slice that was already bounded by the message size limit and
//! never trusts a length field: every length is checked against the bytes that remain.

use crate::error::{Error, Result};

/// Builds an XDR byte string.
#[derive(Debug, Default, Clone)]
pub struct XdrWriter {
    pub buf: Vec<u8>,
}

impl XdrWriter {
    pub fn new() -> XdrWriter {
        XdrWriter { buf: Vec::new() }
    }
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    pub fn i32(&mut self, v: i32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    pub fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    pub fn bool(&mut self, v: bool) {
        self.u32(v as u32);
    }
    pub fn f32(&mut self, v: f32) {
        self.buf.extend_from_slice(&v.to_bits().to_be_bytes());
    }
    /// A variable-length opaque (or string): length, bytes, zero padding.
    pub fn opaque(&mut self, data: &[u8]) {
        self.u32(data.len() as u32);
        self.buf.extend_from_slice(data);
        let pad = (4 - data.len() % 4) % 4;
        self.buf.extend_from_slice(&[0u8; 3][..pad]);
    }
    /// A string: the bytes it carries (see [`crate::lossless`]).
    pub fn string(&mut self, s: &str) {
        self.opaque(&crate::lossless::bytes_of(s));
    }
    /// A fixed-size opaque (`opaque x[N]`): exactly `n` bytes (truncated or zero-padded), then
    /// padding to a multiple of 4.
    pub fn fixed_opaque(&mut self, data: &[u8], n: usize) {
        let mut v = data.to_vec();
        v.resize(n, 0);
        self.buf.extend_from_slice(&v);
        let pad = (4 - n % 4) % 4;
        self.buf.extend_from_slice(&[0u8; 3][..pad]);
    }
    /// An optional string (`string *`): 0, or 1 and the string.
    pub fn opt_string(&mut self, s: Option<&str>) {
        match s {
            None => self.u32(0),
            Some(s) => {
                self.u32(1);
                self.string(s);
            }
        }
    }
    pub fn string_list<S: AsRef<str>>(&mut self, list: &[S]) {
        self.u32(list.len() as u32);
        for s in list {
            self.string(s.as_ref());
        }
    }
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads XDR values from a byte slice.
#[derive(Debug)]
pub struct XdrReader<'a> {
    data: &'a [u8],
    pos: usize,
}

fn truncated() -> Error {
    Error::new(libc::EIO, "XDR decoding failed: message truncated")
}

impl<'a> XdrReader<'a> {
    pub fn new(data: &'a [u8]) -> XdrReader<'a> {
        XdrReader { data, pos: 0 }
    }
    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }
    pub fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or(&[])
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or_else(truncated)?;
        let s = self.data.get(self.pos..end).ok_or_else(truncated)?;
        self.pos = end;
        Ok(s)
    }
    fn take4(&mut self) -> Result<[u8; 4]> {
        let s = self.take(4)?;
        Ok([s[0], s[1], s[2], s[3]])
    }
    fn take8(&mut self) -> Result<[u8; 8]> {
        let s = self.take(8)?;
        let mut b = [0u8; 8];
        b.copy_from_slice(s);
        Ok(b)
    }
    pub fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.take4()?))
    }
    pub fn i32(&mut self) -> Result<i32> {
        Ok(i32::from_be_bytes(self.take4()?))
    }
    pub fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_be_bytes(self.take8()?))
    }
    pub fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_be_bytes(self.take8()?))
    }
    pub fn bool(&mut self) -> Result<bool> {
        match self.u32()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Error::new(libc::EIO, "XDR decoding failed: bad boolean")),
        }
    }
    pub fn f32(&mut self) -> Result<f32> {
        Ok(f32::from_bits(self.u32()?))
    }
    /// A variable-length opaque of at most `max` bytes.
    pub fn opaque_max(&mut self, max: usize) -> Result<&'a [u8]> {
        let len = self.u32()? as usize;
        if len > max {
            return Err(Error::new(
                libc::EIO,
                "XDR decoding failed: string or opaque too long",
            ));
        }
        let data = self.take(len)?;
        let pad = (4 - len % 4) % 4;
        self.take(pad)?;
        Ok(data)
    }
    pub fn opaque(&mut self) -> Result<&'a [u8]> {
        self.opaque_max(usize::MAX)
    }
    /// A string; bytes that are not UTF-8 are carried without loss (see [`crate::lossless`]).
    pub fn string(&mut self) -> Result<String> {
        Ok(crate::lossless::string_of(self.opaque()?).into_owned())
    }
    pub fn string_max(&mut self, max: usize) -> Result<String> {
        Ok(crate::lossless::string_of(self.opaque_max(max)?).into_owned())
    }
    pub fn fixed_opaque(&mut self, n: usize) -> Result<&'a [u8]> {
        let data = self.take(n)?;
        let pad = (4 - n % 4) % 4;
        self.take(pad)?;
        Ok(data)
    }
    /// A count of list elements, each at least `min_size` bytes: rejected when the message
    /// cannot hold that many, so a hostile count never drives an allocation.
    pub fn count(&mut self, min_size: usize) -> Result<usize> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min_size.max(1)) > self.remaining() {
            return Err(truncated());
        }
        Ok(n)
    }
    /// An optional string (`string *`).
    pub fn opt_string(&mut self) -> Result<Option<String>> {
        match self.u32()? {
            0 => Ok(None),
            1 => Ok(Some(self.string()?)),
            _ => Err(Error::new(libc::EIO, "XDR decoding failed: bad optional")),
        }
    }
    pub fn string_list(&mut self) -> Result<Vec<String>> {
        let n = self.count(4)?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(self.string()?);
        }
        Ok(v)
    }
    /// A hashtable: a flat string list of keys and values.
    pub fn hashtable(&mut self) -> Result<Vec<(String, String)>> {
        let flat = self.string_list()?;
        if flat.len() % 2 != 0 {
            return Err(Error::new(
                libc::EIO,
                "XDR decoding failed: odd-length hashtable",
            ));
        }
        let mut it = flat.into_iter();
        let mut out = Vec::new();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            out.push((k, v));
        }
        Ok(out)
    }
}

/// A value with an XDR encoding.
pub trait Xdr: Sized {
    fn encode(&self, w: &mut XdrWriter);
    fn decode(r: &mut XdrReader) -> Result<Self>;
    /// The smallest encoded size, to bound list counts.
    const MIN_SIZE: usize = 4;
}

impl Xdr for i32 {
    fn encode(&self, w: &mut XdrWriter) {
        w.i32(*self)
    }
    fn decode(r: &mut XdrReader) -> Result<Self> {
        r.i32()
    }
}
impl Xdr for i64 {
    fn encode(&self, w: &mut XdrWriter) {
        w.i64(*self)
    }
    fn decode(r: &mut XdrReader) -> Result<Self> {
        r.i64()
    }
    const MIN_SIZE: usize = 8;
}
impl Xdr for bool {
    fn encode(&self, w: &mut XdrWriter) {
        w.bool(*self)
    }
    fn decode(r: &mut XdrReader) -> Result<Self> {
        r.bool()
    }
}
impl Xdr for String {
    fn encode(&self, w: &mut XdrWriter) {
        w.string(self)
    }
    fn decode(r: &mut XdrReader) -> Result<Self> {
        r.string()
    }
}
impl Xdr for Vec<u8> {
    fn encode(&self, w: &mut XdrWriter) {
        w.opaque(self)
    }
    fn decode(r: &mut XdrReader) -> Result<Self> {
        Ok(r.opaque()?.to_vec())
    }
}
impl Xdr for () {
    fn encode(&self, _w: &mut XdrWriter) {}
    fn decode(_r: &mut XdrReader) -> Result<Self> {
        Ok(())
    }
    const MIN_SIZE: usize = 0;
}

/// A list (`T x<>`): count then elements.
pub fn encode_list<T: Xdr>(w: &mut XdrWriter, list: &[T]) {
    w.u32(list.len() as u32);
    for x in list {
        x.encode(w);
    }
}

pub fn decode_list<T: Xdr>(r: &mut XdrReader) -> Result<Vec<T>> {
    let n = r.count(T::MIN_SIZE)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(T::decode(r)?);
    }
    Ok(v)
}

impl Xdr for Vec<String> {
    fn encode(&self, w: &mut XdrWriter) {
        w.string_list(self)
    }
    fn decode(r: &mut XdrReader) -> Result<Self> {
        r.string_list()
    }
}

/// A hashtable travels as a flat string list `[k0, v0, k1, v1, …]`.
impl Xdr for Vec<(String, String)> {
    fn encode(&self, w: &mut XdrWriter) {
        w.u32((self.len() * 2) as u32);
        for (k, v) in self {
            w.string(k);
            w.string(v);
        }
    }
    fn decode(r: &mut XdrReader) -> Result<Self> {
        r.hashtable()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_padded_and_round_trip() {
        let mut w = XdrWriter::new();
        w.string("/dev/sda1");
        w.string("/");
        assert_eq!(
            w.buf,
            [
                0, 0, 0, 9, b'/', b'd', b'e', b'v', b'/', b's', b'd', b'a', b'1', 0, 0, 0, 0, 0, 0,
                1, b'/', 0, 0, 0
            ]
        );
        let mut r = XdrReader::new(&w.buf);
        assert_eq!(r.string().unwrap(), "/dev/sda1");
        assert_eq!(r.string().unwrap(), "/");
        assert_eq!(r.remaining(), 0);
    }

    #[test]
    fn strings_that_are_not_utf8_travel_as_their_bytes() {
        let mut w = XdrWriter::new();
        w.opaque(b"/a\xffb");
        let name = XdrReader::new(&w.buf).string().unwrap();
        assert_ne!(name, "/a\u{FFFD}b");
        let mut again = XdrWriter::new();
        again.string(&name);
        assert_eq!(again.buf, w.buf);
    }

    #[test]
    fn hostile_lengths_are_rejected() {
        let bytes = [0xff, 0xff, 0xff, 0xf0, 1, 2, 3, 4];
        assert!(XdrReader::new(&bytes).string().is_err());
        assert!(XdrReader::new(&bytes).string_list().is_err());
        assert!(XdrReader::new(&[0, 0]).u32().is_err());
    }
}
