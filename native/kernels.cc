// Native CPU kernels for the tfjs wasm backend: the kernels read and write the wasm heap in place
// (Float32Array views handed over by src/engine/kernels/native.ts), so no tensor data is copied.
//   conv2d: NHWC forward convolution, im2col + sgemm, any stride, dilation and explicit padding
//   conv2dFilterGrad, conv2dInputGrad: its two gradients, im2col(x)^T dy and col2im(dy w^T) (at stride 1
//   a forward convolution of dy with the flipped filter)
//   batchMatMul: a batch of sgemm calls (transposes and a broadcast batch of 1 included)
//   sgemm, gemmPath, gemmKernels: the matrix product itself and which one the kernels use (tests, benchmarks)
//   binary: add, sub, mul, div of float32 with broadcasting, as strided loops
//   transpose: any permutation, as strided copies
//   reverse: flips along any axes, as strided copies
//   maxPool: the tiling (stride = window, unpadded) max-pool forward
//   poolRoute: the max-pool gradient's routing of dy to each tiling window's first maximum, and its adjoint
//   reduceBlock: sum over the middle axis of [outer, red, inner] with double accumulators (Sum, Mean)
//   batchNorm, batchNormGrad: training-mode batch normalisation over the rows of [m, c], and its gradient
//   lstmSeq, lstmSeqGrad: a whole LSTM layer over a sequence (recurrent products and gates), and its
//   gradient back through time
//   adamStep: one Adam update of a parameter, its two moments in the same pass (Kingma & Ba 2015)
//   dense, denseGrad: a dense layer x w + b with an optional ReLU in one pass over the product, and the
//   gradients of its weight and bias (and the ReLU-masked upstream gradient, for the input's)
//   softmaxXent, softmaxXentGrad: the mean cross-entropy of softmax(logits) with integer labels, and its
//   gradient
//   tanh: elementwise through a vectorised exp (the wasm build's tanh took ~28 ns an element)
// The matrix products are OpenBLAS's, or ours (native/gemm.cc) in a build with METALEARN_OWN_GEMM, which
// needs no BLAS. Built by native/build.mjs at install; when it cannot build, the library uses the wasm
// kernels.
#include <node_api.h>
#ifndef METALEARN_OWN_GEMM
#include <cblas.h>
#endif

#include "gemm.h"
#include "pool.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

// Row functions of elementwise kernels compiled once per instruction set and chosen at load time by the
// CPU (GCC's target_clones, an ifunc): the build's baseline is x86-64-v2 (SSE4.2, 4 floats a vector), and
// the transcendental rows (LSTM gates, tanh) run 3-4x faster 16 wide. Elsewhere a single baseline build.
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
#define ML_CLONES __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define ML_CLONES
#endif

namespace {

bool floats(napi_env env, napi_value v, float** data, size_t* len) {
  napi_typedarray_type type;
  void* ptr = nullptr;
  size_t n = 0;
  if (napi_get_typedarray_info(env, v, &type, &n, &ptr, nullptr, nullptr) != napi_ok) return false;
  if (type != napi_float32_array) return false;
  *data = static_cast<float*>(ptr);
  *len = n;
  return true;
}

bool int32s(napi_env env, napi_value v, int32_t** data, size_t* len) {
  napi_typedarray_type type;
  void* ptr = nullptr;
  size_t n = 0;
  if (napi_get_typedarray_info(env, v, &type, &n, &ptr, nullptr, nullptr) != napi_ok) return false;
  if (type != napi_int32_array) return false;
  *data = static_cast<int32_t*>(ptr);
  *len = n;
  return true;
}

bool int_at(napi_env env, napi_value arr, uint32_t i, int64_t* out) {
  napi_value v;
  if (napi_get_element(env, arr, i, &v) != napi_ok) return false;
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

bool ints(napi_env env, napi_value arr, uint32_t n, int64_t* out) {
  for (uint32_t i = 0; i < n; i++)
    if (!int_at(env, arr, i, &out[i])) return false;
  return true;
}

double number(napi_env env, napi_value v) {
  double d = 0;
  napi_get_value_double(env, v, &d);
  return d;
}

napi_value fail(napi_env env, const char* msg) {
  napi_throw_error(env, nullptr, msg);
  return nullptr;
}

// C (m x n, row-major, leading dimension ldc) = op(A) op(B), with the GEMM this build uses, on this thread.
// beta 0 overwrites C, 1 adds to it.
void matmulSerial(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
                  int64_t ldb, float* c, int64_t ldc, float beta = 0.0f) {
#ifdef METALEARN_OWN_GEMM
  metalearn::gemm(metalearn::gemmKernelFor(n), ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
#else
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
              static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0f, a, static_cast<int>(lda), b,
              static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
#endif
}

// Below this many multiply-adds a product stays on one thread (a few tens of microseconds of work).
constexpr double kParallelMacs = 1 << 20;
// Elementwise and copy kernels hand each thread at least this many elements.
constexpr int64_t kGrainElems = 1 << 15;

// The same product on the pool: C's rows (or, for a short wide C, its columns) in blocks of 16 across the
// threads. Each element is computed exactly as on one thread, so results do not depend on the thread count.
void matmul(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
            int64_t ldb, float* c, int64_t ldc, float beta = 0.0f) {
  if (static_cast<double>(m) * n * k < kParallelMacs || metalearn::poolThreads() == 1)
    return matmulSerial(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, beta);
  constexpr int64_t blk = 16;
  if (m >= n || m >= 4 * blk * metalearn::poolThreads()) {
    metalearn::parallelFor((m + blk - 1) / blk, 1, [&](int64_t b0, int64_t b1) {
      const int64_t r0 = b0 * blk, r1 = std::min(m, b1 * blk);
      matmulSerial(ta, tb, r1 - r0, n, k, ta ? a + r0 : a + r0 * lda, lda, b, ldb, c + r0 * ldc, ldc, beta);
    });
  } else {
    metalearn::parallelFor((n + blk - 1) / blk, 1, [&](int64_t b0, int64_t b1) {
      const int64_t c0 = b0 * blk, c1 = std::min(n, b1 * blk);
      matmulSerial(ta, tb, m, c1 - c0, k, a, lda, tb ? b + c0 * ldb : b + c0, ldb, c + c0, ldc, beta);
    });
  }
}

// The geometry of an NHWC convolution x [n, h, w, ci] * w [kh, kw, ci, co] -> y [n, ho, wo, co], as the
// conv kernels receive it: dims = [n, h, w, ci, kh, kw, co, ho, wo, sh, sw, dh, dw, padTop, padLeft].
struct ConvGeom {
  int64_t n, h, w, ci, kh, kw, co, ho, wo, sh, sw, dh, dw, pt, pl;
  int64_t k() const { return kh * kw * ci; }        // im2col columns
  int64_t rows() const { return ho * wo; }          // im2col rows of one image
  int64_t xSize() const { return n * h * w * ci; }
  int64_t wSize() const { return kh * kw * ci * co; }
  int64_t ySize() const { return n * ho * wo * co; }
  // Images per im2col chunk, so the column buffer stays near 1 MB (a core's L2) whatever the batch: the
  // product then reads it from cache (16 MB chunks were 15-30% slower on the Conv4 layers).
  int64_t chunk() const {
    const int64_t perImage = std::max<int64_t>(1, rows() * k());
    return std::max<int64_t>(1, std::min<int64_t>(n, (int64_t{1} << 18) / perImage));
  }
};

// Reads the three Float32Arrays and the geometry of a conv kernel; false after throwing.
bool convArgs(napi_env env, napi_callback_info info, const char* who, float** p0, float** p1, float** p2,
              size_t* l0, size_t* l1, size_t* l2, ConvGeom* g) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  const std::string w(who);
  if (argc != 4 || !floats(env, argv[0], p0, l0) || !floats(env, argv[1], p1, l1) ||
      !floats(env, argv[2], p2, l2)) {
    fail(env, (w + ": expected three Float32Arrays and dims").c_str());
    return false;
  }
  int64_t d[15];
  if (!ints(env, argv[3], 15, d)) {
    fail(env, (w + ": dims must hold 15 numbers").c_str());
    return false;
  }
  *g = ConvGeom{d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14]};
  return true;
}

// im2col of images [n0, n0 + nb) of x into col (rows of kh * kw * ci, one per output position), the rows
// shared across the pool; positions in the padding read zero.
void im2col(const ConvGeom& g, const float* x, int64_t n0, int64_t nb, float* col) {
  const int64_t k = g.k();
  const int64_t rowGrain = std::max<int64_t>(1, kGrainElems / std::max<int64_t>(1, g.wo * k));
  metalearn::parallelFor(nb * g.ho, rowGrain, [&](int64_t q0, int64_t q1) {
    float* c = col + q0 * g.wo * k;
    for (int64_t q = q0; q < q1; q++) {
      const int64_t b = q / g.ho, oy = q % g.ho;
      const float* img = x + (n0 + b) * g.h * g.w * g.ci;
      if (g.ci == 1) {
        // One channel (a first layer): one float per tap, so tap by tap along the output row instead of
        // a memcpy per float.
        for (int64_t i = 0; i < g.kh; i++) {
          const int64_t iy = oy * g.sh - g.pt + i * g.dh;
          const bool rowIn = iy >= 0 && iy < g.h;
          const float* src = rowIn ? img + iy * g.w : img;
          for (int64_t j = 0; j < g.kw; j++) {
            float* d = c + i * g.kw + j;
            for (int64_t ox = 0; ox < g.wo; ox++) {
              const int64_t ix = ox * g.sw - g.pl + j * g.dw;
              d[ox * k] = rowIn && ix >= 0 && ix < g.w ? src[ix] : 0.0f;
            }
          }
        }
        c += g.wo * k;
        continue;
      }
      for (int64_t ox = 0; ox < g.wo; ox++) {
        for (int64_t i = 0; i < g.kh; i++) {
          const int64_t iy = oy * g.sh - g.pt + i * g.dh;
          for (int64_t j = 0; j < g.kw; j++) {
            const int64_t ix = ox * g.sw - g.pl + j * g.dw;
            if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) {
              std::memset(c, 0, sizeof(float) * g.ci);
            } else {
              std::memcpy(c, img + (iy * g.w + ix) * g.ci, sizeof(float) * g.ci);
            }
            c += g.ci;
          }
        }
      }
    }
  });
}

