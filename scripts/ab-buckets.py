#!/usr/bin/env python3
"""A second implementation of shared/domain/abSplit.ts's buckets, in plain Python (hashlib has no FNV).

Run once by hand; the test reads the committed output, CI runs no Python:

    python3 scripts/ab-buckets.py > test/domain/ab-buckets.json
"""
import json
import sys

M = 0xFFFFFFFF


def fnv1a(data: bytes) -> int:
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & M
    return h


def fmix32(h: int) -> int:
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & M
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & M
    h ^= h >> 16
    return h


def bucket(salt: str, contact_id: str) -> int:
    return fmix32(fnv1a(f'{salt}:{contact_id}'.encode('utf-8'))) % 10000


ids = [f'c{i:07d}' for i in range(10000)]
salts = ['challenger-2025-06', 'ab:grades-v2']
odd = ['c0001234', 'ç0001234', 'контакт-7', '客户0042', 'c😀1', '', ' c0000001']
json.dump(
    {
        'produced_by': 'python3 scripts/ab-buckets.py',
        'python': sys.version.split()[0],
        'ids': 'c0000000..c0009999',
        'buckets': {s: [bucket(s, i) for i in ids] for s in salts},
        'odd_ids': [{'salt': s, 'id': i, 'utf8': f'{s}:{i}'.encode('utf-8').hex(), 'bucket': bucket(s, i)} for s in ['', 'x'] for i in odd],
    },
    sys.stdout,
    ensure_ascii=False,
)
print()
