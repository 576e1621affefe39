// A small thread pool for the native kernels: one per JavaScript thread that calls them (the main thread
// and each worker thread have their own), so worker threads and intra-op threads compose without sharing
// state, and workers x threads is what the library asks for (src/engine/threads.ts).
#pragma once

#include <cstdint>
#include <functional>

namespace metalearn {

// fn(begin, end) over disjoint ranges that cover [0, n), on up to threads() threads of the calling thread's
// pool (the caller runs one range itself). Ranges hold at least `grain` items where n allows, so small
// work stays on one thread. Called from inside a range (a kernel that parallelises and calls another that
// does), it runs the whole range serially.
void parallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

// Threads of the calling thread's pool, the caller included (>= 1). The first use reads
// METALEARN_THREADS, else uses the machine's hardware threads.
int poolThreads();

// Resize the calling thread's pool (clamped to 1..256); returns the size now in effect.
int setPoolThreads(int n);

}  // namespace metalearn