// The adjoint of im2col: dx (images [n0, n0 + nb), zeroed first) += each column row at the positions
// im2col read it from. Images are shared across the pool: their windows overlap only within an image.
void col2im(const ConvGeom& g, const float* col, int64_t n0, int64_t nb, float* dx) {
  const int64_t k = g.k(), img = g.h * g.w * g.ci;
  metalearn::parallelFor(nb, std::max<int64_t>(1, kGrainElems / std::max<int64_t>(1, g.rows() * k)),
                         [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; b++) {
      float* out = dx + (n0 + b) * img;
      std::memset(out, 0, sizeof(float) * img);
      const float* c = col + b * g.rows() * k;
      for (int64_t oy = 0; oy < g.ho; oy++) {
        for (int64_t ox = 0; ox < g.wo; ox++) {
          for (int64_t i = 0; i < g.kh; i++) {
            const int64_t iy = oy * g.sh - g.pt + i * g.dh;
            for (int64_t j = 0; j < g.kw; j++, c += g.ci) {
              const int64_t ix = ox * g.sw - g.pl + j * g.dw;
              if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
              float* o = out + (iy * g.w + ix) * g.ci;
              for (int64_t ch = 0; ch < g.ci; ch++) o[ch] += c[ch];
            }
          }
        }
      }
    }
  });
}

std::vector<float>& colBuffer(size_t n) {
  static thread_local std::vector<float> col;
  col.resize(n);
  return col;
}

// The forward convolution of a checked geometry: im2col of L2-sized chunks of images, each times w.
void convForward(const ConvGeom& g, const float* x, const float* w, float* out) {
  // A 1x1 stride-1 unpadded convolution is a plain matrix product over the input.
  if (g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0 && g.ho == g.h && g.wo == g.w) {
    matmul(false, false, g.n * g.rows(), g.co, g.ci, x, g.ci, w, g.co, out, g.co);
    return;
  }
  const int64_t chunk = g.chunk(), k = g.k(), chunks = (g.n + chunk - 1) / chunk;
  auto run = [&](int64_t c0, int64_t c1) {
    std::vector<float>& col = colBuffer(static_cast<size_t>(chunk * g.rows() * k));
    for (int64_t ci = c0; ci < c1; ci++) {
      const int64_t n0 = ci * chunk, nb = std::min(chunk, g.n - n0);
      im2col(g, x, n0, nb, col.data());
      matmul(false, false, nb * g.rows(), g.co, k, col.data(), k, w, g.co, out + n0 * g.rows() * g.co, g.co);
    }
  };
  // Many chunks: each thread takes whole chunks (im2col and product on its own L2; inside a range the
  // pool runs them serially), one hand-off per call instead of two per chunk. Few: one chunk after the
  // other, each on the whole pool. Every element comes out as on one thread either way.
  if (metalearn::poolThreads() > 1 && chunks >= 2 * metalearn::poolThreads())
    metalearn::parallelFor(chunks, 1, run);
  else
    run(0, chunks);
}

// conv2d(x, w, out, dims): the forward convolution, im2col + sgemm.
napi_value Conv2d(napi_env env, napi_callback_info info) {
  float *x, *w, *out;
  size_t lx, lw, lo;
  ConvGeom g;
  if (!convArgs(env, info, "conv2d", &x, &w, &out, &lx, &lw, &lo, &g)) return nullptr;
  if (static_cast<int64_t>(lx) < g.xSize() || static_cast<int64_t>(lw) < g.wSize() ||
      static_cast<int64_t>(lo) < g.ySize())
    return fail(env, "conv2d: a buffer is smaller than its shape");
  convForward(g, x, w, out);
  return nullptr;
}

// conv2dFilterGrad(x, dy, out, dims): out [kh, kw, ci, co] = im2col(x)^T dy, the filter's gradient.
napi_value Conv2dFilterGrad(napi_env env, napi_callback_info info) {
  float *x, *dy, *out;
  size_t lx, ld, lo;
  ConvGeom g;
  if (!convArgs(env, info, "conv2dFilterGrad", &x, &dy, &out, &lx, &ld, &lo, &g)) return nullptr;
  if (static_cast<int64_t>(lx) < g.xSize() || static_cast<int64_t>(ld) < g.ySize() ||
      static_cast<int64_t>(lo) < g.wSize())
    return fail(env, "conv2dFilterGrad: a buffer is smaller than its shape");
  const int64_t chunk = g.chunk(), k = g.k();
  if (g.n == 0 || g.rows() == 0) {
    std::memset(out, 0, sizeof(float) * g.wSize());
    return nullptr;
  }
  // Many chunks: in a fixed number of groups, whatever the thread count (so the sums are the same on
  // any), each group's sum into its own partial filter on the pool (its products serial inside a range),
  // then the partials added in group order. Few: one group, straight into out, each product on the pool.
  const int64_t chunks = (g.n + chunk - 1) / chunk, ws = g.wSize();
  const int64_t groups = chunks >= 4 ? std::min<int64_t>(chunks, 8) : 1;
  std::vector<float> part(static_cast<size_t>(groups > 1 ? groups * ws : 0));
  auto run = [&](int64_t g0, int64_t g1) {
    std::vector<float>& col = colBuffer(static_cast<size_t>(chunk * g.rows() * k));
    for (int64_t gi = g0; gi < g1; gi++) {
      float* dst = groups > 1 ? part.data() + gi * ws : out;
      const int64_t cb = gi * chunks / groups, ce = (gi + 1) * chunks / groups;
      for (int64_t ci = cb; ci < ce; ci++) {
        const int64_t n0 = ci * chunk, nb = std::min(chunk, g.n - n0);
        im2col(g, x, n0, nb, col.data());
        matmul(true, false, k, g.co, nb * g.rows(), col.data(), k, dy + n0 * g.rows() * g.co, g.co, dst, g.co,
               ci == cb ? 0.0f : 1.0f);
      }
    }
  };
  if (groups == 1) {
    run(0, 1);
    return nullptr;
  }
  metalearn::parallelFor(groups, 1, run);
  std::memcpy(out, part.data(), sizeof(float) * ws);
  for (int64_t gi = 1; gi < groups; gi++) {
    const float* pg = part.data() + gi * ws;
    for (int64_t i = 0; i < ws; i++) out[i] += pg[i];
  }
  return nullptr;
}

// conv2dInputGrad(dy, w, out, dims): out [n, h, w, ci] = col2im(dy w^T), the input's gradient.
napi_value Conv2dInputGrad(napi_env env, napi_callback_info info) {
  float *dy, *w, *out;
  size_t ld, lw, lo;
  ConvGeom g;
  if (!convArgs(env, info, "conv2dInputGrad", &dy, &w, &out, &ld, &lw, &lo, &g)) return nullptr;
  if (static_cast<int64_t>(ld) < g.ySize() || static_cast<int64_t>(lw) < g.wSize() ||
      static_cast<int64_t>(lo) < g.xSize())
    return fail(env, "conv2dInputGrad: a buffer is smaller than its shape");
  if (g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.pt < g.kh && g.pl < g.kw && g.kh * g.kw > 1) {
    // Stride 1: the input gradient is itself a convolution, of dy with the filter flipped in space and
    // its channels swapped, padded by kh - 1 - top (and kw - 1 - left); as a forward convolution it
    // gathers through im2col into a narrow product instead of scattering through col2im.
    std::vector<float> wt(static_cast<size_t>(g.wSize()));
    for (int64_t i = 0; i < g.kh; i++)
      for (int64_t j = 0; j < g.kw; j++)
        for (int64_t a = 0; a < g.ci; a++)
          for (int64_t o = 0; o < g.co; o++)
            wt[(((g.kh - 1 - i) * g.kw + (g.kw - 1 - j)) * g.co + o) * g.ci + a] =
                w[((i * g.kw + j) * g.ci + a) * g.co + o];
    const ConvGeom t{g.n, g.ho, g.wo, g.co, g.kh, g.kw, g.ci, g.h, g.w, 1, 1, 1, 1, g.kh - 1 - g.pt, g.kw - 1 - g.pl};
    convForward(t, dy, wt.data(), out);
    return nullptr;
  }
  const int64_t chunk = g.chunk(), k = g.k();
  std::vector<float>& col = colBuffer(static_cast<size_t>(chunk * g.rows() * k));
  for (int64_t n0 = 0; n0 < g.n; n0 += chunk) {
    const int64_t nb = std::min(chunk, g.n - n0);
    matmul(false, true, nb * g.rows(), k, g.co, dy + n0 * g.rows() * g.co, g.co, w, g.co, col.data(), k);
    col2im(g, col.data(), n0, nb, out);
  }
  return nullptr;
}

// batchMatMul(a, b, out, [batch, batchA, batchB, m, k, n, transA, transB]): out[i] = op(a[i]) op(b[i]),
// where a batch of 1 is broadcast.
napi_value BatchMatMul(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float *a, *b, *out;
  size_t la, lb, lo;
  if (argc != 4 || !floats(env, argv[0], &a, &la) || !floats(env, argv[1], &b, &lb) ||
      !floats(env, argv[2], &out, &lo))
    return fail(env, "batchMatMul: expected (a, b, out: Float32Array, dims)");
  int64_t d[8];
  if (!ints(env, argv[3], 8, d)) return fail(env, "batchMatMul: dims must hold 8 numbers");
  const int64_t batch = d[0], ba = d[1], bb = d[2], m = d[3], k = d[4], n = d[5];
  const bool ta = d[6] != 0, tb = d[7] != 0;
  if (static_cast<int64_t>(la) < ba * m * k || static_cast<int64_t>(lb) < bb * k * n ||
      static_cast<int64_t>(lo) < batch * m * n)
    return fail(env, "batchMatMul: a buffer is smaller than its shape");
  auto one = [&](int64_t i) {
    const float* ai = a + (ba == 1 ? 0 : i) * m * k;
    const float* bi = b + (bb == 1 ? 0 : i) * k * n;
    if (k == 0) {
      std::memset(out + i * m * n, 0, sizeof(float) * m * n);
      return;
    }
    matmul(ta, tb, m, n, k, ai, ta ? m : k, bi, tb ? k : n, out + i * m * n, n);
  };
  // Many products: a share of the batch per thread (each product then on one thread); few: one after the
  // other, each on every thread.
  const double macs = std::max(1.0, static_cast<double>(m) * n * std::max<int64_t>(k, 1));
  if (batch >= metalearn::poolThreads() && macs * batch >= kParallelMacs) {
    const int64_t grain = std::max<int64_t>(1, static_cast<int64_t>(kParallelMacs / macs));
    metalearn::parallelFor(batch, grain, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; i++) one(i);
    });
  } else {
    for (int64_t i = 0; i < batch; i++) one(i);
  }
  return nullptr;
}

