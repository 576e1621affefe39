// Single-precision matrix product of our own (native/gemm.cc), so the addon needs nothing but a C++
// compiler; and the choice between it and OpenBLAS that the kernels' call sites go through.
#pragma once

#include <cstdint>

namespace metalearn {

// One variant of our GEMM: its register tile (mr x nr), cache blocks (mc, kc, nc) and micro-kernel.
struct GemmKernel;

// C = alpha op(A) op(B) + beta C, row-major, op(A) m x k, op(B) k x n, C m x n with leading dimensions
// lda, ldb, ldc (of the matrices as stored: A is k x m when transA). beta == 0 does not read C (NaN in C
// does not propagate), as in BLAS. k == 0 or alpha == 0 only scales C by beta.
void gemm(const GemmKernel& kernel, bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// The variant this CPU runs best: avx512 where the CPU and OS support AVX-512F, else avx2 where they
// support AVX2 and FMA, else generic (plain loops, vectorised by the compiler for the build's target).
const GemmKernel& bestGemmKernel();

// The variant the kernels use for a product of n columns: bestGemmKernel(), except where a narrower
// tile wastes less of its width on padding.
const GemmKernel& gemmKernelFor(int64_t n);

// The variant called `name` ("generic", "avx2", "avx512"), or null when it is unknown, not compiled
// in, or not supported by this CPU.
const GemmKernel* gemmKernelNamed(const char* name);

// Names of the variants this build and CPU can run, best last; `count` receives their number.
const char* const* gemmKernelNames(int* count);

const char* gemmKernelName(const GemmKernel& kernel);

}  // namespace metalearn
