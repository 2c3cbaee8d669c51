// The dropout mask hash of lib/engine/engine.ts (dropoutKey, dropoutBits, dropoutThreshold),
// bit for bit in uint32 arithmetic: both engines draw exactly the same masks.
#pragma once

#include <cmath>
#include <cstdint>

namespace dh::kernels {

// murmur3's 32-bit finalizer.
inline uint32_t fmix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

// fmix32(fmix32(seed ^ step·0x9E3779B1) ^ (layer + 1)·0x85EBCA77), products mod 2³² (the JS
// `step >>> 0` is step mod 2³²).
inline uint32_t dropout_key(uint32_t seed, uint64_t step, uint32_t layer) {
  const uint32_t k1 = fmix32(seed ^ (static_cast<uint32_t>(step) * 0x9e3779b1u));
  return fmix32(k1 ^ ((layer + 1u) * 0x85ebca77u));
}

// The bits of element e (e mod 2³², as Math.imul takes it).
inline uint32_t dropout_bits(uint32_t key, uint64_t e) {
  return fmix32(key + static_cast<uint32_t>(e) * 0x9e3779b9u);
}

// Elements whose bits are below this are dropped: min(floor(rate·2³²), 2³² − 1), in double.
inline uint32_t dropout_threshold(double rate) {
  const double t = std::floor(rate * 4294967296.0);
  return t >= 4294967295.0 ? 4294967295u : static_cast<uint32_t>(t);
}

}  // namespace dh::kernels
