// Native CPU kernels for the tfjs wasm backend: the kernels read and write the wasm heap in place
// (Float32Array views handed over by src/engine/kernels/native.ts), so no tensor data is copied.
//   conv2d: NHWC forward convolution, im2col + sgemm, any stride, dilation and explicit padding
//   batchMatMul: a batch of sgemm calls (transposes and a broadcast batch of 1 included)
//   sgemm, gemmPath, gemmKernels: the matrix product itself and which one the kernels use (tests, benchmarks)
//   binary: add, sub, mul, div of float32 with broadcasting, as strided loops
//   transpose: any permutation, as strided copies
//   reverse: flips along any axes, as strided copies
//   poolRoute: the max-pool gradient's routing of dy to each tiling window's first maximum, and its adjoint
//   reduceBlock: sum over the middle axis of [outer, red, inner] with double accumulators (Sum, Mean)
//   tanh: elementwise through expf (the wasm build's tanh took ~28 ns an element, a fifth of a MANN step)
// The matrix products are OpenBLAS's, or ours (native/gemm.cc) in a build with METALEARN_OWN_GEMM, which
// needs no BLAS. Built by native/build.mjs at install; when it cannot build, the library uses the wasm
// kernels.
#include <node_api.h>
#ifndef METALEARN_OWN_GEMM
#include <cblas.h>
#endif

#include "gemm.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

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

// C (m x n, row-major, leading dimension ldc) = op(A) op(B), with the GEMM this build uses.
void matmul(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
            int64_t ldb, float* c, int64_t ldc) {
#ifdef METALEARN_OWN_GEMM
  metalearn::gemm(metalearn::bestGemmKernel(), ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
#else
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
              static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0f, a, static_cast<int>(lda), b,
              static_cast<int>(ldb), 0.0f, c, static_cast<int>(ldc));
#endif
}

// conv2d(x, w, out, dims) with dims = [n, h, w, ci, kh, kw, co, ho, wo, sh, sw, dh, dw, padTop, padLeft]
napi_value Conv2d(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 4) return fail(env, "conv2d: expected (x, w, out, dims)");
  float *x, *w, *out;
  size_t lx, lw, lo;
  if (!floats(env, argv[0], &x, &lx) || !floats(env, argv[1], &w, &lw) || !floats(env, argv[2], &out, &lo))
    return fail(env, "conv2d: x, w and out must be Float32Arrays");
  int64_t d[15];
  if (!ints(env, argv[3], 15, d)) return fail(env, "conv2d: dims must hold 15 numbers");
  const int64_t n = d[0], h = d[1], wd = d[2], ci = d[3], kh = d[4], kw = d[5], co = d[6], ho = d[7],
                wo = d[8], sh = d[9], sw = d[10], dh = d[11], dw = d[12], pt = d[13], pl = d[14];
  if (static_cast<int64_t>(lx) < n * h * wd * ci || static_cast<int64_t>(lw) < kh * kw * ci * co ||
      static_cast<int64_t>(lo) < n * ho * wo * co)
    return fail(env, "conv2d: a buffer is smaller than its shape");
  const int64_t k = kh * kw * ci;
  const int64_t rowsPerImage = ho * wo;
  // A 1x1 stride-1 unpadded convolution is a plain matrix product over the input.
  if (kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && ho == h && wo == wd) {
    matmul(false, false, n * rowsPerImage, co, ci, x, ci, w, co, out, co);
    return nullptr;
  }
  // im2col in chunks of whole images, so the column buffer stays near 16 MB whatever the batch.
  const int64_t budget = 4 << 20;  // floats
  const int64_t perImage = std::max<int64_t>(1, rowsPerImage * k);
  const int64_t chunk = std::max<int64_t>(1, std::min<int64_t>(n, budget / perImage));
  static thread_local std::vector<float> col;
  col.resize(static_cast<size_t>(chunk * perImage));
  for (int64_t n0 = 0; n0 < n; n0 += chunk) {
    const int64_t nb = std::min(chunk, n - n0);
    float* c = col.data();
    for (int64_t b = 0; b < nb; b++) {
      const float* img = x + (n0 + b) * h * wd * ci;
      for (int64_t oy = 0; oy < ho; oy++) {
        for (int64_t ox = 0; ox < wo; ox++) {
          for (int64_t i = 0; i < kh; i++) {
            const int64_t iy = oy * sh - pt + i * dh;
            for (int64_t j = 0; j < kw; j++) {
              const int64_t ix = ox * sw - pl + j * dw;
              if (iy < 0 || iy >= h || ix < 0 || ix >= wd) {
                std::memset(c, 0, sizeof(float) * ci);
              } else {
                std::memcpy(c, img + (iy * wd + ix) * ci, sizeof(float) * ci);
              }
              c += ci;
            }
          }
        }
      }
    }
    matmul(false, false, nb * rowsPerImage, co, k, col.data(), k, w, co, out + n0 * rowsPerImage * co, co);
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
  for (int64_t i = 0; i < batch; i++) {
    const float* ai = a + (ba == 1 ? 0 : i) * m * k;
    const float* bi = b + (bb == 1 ? 0 : i) * k * n;
    if (k == 0) {
      std::memset(out + i * m * n, 0, sizeof(float) * m * n);
      continue;
    }
    matmul(ta, tb, m, n, k, ai, ta ? m : k, bi, tb ? k : n, out + i * m * n, n);
  }
  return nullptr;
}