// Offsets into a and b of outer row r (an odometer over all axes but the innermost), and its digits.
void seekRow(int rank, const int64_t* shape, const int64_t* sa, const int64_t* sb, int64_t r, int64_t* idx,
             int64_t* offA, int64_t* offB) {
  *offA = 0;
  if (offB) *offB = 0;
  for (int d = rank - 2; d >= 0; d--) {
    idx[d] = r % shape[d];
    r /= shape[d];
    *offA += idx[d] * sa[d];
    if (offB) *offB += idx[d] * sb[d];
  }
}

template <typename F>
void binaryRows(const float* a, const float* b, float* o, int rank, const int64_t* shape, const int64_t* sa,
                const int64_t* sb, int64_t r0, int64_t r1, F f) {
  // Odometer over all but the innermost axis; the innermost runs as a tight loop per stride pattern.
  const int64_t inner = shape[rank - 1];
  const int64_t ia = sa[rank - 1], ib = sb[rank - 1];
  int64_t idx[8] = {0};
  int64_t offA = 0, offB = 0;
  seekRow(rank, shape, sa, sb, r0, idx, &offA, &offB);
  o += r0 * inner;
  for (int64_t r = r0; r < r1; r++) {
    const float* pa = a + offA;
    const float* pb = b + offB;
    if (ia == 1 && ib == 1) {
      for (int64_t j = 0; j < inner; j++) o[j] = f(pa[j], pb[j]);
    } else if (ia == 1 && ib == 0) {
      const float vb = pb[0];
      for (int64_t j = 0; j < inner; j++) o[j] = f(pa[j], vb);
    } else if (ia == 0 && ib == 1) {
      const float va = pa[0];
      for (int64_t j = 0; j < inner; j++) o[j] = f(va, pb[j]);
    } else {
      for (int64_t j = 0; j < inner; j++) o[j] = f(pa[j * ia], pb[j * ib]);
    }
    o += inner;
    for (int d = rank - 2; d >= 0; d--) {
      offA += sa[d];
      offB += sb[d];
      if (++idx[d] < shape[d]) break;
      offA -= sa[d] * shape[d];
      offB -= sb[d] * shape[d];
      idx[d] = 0;
    }
  }
}

// binaryRows over every row, the rows shared across the pool. A single long row (the collapsed shape of
// two same-shape tensors) is cut into rows first, so it is shared too.
template <typename F>
void binaryLoop(const float* a, const float* b, float* o, int rank, const int64_t* shape, const int64_t* sa,
                const int64_t* sb, F f) {
  int64_t sh2[9], sa2[9], sb2[9];
  if (rank == 1 && shape[0] >= 2 * kGrainElems && (sa[0] == 1 || sa[0] == 0) && (sb[0] == 1 || sb[0] == 0)) {
    // [len] -> [len / blk, blk] plus a tail row: strides of the outer axis are blk times the inner one.
    const int64_t blk = 4096, rows = shape[0] / blk, tail = shape[0] - rows * blk;
    sh2[0] = rows, sh2[1] = blk;
    sa2[0] = sa[0] * blk, sa2[1] = sa[0];
    sb2[0] = sb[0] * blk, sb2[1] = sb[0];
    metalearn::parallelFor(rows, std::max<int64_t>(1, kGrainElems / blk), [&](int64_t r0, int64_t r1) {
      binaryRows(a, b, o, 2, sh2, sa2, sb2, r0, r1, f);
    });
    if (tail > 0) {
      const int64_t st = rows * blk;
      binaryRows(a + st * sa[0], b + st * sb[0], o + st, 1, &tail, sa, sb, 0, 1, f);
    }
    return;
  }
  const int64_t inner = shape[rank - 1];
  int64_t outer = 1;
  for (int d = 0; d < rank - 1; d++) outer *= shape[d];
  const int64_t grain = std::max<int64_t>(1, kGrainElems / std::max<int64_t>(1, inner));
  metalearn::parallelFor(outer, grain, [&](int64_t r0, int64_t r1) {
    binaryRows(a, b, o, rank, shape, sa, sb, r0, r1, f);
  });
}

// binary(op, a, b, out, shape, stridesA, stridesB): out = a op b over the (collapsed) output shape, with
// stride 0 on broadcast axes. op: 0 add, 1 sub, 2 mul, 3 div.
napi_value Binary(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float *a, *b, *out;
  size_t la, lb, lo;
  if (argc != 7 || !floats(env, argv[1], &a, &la) || !floats(env, argv[2], &b, &lb) ||
      !floats(env, argv[3], &out, &lo))
    return fail(env, "binary: expected (op, a, b, out: Float32Array, shape, stridesA, stridesB)");
  const int op = static_cast<int>(number(env, argv[0]));
  uint32_t rank = 0;
  napi_get_array_length(env, argv[4], &rank);
  if (rank < 1 || rank > 8) return fail(env, "binary: rank must be 1 to 8");
  int64_t shape[8], sa[8], sb[8];
  if (!ints(env, argv[4], rank, shape) || !ints(env, argv[5], rank, sa) || !ints(env, argv[6], rank, sb))
    return fail(env, "binary: shape and strides must be lists of numbers");
  int64_t size = 1, lastA = 0, lastB = 0;
  for (uint32_t d = 0; d < rank; d++) {
    size *= shape[d];
    lastA += sa[d] * (shape[d] - 1);
    lastB += sb[d] * (shape[d] - 1);
  }
  if (size == 0) return nullptr;
  if (static_cast<int64_t>(lo) < size || static_cast<int64_t>(la) <= lastA || static_cast<int64_t>(lb) <= lastB)
    return fail(env, "binary: a buffer is smaller than its shape");
  const int r = static_cast<int>(rank);
  switch (op) {
    case 0: binaryLoop(a, b, out, r, shape, sa, sb, [](float x, float y) { return x + y; }); break;
    case 1: binaryLoop(a, b, out, r, shape, sa, sb, [](float x, float y) { return x - y; }); break;
    case 2: binaryLoop(a, b, out, r, shape, sa, sb, [](float x, float y) { return x * y; }); break;
    case 3: binaryLoop(a, b, out, r, shape, sa, sb, [](float x, float y) { return x / y; }); break;
    default: return fail(env, "binary: unknown op");
  }
  return nullptr;
}

// Arguments (x, out, shape, list) of the rank-1-to-8 copy kernels, checked; false after throwing.
struct CopyArgs {
  float* x;
  float* out;
  int rank;
  int64_t shape[8];
  int64_t list[8];
  int64_t size;
};

bool copyArgs(napi_env env, napi_callback_info info, const char* who, CopyArgs* a) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  size_t lx, lo;
  std::string w(who);
  if (argc != 4 || !floats(env, argv[0], &a->x, &lx) || !floats(env, argv[1], &a->out, &lo)) {
    fail(env, (w + ": expected (x, out: Float32Array, shape, list)").c_str());
    return false;
  }
  uint32_t rank = 0;
  napi_get_array_length(env, argv[2], &rank);
  if (rank < 1 || rank > 8) {
    fail(env, (w + ": rank must be 1 to 8").c_str());
    return false;
  }
  if (!ints(env, argv[2], rank, a->shape) || !ints(env, argv[3], rank, a->list)) {
    fail(env, (w + ": shape and list must be lists of numbers").c_str());
    return false;
  }
  a->rank = static_cast<int>(rank);
  a->size = 1;
  for (int d = 0; d < a->rank; d++) a->size *= a->shape[d];
  if (static_cast<int64_t>(lx) < a->size || static_cast<int64_t>(lo) < a->size) {
    fail(env, (w + ": a buffer is smaller than its shape").c_str());
    return false;
  }
  return true;
}

// out (row-major over oshape) = x walked with step[d] per unit of output axis d, from x itself; the rows
// (all axes but the innermost) shared across the pool.
void stridedCopy(const float* x, float* out, int r, const int64_t* oshape, const int64_t* step, int64_t size) {
  const int64_t inner = oshape[r - 1], is = step[r - 1];
  const int64_t outer = size / inner;
  const int64_t grain = std::max<int64_t>(1, kGrainElems / std::max<int64_t>(1, inner));
  metalearn::parallelFor(outer, grain, [&](int64_t q0, int64_t q1) {
    int64_t idx[8] = {0};
    int64_t off = 0;
    seekRow(r, oshape, step, nullptr, q0, idx, &off, nullptr);
    float* o = out + q0 * inner;
    for (int64_t q = q0; q < q1; q++) {
      const float* p = x + off;
      if (is == 1) {
        std::memcpy(o, p, sizeof(float) * inner);
      } else {
        for (int64_t j = 0; j < inner; j++) o[j] = p[j * is];
      }
      o += inner;
      for (int d = r - 2; d >= 0; d--) {
        off += step[d];
        if (++idx[d] < oshape[d]) break;
        off -= step[d] * oshape[d];
        idx[d] = 0;
      }
    }
  });
}

// transpose(x, out, shape, perm): out = x with its (collapsed) axes permuted.
napi_value Transpose(napi_env env, napi_callback_info info) {
  CopyArgs a;
  if (!copyArgs(env, info, "transpose", &a) || a.size == 0) return nullptr;
  int64_t inStride[8], oshape[8], step[8];
  inStride[a.rank - 1] = 1;
  for (int d = a.rank - 2; d >= 0; d--) inStride[d] = inStride[d + 1] * a.shape[d + 1];
  for (int d = 0; d < a.rank; d++) {
    if (a.list[d] < 0 || a.list[d] >= a.rank) return fail(env, "transpose: bad perm");
    oshape[d] = a.shape[a.list[d]];
    step[d] = inStride[a.list[d]];  // step in x for a step along output axis d
  }
  stridedCopy(a.x, a.out, a.rank, oshape, step, a.size);
  return nullptr;
}

