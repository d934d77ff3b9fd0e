// The Ziggurat's rectangle pass over a block of words (see the header), in portable C and, chosen at
// run time, with AVX2 or AVX-512: the layer tables are read with gathers, the test and the value are
// computed for 8 or 16 words at once, and only the rejected words (~1.2 %) leave the vector path.
#include "ziggurat_rectangles.h"

#pragma clang fp contract(off)

#if defined(__x86_64__)
#include <immintrin.h>
#define FEDTOP_X86 1
#endif

/// Words `from` ..< `count`, one at a time; rejected places (absolute) go to `rejected`.
static size_t rectangles_range(const uint64_t *words, size_t from, size_t count, float std, float *out, int accumulate,
                               uint16_t *rejected, const uint32_t *k, const float *w) {
    size_t misses = 0;
    for (size_t j = from; j < count; j++) {
        uint64_t word = words[j];
        unsigned layer = (unsigned)(word & 127);
        int32_t hz = (int32_t)(uint32_t)(word >> 32);
        uint32_t magnitude = hz < 0 ? 0u - (uint32_t)hz : (uint32_t)hz;
        if (magnitude < k[layer]) {
            float v = std * ((float)hz * w[layer]);
            out[j] = accumulate ? out[j] + v : v;
        } else {
            rejected[misses++] = (uint16_t)j;
        }
    }
    return misses;
}

static size_t rectangles_scalar(const uint64_t *words, size_t count, float std, float *out, int accumulate,
                                uint16_t *rejected, const uint32_t *k, const float *w) {
    return rectangles_range(words, 0, count, std, out, accumulate, rejected, k, w);
}

#ifdef FEDTOP_X86
__attribute__((target("avx2")))
static size_t rectangles_avx2(const uint64_t *words, size_t count, float std, float *out, int accumulate,
                              uint16_t *rejected, const uint32_t *k, const float *w) {
    size_t misses = 0, j = 0;
    const __m256 scale = _mm256_set1_ps(std);
    const __m256i mask7 = _mm256_set1_epi32(127);
    const __m256i sign = _mm256_set1_epi32((int)0x80000000u);
    const __m256i evenOdd = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    for (; j + 8 <= count; j += 8) {
        // Eight words as 32-bit halves: the low halves hold the layers, the high halves the values.
        __m256i a = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)(words + j)), evenOdd);
        __m256i b = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)(words + j + 4)), evenOdd);
        __m256i low = _mm256_permute2x128_si256(a, b, 0x20);
        __m256i hz = _mm256_permute2x128_si256(a, b, 0x31);
        __m256i layer = _mm256_and_si256(low, mask7);
        __m256i kk = _mm256_i32gather_epi32((const int *)k, layer, 4);
        __m256 ww = _mm256_i32gather_ps(w, layer, 4);
        // |hz| < k as unsigned numbers (|INT32_MIN| is 2³¹ unsigned, as Swift's `magnitude`).
        __m256i magnitude = _mm256_abs_epi32(hz);
        __m256i accept = _mm256_cmpgt_epi32(_mm256_xor_si256(kk, sign), _mm256_xor_si256(magnitude, sign));
        __m256 v = _mm256_mul_ps(scale, _mm256_mul_ps(_mm256_cvtepi32_ps(hz), ww));
        __m256 old = _mm256_loadu_ps(out + j);
        __m256 value = accumulate ? _mm256_add_ps(old, v) : v;
        _mm256_storeu_ps(out + j, _mm256_blendv_ps(old, value, _mm256_castsi256_ps(accept)));
        unsigned missed = ~(unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(accept)) & 0xffu;
        while (missed) {
            rejected[misses++] = (uint16_t)(j + (size_t)__builtin_ctz(missed));
            missed &= missed - 1;
        }
    }
    return misses + rectangles_range(words, j, count, std, out, accumulate, rejected + misses, k, w);
}

/// Entry `index` (0..<128) of a 128-entry table held in eight registers: two-table permutes pick
/// within each 32 entries, bits 5 and 6 of the index choose among the four (no gather: on AMD's
/// Zen 4 a 16-lane gather costs more than the rest of the pass).
__attribute__((target("avx512f,avx512vl")))
static inline __m512i lookup128(const __m512i t[8], __m512i index) {
    __m512i q0 = _mm512_permutex2var_epi32(t[0], index, t[1]);
    __m512i q1 = _mm512_permutex2var_epi32(t[2], index, t[3]);
    __m512i q2 = _mm512_permutex2var_epi32(t[4], index, t[5]);
    __m512i q3 = _mm512_permutex2var_epi32(t[6], index, t[7]);
    __mmask16 bit5 = _mm512_test_epi32_mask(index, _mm512_set1_epi32(32));
    __mmask16 bit6 = _mm512_test_epi32_mask(index, _mm512_set1_epi32(64));
    __m512i lowHalf = _mm512_mask_blend_epi32(bit5, q0, q1);
    __m512i highHalf = _mm512_mask_blend_epi32(bit5, q2, q3);
    return _mm512_mask_blend_epi32(bit6, lowHalf, highHalf);
}