template <typename F>
void binaryLoop(const float* a, const float* b, float* o, int rank, const int64_t* shape, const int64_t* sa,
                const int64_t* sb, F f) {
  // Odometer over all but the innermost axis; the innermost runs as a tight loop per stride pattern.
  const int64_t inner = shape[rank - 1];
  const int64_t ia = sa[rank - 1], ib = sb[rank - 1];
  int64_t outer = 1;
  for (int d = 0; d < rank - 1; d++) outer *= shape[d];
  int64_t idx[8] = {0};
  int64_t offA = 0, offB = 0;
  for (int64_t r = 0; r < outer; r++) {
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

// out (row-major over oshape) = x walked with step[d] per unit of output axis d, from x itself.
void stridedCopy(const float* x, float* o, int r, const int64_t* oshape, const int64_t* step, int64_t size) {
  const int64_t inner = oshape[r - 1], is = step[r - 1];
  const int64_t outer = size / inner;
  int64_t idx[8] = {0};
  int64_t off = 0;
  for (int64_t q = 0; q < outer; q++) {
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
  int64_t d[8];
  if (!ints(env, argv[3], 8, d)) return fail(env, "poolRoute: dims must hold 8 numbers");
  const bool route = number(env, argv[4]) == 0;
  const int64_t n = d[0], h = d[1], w = d[2], c = d[3], kh = d[4], kw = d[5], ho = d[6], wo = d[7];
  const int64_t full = n * h * w * c, pooled = n * ho * wo * c;
  if (ho * kh > h || wo * kw > w || static_cast<int64_t>(lx) < full ||
      static_cast<int64_t>(lv) < (route ? pooled : full) || static_cast<int64_t>(lo) < (route ? full : pooled))
    return fail(env, "poolRoute: a buffer is smaller than its shape");
  if (route) std::memset(out, 0, sizeof(float) * full);
  std::vector<float> best(static_cast<size_t>(c));
  std::vector<int64_t> at(static_cast<size_t>(c));
  for (int64_t b = 0; b < n; b++) {
    const float* img = x + b * h * w * c;
    for (int64_t py = 0; py < ho; py++) {
      for (int64_t px = 0; px < wo; px++) {
        for (int64_t i = 0; i < kh; i++) {
          for (int64_t j = 0; j < kw; j++) {
            const int64_t pos = ((py * kh + i) * w + px * kw + j) * c;
            const float* p = img + pos;
            if (i == 0 && j == 0) {
              for (int64_t ch = 0; ch < c; ch++) {
                best[ch] = p[ch];
                at[ch] = pos + ch;
              }
            } else {
              for (int64_t ch = 0; ch < c; ch++)
                if (p[ch] > best[ch]) {
                  best[ch] = p[ch];
                  at[ch] = pos + ch;
                }
            }
          }
        }
        const int64_t cell = ((b * ho + py) * wo + px) * c;
        const int64_t base = b * h * w * c;
        if (route)
          for (int64_t ch = 0; ch < c; ch++) out[base + at[ch]] = v[cell + ch];
        else
          for (int64_t ch = 0; ch < c; ch++) out[cell + ch] = v[base + at[ch]];
      }
    }
  }
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
  static thread_local std::vector<double> acc;
  acc.resize(static_cast<size_t>(inner));
  for (int64_t a = 0; a < outer; a++) {
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
        for (int64_t b = 0; b < inner; b++) q[b] += p[b];
    }
    float* o = out + a * inner;
    for (int64_t b = 0; b < inner; b++) o[b] = static_cast<float>(acc[b] * scale);
  }
  return nullptr;
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
  const size_t n = std::min(lx, lo);
  for (size_t i = 0; i < n; i++) {
    const float v = x[i];
    const float a = std::fabs(v);
    const float s = v * v;
    // Series to x^9: its error is below float's resolution for |x| < 1/8.
    const float p = v * (1 + s * (-1.0f / 3 + s * (2.0f / 15 + s * (-17.0f / 315 + s * (62.0f / 2835)))));
    const float e = std::exp(-2 * std::min(a, 20.0f));  // exp(-40) is below float's resolution of 1
    const float q = std::copysign((1 - e) / (1 + e), v);
    out[i] = a < 0.125f ? p : q;
  }
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

napi_value Init(napi_env env, napi_value exports) {
  // One thread, like the wasm backend and the peer's 1-thread runs; worker threads give the parallelism.
#ifndef METALEARN_OWN_GEMM
  openblas_set_num_threads(1);
#endif
  napi_property_descriptor props[] = {
      {"conv2d", nullptr, Conv2d, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reduceBlock", nullptr, ReduceBlock, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchMatMul", nullptr, BatchMatMul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"transpose", nullptr, Transpose, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"poolRoute", nullptr, PoolRoute, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reverse", nullptr, Reverse, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"tanh", nullptr, Tanh, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sgemm", nullptr, Sgemm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gemmPath", nullptr, GemmPath, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gemmKernels", nullptr, GemmKernels, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
