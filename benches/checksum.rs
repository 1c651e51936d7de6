//! Throughput of every checksum s3lite computes, beside the hand-written
//! code it used before (`benches/reference/handwritten.rs`: slicing-by-8
//! CRCs, FIPS 180-4 SHA-1, RFC 1321 MD5): MB/s on 1 MiB and 64 MiB buffers,
//! one core. The library's side is the public `Hasher` (crc-fast, sha1,
//! sha2) and `encoding::md5` (md-5), exactly as uploads and downloads use
//! them. Criterion reports throughput in bytes per second.

#![allow(missing_docs, reason = "criterion_group! generates undocumented items")]

#[path = "reference/handwritten.rs"]
mod handwritten;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use s3lite::checksum::Hasher;
use s3lite::config::ChecksumAlgorithm;

fn buffer(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn library(alg: ChecksumAlgorithm, data: &[u8]) -> Vec<u8> {
    let mut h = Hasher::new(alg);
    h.update(data);
    h.finish()
}

fn old(alg: ChecksumAlgorithm, data: &[u8]) -> Vec<u8> {
    use handwritten::{crc, sha1};
    match alg {
        ChecksumAlgorithm::Crc32 => {
            let mut c = crc::Crc32::new();
            c.update(data);
            c.finish().to_be_bytes().to_vec()
        }
        ChecksumAlgorithm::Crc32c => {
            let mut c = crc::Crc32c::new();
            c.update(data);
            c.finish().to_be_bytes().to_vec()
        }
        ChecksumAlgorithm::Crc64Nvme => {
            let mut c = crc::Crc64Nvme::new();
            c.update(data);
            c.finish().to_be_bytes().to_vec()
        }
        _ => sha1::sha1(data).to_vec(),
    }
}

fn checksums(c: &mut Criterion) {
    let algorithms = [
        ("crc32", ChecksumAlgorithm::Crc32),
        ("crc32c", ChecksumAlgorithm::Crc32c),
        ("crc64nvme", ChecksumAlgorithm::Crc64Nvme),
        ("sha1", ChecksumAlgorithm::Sha1),
    ];
    for size in [1usize << 20, 64 << 20] {
        let data = buffer(size);
        let label = format!("{} MiB", size >> 20);
        let mut group = c.benchmark_group(format!("checksum/{label}"));
        group.throughput(Throughput::Bytes(size as u64));
        group.sample_size(if size > 1 << 20 { 10 } else { 30 });
        for (name, alg) in algorithms {
            group.bench_with_input(BenchmarkId::new(name, "crate"), &data, |b, d| {
                b.iter(|| library(alg, black_box(d)))
            });
            group.bench_with_input(BenchmarkId::new(name, "handwritten"), &data, |b, d| {
                b.iter(|| old(alg, black_box(d)))
            });
        }
        group.bench_with_input(BenchmarkId::new("md5", "crate"), &data, |b, d| {
            b.iter(|| s3lite::encoding::md5(black_box(d)))
        });
        group.bench_with_input(BenchmarkId::new("md5", "handwritten"), &data, |b, d| {
            b.iter(|| handwritten::md5::md5(black_box(d)))
        });
        group.bench_with_input(BenchmarkId::new("sha256", "crate"), &data, |b, d| {
            b.iter(|| library(ChecksumAlgorithm::Sha256, black_box(d)))
        });
        group.finish();
    }
}

criterion_group!(benches, checksums);
criterion_main!(benches);