__attribute__((target("avx512f,avx512vl")))
static size_t rectangles_avx512(const uint64_t *words, size_t count, float std, float *out, int accumulate,
                                uint16_t *rejected, const uint32_t *k, const float *w) {
    size_t misses = 0, j = 0;
    const __m512 scale = _mm512_set1_ps(std);
    const __m512i mask7 = _mm512_set1_epi32(127);
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __m512i kt[8], wt[8];
    for (int i = 0; i < 8; i++) {
        kt[i] = _mm512_loadu_si512((const void *)(k + 16 * i));
        wt[i] = _mm512_loadu_si512((const void *)(w + 16 * i));
    }
    for (; j + 16 <= count; j += 16) {
        __m512i a = _mm512_loadu_si512((const void *)(words + j));
        __m512i b = _mm512_loadu_si512((const void *)(words + j + 8));
        // Sixteen words as 32-bit halves: the low halves hold the layers, the high halves the values.
        __m512i low = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(a)), _mm512_cvtepi64_epi32(b), 1);
        __m512i hz = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(_mm512_srli_epi64(a, 32))),
                                        _mm512_cvtepi64_epi32(_mm512_srli_epi64(b, 32)), 1);
        __m512i layer = _mm512_and_si512(low, mask7);
        __m512i kk = lookup128(kt, layer);
        __m512 ww = _mm512_castsi512_ps(lookup128(wt, layer));
        // |hz| < k as unsigned numbers (|INT32_MIN| is 2³¹ unsigned, as Swift's `magnitude`).
        __mmask16 accept = _mm512_cmplt_epu32_mask(_mm512_abs_epi32(hz), kk);
        __m512 v = _mm512_mul_ps(scale, _mm512_mul_ps(_mm512_cvtepi32_ps(hz), ww));
        if (accumulate) v = _mm512_add_ps(_mm512_loadu_ps(out + j), v);
        _mm512_mask_storeu_ps(out + j, accept, v);
        // The rejected places, packed and stored whole whether or not there are any (no branch to
        // mispredict): at most 16 entries from `misses`, and misses ≤ j, so they stay below j + 16.
        __mmask16 missed = (__mmask16)~accept;
        __m512i packed = _mm512_maskz_compress_epi32(missed, _mm512_add_epi32(lanes, _mm512_set1_epi32((int)j)));
        _mm256_storeu_si256((__m256i *)(rejected + misses), _mm512_cvtepi32_epi16(packed));
        misses += (size_t)__builtin_popcount((unsigned)missed);
    }
    return misses + rectangles_range(words, j, count, std, out, accumulate, rejected + misses, k, w);
}
#endif

int fedtop_ziggurat_best_variant(void) {
#ifdef FEDTOP_X86
    static int best = -1;
    if (__atomic_load_n(&best, __ATOMIC_RELAXED) < 0) {
        __builtin_cpu_init();
        int chosen = FEDTOP_ZIGGURAT_SCALAR;
        if (__builtin_cpu_supports("avx2")) chosen = FEDTOP_ZIGGURAT_AVX2;
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) chosen = FEDTOP_ZIGGURAT_AVX512;
        __atomic_store_n(&best, chosen, __ATOMIC_RELAXED);
    }
    return __atomic_load_n(&best, __ATOMIC_RELAXED);
#else
    return FEDTOP_ZIGGURAT_SCALAR;
#endif
}

fedtop_ziggurat_rectangles_fn fedtop_ziggurat_rectangles_variant(int variant) {
    if (variant < 0 || variant > fedtop_ziggurat_best_variant()) return 0;
    switch (variant) {
#ifdef FEDTOP_X86
    case FEDTOP_ZIGGURAT_AVX2: return rectangles_avx2;
    case FEDTOP_ZIGGURAT_AVX512: return rectangles_avx512;
#endif
    default: return rectangles_scalar;
    }
}

size_t fedtop_ziggurat_rectangles(const uint64_t *words, size_t count, float std, float *out, int accumulate,
                                  uint16_t *rejected, const uint32_t *k, const float *w) {
    return fedtop_ziggurat_rectangles_variant(fedtop_ziggurat_best_variant())(words, count, std, out, accumulate,
                                                                              rejected, k, w);
}
