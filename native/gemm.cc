// Our single-precision GEMM, in the layered design of Goto & van de Geijn, "Anatomy of high-performance
// matrix multiplication", ACM TOMS 34(3), 2008: C is updated in blocks of nc columns (B block kc x nc,
// packed, meant for L3), kc-deep rank updates (A block mc x kc, packed, meant for L2), and mr x nr
// register tiles computed by a micro-kernel from an mr-wide sliver of packed A and an nr-wide sliver of
// packed B (kc x nr, meant to stay in L1 while the micro-kernel sweeps the A block).
// Packing lays each sliver out in the order the micro-kernel reads it, handles the transposes, and pads
// the last sliver with zeros, so the micro-kernel has no edge cases in its inner loop.
//
// Variants (one binary runs everywhere: each is compiled with a function-level target attribute and
// chosen at run time by the CPU's features):
//   avx512:  6 x 64 tile (24 zmm accumulators), kc 192, mc 144, nc 2048
//   avx2:    6 x 16 tile (12 ymm accumulators), kc 256, mc 144, nc 2048
//   generic: 6 x 8 tile of 4-float vectors (compiler vector extensions: SSE on x86-64, NEON on arm64).
// One thread: the library runs one per worker, like the wasm backend.
#include "gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define METALEARN_X86 1
#include <immintrin.h>
#endif

