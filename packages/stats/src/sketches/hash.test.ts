import { describe, expect, it } from 'vitest';
import { hashValue, xxhash64 } from './hash.js';

// Reference outputs of XXH64 from libxxhash 0.8.1 (the C reference implementation, via ctypes), for
// the first n bytes of the pattern byte[i] = (7i + 3) mod 256.
const LENGTHS = [...Array.from({ length: 41 }, (_, i) => i), 47, 48, 63, 64, 65, 100, 1000];
const SEED_0 =
  'ef46db3751d8e999 1f25c8d0bc1f4bb6 f5bedec232706303 31d2363f52e564c9 9bb64b7d66ee9fda c7608efddb7051fe ' +
  '61436fb28d5ce4c4 9a7b149959ce60d8 dab99d95c6f90092 170bb6bf975b4c02 bd7277d7e2d8a98c 7a52cc9457cf1a1f ' +
  'd52e407833af5133 f78b031308f5bfc8 c7f1d4d0acfa5a14 1b47cb8243cc8e32 434850232b787be2 1efa7025f1b97a7a ' +
  '28791d24c4cf5e78 3e91f7c3171250d0 18ae385ada6b00cb c075185602af71eb b2ceb44aa258ff36 36a34f92fb0205c0 ' +
  'c47c71bd4694ff81 b13f23e884186902 76a5852d6e1cab15 9ab0b90755292fc8 729299f92ff25c75 6cd01834be7d2537 ' +
  '4bdd83b2b139424f a2aa5f33cc4a6119 23c3c17ef790fd97 50a7cfc7ba588784 c3e49b08a6aad624 a5b3456011d2913b ' +
  'c0b52b0dcc5e3f7f e32ef63802f5a3fd a4696f18f9acce05 880bbeea606e4b37 b620306b253d76b6 a7c5465cc5ad205e ' +
  'da76bbb3544338ee 5e3e54b431c7493c 0eb64b3ef6eeb01f a383b724b2bd12f1 a61f8d4c170fe531 5f235fa033f1a3fb';
const SEED_2654435761 =
  'ac75fda2929b17ef 79cf94f5ace37fe1 457ee044e8334447 96d2a5e583ddd738 4a862fbb4b73776e f6ca02179471d4a8 ' +
  '4a49f736addc330d ddc5cf71d37a6368 c6e75e2cbd8e07ee 3a3e0f8ce693f786 38734ee9290ffa19 aa0d75a182501622 ' +
  '79b0b158fab0e5d6 216c46017dcb24e2 51341a138b098941 8120a1eda8ac77da 17f387ce30885de5 8fd41ade58736837 ' +
  'c1c9afdc996af635 017db0be8fbab403 83c6020f907609d1 9eb4997a0482bb4d df144ad08f76d7c3 674f68e1a94e07c9 ' +
  '2a5f7b1ef4e9909c d0a7896edbfb0e73 e2c637a30200564f fa583afe1413febf fafb0e6e543144a9 88d72934aa6f990d ' +
  '3c1bffb21b8b91c5 381822f33376d6b6 9abd315470ac276a 72cdd3262f467933 57f5e7209f8d643f b66e0d492b7baf1b ' +
  '97f112c724bd7596 40817834d64099c5 9562ab8a74ac699f 78438ff58483cb1f 6968e03be1951fda eb34868198752778 ' +
  '30556da222dff2d2 634da7d265979e61 bcb3847d70525180 97f9d8f996719021 86f549ede5ac87e2 83080310ee83cc20';

const pattern = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7 + 3) % 256);
const hex = (out: Uint32Array) =>
  out[0]!.toString(16).padStart(8, '0') + out[1]!.toString(16).padStart(8, '0');

describe('xxhash64', () => {
  it('matches the reference implementation on every tail length and the 32-byte stripe loop', () => {
    const s0 = SEED_0.split(' ');
    const s1 = SEED_2654435761.split(' ');
    LENGTHS.forEach((n, i) => {
      expect(xxhash64(pattern.subarray(0, n)), `len ${n}`).toBe(s0[i]);
      expect(xxhash64(pattern.subarray(0, n), 2654435761), `len ${n} seeded`).toBe(s1[i]);
    });
  });

  it('matches the published test vectors', () => {
    const enc = new TextEncoder();
    expect(xxhash64(enc.encode(''))).toBe('ef46db3751d8e999');
    expect(xxhash64(enc.encode('a'))).toBe('d24ec4f1a98c6e5b');
    expect(xxhash64(enc.encode('abc'))).toBe('44bc2cf5ad770999');
  });
});

describe('hashValue', () => {
  const out = new Uint32Array(2);
  const of = (v: string | number | boolean) => {
    hashValue(v, out);
    return hex(out);
  };

  it('hashes numbers as their little-endian float64 bytes with seed 1 (libxxhash reference)', () => {
    expect(of(1.5)).toBe('3e9092eee57d53bd');
    expect(of(-2.25e10)).toBe('c2a28e2e2a18e57f');
    expect(of(Number.POSITIVE_INFINITY)).toBe('983548f37b06f9a5');
    expect(of(-0)).toBe(of(0));
  });

  it('hashes strings as UTF-8 with seed 0 and booleans as one byte with seed 2 (libxxhash reference)', () => {
    expect(of('héllo wörld 😀')).toBe('3eea352129a29a6a');
    expect(of(true)).toBe('96b86a28f5843ad5');
    expect(of(false)).toBe('d7a8a58da712de2d');
  });

  it('encodes strings exactly as TextEncoder does, lone surrogates included', () => {
    const enc = new TextEncoder();
    const samples = ['', 'ascii', 'ü', '€', '😀', '\ud800', 'a\udc00b', '\ud83d', `${'x'.repeat(500)}漢字`];
    for (const s of samples) {
      expect(of(s), JSON.stringify(s)).toBe(xxhash64(enc.encode(s), 0));
    }
  });

  it('separates kinds of value', () => {
    expect(new Set([of(1), of('1'), of(true)]).size).toBe(3);
  });
});
