//! The sealed format's guarantees: every altered byte is refused, a wrong key is named,
//! truncation and reordering are caught, and the log resumes without reusing a nonce.

use super::*;
use std::io::Write;

fn key(n: u8) -> SealKey {
    SealKey::from_bytes([n; 32])
}

/// A one-shot sealed file of `plain`.
fn sealed(plain: &[u8], k: &SealKey) -> Vec<u8> {
    let mut w = Writer::new(Vec::new(), k, FileKind::Rdb).unwrap();
    // Odd chunk sizes, to cross record boundaries anywhere.
    for chunk in plain.chunks(7777) {
        w.write_all(chunk).unwrap();
    }
    w.finish().unwrap()
}

fn open_all(file: &[u8], k: &SealKey) -> Result<Vec<u8>, SealError> {
    let mut out = Vec::new();
    let mut r = Reader::open(file, k)?;
    r.read_to_end(&mut out).map_err(SealError::from)?;
    Ok(out)
}

/// Record boundaries of a file: (start, end) of each record.
fn records(file: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = HEADER_LEN;
    while at < file.len() {
        let word = u32::from_be_bytes(file[at + 8..at + 12].try_into().unwrap());
        let end = at + PREFIX_LEN + (word & LEN_MASK) as usize + TAG_LEN;
        out.push((at, end));
        at = end;
    }
    out
}

fn plaintext(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
}

#[test]
fn round_trip_any_size() {
    let k = key(1);
    for n in [0, 1, 100, RECORD_CHUNK - 1, RECORD_CHUNK, RECORD_CHUNK + 1, 3 * RECORD_CHUNK + 5] {
        let plain = plaintext(n);
        let file = sealed(&plain, &k);
        assert!(is_sealed(&file));
        assert_eq!(open_all(&file, &k).unwrap(), plain, "{n}");
        let v = verify(&file[..], &k).unwrap();
        assert_eq!((v.kind, v.plaintext_bytes), (FileKind::Rdb, n as u64));
        assert_eq!(v.records as usize, records(&file).len());
        // The plaintext shows nowhere in the file.
        if n >= 64 {
            assert!(!file.windows(32).any(|w| w == &plain[n / 2..n / 2 + 32]));
        }
    }
    // Two files of one plaintext differ entirely (fresh salt, so a fresh key).
    let (a, b) = (sealed(b"same", &k), sealed(b"same", &k));
    assert_ne!(a[12..], b[12..]);
}

#[test]
fn every_flipped_byte_is_refused() {
    let k = key(2);
    let plain = plaintext(2 * RECORD_CHUNK + 300);
    // Small records so every part of every record is covered in a file of a few records.
    let small: Vec<u8> = plain[..300].to_vec();
    for file in [sealed(&small, &k), sealed(b"", &k)] {
        for i in 0..file.len() {
            for bit in [0x01, 0x80] {
                let mut bad = file.clone();
                bad[i] ^= bit;
                let e = open_all(&bad, &k).expect_err(&format!("byte {i} bit {bit:#x} accepted"));
                assert!(
                    matches!(
                        e,
                        SealError::Altered { .. }
                            | SealError::WrongKey
                            | SealError::NotSealed
                            | SealError::Header(_)
                            | SealError::TrailingData { .. }
                    ),
                    "byte {i}: {e}"
                );
                if i >= HEADER_LEN {
                    // Past the header, damage is an alteration, never mistaken for a short file.
                    assert!(matches!(e, SealError::Altered { .. }), "byte {i}: {e}");
                }
            }
        }
    }
    // A large file: one flip in each part of each record.
    let file = sealed(&plain, &k);
    for (start, end) in records(&file) {
        for i in [start, start + 9, start + PREFIX_LEN - 1, start + PREFIX_LEN, (start + end) / 2, end - 1] {
            let mut bad = file.clone();
            bad[i] ^= 0x20;
            assert!(matches!(open_all(&bad, &k), Err(SealError::Altered { .. })), "byte {i}");
        }
    }
}

