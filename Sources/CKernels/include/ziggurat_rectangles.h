#ifndef FEDTOP_ZIGGURAT_RECTANGLES_H
#define FEDTOP_ZIGGURAT_RECTANGLES_H

#include <stddef.h>
#include <stdint.h>

/// The fast path of the Ziggurat (Marsaglia & Tsang 2000) over a block of 64-bit words, as
/// `GaussianSampler` defines it: word j's layer is its low 7 bits, its value the signed high 32 bits
/// `hz`; where `|hz| < k[layer]` (the word falls inside its layer's rectangle, ~98.8 %) the value is
/// `std * ((float)hz * w[layer])`, stored at `out[j]` (or added to it when `accumulate`); the places
/// of the other words are listed in `rejected`, in order, and their count is returned. Every variant
/// gives the same bits as the scalar one (separate multiplies and adds: no fused multiply-add).
///
/// `count` is at most 65,536 (places are 16-bit); `k` and `w` have 128 entries; `out` and `rejected`
/// hold at least `count` entries each (the vector variants store whole vectors of places, but never
/// past index `count` − 1: at most 16 from `misses`, and misses ≤ the words already passed).
typedef size_t (*fedtop_ziggurat_rectangles_fn)(const uint64_t *words, size_t count, float std, float *out,
                                                int accumulate, uint16_t *rejected,
                                                const uint32_t *k, const float *w);

/// The variants: 0 portable C, 1 AVX2, 2 AVX-512 (F and VL).
enum { FEDTOP_ZIGGURAT_SCALAR = 0, FEDTOP_ZIGGURAT_AVX2 = 1, FEDTOP_ZIGGURAT_AVX512 = 2 };

/// The fastest variant this CPU runs (checked once, at the first call).
int fedtop_ziggurat_best_variant(void);

/// Variant `variant` if this CPU runs it, else NULL (for tests that compare them).
fedtop_ziggurat_rectangles_fn fedtop_ziggurat_rectangles_variant(int variant);

/// The fastest variant's pass.
size_t fedtop_ziggurat_rectangles(const uint64_t *words, size_t count, float std, float *out, int accumulate,
                                  uint16_t *rejected, const uint32_t *k, const float *w);

#endif
