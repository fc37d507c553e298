//! Every type and encoding written and read back: whole files (SAVE's writer and the
//! background snapshot, compressed or not), DUMP payloads; damaged input is an error.

use redoubt_persist::{
    dump_value, load_from, restore_value, write_rdb, Limits, LoadOptions, RdbError, RestoreError, SaveOptions, Snapshot,
};
use redoubt_store::hash::HashLimits;
use redoubt_store::zset::ZSetLimits;
use redoubt_store::{HashValue, Keyspace, ListValue, SetValue, Value, ZSetValue};

const NOW: i64 = 1_700_000_000_000;

fn list(items: impl IntoIterator<Item = Vec<u8>>) -> Value {
    let mut l = ListValue::new();
    for i in items {
        l.push_back(&i);
    }
    Value::List(Box::new(l))
}

fn hash(n: usize, long: bool) -> Value {
    let mut h = HashValue::new();
    for i in 0..n {
        let v = if long { format!("value-{i}-{}", "x".repeat(100)) } else { format!("{i}") };
        h.insert(format!("field:{i}").as_bytes(), v.as_bytes(), HashLimits::default());
    }
    Value::Hash(Box::new(h))
}

fn set(members: impl IntoIterator<Item = Vec<u8>>) -> Value {
    let mut s = SetValue::new();
    for m in members {
        s.add(&m, 512);
    }
    Value::Set(Box::new(s))
}

fn zset(n: usize) -> Value {
    let entries = (0..n).map(|i| (format!("m{i}").into_bytes(), i as f64 * 1.5 - 7.25)).collect();
    Value::ZSet(Box::new(ZSetValue::from_entries(entries, ZSetLimits::default())))
}

/// A keyspace holding every type in every encoding, with and without deadlines, in two dbs.
fn sample() -> Keyspace {
    let mut ks = Keyspace::new(16);
    let db = ks.db(0);
    let values: Vec<(&str, Value)> = vec![
        ("int", Value::from_bytes(b"12345")),
        ("bigint", Value::from_bytes(b"-9223372036854775808")),
        ("short", Value::from_bytes(b"hello")),
        ("empty", Value::from_bytes(b"")),
        ("long", Value::from_bytes("abc".repeat(1000).as_bytes())),
        ("binary", Value::from_bytes(&(0..=255u8).collect::<Vec<_>>())),
        ("list-small", list([b"a".to_vec(), b"1".to_vec(), b"-70000".to_vec(), b"".to_vec()])),
        ("list-big", list((0..20_000).map(|i| format!("element-{i}").into_bytes()))),
        ("list-huge-elem", list([vec![b'z'; 20_000], b"x".to_vec()])),
        ("hash-small", hash(10, false)),
        ("hash-big", hash(1000, true)),
        ("set-int", set([b"1".to_vec(), b"-5".to_vec(), b"100000".to_vec(), b"9223372036854775807".to_vec()])),
        ("set-str", set((0..600).map(|i| format!("member{i}").into_bytes()))),
        ("zset-small", zset(5)),
        ("zset-big", zset(500)),
        (
            "zset-odd",
            Value::ZSet(Box::new(ZSetValue::from_entries(
                vec![
                    (b"a".to_vec(), f64::INFINITY),
                    (b"b".to_vec(), f64::NEG_INFINITY),
                    (b"c".to_vec(), 0.1),
                    (b"d".to_vec(), 1e300),
                    (b"e".to_vec(), -2.5e-300),
                    (b"f".to_vec(), 4611686018427387904.0),
                ],
                ZSetLimits::default(),
            ))),
        ),
    ];
    for (k, v) in values {
        db.set(k.as_bytes(), v, false, NOW);
    }
    db.set_with_deadline(b"volatile", Value::from_bytes(b"v"), NOW + 100_000, NOW);
    db.set_with_deadline(b"expired", Value::from_bytes(b"gone"), NOW - 1, NOW - 10);
    ks.db(3).set(b"other-db", Value::from_bytes(b"3"), false, NOW);
    ks
}

fn opts() -> LoadOptions {
    LoadOptions { limits: Limits::default(), verify_checksum: true, now_ms: NOW }
}

fn load(bytes: &[u8]) -> Result<Keyspace, RdbError> {
    let mut ks = Keyspace::new(16);
    load_from(bytes, bytes.len() as u64, &mut ks, &opts())?;
    Ok(ks)
}

fn assert_same(a: &Keyspace, b: &Keyspace) {
    for i in 0..16 {
        let (x, y) = (a.db_ref(i).unwrap(), b.db_ref(i).unwrap());
        let mut keys = Vec::new();
        x.for_each_entry(NOW, |k, v, d| keys.push((k.to_vec(), v.clone(), d)));
        let mut n = 0;
        y.for_each_entry(NOW, |_, _, _| n += 1);
        assert_eq!(keys.len(), n, "db {i}: key counts");
        for (k, v, d) in keys {
            let mut found = None;
            y.for_each_entry(NOW, |k2, v2, d2| {
                if k2 == k.as_slice() {
                    found = Some((v2.clone(), d2));
                }
            });
            let (v2, d2) = found.unwrap_or_else(|| panic!("db {i}: {} missing", String::from_utf8_lossy(&k)));
            assert_eq!(v, v2, "{}", String::from_utf8_lossy(&k));
            assert_eq!(v.encoding_name(), v2.encoding_name(), "{}", String::from_utf8_lossy(&k));
            assert_eq!(d, d2);
        }
    }
}