#[test]
fn wrong_key_is_named() {
    let file = sealed(b"secret", &key(3));
    let e = open_all(&file, &key(4)).unwrap_err();
    assert!(matches!(e, SealError::WrongKey));
    assert!(e.to_string().contains("check seal-key-file"), "{e}");
}

#[test]
fn truncation_is_detected() {
    let k = key(5);
    let file = sealed(&plaintext(3 * RECORD_CHUNK), &k);
    let bounds = records(&file);
    assert_eq!(bounds.len(), 3);
    // Cut at a record boundary: no final record.
    for &(_, end) in &bounds[..2] {
        let e = open_all(&file[..end], &k).unwrap_err();
        assert!(matches!(e, SealError::Truncated { partial: false, .. }), "{e}");
        assert!(e.to_string().contains("without its final record"), "{e}");
    }
    // Cut inside a record, anywhere.
    for cut in [HEADER_LEN + 1, HEADER_LEN + PREFIX_LEN + 10, bounds[1].0 + 5, file.len() - 1] {
        let e = open_all(&file[..cut], &k).unwrap_err();
        assert!(matches!(e, SealError::Truncated { partial: true, .. }), "cut {cut}: {e}");
    }
    // Only the header.
    assert!(matches!(open_all(&file[..HEADER_LEN], &k), Err(SealError::Truncated { partial: false, .. })));
    assert!(matches!(open_all(&file[..20], &k), Err(SealError::Header(_))));
    // Something appended.
    let mut longer = file.clone();
    longer.push(0);
    assert!(matches!(open_all(&longer, &k), Err(SealError::TrailingData { .. })));
}

#[test]
fn reordered_dropped_or_spliced_records_are_refused() {
    let k = key(6);
    let file = sealed(&plaintext(3 * RECORD_CHUNK), &k);
    let b = records(&file);
    let part = |i: usize| &file[b[i].0..b[i].1];
    let head = &file[..HEADER_LEN];
    let swapped = [head, part(1), part(0), part(2)].concat();
    assert!(matches!(open_all(&swapped, &k), Err(SealError::Altered { record: 0, .. })));
    let dropped = [head, part(0), part(2)].concat();
    assert!(matches!(open_all(&dropped, &k), Err(SealError::Altered { record: 1, .. })));
    let doubled = [head, part(0), part(0), part(1), part(2)].concat();
    assert!(matches!(open_all(&doubled, &k), Err(SealError::Altered { record: 1, .. })));
    // A record of another file sealed with the same key does not fit this one.
    let other = sealed(&plaintext(3 * RECORD_CHUNK), &k);
    let ob = records(&other);
    let spliced = [head, part(0), &other[ob[1].0..ob[1].1], part(2)].concat();
    assert!(matches!(open_all(&spliced, &k), Err(SealError::Altered { record: 1, .. })));
    // Nor does a header of another file.
    let rehead = [&other[..HEADER_LEN], &file[HEADER_LEN..]].concat();
    assert!(open_all(&rehead, &k).is_err());
}

#[test]
fn kind_and_unknown_headers() {
    let k = key(7);
    let file = sealed(b"x", &k);
    let dir = std::env::temp_dir().join(format!("redoubt-seal-kind-{}", std::process::id()));
    std::fs::write(&dir, &file).unwrap();
    assert_eq!(sealed_kind(&dir).unwrap(), Some(FileKind::Rdb));
    std::fs::write(&dir, b"REDIS0010\xfa").unwrap();
    assert_eq!(sealed_kind(&dir).unwrap(), None);
    let _ = std::fs::remove_file(&dir);
    let mut v2 = file.clone();
    v2[8] = 2;
    let e = open_all(&v2, &k).unwrap_err();
    assert!(e.to_string().contains("format version 2 is not supported"), "{e}");
    assert!(matches!(open_all(b"REDIS0010", &k), Err(SealError::NotSealed)));
}

fn log_path(tag: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("redoubt-seal-log-{}-{tag}", std::process::id()))
}

fn rw(path: &std::path::Path) -> std::fs::File {
    std::fs::OpenOptions::new().read(true).write(true).open(path).unwrap()
}