// c ? a : b through bit masks, which GCC vectorises where it leaves a float ?: as a branch.
inline float pick(bool c, float a, float b) {
  int32_t ai, bi;
  std::memcpy(&ai, &a, 4);
  std::memcpy(&bi, &b, 4);
  const int32_t m = -static_cast<int32_t>(c);
  const int32_t r = (ai & m) | (bi & ~m);
  float out;
  std::memcpy(&out, &r, 4);
  return out;
}

// One tiling window's first maximum per channel of a row of channels: best[ch] and arg[ch] (the window
// position i * kw + j). Branch-free, so the channel loop vectorises; a NaN never wins after the first
// position, as with argMax's strict comparison.
inline void windowMax(const float* __restrict win, int64_t w, int64_t c, int64_t kh, int64_t kw,
                      float* __restrict best, int32_t* __restrict arg) {
  for (int64_t ch = 0; ch < c; ch++) {
    best[ch] = win[ch];
    arg[ch] = 0;
  }
  for (int64_t i = 0; i < kh; i++) {
    for (int64_t j = (i == 0 ? 1 : 0); j < kw; j++) {
      const float* __restrict p = win + (i * w + j) * c;
      const int32_t idx = static_cast<int32_t>(i * kw + j);
      for (int64_t ch = 0; ch < c; ch++) {
        const bool g = p[ch] > best[ch];
        best[ch] = pick(g, p[ch], best[ch]);
        const int32_t m = -static_cast<int32_t>(g);
        arg[ch] = (idx & m) | (arg[ch] & ~m);
      }
    }
  }
}

// o[ch] = v[ch] where arg[ch] == idx, else +0 (a NaN in v lands only where it is routed).
inline void routeRow(const float* __restrict v, const int32_t* __restrict arg, int32_t idx, int64_t c,
                     float* __restrict o) {
  for (int64_t ch = 0; ch < c; ch++) o[ch] = pick(arg[ch] == idx, v[ch], 0.0f);
}

// o[ch] = v[ch] where arg[ch] == idx, else o[ch] as it is (idx 0 starts o at +0).
inline void selectRow(const float* __restrict v, const int32_t* __restrict arg, int32_t idx, int64_t c,
                      float* __restrict o) {
  for (int64_t ch = 0; ch < c; ch++) o[ch] = pick(arg[ch] == idx, v[ch], idx == 0 ? 0.0f : o[ch]);
}

struct PoolDims {
  int64_t n, h, w, c, kh, kw, ho, wo;
};

bool poolDims(napi_env env, napi_value v, const char* who, PoolDims* p) {
  int64_t d[8];
  if (!ints(env, v, 8, d)) {
    fail(env, (std::string(who) + ": dims must hold 8 numbers").c_str());
    return false;
  }
  *p = PoolDims{d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]};
  if (p->kh < 1 || p->kw < 1 || p->ho * p->kh > p->h || p->wo * p->kw > p->w) {
    fail(env, (std::string(who) + ": the windows do not fit the input").c_str());
    return false;
  }
  return true;
}

// poolRoute(x, v, out, dims, mode) with dims = [n, h, w, c, kh, kw, ho, wo]: for each tiling kh x kw window
// of x (float32 NHWC) and channel, the position of its first maximum (NaN never wins after the first, as
// with argMax's strict comparison). mode 0, route: out [n, h, w, c] is zero except v[n, py, px, c] at
// each window's maximum (the max-pool gradient for dy = v; rows and columns after the windows get 0).
// mode 1, select: out [n, ho, wo, c] takes v [n, h, w, c] at each window's maximum. The two are each
// other's adjoints, which gives every order of the gradient.
napi_value PoolRoute(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float *x, *v, *out;
  size_t lx, lv, lo;
  if (argc != 5 || !floats(env, argv[0], &x, &lx) || !floats(env, argv[1], &v, &lv) ||
      !floats(env, argv[2], &out, &lo))
    return fail(env, "poolRoute: expected (x, v, out: Float32Array, dims, mode)");
  PoolDims d;
  if (!poolDims(env, argv[3], "poolRoute", &d)) return nullptr;
  const bool route = number(env, argv[4]) == 0;
  const int64_t n = d.n, h = d.h, w = d.w, c = d.c, kh = d.kh, kw = d.kw, ho = d.ho, wo = d.wo;
  const int64_t full = n * h * w * c, pooled = n * ho * wo * c;
  if (static_cast<int64_t>(lx) < full || static_cast<int64_t>(lv) < (route ? pooled : full) ||
      static_cast<int64_t>(lo) < (route ? full : pooled))
    return fail(env, "poolRoute: a buffer is smaller than its shape");
  // Every covered position of out is written once below; only rows and columns after the windows need zeros.
  const bool ragged = ho * kh != h || wo * kw != w;
  const int64_t perImage = std::max<int64_t>(1, h * w * c);
  metalearn::parallelFor(n, std::max<int64_t>(1, kGrainElems / perImage), [&](int64_t b0, int64_t b1) {
    if (route && ragged) std::memset(out + b0 * h * w * c, 0, sizeof(float) * (b1 - b0) * h * w * c);
    std::vector<float> best(static_cast<size_t>(c));
    std::vector<int32_t> arg(static_cast<size_t>(c));
    float* bp = best.data();
    int32_t* ap = arg.data();
    for (int64_t b = b0; b < b1; b++) {
      const int64_t base = b * h * w * c;
      for (int64_t py = 0; py < ho; py++) {
        for (int64_t px = 0; px < wo; px++) {
          const int64_t corner = base + ((py * kh) * w + px * kw) * c;
          windowMax(x + corner, w, c, kh, kw, bp, ap);
          const int64_t cell = ((b * ho + py) * wo + px) * c;
          if (route) {
            const float* vc = v + cell;
            for (int64_t i = 0; i < kh; i++) {
              for (int64_t j = 0; j < kw; j++) {
                float* o = out + corner + (i * w + j) * c;
                const int32_t idx = static_cast<int32_t>(i * kw + j);
                routeRow(vc, ap, idx, c, o);
              }
            }
          } else {
            float* o = out + cell;
            for (int64_t i = 0; i < kh; i++) {
              for (int64_t j = 0; j < kw; j++) {
                const float* vp = v + corner + (i * w + j) * c;
                const int32_t idx = static_cast<int32_t>(i * kw + j);
                selectRow(vp, ap, idx, c, o);
              }
            }
          }
        }
      }
    }
  });
  return nullptr;
}

// maxPool(x, out, dims) with dims = [n, h, w, c, kh, kw, ho, wo]: out [n, ho, wo, c] is the maximum of
// each tiling kh x kw window of x (float32 NHWC), the first one where it is NaN, as windowMax keeps it.
napi_value MaxPool(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float *x, *out;
  size_t lx, lo;
  if (argc != 3 || !floats(env, argv[0], &x, &lx) || !floats(env, argv[1], &out, &lo))
    return fail(env, "maxPool: expected (x, out: Float32Array, dims)");
  PoolDims d;
  if (!poolDims(env, argv[2], "maxPool", &d)) return nullptr;
  if (static_cast<int64_t>(lx) < d.n * d.h * d.w * d.c || static_cast<int64_t>(lo) < d.n * d.ho * d.wo * d.c)
    return fail(env, "maxPool: a buffer is smaller than its shape");
  const int64_t perImage = std::max<int64_t>(1, d.h * d.w * d.c);
  metalearn::parallelFor(d.n, std::max<int64_t>(1, kGrainElems / perImage), [&](int64_t b0, int64_t b1) {
    std::vector<int32_t> arg(static_cast<size_t>(d.c));
    for (int64_t b = b0; b < b1; b++)
      for (int64_t py = 0; py < d.ho; py++)
        for (int64_t px = 0; px < d.wo; px++)
          windowMax(x + b * perImage + ((py * d.kh) * d.w + px * d.kw) * d.c, d.w, d.c, d.kh, d.kw,
                    out + ((b * d.ho + py) * d.wo + px) * d.c, arg.data());
  });
  return nullptr;
}

// reverse(x, out, shape, flags): out = x with the (collapsed) axes whose flag is 1 reversed.
napi_value Reverse(napi_env env, napi_callback_info info) {
  CopyArgs a;
  if (!copyArgs(env, info, "reverse", &a) || a.size == 0) return nullptr;
  int64_t step[8];
  int64_t off = 0, st = 1;
  for (int d = a.rank - 1; d >= 0; d--) {
    step[d] = a.list[d] ? -st : st;
    if (a.list[d]) off += (a.shape[d] - 1) * st;
    st *= a.shape[d];
  }
  stridedCopy(a.x + off, a.out, a.rank, a.shape, step, a.size);
  return nullptr;
}

// reduceBlock(x, out, outer, red, inner, scale): out[a, b] = scale * sum_r x[a, r, b], in double.
napi_value ReduceBlock(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 6) return fail(env, "reduceBlock: expected (x, out, outer, red, inner, scale)");
  float *x, *out;
  size_t lx, lo;
  if (!floats(env, argv[0], &x, &lx) || !floats(env, argv[1], &out, &lo))
    return fail(env, "reduceBlock: x and out must be Float32Arrays");
  const int64_t outer = static_cast<int64_t>(number(env, argv[2]));
  const int64_t red = static_cast<int64_t>(number(env, argv[3]));
  const int64_t inner = static_cast<int64_t>(number(env, argv[4]));
  const double scale = number(env, argv[5]);
  if (static_cast<int64_t>(lx) < outer * red * inner || static_cast<int64_t>(lo) < outer * inner)
    return fail(env, "reduceBlock: a buffer is smaller than its shape");
  // Rows of the output (outer) across the pool; a single row's columns (inner) when there is one. Every
  // sum runs in the same order whatever the thread count.
  auto rows = [&](int64_t a0, int64_t a1, int64_t b0, int64_t b1) {
    std::vector<double> acc(static_cast<size_t>(b1 - b0));
    for (int64_t a = a0; a < a1; a++) {
      std::fill(acc.begin(), acc.end(), 0.0);
      const float* p = x + a * red * inner;
      if (inner == 1) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int64_t r = 0;
        for (; r + 4 <= red; r += 4) {
          s0 += p[r];
          s1 += p[r + 1];
          s2 += p[r + 2];
          s3 += p[r + 3];
        }
        for (; r < red; r++) s0 += p[r];
        acc[0] = (s0 + s1) + (s2 + s3);
      } else {
        double* q = acc.data();
        for (int64_t r = 0; r < red; r++, p += inner)
          for (int64_t b = b0; b < b1; b++) q[b - b0] += p[b];
      }
      float* o = out + a * inner;
      for (int64_t b = b0; b < b1; b++) o[b] = static_cast<float>(acc[b - b0] * scale);
    }
  };
  const int64_t perRow = std::max<int64_t>(1, red * inner);
  if (outer > 1) {
    metalearn::parallelFor(outer, std::max<int64_t>(1, kGrainElems / perRow),
                           [&](int64_t a0, int64_t a1) { rows(a0, a1, 0, inner); });
  } else if (inner > 1) {
    const int64_t grain = std::max<int64_t>(16, kGrainElems / std::max<int64_t>(1, red));
    metalearn::parallelFor(inner, grain, [&](int64_t b0, int64_t b1) { rows(0, outer, b0, b1); });
  } else {
    rows(0, outer, 0, inner);
  }
  return nullptr;
}