namespace metalearn {

using MicroFn = void (*)(int64_t kc, const float* ap, const float* bp, int64_t bstride, float* c, int64_t ldc,
                         float alpha, float beta, int mv, int nv);

// The micro-kernel on A in place: rows (a[i * stride + p]) or transposed (a[i + p * stride]).
using MicroAFn = void (*)(int64_t kc, const float* a, int64_t stride, const float* bp, int64_t bstride, float* c,
                          int64_t ldc, float alpha, float beta, int nv);

// Products of at most this many columns go to the variant's smallProduct (gemm_micro.inc).
constexpr int64_t kSmallCols = 8;
using SmallFn = void (*)(bool transA, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                         const float* bt, float beta, float* c, int64_t ldc);

struct GemmKernel {
  const char* name;
  int mr, nr;
  int64_t mc, kc, nc;  // mc a multiple of mr, nc of nr
  MicroFn micro;
  MicroAFn rowsA, colsA;
  // Narrow products: read B's slivers in place (else pack each kc block). In place pays only when a
  // sliver's row is several cache lines: with 16-float rows (AVX2) each k step of the micro-kernel
  // touched a new line ldb floats away, and packing B was 15-45% faster on Zen 3 (2026-12-04).
  bool narrowBInPlace;
  SmallFn small;
};

namespace generic {
#define ML_TARGET
#define ML_INLINE inline
typedef float V __attribute__((vector_size(16)));
constexpr int LANES = 4;
inline V vzero() { return V{0, 0, 0, 0}; }
inline V vload(const float* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void vstore(float* p, V v) { std::memcpy(p, &v, sizeof v); }
inline V vset1(float x) { return V{x, x, x, x}; }
inline V vadd(V a, V b) { return a + b; }
inline V vmul(V a, V b) { return a * b; }
inline V vfma(V a, V b, V c) { return a * b + c; }
#include "gemm_micro.inc"
#undef ML_TARGET
void micro6x8(int64_t kc, const float* ap, const float* bp, int64_t bstride, float* c, int64_t ldc, float alpha, float beta,
              int mv, int nv) {
  micro<6, 2>(kc, ap, bp, bstride, c, ldc, alpha, beta, mv, nv);
}
template <bool ROWS>
void micro6x8A(int64_t kc, const float* a, int64_t stride, const float* bp, int64_t bstride, float* c, int64_t ldc, float alpha,
               float beta, int nv) {
  microA<6, 2, ROWS>(kc, a, stride, bp, bstride, c, ldc, alpha, beta, nv);
}
#undef ML_INLINE
}  // namespace generic

#ifdef METALEARN_X86
namespace avx2 {
#define ML_TARGET __attribute__((target("avx2,fma")))
#define ML_INLINE __attribute__((target("avx2,fma"), always_inline)) inline
using V = __m256;
constexpr int LANES = 8;
ML_INLINE V vzero() { return _mm256_setzero_ps(); }
ML_INLINE V vload(const float* p) { return _mm256_loadu_ps(p); }
ML_INLINE void vstore(float* p, V v) { _mm256_storeu_ps(p, v); }
ML_INLINE V vset1(float x) { return _mm256_set1_ps(x); }
ML_INLINE V vadd(V a, V b) { return _mm256_add_ps(a, b); }
ML_INLINE V vmul(V a, V b) { return _mm256_mul_ps(a, b); }
ML_INLINE V vfma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
#include "gemm_micro.inc"
ML_TARGET void micro6x16(int64_t kc, const float* ap, const float* bp, int64_t bstride, float* c, int64_t ldc, float alpha,
                         float beta, int mv, int nv) {
  micro<6, 2>(kc, ap, bp, bstride, c, ldc, alpha, beta, mv, nv);
}
template <bool ROWS>
ML_TARGET void micro6x16A(int64_t kc, const float* a, int64_t stride, const float* bp, int64_t bstride, float* c, int64_t ldc,
                          float alpha, float beta, int nv) {
  microA<6, 2, ROWS>(kc, a, stride, bp, bstride, c, ldc, alpha, beta, nv);
}
#undef ML_INLINE
#undef ML_TARGET
}  // namespace avx2

namespace avx512 {
#define ML_TARGET __attribute__((target("avx512f")))
#define ML_INLINE __attribute__((target("avx512f"), always_inline)) inline
using V = __m512;
constexpr int LANES = 16;
ML_INLINE V vzero() { return _mm512_setzero_ps(); }
ML_INLINE V vload(const float* p) { return _mm512_loadu_ps(p); }
ML_INLINE void vstore(float* p, V v) { _mm512_storeu_ps(p, v); }
ML_INLINE V vset1(float x) { return _mm512_set1_ps(x); }
ML_INLINE V vadd(V a, V b) { return _mm512_add_ps(a, b); }
ML_INLINE V vmul(V a, V b) { return _mm512_mul_ps(a, b); }
ML_INLINE V vfma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
#include "gemm_micro.inc"
// 6 x 64 rather than 12 x 32 (both 24 accumulators): 4 loads of B and 6 broadcasts of A feed 24 FMAs
// instead of 2 + 12; 10-35% faster on the MTL, MANN and Conv4 products on an AVX-512 EPYC.
ML_TARGET void micro6x64(int64_t kc, const float* ap, const float* bp, int64_t bstride, float* c, int64_t ldc,
                         float alpha, float beta, int mv, int nv) {
  micro<6, 4>(kc, ap, bp, bstride, c, ldc, alpha, beta, mv, nv);
}
template <bool ROWS>
ML_TARGET void micro6x64A(int64_t kc, const float* a, int64_t stride, const float* bp, int64_t bstride, float* c,
                          int64_t ldc, float alpha, float beta, int nv) {
  microA<6, 4, ROWS>(kc, a, stride, bp, bstride, c, ldc, alpha, beta, nv);
}
#undef ML_INLINE
#undef ML_TARGET
}  // namespace avx512
#endif

namespace {

const GemmKernel kGeneric{"generic", 6, 8, 144, 256, 2048, generic::micro6x8, generic::micro6x8A<true>,
                          generic::micro6x8A<false>, false, generic::smallProduct};
#ifdef METALEARN_X86
const GemmKernel kAvx2{"avx2", 6, 16, 144, 256, 2048, avx2::micro6x16, avx2::micro6x16A<true>,
                       avx2::micro6x16A<false>, false, avx2::smallProduct};
const GemmKernel kAvx512{"avx512", 6, 64, 144, 192, 2048, avx512::micro6x64, avx512::micro6x64A<true>,
                         avx512::micro6x64A<false>, true, avx512::smallProduct};
#endif

bool supported(const GemmKernel& k) {
#ifdef METALEARN_X86
  // __builtin_cpu_supports reports a feature only when the OS also saves its registers (XGETBV). The
  // explicit init makes the answer independent of the order in which constructors ran.
  __builtin_cpu_init();
  if (&k == &kAvx512) return __builtin_cpu_supports("avx512f");
  if (&k == &kAvx2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return &k == &kGeneric;
}

const GemmKernel* const kAll[] = {
    &kGeneric,
#ifdef METALEARN_X86
    &kAvx2,
    &kAvx512,
#endif
};

// A 64-byte aligned float buffer per thread (worker threads each call the addon), grown as needed.
struct Scratch {
  std::vector<float> raw;
  float* get(size_t n) {
    if (raw.size() < n + 16) raw.resize(n + 16);
    const uintptr_t p = reinterpret_cast<uintptr_t>(raw.data());
    return reinterpret_cast<float*>((p + 63) & ~static_cast<uintptr_t>(63));
  }
};

// Ap: the mc x kc block of op(A) at (i0, p0) as ceil(mc / mr) slivers, each kc columns of mr values.
void packA(const GemmKernel& K, bool trans, const float* a, int64_t lda, int64_t i0, int64_t p0, int64_t mc,
           int64_t kc, float* ap) {
  const int mr = K.mr;
  for (int64_t is = 0; is < mc; is += mr) {
    const int rows = static_cast<int>(std::min<int64_t>(mr, mc - is));
    if (!trans) {
      // op(A)(i, p) = a[i * lda + p]: mr row streams, interleaved.
      const float* src = a + (i0 + is) * lda + p0;
      for (int64_t p = 0; p < kc; p++) {
        float* d = ap + p * mr;
        int r = 0;
        for (; r < rows; r++) d[r] = src[r * lda + p];
        for (; r < mr; r++) d[r] = 0.0f;
      }
    } else {
      // op(A)(i, p) = a[p * lda + i]: each column of the sliver is contiguous in a.
      const float* src = a + p0 * lda + i0 + is;
      for (int64_t p = 0; p < kc; p++) {
        float* d = ap + p * mr;
        const float* s = src + p * lda;
        int r = 0;
        for (; r < rows; r++) d[r] = s[r];
        for (; r < mr; r++) d[r] = 0.0f;
      }
    }
    ap += mr * kc;
  }
}

// Bp: the kc x nc block of op(B) at (p0, j0) as ceil(nc / nr) slivers, each kc rows of nr values.
void packB(const GemmKernel& K, bool trans, const float* b, int64_t ldb, int64_t p0, int64_t j0, int64_t kc,
           int64_t nc, float* bp) {
  const int nr = K.nr;
  for (int64_t js = 0; js < nc; js += nr) {
    const int cols = static_cast<int>(std::min<int64_t>(nr, nc - js));
    if (!trans) {
      // op(B)(p, j) = b[p * ldb + j]: each row of the sliver is contiguous in b.
      const float* src = b + p0 * ldb + j0 + js;
      for (int64_t p = 0; p < kc; p++) {
        float* d = bp + p * nr;
        const float* s = src + p * ldb;
        int c = 0;
        for (; c < cols; c++) d[c] = s[c];
        for (; c < nr; c++) d[c] = 0.0f;
      }
    } else {
      // op(B)(p, j) = b[j * ldb + p]: nr column streams, interleaved.
      const float* src = b + (j0 + js) * ldb + p0;
      for (int64_t p = 0; p < kc; p++) {
        float* d = bp + p * nr;
        int c = 0;
        for (; c < cols; c++) d[c] = src[c * ldb + p];
        for (; c < nr; c++) d[c] = 0.0f;
      }
    }
    bp += nr * kc;
  }
}

void scaleC(int64_t m, int64_t n, float beta, float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; i++) {
    float* ci = c + i * ldc;
    if (beta == 0.0f)
      std::fill(ci, ci + n, 0.0f);
    else if (beta != 1.0f)
      for (int64_t j = 0; j < n; j++) ci[j] *= beta;
  }
}

// Products with at most this many columns go to gemmNarrow (faster there on every Conv4, MANN and MTL
// shape measured, and its kc x n block of B still fits a 1 MB L2).
constexpr int64_t kNarrowCols = 512;

// A narrow product (n <= kNarrowCols: a convolution's 64 output channels, an LSTM's 4 x 128 gates): each
// element of A meets only n columns, so packing A would cost about as much as the multiply-adds it feeds. The micro-kernel
// reads full MR-row slivers of A where they are stored (only the last, partial sliver is packed), except
// a transposed A feeding a long row of tiles (its k steps are lda apart); B is packed once per kc block,
// chosen so that the block stays in L2, unless the kernel reads it in place (narrowBInPlace: a filter
// gradient's long k then costs no copy).
void gemmNarrow(const GemmKernel& K, bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha,
                const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
                Scratch& sa, Scratch& sb) {
  const int64_t np = (n + K.nr - 1) / K.nr * K.nr;
  const int64_t kcMax = std::max<int64_t>(K.kc, std::min<int64_t>(k, (int64_t{1} << 16) / np));
  // k in blocks of about equal depth (789 as 4 x 198 rather than 4 x 192 + 21: each block is a pass over C;
  // MANN's input projection 2% faster in an A/B on a Zen 4).
  const int64_t nBlocks = std::max<int64_t>(1, (k + kcMax / 2) / kcMax);
  const int64_t kcBlk = (k + nBlocks - 1) / nBlocks;
  float* bp = sb.get(static_cast<size_t>(np * std::min(kcBlk, k)));
  float* ap = sa.get(static_cast<size_t>(K.mr * std::min(kcBlk, k)));
  const int64_t mFull = m / K.mr * K.mr, nFull = n / K.nr * K.nr;
  // Packed: all of op(B), or (read in place) only its last, partial sliver (at bp).
  const bool packAll = transB || !K.narrowBInPlace;
  // A transposed sliver met by 24+ tiles is packed (MANN's x^T dy, 789 x 512 x 1280, was 15% faster on
  // Zen 3; with a conv filter gradient's 4 tiles and MTL's 16 it did not pay).
  const bool packSlivers = transA && n >= 24 * K.nr;
  for (int64_t pc = 0; pc < k; pc += kcBlk) {
    const int64_t kc = std::min(kcBlk, k - pc);
    const float bt = pc == 0 ? beta : 1.0f;
    if (packAll)
      packB(K, transB, b, ldb, pc, 0, kc, n, bp);
    else if (nFull < n)
      packB(K, false, b, ldb, pc, nFull, kc, n - nFull, bp);
    auto sliver = [&](int64_t jr, int64_t* stride) -> const float* {
      if (packAll) {
        *stride = K.nr;
        return bp + jr * kc;
      }
      if (jr < nFull) {
        *stride = ldb;
        return b + pc * ldb + jr;
      }
      *stride = K.nr;
      return bp;
    };
    for (int64_t ir = 0; ir < mFull; ir += K.mr) {
      const float* as = transA ? a + pc * lda + ir : a + ir * lda + pc;
      if (packSlivers) packA(K, true, a, lda, ir, pc, K.mr, kc, ap);
      for (int64_t jr = 0; jr < n; jr += K.nr) {
        const int nv = static_cast<int>(std::min<int64_t>(K.nr, n - jr));
        int64_t bs;
        const float* bj = sliver(jr, &bs);
        if (packSlivers)
          K.micro(kc, ap, bj, bs, c + ir * ldc + jr, ldc, alpha, bt, K.mr, nv);
        else
          (transA ? K.colsA : K.rowsA)(kc, as, lda, bj, bs, c + ir * ldc + jr, ldc, alpha, bt, nv);
      }
    }
    if (mFull < m) {
      packA(K, transA, a, lda, mFull, pc, m - mFull, kc, ap);
      for (int64_t jr = 0; jr < n; jr += K.nr) {
        const int nv = static_cast<int>(std::min<int64_t>(K.nr, n - jr));
        int64_t bs;
        const float* bj = sliver(jr, &bs);
        K.micro(kc, ap, bj, bs, c + mFull * ldc + jr, ldc, alpha, bt, static_cast<int>(m - mFull), nv);
      }
    }
  }
}

// n <= kSmallCols: op(B) transposed into bt (n x k), then the variant's dots or rank-1 updates as A is
// stored. On a Zen 4, MTL's head 32 x 5 x 256 took 12.9 us on the 6 x 64 AVX-512 tile, 4.9 on the
// 6 x 16 AVX2 one.
void gemmSmall(const GemmKernel& K, bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha,
               const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc, Scratch& sb) {
  float* bt = sb.get(static_cast<size_t>(n * k));
  for (int64_t j = 0; j < n; j++)
    for (int64_t p = 0; p < k; p++) bt[j * k + p] = transB ? b[j * ldb + p] : b[p * ldb + j];
  K.small(transA, m, n, k, alpha, a, lda, bt, beta, c, ldc);
}

}  // namespace

void gemm(const GemmKernel& K, bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0.0f) return scaleC(m, n, beta, c, ldc);
  static thread_local Scratch sa, sb;
  if (n <= kSmallCols) return gemmSmall(K, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, sb);
  if (n <= kNarrowCols) return gemmNarrow(K, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, sa, sb);
  const int64_t ncMax = std::min<int64_t>(K.nc, (n + K.nr - 1) / K.nr * K.nr);
  const int64_t kcMax = std::min<int64_t>(K.kc, k);
  const int64_t mcMax = std::min<int64_t>(K.mc, (m + K.mr - 1) / K.mr * K.mr);
  float* bp = sb.get(static_cast<size_t>(ncMax * kcMax));
  float* ap = sa.get(static_cast<size_t>(mcMax * kcMax));
  for (int64_t jc = 0; jc < n; jc += K.nc) {
    const int64_t nc = std::min(K.nc, n - jc);
    for (int64_t pc = 0; pc < k; pc += K.kc) {
      const int64_t kc = std::min(K.kc, k - pc);
      // The first rank-kc update applies beta; the later ones accumulate.
      const float bt = pc == 0 ? beta : 1.0f;
      packB(K, transB, b, ldb, pc, jc, kc, nc, bp);
      for (int64_t ic = 0; ic < m; ic += K.mc) {
        const int64_t mc = std::min(K.mc, m - ic);
        packA(K, transA, a, lda, ic, pc, mc, kc, ap);
        for (int64_t jr = 0; jr < nc; jr += K.nr) {
          const int nv = static_cast<int>(std::min<int64_t>(K.nr, nc - jr));
          const float* bs = bp + jr * kc;
          for (int64_t ir = 0; ir < mc; ir += K.mr) {
            const int mv = static_cast<int>(std::min<int64_t>(K.mr, mc - ir));
            K.micro(kc, ap + ir * kc, bs, K.nr, c + (ic + ir) * ldc + jc + jr, ldc, alpha, bt, mv, nv);
          }
        }
      }
    }
  }
}

const GemmKernel& bestGemmKernel() {
  static const GemmKernel* best = [] {
    const GemmKernel* b = &kGeneric;
    for (const GemmKernel* k : kAll)
      if (supported(*k)) b = k;
    return b;
  }();
  return *best;
}

const GemmKernel& gemmKernelFor(int64_t n) {
#ifdef METALEARN_X86
  // A 64-wide AVX-512 tile on a product of 9 to 32 columns computes at least half of it on padding; the
  // 16-wide AVX2 tile then wins (on a Zen 4, the MANN second layer's projection, 1280 x 20 x 128:
  // 191 -> 100 us). Up to 8 columns each variant has its own small-product path.
  // Decided once: this runs before every product the kernels make.
  static const GemmKernel* narrow = &bestGemmKernel() == &kAvx512 && supported(kAvx2) ? &kAvx2 : nullptr;
  if (narrow && n > kSmallCols && n <= 32) return *narrow;
#endif
  (void)n;
  return bestGemmKernel();
}

const GemmKernel* gemmKernelNamed(const char* name) {
  for (const GemmKernel* k : kAll)
    if (std::strcmp(k->name, name) == 0) return supported(*k) ? k : nullptr;
  return nullptr;
}

const char* const* gemmKernelNames(int* count) {
  static std::vector<const char*> names = [] {
    std::vector<const char*> v;
    for (const GemmKernel* k : kAll)
      if (supported(*k)) v.push_back(k->name);
    return v;
  }();
  *count = static_cast<int>(names.size());
  return names.data();
}

const char* gemmKernelName(const GemmKernel& kernel) { return kernel.name; }

}  // namespace metalearn
