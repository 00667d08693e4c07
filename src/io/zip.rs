//! The little of the zip format that `.npz` needs: reading stored and deflated entries
//! (with zip64 sizes, as `np.savez` writes them) and writing stored entries.

use flate2::Crc;
use flate2::read::DeflateDecoder;
use std::io::{Read, Write};

const LOCAL_SIG: u32 = 0x0403_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const END_SIG: u32 = 0x0605_4b50;
const ZIP64_END_SIG: u32 = 0x0606_4b50;
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
const CENTRAL_HEADER_LEN: usize = 46;
const LOCAL_HEADER_LEN: usize = 30;
const END_LEN: usize = 22;
/// 1980-01-01, the earliest date a zip entry can carry.
const DOS_DATE_1980: u16 = (1 << 5) | 1;

type Parse<T> = std::result::Result<T, String>;

/// One file in an archive, as its central-directory record describes it.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) name: String,
    method: u16,
    flags: u16,
    crc: u32,
    compressed_size: u64,
    size: u64,
    local_offset: u64,
}

/// Little-endian reads that fail with a message instead of panicking past the end.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Cursor<'a> {
    fn at(bytes: &'a [u8], pos: u64, what: &'static str) -> Parse<Cursor<'a>> {
        let pos = usize::try_from(pos).ok().filter(|&p| p <= bytes.len());
        pos.map(|pos| Cursor { bytes, pos, what })
            .ok_or_else(|| format!("the {what} lies past the end of the archive"))
    }

    fn take(&mut self, n: usize) -> Parse<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end =
            end.ok_or_else(|| format!("truncated archive: the {} is cut short", self.what))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn uint(&mut self, n: usize) -> Parse<u64> {
        Ok(self
            .take(n)?
            .iter()
            .rev()
            .fold(0u64, |v, &b| (v << 8) | u64::from(b)))
    }

    fn u16(&mut self) -> Parse<u16> {
        Ok(self.uint(2)? as u16)
    }

    fn u32(&mut self) -> Parse<u32> {
        Ok(self.uint(4)? as u32)
    }

    fn u64(&mut self) -> Parse<u64> {
        self.uint(8)
    }

    fn signature(&mut self, sig: u32) -> Parse<()> {
        if self.u32()? == sig {
            Ok(())
        } else {
            Err(format!(
                "corrupt archive: bad signature of the {}",
                self.what
            ))
        }
    }
}

/// Where the central directory is and how many records it holds.
struct Directory {
    count: u64,
    size: u64,
    offset: u64,
}

/// Finds the end-of-central-directory record, searching back over a trailing comment.
fn find_end(bytes: &[u8]) -> Parse<usize> {
    let last = bytes.len().checked_sub(END_LEN).ok_or_else(|| {
        format!(
            "not a zip archive (.npz files are zip archives): only {} bytes",
            bytes.len()
        )
    })?;
    let first = last.saturating_sub(usize::from(u16::MAX));
    (first..=last)
        .rev()
        .find(|&p| bytes[p..p + 4] == END_SIG.to_le_bytes())
        .ok_or_else(|| "not a zip archive (.npz files are zip archives): no end record".into())
}

fn read_directory(bytes: &[u8]) -> Parse<Directory> {
    let end = find_end(bytes)?;
    let mut c = Cursor::at(bytes, end as u64 + 10, "end record")?;
    let count = u64::from(c.u16()?);
    let size = u64::from(c.u32()?);
    let offset = u64::from(c.u32()?);
    if count != 0xFFFF && size != 0xFFFF_FFFF && offset != 0xFFFF_FFFF {
        return Ok(Directory {
            count,
            size,
            offset,
        });
    }
    let locator = end
        .checked_sub(20)
        .ok_or("corrupt archive: the zip64 locator is missing")?;
    let mut c = Cursor::at(bytes, locator as u64, "zip64 locator")?;
    c.signature(ZIP64_LOCATOR_SIG)?;
    c.take(4)?;
    let mut c = Cursor::at(bytes, c.u64()?, "zip64 end record")?;
    c.signature(ZIP64_END_SIG)?;
    c.take(28)?;
    let count = c.u64()?;
    let size = c.u64()?;
    let offset = c.u64()?;
    Ok(Directory {
        count,
        size,
        offset,
    })
}