// e^x in plain float arithmetic that the compiler vectorises (std::exp stays a scalar libm call): x =
// n ln 2 + r with |r| <= ln 2 / 2, e^r by Cephes' expf polynomial (Moshier 1989; about 1 ulp), 2^n
// through the exponent bits. x is clamped to [-87.3, 88.3], so the result stays a normal float (e^-87.3
// for anything below, about 2e38 for anything above; a gate's sigmoid or tanh does not see the
// difference); NaN stays NaN.
inline float expVec(float x) {
  x = pick(x < -87.3f, -87.3f, x);
  x = pick(x > 88.3f, 88.3f, x);
  const float magic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer in the low mantissa bits
  const float t = x * 1.44269504088896341f + magic;
  const float fn = t - magic;
  int32_t tb, mb;
  std::memcpy(&tb, &t, 4);
  std::memcpy(&mb, &magic, 4);
  const int32_t n = tb - mb;
  const float r = (x - fn * 0.693359375f) + fn * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t sb = (n + 127) << 23;
  float scale;
  std::memcpy(&scale, &sb, 4);
  return p * scale;
}

inline float tanhAccurate(float v) {
  // |v| and the sign through the bits: std::fabs and std::copysign keep GCC from vectorising the loop.
  int32_t vb;
  std::memcpy(&vb, &v, 4);
  const int32_t ab = vb & 0x7fffffff, sign = vb & static_cast<int32_t>(0x80000000u);
  float a;
  std::memcpy(&a, &ab, 4);
  const float s = v * v;
  // Series to x^9: its error is below float's resolution for |x| < 1/8.
  const float p = v * (1 + s * (-1.0f / 3 + s * (2.0f / 15 + s * (-17.0f / 315 + s * (62.0f / 2835)))));
  const float e = expVec(-2 * pick(a > 20.0f, 20.0f, a));  // NaN stays NaN; exp(-40) is below 1 ulp of 1
  const float qa = (1 - e) / (1 + e);
  int32_t qb;
  std::memcpy(&qb, &qa, 4);
  qb |= sign;
  float q;
  std::memcpy(&q, &qb, 4);
  return pick(a < 0.125f, p, q);
}
inline float sigmoid(float v) { return 1.0f / (1.0f + expVec(-v)); }

ML_CLONES void tanhRow(const float* __restrict x, float* __restrict out, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = tanhAccurate(x[i]);
}

// tanh(x, out): out[i] = tanh(x[i]) over the first min(len) elements, within 2 ulp: (1 - e) / (1 + e)
// with e = exp(-2|x|), and a Taylor polynomial below |x| = 1/8 where 1 - e would cancel. Both are
// computed and one is selected, so the loop has no branches.
napi_value Tanh(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 2) return fail(env, "tanh: expected (x, out)");
  float *x, *out;
  size_t lx, lo;
  if (!floats(env, argv[0], &x, &lx) || !floats(env, argv[1], &out, &lo))
    return fail(env, "tanh: x and out must be Float32Arrays");
  const int64_t n = static_cast<int64_t>(std::min(lx, lo));
  metalearn::parallelFor(n, kGrainElems, [&](int64_t i0, int64_t i1) { tanhRow(x + i0, out + i0, i1 - i0); });
  return nullptr;
}

// The GEMM the conv2d and batchMatMul kernels use: "openblas", or "own-" and our variant for this CPU.
const std::string& gemmPath() {
#ifdef METALEARN_OWN_GEMM
  static const std::string path = std::string("own-") + metalearn::gemmKernelName(metalearn::bestGemmKernel());
#else
  static const std::string path = "openblas";
#endif
  return path;
}

napi_value GemmPath(napi_env env, napi_callback_info) {
  napi_value s;
  napi_create_string_utf8(env, gemmPath().c_str(), NAPI_AUTO_LENGTH, &s);
  return s;
}

// gemmKernels(): the implementations sgemm accepts in this build on this CPU, our variants best last,
// then "openblas" when it is linked in.
napi_value GemmKernels(napi_env env, napi_callback_info) {
  int count = 0;
  const char* const* names = metalearn::gemmKernelNames(&count);
  std::vector<std::string> all(names, names + count);
#ifndef METALEARN_OWN_GEMM
  all.push_back("openblas");
#endif
  napi_value arr;
  napi_create_array_with_length(env, all.size(), &arr);
  for (size_t i = 0; i < all.size(); i++) {
    napi_value s;
    napi_create_string_utf8(env, all[i].c_str(), NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, arr, static_cast<uint32_t>(i), s);
  }
  return arr;
}

// Whether a row-major rows x cols matrix with leading dimension ld fits in len floats.
bool fits(int64_t rows, int64_t cols, int64_t ld, size_t len) {
  if (ld < std::max<int64_t>(1, cols)) return false;
  return rows == 0 || cols == 0 || (rows - 1) * ld + cols <= static_cast<int64_t>(len);
}

// sgemm(impl, a, b, c, [m, n, k, lda, ldb, ldc, transA, transB], alpha, beta):
// c = alpha op(a) op(b) + beta c with the implementation impl (one of gemmKernels()).
napi_value Sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float *a, *b, *c;
  size_t la, lb, lc;
  if (argc != 7 || !floats(env, argv[1], &a, &la) || !floats(env, argv[2], &b, &lb) ||
      !floats(env, argv[3], &c, &lc))
    return fail(env, "sgemm: expected (impl, a, b, c: Float32Array, dims, alpha, beta)");
  char impl[32] = {0};
  size_t implLen = 0;
  if (napi_get_value_string_utf8(env, argv[0], impl, sizeof impl, &implLen) != napi_ok)
    return fail(env, "sgemm: impl must be a string (one of gemmKernels())");
  int64_t d[8];
  if (!ints(env, argv[4], 8, d)) return fail(env, "sgemm: dims must hold 8 numbers");
  const int64_t m = d[0], n = d[1], k = d[2], lda = d[3], ldb = d[4], ldc = d[5];
  const bool ta = d[6] != 0, tb = d[7] != 0;
  if (m < 0 || n < 0 || k < 0) return fail(env, "sgemm: m, n and k must be >= 0");
  if (!fits(ta ? k : m, ta ? m : k, lda, la) || !fits(tb ? n : k, tb ? k : n, ldb, lb) || !fits(m, n, ldc, lc))
    return fail(env, "sgemm: a leading dimension is too small or a buffer is smaller than its shape");
  const float alpha = static_cast<float>(number(env, argv[5]));
  const float beta = static_cast<float>(number(env, argv[6]));
#ifndef METALEARN_OWN_GEMM
  if (std::strcmp(impl, "openblas") == 0) {
    if (m == 0 || n == 0) return nullptr;
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), alpha, a, static_cast<int>(lda), b,
                static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
    return nullptr;
  }
#endif
  const metalearn::GemmKernel* kernel = metalearn::gemmKernelNamed(impl);
  if (!kernel)
    return fail(env, (std::string("sgemm: impl '") + impl + "' is not one of gemmKernels() here").c_str());
  metalearn::gemm(*kernel, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  return nullptr;
}

// Channel sums of [m, c] row-major data, in double: the rows in a number of blocks fixed by the shape
// (not the thread count, so the sums are the same on any), each block's sums on the pool, then the blocks
// added in order. Blocks of rows rather than channels, so each thread streams its own part of the data.
// f(row, channel) gives the term.
template <typename F>
void channelSums(int64_t m, int64_t c, double* out, F f) {
  const int64_t blocks = std::max<int64_t>(1, std::min<int64_t>({m, 32, m * c / kGrainElems}));
  std::vector<double> part(static_cast<size_t>(blocks * c), 0.0);
  metalearn::parallelFor(blocks, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; b++) {
      double* acc = part.data() + b * c;
      for (int64_t r = b * m / blocks, re = (b + 1) * m / blocks; r < re; r++)
        for (int64_t ch = 0; ch < c; ch++) acc[ch] += f(r, ch);
    }
  });
  for (int64_t ch = 0; ch < c; ch++) {
    double s = 0;
    for (int64_t b = 0; b < blocks; b++) s += part[b * c + ch];
    out[ch] = s;
  }
}