#[test]
fn files_round_trip_every_type_and_encoding() {
    let ks = sample();
    for compress in [true, false] {
        let o = SaveOptions { compress, checksum: true, producer_version: "test".into() };
        let mut direct = Vec::new();
        let stats = write_rdb(&mut direct, &ks, NOW, &o).unwrap();
        assert_eq!(stats.keys, 18, "the expired key is left out");
        assert_eq!(stats.bytes, direct.len() as u64);
        assert_same(&ks, &load(&direct).unwrap());

        let snap = Snapshot::capture(&ks, NOW);
        let mut background = Vec::new();
        snap.write_to(&mut background, &o).unwrap();
        // The snapshot path writes the very same bytes.
        assert_eq!(background, direct, "compress {compress}");
    }
    let mut plain = Vec::new();
    write_rdb(&mut plain, &ks, NOW, &SaveOptions { compress: false, ..SaveOptions::default() }).unwrap();
    let mut packed = Vec::new();
    write_rdb(&mut packed, &ks, NOW, &SaveOptions::default()).unwrap();
    assert!(packed.len() < plain.len() * 3 / 4, "{} vs {}", packed.len(), plain.len());
}

#[test]
fn checksum_off_writes_zero_and_loads() {
    let ks = sample();
    let mut out = Vec::new();
    write_rdb(&mut out, &ks, NOW, &SaveOptions { checksum: false, ..SaveOptions::default() }).unwrap();
    assert_eq!(&out[out.len() - 8..], &[0; 8]);
    assert_same(&ks, &load(&out).unwrap());
}

#[test]
fn damage_is_refused() {
    let mut ks = Keyspace::new(16);
    ks.db(0).set(b"k", Value::from_bytes(b"value"), false, NOW);
    ks.db(0).set(b"h", hash(3, false), false, NOW);
    let mut good = Vec::new();
    write_rdb(&mut good, &ks, NOW, &SaveOptions::default()).unwrap();
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x10;
        assert!(load(&bad).is_err(), "flip at {i} accepted");
    }
    for cut in 0..good.len() {
        assert!(load(&good[..cut]).is_err(), "cut at {cut} accepted");
    }
    let mut trailing = good.clone();
    trailing.push(0);
    assert!(load(&trailing).is_err());
    let flipped = {
        let mut b = good.clone();
        let n = b.len() - 12;
        b[n] ^= 1;
        b
    };
    assert!(matches!(load(&flipped), Err(RdbError::Checksum { .. })), "{:?}", load(&flipped).err());
}

#[test]
fn versions_and_foreign_records() {
    assert!(matches!(load(b"REDIS0012\xff\0\0\0\0\0\0\0\0"), Err(RdbError::Version(_))));
    assert!(matches!(load(b"RUBBISH01"), Err(RdbError::Version(_))));
    // A stream record, checksum off.
    let e = load(b"REDIS0010\x0f\x01s\x00\xff\0\0\0\0\0\0\0\0").unwrap_err();
    assert!(e.to_string().contains("unsupported type 15 (stream)"), "{e}");
    // A database this server does not have.
    let e = load(b"REDIS0010\xfe\x20\xff\0\0\0\0\0\0\0\0").unwrap_err();
    assert!(e.to_string().contains("database 32"), "{e}");
}

#[test]
fn dump_restore_round_trip() {
    let ks = sample();
    let db = ks.db_ref(0).unwrap();
    let mut n = 0;
    db.for_each_entry(NOW, |k, v, _| {
        for compress in [true, false] {
            let p = dump_value(v, compress);
            let back = restore_value(&p, &Limits::default())
                .unwrap_or_else(|e| panic!("{}: {e:?}", String::from_utf8_lossy(k)));
            assert_eq!(&back, v);
            // One flipped bit anywhere fails the footer check.
            let mut bad = p.clone();
            bad[p.len() / 2] ^= 4;
            assert!(matches!(restore_value(&bad, &Limits::default()), Err(RestoreError::Footer)));
        }
        n += 1;
    });
    assert_eq!(n, 17);
    assert!(matches!(restore_value(b"", &Limits::default()), Err(RestoreError::Footer)));
    assert!(matches!(restore_value(b"\x00\x03bar\x0c\x00", &Limits::default()), Err(RestoreError::Footer)));
}

#[test]
fn redis_dump_payloads_restore() {
    // From redis-server 7.0.15: SET foo bar, DUMP foo.
    let p = b"\x00\x03bar\n\x00\xe6\xbeI`\xeef\xfd\x17";
    match restore_value(p, &Limits::default()) {
        Ok(v) => assert_eq!(v, Value::from_bytes(b"bar")),
        Err(e) => panic!("{e:?}"),
    }
}

#[test]
fn lzf_bomb_is_bounded() {
    // A payload announcing a string of 1 GiB compressed into 4 bytes.
    let mut body = vec![0u8, 0xC3, 0x04, 0x80];
    body.extend_from_slice(&(1u32 << 30).to_be_bytes());
    body.extend_from_slice(&[0x00, b'a', 0xE0, 0xFF]);
    let limits = Limits { inflate_budget: 1 << 20, ..Limits::default() };
    assert!(redoubt_persist::decode_body(&body, &limits).is_err());
}