/// Every record of a log file, as plaintext.
fn read_log(bytes: &[u8], k: &SealKey) -> Result<Vec<Vec<u8>>, SealError> {
    let mut r = Reader::open(bytes, k)?;
    let mut out = Vec::new();
    while let Some(rec) = r.next_record()? {
        out.push(rec.to_vec());
    }
    Ok(out)
}

#[test]
fn log_appends_reopens_and_resumes_after_a_cut() {
    let k = key(8);
    let path = log_path("resume");
    let _ = std::fs::remove_file(&path);
    let file = std::fs::File::create(&path).unwrap();
    let mut log = SealedLog::create(file, &k, FileKind::Aof).unwrap();
    log.append(b"*1\r\n$4\r\nPING\r\n").unwrap();
    log.append(b"one").unwrap();
    drop(log);
    assert_eq!(read_log(&std::fs::read(&path).unwrap(), &k).unwrap(), [&b""[..], b"*1\r\n$4\r\nPING\r\n", b"one"]);

    // Reopened: verified, and the counter continues.
    let (mut log, found) = SealedLog::open(rw(&path), &k, false).unwrap();
    assert_eq!((found.records, found.cut), (3, None));
    assert_eq!(log.next_counter(), 3);
    log.append(b"two").unwrap();
    drop(log);
    let whole = std::fs::read(&path).unwrap();
    assert_eq!(read_log(&whole, &k).unwrap().len(), 4);

    // A crash cut the last record: the reader says so distinctly, opening refuses unless
    // allowed, and the allowed open removes the partial record.
    std::fs::write(&path, &whole[..whole.len() - 3]).unwrap();
    let e = read_log(&std::fs::read(&path).unwrap(), &k).unwrap_err();
    assert!(matches!(e, SealError::Truncated { partial: true, records: 3, .. }), "{e}");
    assert!(matches!(SealedLog::open(rw(&path), &k, false), Err(SealError::Truncated { partial: true, .. })));
    let (mut log, found) = SealedLog::open(rw(&path), &k, true).unwrap();
    let cut_at = found.cut.unwrap().0;
    assert_eq!((found.records, found.cut), (3, Some((cut_at, whole.len() as u64 - 3 - cut_at))));
    // The next record skips the cut record's counter (3): no nonce is used twice.
    assert_eq!(log.next_counter(), 4);
    log.append(b"three").unwrap();
    log.append(b"four").unwrap();
    drop(log);
    let resumed = std::fs::read(&path).unwrap();
    assert_eq!(read_log(&resumed, &k).unwrap(), [&b""[..], b"*1\r\n$4\r\nPING\r\n", b"one", b"three", b"four"]);
    let (_, found) = SealedLog::open(rw(&path), &k, false).unwrap();
    assert_eq!(found.records, 5);
    // A log has no final record: a reader that demands one says the log was cut short.
    assert!(matches!(
        Reader::open(&resumed[..], &k)
            .unwrap()
            .require_final(true)
            .read_to_end(&mut Vec::new())
            .map_err(SealError::from),
        Err(SealError::Truncated { partial: false, records: 5, .. })
    ));

    // A gap anywhere but at a resumed record is refused: drop "one" from the resumed log.
    let b = records(&resumed);
    let dropped = [&resumed[..b[2].0], &resumed[b[3].0..]].concat();
    assert!(matches!(read_log(&dropped, &k), Err(SealError::Altered { record: 2, .. })));
    // Wrong key, flipped bytes.
    assert!(matches!(SealedLog::open(rw(&path), &key(9), false), Err(SealError::WrongKey)));
    for i in 0..resumed.len() {
        let mut bad = resumed.clone();
        bad[i] ^= 0x04;
        assert!(
            !matches!(read_log(&bad, &k), Ok(_) | Err(SealError::Truncated { .. })),
            "byte {i} accepted or taken for a cut"
        );
    }
    let _ = std::fs::remove_file(&path);
}