// batchNorm(x, gamma, beta, y, mean, invstd, [m, c], eps): training-mode batch normalisation of x [m, c]
// over its rows: mean and 1/sqrt(var + eps) per channel (two passes, in double), then
// y = (x - mean) invstd gamma + beta.
napi_value BatchNorm(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float *x, *gamma, *beta, *y, *mean, *invstd;
  size_t lx, lg, lb, ly, lm, li;
  if (argc != 8 || !floats(env, argv[0], &x, &lx) || !floats(env, argv[1], &gamma, &lg) ||
      !floats(env, argv[2], &beta, &lb) || !floats(env, argv[3], &y, &ly) || !floats(env, argv[4], &mean, &lm) ||
      !floats(env, argv[5], &invstd, &li))
    return fail(env, "batchNorm: expected (x, gamma, beta, y, mean, invstd: Float32Array, [m, c], eps)");
  int64_t d[2];
  if (!ints(env, argv[6], 2, d)) return fail(env, "batchNorm: dims must hold 2 numbers");
  const int64_t m = d[0], c = d[1];
  const double eps = number(env, argv[7]);
  const size_t mc = static_cast<size_t>(m * c), cc = static_cast<size_t>(c);
  if (m < 1 || c < 1 || lx < mc || ly < mc || lg < cc || lb < cc || lm < cc || li < cc)
    return fail(env, "batchNorm: a buffer is smaller than its shape");
  std::vector<double> mu(cc), var(cc);
  channelSums(m, c, mu.data(), [&](int64_t r, int64_t ch) { return static_cast<double>(x[r * c + ch]); });
  for (size_t ch = 0; ch < cc; ch++) mu[ch] /= static_cast<double>(m);
  channelSums(m, c, var.data(), [&](int64_t r, int64_t ch) {
    const double v = x[r * c + ch] - mu[ch];
    return v * v;
  });
  std::vector<float> scale(cc);
  for (size_t ch = 0; ch < cc; ch++) {
    const double is = 1.0 / std::sqrt(var[ch] / static_cast<double>(m) + eps);
    mean[ch] = static_cast<float>(mu[ch]);
    invstd[ch] = static_cast<float>(is);
    scale[ch] = static_cast<float>(is * gamma[ch]);
  }
  metalearn::parallelFor(m, std::max<int64_t>(1, kGrainElems / c), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * c;
      float* yr = y + r * c;
      for (int64_t ch = 0; ch < c; ch++) yr[ch] = (xr[ch] - mean[ch]) * scale[ch] + beta[ch];
    }
  });
  return nullptr;
}

// batchNormGrad(x, gamma, mean, invstd, dy, dx, dgamma, dbeta, [m, c]): the gradient of batchNorm for the
// upstream dy, with xhat = (x - mean) invstd: dbeta = sum dy, dgamma = sum dy xhat,
// dx = gamma invstd (dy - dbeta / m - xhat dgamma / m) (Ioffe & Szegedy 2015).
napi_value BatchNormGrad(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float *x, *gamma, *mean, *invstd, *dy, *dx, *dgamma, *dbeta;
  size_t lx, lg, lm, li, ldy, ldx, ldg, ldb;
  if (argc != 9 || !floats(env, argv[0], &x, &lx) || !floats(env, argv[1], &gamma, &lg) ||
      !floats(env, argv[2], &mean, &lm) || !floats(env, argv[3], &invstd, &li) ||
      !floats(env, argv[4], &dy, &ldy) || !floats(env, argv[5], &dx, &ldx) ||
      !floats(env, argv[6], &dgamma, &ldg) || !floats(env, argv[7], &dbeta, &ldb))
    return fail(env, "batchNormGrad: expected (x, gamma, mean, invstd, dy, dx, dgamma, dbeta: Float32Array, [m, c])");
  int64_t d[2];
  if (!ints(env, argv[8], 2, d)) return fail(env, "batchNormGrad: dims must hold 2 numbers");
  const int64_t m = d[0], c = d[1];
  const size_t mc = static_cast<size_t>(m * c), cc = static_cast<size_t>(c);
  if (m < 1 || c < 1 || lx < mc || ldy < mc || ldx < mc || lg < cc || lm < cc || li < cc || ldg < cc || ldb < cc)
    return fail(env, "batchNormGrad: a buffer is smaller than its shape");
  std::vector<double> sdy(cc), sdyx(cc);
  channelSums(m, c, sdy.data(), [&](int64_t r, int64_t ch) { return static_cast<double>(dy[r * c + ch]); });
  channelSums(m, c, sdyx.data(), [&](int64_t r, int64_t ch) {
    return static_cast<double>(dy[r * c + ch]) * ((x[r * c + ch] - mean[ch]) * invstd[ch]);
  });
  std::vector<float> a(cc), b(cc), k(cc);
  for (size_t ch = 0; ch < cc; ch++) {
    dbeta[ch] = static_cast<float>(sdy[ch]);
    dgamma[ch] = static_cast<float>(sdyx[ch]);
    // dx = a dy + k (x - mean) + b, with a = gamma invstd and k, b the two mean terms.
    const double g = static_cast<double>(gamma[ch]) * invstd[ch];
    const double mdy = sdy[ch] / static_cast<double>(m), mdyx = sdyx[ch] / static_cast<double>(m);
    a[ch] = static_cast<float>(g);
    k[ch] = static_cast<float>(-g * mdyx * invstd[ch]);
    b[ch] = static_cast<float>(-g * mdy);
  }
  metalearn::parallelFor(m, std::max<int64_t>(1, kGrainElems / c), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * c;
      const float* dyr = dy + r * c;
      float* o = dx + r * c;
      for (int64_t ch = 0; ch < c; ch++) o[ch] = a[ch] * dyr[ch] + k[ch] * (xr[ch] - mean[ch]) + b[ch];
    }
  });
  return nullptr;
}

// One row of a step of lstmSeq, as a function of restrict pointers so that GCC vectorises it: the
// pre-activations g are replaced by the gates' activations, which the backward pass then reads instead of
// recomputing four exponentials an element (a third of the MANN layer's backward on Zen 3).
ML_CLONES void lstmRow(float* __restrict g, const float* __restrict c, float* __restrict cn, float* __restrict h,
             int64_t n) {
  for (int64_t j = 0; j < n; j++) {
    const float ig = sigmoid(g[j]), fg = sigmoid(g[n + j]), gg = tanhAccurate(g[2 * n + j]),
                og = sigmoid(g[3 * n + j]);
    g[j] = ig;
    g[n + j] = fg;
    g[2 * n + j] = gg;
    g[3 * n + j] = og;
    const float cv = fg * c[j] + ig * gg;
    cn[j] = cv;
    h[j] = og * tanhAccurate(cv);
  }
}

// One row of a step of lstmSeqGrad from the gates' activations a, the previous cell c and this step's cn:
// the upstreams of h and of the cell are each the sum of the output's (dhOut, dcOut) and of the next
// step's (dhRec, dcRec).
ML_CLONES void lstmGradRow(const float* __restrict a, const float* __restrict c, const float* __restrict cn,
                           const float* __restrict dhOut, const float* __restrict dhRec, const float* __restrict dcOut,
                           const float* __restrict dcRec, float* __restrict dg, float* __restrict dc, int64_t n) {
  for (int64_t j = 0; j < n; j++) {
    const float ig = a[j], fg = a[n + j], gg = a[2 * n + j], og = a[3 * n + j];
    const float tc = tanhAccurate(cn[j]);
    const float dh = dhOut[j] + dhRec[j];
    const float dct = (dcOut[j] + dcRec[j]) + dh * og * (1 - tc * tc);
    dg[j] = dct * gg * ig * (1 - ig);
    dg[n + j] = dct * c[j] * fg * (1 - fg);
    dg[2 * n + j] = dct * ig * (1 - gg * gg);
    dg[3 * n + j] = dh * tc * og * (1 - og);
    dc[j] = dct * fg;
  }
}

// Layers narrower than this run each step's rows as one long row (lstmSeq, lstmSeqGrad).
constexpr int64_t kLstmNarrow = 16;

// Row r's four gate blocks (H values each, gate-major in a row of 4H) to and from four planes n apart.
void gatesToPlanes(const float* row, float* planes, int64_t n, int64_t r, int64_t H) {
  for (int q = 0; q < 4; q++) std::memcpy(planes + q * n + r * H, row + q * H, H * sizeof(float));
}
void planesToGates(const float* planes, float* row, int64_t n, int64_t r, int64_t H) {
  for (int q = 0; q < 4; q++) std::memcpy(row + q * H, planes + q * n + r * H, H * sizeof(float));
}

ML_CLONES void addRow(const float* __restrict x, const float* __restrict b, float* __restrict out, int64_t n) {
  for (int64_t j = 0; j < n; j++) out[j] = x[j] + b[j];
}

// Reads `count` Float32Arrays from argv into ptr/len; false if one is not.
bool floatArgs(napi_env env, const napi_value* argv, int count, float** ptr, size_t* len) {
  for (int i = 0; i < count; i++)
    if (!floats(env, argv[i], &ptr[i], &len[i])) return false;
  return true;
}