/// The entries of an archive, in central-directory order.
pub(crate) fn read_entries(bytes: &[u8]) -> Parse<Vec<Entry>> {
    let dir = read_directory(bytes)?;
    let fits = dir
        .offset
        .checked_add(dir.size)
        .is_some_and(|e| e <= bytes.len() as u64);
    if !fits || dir.count > dir.size / CENTRAL_HEADER_LEN as u64 {
        return Err(format!(
            "corrupt archive: the central directory ({} entries, {} bytes at offset {}) does \
             not fit the {} bytes of the file",
            dir.count,
            dir.size,
            dir.offset,
            bytes.len()
        ));
    }
    let mut c = Cursor::at(bytes, dir.offset, "central directory")?;
    let entries: Vec<Entry> = (0..dir.count)
        .map(|_| read_central_record(&mut c))
        .collect::<Parse<_>>()?;
    // entries sharing data would let a small file expand quadratically
    let total = entries
        .iter()
        .try_fold(0u64, |n, e| n.checked_add(e.compressed_size));
    if total.is_none_or(|n| n > bytes.len() as u64) {
        return Err("corrupt archive: the entries' sizes add up to more than the file".into());
    }
    Ok(entries)
}

fn read_central_record(c: &mut Cursor) -> Parse<Entry> {
    c.signature(CENTRAL_SIG)?;
    c.take(4)?;
    let flags = c.u16()?;
    let method = c.u16()?;
    c.take(4)?;
    let crc = c.u32()?;
    let mut compressed_size = u64::from(c.u32()?);
    let mut size = u64::from(c.u32()?);
    let name_len = usize::from(c.u16()?);
    let extra_len = usize::from(c.u16()?);
    let comment_len = usize::from(c.u16()?);
    c.take(8)?;
    let mut local_offset = u64::from(c.u32()?);
    let name = String::from_utf8_lossy(c.take(name_len)?).into_owned();
    let extra = c.take(extra_len)?;
    c.take(comment_len)?;
    // zip64: the fields that overflow 32 bits are 0xFFFFFFFF here and follow in the extra field
    let mut zip64 = zip64_field(extra)?;
    for field in [&mut size, &mut compressed_size, &mut local_offset] {
        if *field == 0xFFFF_FFFF {
            *field = zip64.u64()?;
        }
    }
    Ok(Entry {
        name,
        method,
        flags,
        crc,
        compressed_size,
        size,
        local_offset,
    })
}

/// The body of the zip64 extended-information field (id 1) in an extra block, or an empty one.
fn zip64_field(extra: &[u8]) -> Parse<Cursor<'_>> {
    let mut c = Cursor {
        bytes: extra,
        pos: 0,
        what: "extra field",
    };
    while c.pos + 4 <= extra.len() {
        let id = c.u16()?;
        let len = usize::from(c.u16()?);
        let body = c.take(len)?;
        if id == 1 {
            return Ok(Cursor {
                bytes: body,
                pos: 0,
                what: "zip64 extra field",
            });
        }
    }
    Ok(Cursor {
        bytes: &[],
        pos: 0,
        what: "zip64 extra field",
    })
}

/// The uncompressed contents of an entry, checked against its size and CRC-32.
pub(crate) fn entry_data(bytes: &[u8], e: &Entry) -> Parse<Vec<u8>> {
    if e.flags & 1 != 0 {
        return Err(format!("entry \"{}\" is encrypted", e.name));
    }
    let mut c = Cursor::at(bytes, e.local_offset, "local header")?;
    c.signature(LOCAL_SIG)?;
    c.take(LOCAL_HEADER_LEN - 8)?; // version .. uncompressed size
    let name_len = usize::from(c.u16()?);
    let extra_len = usize::from(c.u16()?);
    c.take(name_len + extra_len)?;
    let len = usize::try_from(e.compressed_size).unwrap_or(usize::MAX);
    c.what = "entry data";
    let raw = c.take(len)?;
    let data = match e.method {
        0 if e.compressed_size == e.size => raw.to_vec(),
        0 => return Err(format!("entry \"{}\": stored sizes disagree", e.name)),
        8 => inflate(raw, e)?,
        m => {
            return Err(format!(
                "entry \"{}\" uses compression method {m}; only stored (0) and deflate (8) \
                 are supported",
                e.name
            ));
        }
    };
    let mut crc = Crc::new();
    crc.update(&data);
    if crc.sum() != e.crc {
        return Err(format!(
            "entry \"{}\" is corrupt: its CRC-32 does not match",
            e.name
        ));
    }
    Ok(data)
}

