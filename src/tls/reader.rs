//! A bounds-checked cursor over untrusted bytes.
//!
//! Every TLS structure is a nest of length-prefixed fields. `Reader::sub`
//! carves a child reader of exactly the declared length, so a nested length
//! can never read past its parent, and every failure names the field that was
//! short instead of panicking.

use std::fmt;

/// Why a structure could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The field needed more bytes than remained in its enclosing structure.
    Short {
        field: &'static str,
        need: usize,
        have: usize,
    },
    /// Bytes were left over after the last field of a structure.
    Trailing { field: &'static str, extra: usize },
    /// A value that the grammar forbids (e.g. an empty list that must not be empty).
    Invalid {
        field: &'static str,
        why: &'static str,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Short { field, need, have } => {
                write!(f, "{field}: needs {need} bytes, only {have} left")
            }
            DecodeError::Trailing { field, extra } => write!(f, "{field}: {extra} trailing bytes"),
            DecodeError::Invalid { field, why } => write!(f, "{field}: {why}"),
        }
    }
}

/// Shorthand for decode results.
pub type DResult<T> = Result<T, DecodeError>;

/// A cursor that cannot over-read.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader over all of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Bytes not yet consumed.
    pub fn left(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// True when everything was consumed.
    pub fn is_empty(&self) -> bool {
        self.left() == 0
    }

    /// Takes exactly `n` bytes.
    pub fn take(&mut self, n: usize, field: &'static str) -> DResult<&'a [u8]> {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        match rest.split_at_checked(n) {
            Some((head, _)) => {
                self.pos += n;
                Ok(head)
            }
            None => Err(DecodeError::Short {
                field,
                need: n,
                have: rest.len(),
            }),
        }
    }

    /// Everything that is left.
    pub fn rest(&mut self) -> &'a [u8] {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        self.pos = self.buf.len();
        rest
    }

    /// One byte.
    pub fn u8(&mut self, field: &'static str) -> DResult<u8> {
        Ok(self.take(1, field)?.first().copied().unwrap_or_default())
    }

    /// Big-endian u16.
    pub fn u16(&mut self, field: &'static str) -> DResult<u16> {
        let b = self.take(2, field)?;
        Ok(b.iter().fold(0u16, |acc, &x| (acc << 8) | u16::from(x)))
    }

    /// Big-endian 24-bit value.
    pub fn u24(&mut self, field: &'static str) -> DResult<u32> {
        let b = self.take(3, field)?;
        Ok(b.iter().fold(0u32, |acc, &x| (acc << 8) | u32::from(x)))
    }

    /// Big-endian u32.
    pub fn u32(&mut self, field: &'static str) -> DResult<u32> {
        let b = self.take(4, field)?;
        Ok(b.iter().fold(0u32, |acc, &x| (acc << 8) | u32::from(x)))
    }

    /// A child reader over the next `n` bytes.
    pub fn sub(&mut self, n: usize, field: &'static str) -> DResult<Reader<'a>> {
        Ok(Reader::new(self.take(n, field)?))
    }

    /// A child reader over a vector with a 1-byte length prefix.
    pub fn vec8(&mut self, field: &'static str) -> DResult<Reader<'a>> {
        let n = self.u8(field)?;
        self.sub(usize::from(n), field)
    }

    /// A child reader over a vector with a 2-byte length prefix.
    pub fn vec16(&mut self, field: &'static str) -> DResult<Reader<'a>> {
        let n = self.u16(field)?;
        self.sub(usize::from(n), field)
    }

    /// A child reader over a vector with a 3-byte length prefix.
    pub fn vec24(&mut self, field: &'static str) -> DResult<Reader<'a>> {
        let n = self.u24(field)?;
        self.sub(n as usize, field)
    }

    /// Fails if bytes remain.
    pub fn expect_end(&self, field: &'static str) -> DResult<()> {
        match self.left() {
            0 => Ok(()),
            extra => Err(DecodeError::Trailing { field, extra }),
        }
    }

    /// Reads a list of u16 values filling the whole reader.
    pub fn u16_list(&mut self, field: &'static str) -> DResult<Vec<u16>> {
        let mut out = Vec::with_capacity(self.left() / 2);
        while !self.is_empty() {
            out.push(self.u16(field)?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_length_cannot_over_read() {
        // Outer vector of 3 bytes declares an inner vector of 200 bytes.
        let bytes = [0, 3, 0, 200, 1, 9, 9];
        let mut r = Reader::new(&bytes);
        let mut outer = r.vec16("outer").unwrap();
        assert_eq!(
            outer.vec16("inner").unwrap_err(),
            DecodeError::Short {
                field: "inner",
                need: 200,
                have: 1
            }
        );
        assert_eq!(r.left(), 2);
    }

    #[test]
    fn integers_and_trailing() {
        let mut r = Reader::new(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(r.u8("a").unwrap(), 1);
        assert_eq!(r.u16("b").unwrap(), 0x0203);
        assert_eq!(r.u24("c").unwrap(), 0x040506);
        assert_eq!(r.u32("d").unwrap(), 0x0708090a);
        assert!(r.expect_end("end").is_ok());
        assert!(r.u8("x").is_err());
        let r = Reader::new(&[1]);
        assert_eq!(
            r.expect_end("t"),
            Err(DecodeError::Trailing {
                field: "t",
                extra: 1
            })
        );
    }
}