// The arguments of a fused kernel, (N Float32Arrays, [K dims]): into p and d, every dim non-negative and
// array i at least need(d)[i] floats long. Otherwise throws "<name>: ..." and returns false.
template <size_t N, size_t K, typename Need>
bool fusedArgs(napi_env env, napi_callback_info info, const char* name, const char* signature, float* (&p)[N],
               int64_t (&d)[K], Need need) {
  size_t argc = N + 1;
  napi_value argv[N + 1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  size_t l[N];
  const auto error = [&](const std::string& what) {
    fail(env, (std::string(name) + ": " + what).c_str());
    return false;
  };
  if (argc != N + 1 || !floatArgs(env, argv, static_cast<int>(N), p, l) || !ints(env, argv[N], K, d))
    return error(std::string("expected ") + signature);
  for (size_t i = 0; i < K; i++)
    if (d[i] < 0) return error("dims must be non-negative");
  const std::array<size_t, N> want = need(d);
  for (size_t i = 0; i < N; i++)
    if (l[i] < want[i]) return error("a buffer is smaller than its shape");
  return true;
}

// lstmSeq(xw, wh, b, h0, c0, hs, cs, acts, [B, T, H]): a whole LSTM layer over T steps (Hochreiter &
// Schmidhuber 1997 with the forget gate of Gers et al. 2000; gates in the order input, forget, cell,
// output). xw [B, T, 4H] is the input's projection, wh [H, 4H] the recurrent weight, b [4H] the bias,
// h0 and c0 [B, H] the initial state. Writes every step's hidden output hs and cell cs [B, T, H] and the
// gates' activations acts [B, T, 4H] (sigmoid, sigmoid, tanh, sigmoid of xw + b + h_{t-1} wh; kept for
// the backward pass). One kernel instead
// of about four per step: each kernel call through tfjs costs some tens of microseconds.
napi_value LstmSeq(napi_env env, napi_callback_info info) {
  float* p[8];
  int64_t d[3];
  if (!fusedArgs(env, info, "lstmSeq", "(xw, wh, b, h0, c0, hs, cs, acts: Float32Array, [B, T, H])", p, d,
                 [](const int64_t* s) {
                   const size_t bth = s[0] * s[1] * s[2], bh = s[0] * s[2], h = s[2];
                   return std::array<size_t, 8>{4 * bth, 4 * h * h, 4 * h, bh, bh, bth, bth, 4 * bth};
                 }))
    return nullptr;
  const int64_t B = d[0], T = d[1], H = d[2], G = 4 * H;
  const float *xw = p[0], *wh = p[1], *b = p[2], *h0 = p[3], *c0 = p[4];
  float *hs = p[5], *cs = p[6], *gates = p[7];
  const int64_t grain = std::max<int64_t>(1, kGrainElems / std::max<int64_t>(1, G));
  metalearn::parallelFor(B * T, grain, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) addRow(xw + r * G, b, gates + r * G, G);
  });
  std::vector<float> planes(H < kLstmNarrow ? static_cast<size_t>(7 * B * H) : 0);
  for (int64_t t = 0; t < T; t++) {
    // The previous state: the initial one, or step t - 1 of the outputs (rows T * H apart).
    const float* hp = t == 0 ? h0 : hs + (t - 1) * H;
    const float* cp = t == 0 ? c0 : cs + (t - 1) * H;
    const int64_t ld = t == 0 ? H : T * H;
    matmul(false, false, B, G, H, hp, ld, wh, G, gates + t * G, T * G, 1.0f);
    if (H < kLstmNarrow) {
      // A narrow layer (MANN's second, 5 units): the step's rows gathered into one row of B * H units
      // in the same gate-major layout, so that the gates' exponentials run vectorised (a row of 5 ran
      // them one at a time: 0.45 ms of forward for a 128 x 10 x 5 layer).
      const int64_t n = B * H;
      float *g = planes.data(), *c = g + 4 * n, *cn = c + n, *h = cn + n;
      for (int64_t r = 0; r < B; r++) {
        const float* src = gates + (r * T + t) * G;
        gatesToPlanes(src, g, n, r, H);
        std::memcpy(c + r * H, cp + r * ld, H * sizeof(float));
      }
      lstmRow(g, c, cn, h, n);
      for (int64_t r = 0; r < B; r++) {
        const int64_t row = r * T + t;
        planesToGates(g, gates + row * G, n, r, H);
        std::memcpy(cs + row * H, cn + r * H, H * sizeof(float));
        std::memcpy(hs + row * H, h + r * H, H * sizeof(float));
      }
      continue;
    }
    metalearn::parallelFor(B, grain, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; r++) {
        const int64_t row = r * T + t;
        lstmRow(gates + row * G, cp + r * ld, cs + row * H, hs + row * H, H);
      }
    });
  }
  return nullptr;
}

// lstmSeqGrad(acts, cs, hs, h0, c0, wh, dhs, dcs, dxw, dwh, db, dh0, dc0, [B, T, H]): lstmSeq's gradient
// for the upstreams of its outputs hs and cs, back through time: per step the cell's gradient and
// dh_{t-1} = dpre_t wh^T; then dwh = sum_t h_{t-1}^T dpre_t as one product over all B * T rows, and
// db = the column sums of dpre (= dxw), as batchNorm's channel sums. The third output, acts, is internal
// (nativeLstmSeq disposes its handle, so nothing downstream reads it): it has no upstream of its own.
napi_value LstmSeqGrad(napi_env env, napi_callback_info info) {
  float* p[13];
  int64_t d[3];
  if (!fusedArgs(env, info, "lstmSeqGrad",
                 "(acts, cs, hs, h0, c0, wh, dhs, dcs, dxw, dwh, db, dh0, dc0: Float32Array, [B, T, H])", p, d,
                 [](const int64_t* s) {
                   const size_t bth = s[0] * s[1] * s[2], bh = s[0] * s[2], hg = 4 * s[2] * s[2], g = 4 * s[2];
                   return std::array<size_t, 13>{4 * bth, bth, bth, bh, bh, hg, bth, bth, 4 * bth, hg, g, bh, bh};
                 }))
    return nullptr;
  const int64_t B = d[0], T = d[1], H = d[2], G = 4 * H;
  const size_t bth = static_cast<size_t>(B * T * H), bh = static_cast<size_t>(B * H),
               hg = static_cast<size_t>(H * G);
  const float *acts = p[0], *cs = p[1], *hs = p[2], *h0 = p[3], *c0 = p[4], *wh = p[5], *dhs = p[6],
              *dcs = p[7];
  float *dxw = p[8], *dwh = p[9], *db = p[10], *dh0 = p[11], *dc0 = p[12];
  // wh^T once, so that each step's product reads its right-hand side in place (a transposed one is
  // packed on every call).
  std::vector<float> whT(hg), dhRec(bh, 0.0f), dcA(bh, 0.0f), dcB(bh), hPrev(bth);
  for (int64_t i = 0; i < H; i++)
    for (int64_t j = 0; j < G; j++) whT[j * H + i] = wh[i * G + j];
  float *dcIn = dcA.data(), *dcOut = dcB.data();
  const int64_t grain = std::max<int64_t>(1, kGrainElems / std::max<int64_t>(1, G));
  std::vector<float> planes(H < kLstmNarrow ? static_cast<size_t>(12 * B * H) : 0);
  for (int64_t t = T - 1; t >= 0; t--) {
    const float* cp = t == 0 ? c0 : cs + (t - 1) * H;
    const int64_t ld = t == 0 ? H : T * H;
    if (H < kLstmNarrow) {
      // As in lstmSeq: the step's rows as one row of B * H units (dhRec, dcIn and dcOut are B x H already).
      const int64_t n = B * H;
      float *a = planes.data(), *c = a + 4 * n, *cn = c + n, *dhOut = cn + n, *dcUp = dhOut + n, *dg = dcUp + n;
      for (int64_t r = 0; r < B; r++) {
        const int64_t row = r * T + t;
        gatesToPlanes(acts + row * G, a, n, r, H);
        std::memcpy(c + r * H, cp + r * ld, H * sizeof(float));
        std::memcpy(cn + r * H, cs + row * H, H * sizeof(float));
        std::memcpy(dhOut + r * H, dhs + row * H, H * sizeof(float));
        std::memcpy(dcUp + r * H, dcs + row * H, H * sizeof(float));
      }
      lstmGradRow(a, c, cn, dhOut, dhRec.data(), dcUp, dcIn, dg, dcOut, n);
      for (int64_t r = 0; r < B; r++) {
        const int64_t row = r * T + t;
        planesToGates(dg, dxw + row * G, n, r, H);
      }
    } else {
      metalearn::parallelFor(B, grain, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; r++) {
          const int64_t row = r * T + t;
          lstmGradRow(acts + row * G, cp + r * ld, cs + row * H, dhs + row * H, dhRec.data() + r * H,
                      dcs + row * H, dcIn + r * H, dxw + row * G, dcOut + r * H, H);
        }
      });
    }
    matmul(false, false, B, H, G, dxw + t * G, T * G, whT.data(), H, dhRec.data(), H, 0.0f);
    std::swap(dcIn, dcOut);
  }
  std::memcpy(dh0, dhRec.data(), bh * sizeof(float));
  std::memcpy(dc0, dcIn, bh * sizeof(float));
  for (int64_t r = 0; r < B; r++)
    for (int64_t t = 0; t < T; t++)
      std::memcpy(hPrev.data() + (r * T + t) * H, t == 0 ? h0 + r * H : hs + (r * T + t - 1) * H,
                  static_cast<size_t>(H) * sizeof(float));
  matmul(true, false, H, G, B * T, hPrev.data(), H, dxw, G, dwh, G, 0.0f);
  std::vector<double> sums(static_cast<size_t>(G));
  channelSums(B * T, G, sums.data(), [&](int64_t r, int64_t j) { return static_cast<double>(dxw[r * G + j]); });
  for (int64_t j = 0; j < G; j++) db[j] = static_cast<float>(sums[j]);
  return nullptr;
}

// adamStep's loop over restrict pointers (the outputs are tensors of their own), which GCC vectorises;
// through the lambda's captures it did not (5 ns an element).
ML_CLONES void adamRow(const float* __restrict p, const float* __restrict g, const float* __restrict m,
             const float* __restrict v, float* __restrict po, float* __restrict mo, float* __restrict vo, int64_t n,
             float b1, float a1, float b2, float a2, float step, float c2, float eps) {
  for (int64_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float mi = m[i] * b1 + gi * a1;
    const float vi = v[i] * b2 + (gi * gi) * a2;
    mo[i] = mi;
    vo[i] = vi;
    po[i] = p[i] - (mi * step) / (std::sqrt(vi / c2) + eps);
  }
}

// adamStep(p, g, m, v, pOut, mOut, vOut, n, b1, b2, stepSize, c2, eps): one Adam update over n values,
// m' = b1 m + (1 - b1) g, v' = b2 v + (1 - b2) g^2, p' = p - stepSize m' / (sqrt(v' / c2) + eps), where
// stepSize = lr / (1 - b1^t) and c2 = 1 - b2^t. The same float32 formulas as nn/optim.ts's tensor ops,
// in one pass instead of thirteen kernels per parameter.
napi_value AdamStep(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float *p, *g, *m, *v, *po, *mo, *vo;
  size_t lp, lg, lm, lv, lpo, lmo, lvo;
  if (argc != 13 || !floats(env, argv[0], &p, &lp) || !floats(env, argv[1], &g, &lg) ||
      !floats(env, argv[2], &m, &lm) || !floats(env, argv[3], &v, &lv) || !floats(env, argv[4], &po, &lpo) ||
      !floats(env, argv[5], &mo, &lmo) || !floats(env, argv[6], &vo, &lvo))
    return fail(env, "adamStep: expected (p, g, m, v, pOut, mOut, vOut: Float32Array, n, b1, b2, stepSize, c2, eps)");
  const double nd = number(env, argv[7]);
  if (!(nd >= 0 && nd == std::floor(nd))) return fail(env, "adamStep: n must be a non-negative integer");
  const size_t n = static_cast<size_t>(nd);
  if (lp < n || lg < n || lm < n || lv < n || lpo < n || lmo < n || lvo < n)
    return fail(env, "adamStep: a buffer is smaller than n");
  const double b1d = number(env, argv[8]), b2d = number(env, argv[9]);
  // 1 - b rounded from double, as the tensor ops' scalar (1 - b1) is.
  const float b1 = static_cast<float>(b1d), b2 = static_cast<float>(b2d);
  const float a1 = static_cast<float>(1 - b1d), a2 = static_cast<float>(1 - b2d);
  const float step = static_cast<float>(number(env, argv[10])), c2 = static_cast<float>(number(env, argv[11]));
  const float eps = static_cast<float>(number(env, argv[12]));
  metalearn::parallelFor(static_cast<int64_t>(n), kGrainElems, [&](int64_t i0, int64_t i1) {
    adamRow(p + i0, g + i0, m + i0, v + i0, po + i0, mo + i0, vo + i0, i1 - i0, b1, a1, b2, a2, step, c2, eps);
  });
  return nullptr;
}