#[test]
fn large_appends_split_into_bounded_records() {
    let k = key(10);
    let path = log_path("large");
    let _ = std::fs::remove_file(&path);
    let mut log = SealedLog::create(std::fs::File::create(&path).unwrap(), &k, FileKind::Aof).unwrap();
    let big = plaintext(MAX_RECORD * 2 + 3);
    log.append(&big).unwrap();
    drop(log);
    let whole = std::fs::read(&path).unwrap();
    let recs = read_log(&whole, &k).unwrap();
    assert_eq!(recs.iter().map(Vec::len).collect::<Vec<_>>(), [0, MAX_RECORD, MAX_RECORD, 3]);

    // A crash between two records of one append leaves whole records ending inside the
    // append: that is a cut tail too, and the cut removes the whole append.
    let b = records(&whole);
    let opening_end = b[0].1 as u64;
    for end in [b[2].1, b[3].0 + 5] {
        std::fs::write(&path, &whole[..end]).unwrap();
        let e = read_log(&whole[..end], &k).unwrap_err();
        assert!(
            matches!(e, SealError::Truncated { partial: true, records: 1, offset } if offset == opening_end),
            "{e}"
        );
        assert!(matches!(SealedLog::open(rw(&path), &k, false), Err(SealError::Truncated { partial: true, .. })));
        let (mut log, found) = SealedLog::open(rw(&path), &k, true).unwrap();
        assert_eq!((found.records, found.cut.map(|c| c.0)), (1, Some(opening_end)));
        // Past every counter the cut append used (1 to 3).
        assert!(log.next_counter() >= 4, "{}", log.next_counter());
        log.append(b"after").unwrap();
        drop(log);
        assert_eq!(read_log(&std::fs::read(&path).unwrap(), &k).unwrap(), [&b""[..], b"after"]);
    }
    let _ = std::fs::remove_file(&path);
}

#[test]
fn announced_lengths_are_not_believed() {
    // A record prefix announcing 1 GiB, with a forged MAC: refused before any allocation.
    let k = key(11);
    let mut file = sealed(b"", &k);
    file[HEADER_LEN + 8..HEADER_LEN + 12].copy_from_slice(&(1u32 << 29).to_be_bytes());
    assert!(matches!(open_all(&file, &k), Err(SealError::Altered { .. })));
}

#[test]
fn key_file_text() {
    let hex = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
    assert_eq!(SealKey::from_text(&format!("{hex}\n")).unwrap().bytes()[1], 0x11);
    for bad in ["", "00", &hex[1..], &format!("{hex}00"), &hex.replace('0', "g"), &format!("{hex}\n{hex}\n")] {
        assert!(SealKey::from_text(bad).is_none(), "{bad}");
    }
    let k = SealKey::generate().unwrap();
    assert_eq!(SealKey::from_text(&k.to_hex()).unwrap().bytes(), k.bytes());
    assert_eq!(format!("{k:?}"), "SealKey(..)");
}

#[test]
fn key_file_checks() {
    use std::os::unix::fs::PermissionsExt;
    let path = log_path("keyfile");
    let _ = std::fs::remove_file(&path);
    let e = read_key_file(&path).unwrap_err();
    assert!(e.contains("does not exist") && e.contains("redoubt seal keygen"), "{e}");
    create_key_file(&path).unwrap();
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let k = read_key_file(&path).unwrap();
    // Never overwritten.
    assert_eq!(create_key_file(&path).unwrap_err().kind(), io::ErrorKind::AlreadyExists);
    assert_eq!(read_key_file(&path).unwrap().bytes(), k.bytes());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let e = read_key_file(&path).unwrap_err();
    assert!(e.contains("mode 0640") && e.ends_with(&format!("chmod 600 {}", path.display())), "{e}");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
    read_key_file(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(&path, "not a key\n").unwrap();
    let e = read_key_file(&path).unwrap_err();
    assert!(e.contains("is malformed") && e.contains("64 hexadecimal digits"), "{e}");
    std::fs::write(&path, vec![b'a'; 10_000]).unwrap();
    assert!(read_key_file(&path).unwrap_err().contains("is malformed"));
    let _ = std::fs::remove_file(&path);
    let dir = log_path("keydir");
    std::fs::create_dir_all(&dir).unwrap();
    assert!(read_key_file(&dir).unwrap_err().contains("is not a regular file"));
    let _ = std::fs::remove_dir(&dir);
}