/// Inflates a deflated entry; the output grows with what the stream really holds, never past
/// the declared size.
fn inflate(raw: &[u8], e: &Entry) -> Parse<Vec<u8>> {
    let mut out = Vec::new();
    DeflateDecoder::new(raw)
        .take(e.size.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|err| format!("entry \"{}\": corrupt deflate data: {err}", e.name))?;
    if out.len() as u64 != e.size {
        return Err(format!(
            "entry \"{}\": inflates to {} bytes, not the {} its header says",
            e.name,
            out.len(),
            e.size
        ));
    }
    Ok(out)
}

/// Writes a zip archive of stored (uncompressed) entries, as `np.savez` does.
pub(crate) struct ZipWriter<'a> {
    out: &'a mut dyn Write,
    offset: u64,
    central: Vec<u8>,
    count: u64,
}

fn too_big() -> crate::Error {
    crate::Error::msg(
        "write_npz: the archive would need zip64 (an entry or the archive over 4 GiB, or over \
         65535 entries), which firebrand does not write; use save_safetensors for large data",
    )
}

impl<'a> ZipWriter<'a> {
    pub(crate) fn new(out: &'a mut dyn Write) -> ZipWriter<'a> {
        ZipWriter {
            out,
            offset: 0,
            central: Vec::new(),
            count: 0,
        }
    }

    /// Appends a stored entry.
    pub(crate) fn add_entry(&mut self, name: &str, data: &[u8]) -> crate::Result<()> {
        let size = u32::try_from(data.len()).map_err(|_| too_big())?;
        let offset = u32::try_from(self.offset).map_err(|_| too_big())?;
        let name_len = u16::try_from(name.len()).map_err(|_| too_big())?;
        if self.count >= 0xFFFF {
            return Err(too_big());
        }
        let mut crc = Crc::new();
        crc.update(data);
        let common = common_fields(crc.sum(), size, name_len);
        let mut local = Vec::with_capacity(LOCAL_HEADER_LEN + name.len());
        local.extend_from_slice(&LOCAL_SIG.to_le_bytes());
        local.extend_from_slice(&common);
        local.extend_from_slice(&0u16.to_le_bytes()); // extra length
        local.extend_from_slice(name.as_bytes());
        self.out.write_all(&local)?;
        self.out.write_all(data)?;

        let c = &mut self.central;
        c.extend_from_slice(&CENTRAL_SIG.to_le_bytes());
        c.extend_from_slice(&(0x0300u16 | 20).to_le_bytes()); // made by: unix, zip 2.0
        c.extend_from_slice(&common);
        c.extend_from_slice(&[0; 8]); // extra and comment lengths, disk, internal attributes
        c.extend_from_slice(&(0o100644u32 << 16).to_le_bytes()); // a regular file, rw-r--r--
        c.extend_from_slice(&offset.to_le_bytes());
        c.extend_from_slice(name.as_bytes());
        self.offset += (local.len() + data.len()) as u64;
        self.count += 1;
        Ok(())
    }

    /// Writes the central directory and the end record.
    pub(crate) fn finish(self) -> crate::Result<()> {
        let cd_offset = u32::try_from(self.offset).map_err(|_| too_big())?;
        let cd_size = u32::try_from(self.central.len()).map_err(|_| too_big())?;
        let count = self.count as u16;
        self.out.write_all(&self.central)?;
        let mut end = Vec::with_capacity(END_LEN);
        end.extend_from_slice(&END_SIG.to_le_bytes());
        end.extend_from_slice(&[0; 4]); // disk numbers
        end.extend_from_slice(&count.to_le_bytes());
        end.extend_from_slice(&count.to_le_bytes());
        end.extend_from_slice(&cd_size.to_le_bytes());
        end.extend_from_slice(&cd_offset.to_le_bytes());
        end.extend_from_slice(&0u16.to_le_bytes()); // comment length
        self.out.write_all(&end)?;
        Ok(())
    }
}

/// The fields a local header and a central record share, from "version needed" through the
/// name length.
fn common_fields(crc: u32, size: u32, name_len: u16) -> Vec<u8> {
    let mut f = Vec::with_capacity(24);
    f.extend_from_slice(&20u16.to_le_bytes()); // version needed: 2.0
    f.extend_from_slice(&0u16.to_le_bytes()); // flags
    f.extend_from_slice(&0u16.to_le_bytes()); // method: stored
    f.extend_from_slice(&0u16.to_le_bytes()); // time 00:00
    f.extend_from_slice(&DOS_DATE_1980.to_le_bytes());
    f.extend_from_slice(&crc.to_le_bytes());
    f.extend_from_slice(&size.to_le_bytes()); // compressed size
    f.extend_from_slice(&size.to_le_bytes());
    f.extend_from_slice(&name_len.to_le_bytes());
    f
}