// dense(x, w, b, y, [m, k, n, relu]): y = x w + b for x [m, k], w [k, n], b [n], then max(y, 0) when relu:
// the rows of y start as b and the product accumulates onto them, so the bias costs no pass of its own.
napi_value Dense(napi_env env, napi_callback_info info) {
  float* p[4];
  int64_t d[4];
  if (!fusedArgs(env, info, "dense", "(x, w, b, y: Float32Array, [m, k, n, relu])", p, d, [](const int64_t* s) {
        return std::array<size_t, 4>{static_cast<size_t>(s[0] * s[1]), static_cast<size_t>(s[1] * s[2]),
                                     static_cast<size_t>(s[2]), static_cast<size_t>(s[0] * s[2])};
      }))
    return nullptr;
  const int64_t m = d[0], k = d[1], n = d[2];
  const float *x = p[0], *w = p[1], *b = p[2];
  float* y = p[3];
  const int64_t grain = std::max<int64_t>(1, kGrainElems / std::max<int64_t>(1, n));
  metalearn::parallelFor(m, grain, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) std::memcpy(y + r * n, b, static_cast<size_t>(n) * sizeof(float));
  });
  matmul(false, false, m, n, k, x, k, w, n, y, n, 1.0f);
  if (d[3] != 0)
    metalearn::parallelFor(m * n, kGrainElems, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; i++) y[i] = y[i] < 0.0f ? 0.0f : y[i];
    });
  return nullptr;
}

// denseGrad(x, y, dy, dz, dw, db, [m, k, n, relu]): with dz = dy, or (relu) dy where y > 0 and 0 elsewhere,
// written to dz (unused without relu), dw = x^T dz and db = the column sums of dz (in double, in fixed row
// blocks, so the result does not depend on the thread count). Not dx = dz w^T: the tape asks for an
// input's gradient only when that input depends on what is differentiated, and the first layer's input
// (the data) usually does not, so dx is a separate product made only on request (MTL's 640 x 784 x 256
// trunk spent 2.9 ms of a 14 ms step on a dx nobody read).
napi_value DenseGrad(napi_env env, napi_callback_info info) {
  float* p[6];
  int64_t d[4];
  if (!fusedArgs(env, info, "denseGrad", "(x, y, dy, dz, dw, db: Float32Array, [m, k, n, relu])", p, d,
                 [](const int64_t* s) {
                   const size_t mk = s[0] * s[1], kn = s[1] * s[2], mn = s[0] * s[2];
                   return std::array<size_t, 6>{mk, mn, mn, s[3] != 0 ? mn : 0, kn, static_cast<size_t>(s[2])};
                 }))
    return nullptr;
  const int64_t m = d[0], k = d[1], n = d[2];
  const float *x = p[0], *y = p[1], *dy = p[2];
  float *dw = p[4], *db = p[5];
  const float* dz = dy;
  if (d[3] != 0) {
    float* masked = p[3];
    metalearn::parallelFor(m * n, kGrainElems, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; i++) masked[i] = y[i] > 0.0f ? dy[i] : 0.0f;
    });
    dz = masked;
  }
  matmul(true, false, k, n, m, x, k, dz, n, dw, n, 0.0f);
  std::vector<double> sums(static_cast<size_t>(n));
  channelSums(m, n, sums.data(), [&](int64_t r, int64_t j) { return static_cast<double>(dz[r * n + j]); });
  for (int64_t j = 0; j < n; j++) db[j] = static_cast<float>(sums[j]);
  return nullptr;
}

// log(sum_c exp(x_c)) of one row of logits, shifted by the row's maximum, in double.
double rowLogSumExp(const float* x, int64_t classes) {
  float m = x[0];
  for (int64_t c = 1; c < classes; c++) m = std::max(m, x[c]);
  double s = 0;
  for (int64_t c = 0; c < classes; c++) s += std::exp(static_cast<double>(x[c]) - m);
  return m + std::log(s);
}

// The arguments of softmaxXent and softmaxXentGrad: (logits: Float32Array, labels: Int32Array, then
// nFloats Float32Arrays, rows, classes), checked against the sizes. Otherwise throws "<name>: ..." and
// returns false.
bool xentArgs(napi_env env, napi_callback_info info, const char* name, const char* signature, size_t nFloats,
              float** logits, int32_t** labels, float** extra, int64_t* rows, int64_t* classes) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  const auto error = [&](const char* what) {
    fail(env, (std::string(name) + ": " + what + "; expected " + signature).c_str());
    return false;
  };
  size_t lx, ll;
  if (argc != 4 + nFloats || !floats(env, argv[0], logits, &lx) || !int32s(env, argv[1], labels, &ll))
    return error("bad arguments");
  for (size_t i = 0; i < nFloats; i++) {
    size_t le;
    if (!floats(env, argv[2 + i], &extra[i], &le)) return error("bad arguments");
  }
  const double r = number(env, argv[2 + nFloats]), c = number(env, argv[3 + nFloats]);
  if (!(r >= 1 && r == std::floor(r) && c >= 1 && c == std::floor(c)))
    return error("rows and classes must be positive integers");
  *rows = static_cast<int64_t>(r);
  *classes = static_cast<int64_t>(c);
  if (lx < static_cast<size_t>(*rows * *classes) || ll < static_cast<size_t>(*rows)) return error("a buffer is too small");
  return true;
}

// softmaxXent(logits, labels, loss, rows, classes): loss[0] = mean over the rows of
// logsumexp(x_r) - x_r[label_r], what softmaxCrossEntropy's ops compute with one-hot labels; a label
// outside [0, classes) contributes 0, as its all-zero one-hot row does. Row losses are summed in order
// in double, so the result does not depend on the thread count.
napi_value SoftmaxXent(napi_env env, napi_callback_info info) {
  float *x, *loss[1];
  int32_t* lab;
  int64_t rows, classes;
  if (!xentArgs(env, info, "softmaxXent", "(logits: Float32Array, labels: Int32Array, loss: Float32Array, rows, classes)",
                1, &x, &lab, loss, &rows, &classes))
    return nullptr;
  std::vector<double> per(static_cast<size_t>(rows));
  metalearn::parallelFor(rows, std::max<int64_t>(1, kGrainElems / classes), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * classes;
      const int32_t l = lab[r];
      per[r] = l >= 0 && l < classes ? rowLogSumExp(xr, classes) - xr[l] : 0.0;
    }
  });
  double sum = 0;
  for (double v : per) sum += v;
  loss[0][0] = static_cast<float>(sum / static_cast<double>(rows));
  return nullptr;
}

// softmaxXentGrad(logits, labels, dy, dx, rows, classes): dx_r = (softmax(x_r) - onehot(label_r)) dy / rows,
// and 0 for a row whose label is outside [0, classes).
napi_value SoftmaxXentGrad(napi_env env, napi_callback_info info) {
  float *x, *bufs[2];
  int32_t* lab;
  int64_t rows, classes;
  if (!xentArgs(env, info, "softmaxXentGrad",
                "(logits: Float32Array, labels: Int32Array, dy, dx: Float32Array, rows, classes)", 2, &x, &lab, bufs,
                &rows, &classes))
    return nullptr;
  const double g = static_cast<double>(bufs[0][0]) / static_cast<double>(rows);
  float* dx = bufs[1];
  metalearn::parallelFor(rows, std::max<int64_t>(1, kGrainElems / classes), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * classes;
      float* dr = dx + r * classes;
      const int32_t l = lab[r];
      if (l < 0 || l >= classes) {
        std::fill(dr, dr + classes, 0.0f);
        continue;
      }
      const double lse = rowLogSumExp(xr, classes);
      for (int64_t c = 0; c < classes; c++)
        dr[c] = static_cast<float>((std::exp(static_cast<double>(xr[c]) - lse) - (c == l ? 1.0 : 0.0)) * g);
    }
  });
  return nullptr;
}

// threads(): the calling thread's pool size; setThreads(n): resize it, returning the size in effect.
napi_value Threads(napi_env env, napi_callback_info) {
  napi_value v;
  napi_create_int32(env, metalearn::poolThreads(), &v);
  return v;
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  const double want = argc == 1 ? number(env, argv[0]) : 0;
  if (!(want >= 1 && want <= 256 && want == std::floor(want)))
    return fail(env, "setThreads: expected an integer from 1 to 256");
  napi_value v;
  napi_create_int32(env, metalearn::setPoolThreads(static_cast<int>(want)), &v);
  return v;
}

napi_value Init(napi_env env, napi_value exports) {
  // OpenBLAS on one thread: our pool (pool.h) shares the products out, so threads never oversubscribe.
#ifndef METALEARN_OWN_GEMM
  openblas_set_num_threads(1);
#endif
  napi_property_descriptor props[] = {
      {"conv2d", nullptr, Conv2d, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dFilterGrad", nullptr, Conv2dFilterGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dInputGrad", nullptr, Conv2dInputGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reduceBlock", nullptr, ReduceBlock, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchMatMul", nullptr, BatchMatMul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"transpose", nullptr, Transpose, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"poolRoute", nullptr, PoolRoute, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPool", nullptr, MaxPool, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reverse", nullptr, Reverse, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"tanh", nullptr, Tanh, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sgemm", nullptr, Sgemm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gemmPath", nullptr, GemmPath, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gemmKernels", nullptr, GemmKernels, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNorm", nullptr, BatchNorm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormGrad", nullptr, BatchNormGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"lstmSeq", nullptr, LstmSeq, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"lstmSeqGrad", nullptr, LstmSeqGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adamStep", nullptr, AdamStep, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"dense", nullptr, Dense, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"denseGrad", nullptr, DenseGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softmaxXent", nullptr, SoftmaxXent, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softmaxXentGrad", nullptr, SoftmaxXentGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"threads", nullptr, Threads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
