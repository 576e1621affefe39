#include "pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define ML_PAUSE() _mm_pause()
#else
#define ML_PAUSE() std::this_thread::yield()
#endif

namespace metalearn {
namespace {

// Helpers spin this many pause rounds (some tens of microseconds) for the next job before they sleep: the
// kernels of one training step come back to back, and a condition variable's wake-up costs about as much
// as a small kernel.
constexpr int kSpin = 2000;

int defaultThreads() {
  if (const char* s = std::getenv("METALEARN_THREADS")) {
    const int v = std::atoi(s);
    if (v >= 1) return std::min(v, 256);
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(std::min(hw, 256u));
}

thread_local bool inRange = false;

// One parallelFor call: its ranges are handed out by `next`; the caller owns it and waits, before it
// returns, until every range has run (`pending`) and no helper still holds it (`refs`).
struct Job {
  const std::function<void(int64_t, int64_t)>* fn;
  int64_t n;
  int parts;
  std::atomic<int> next{0}, pending{0}, refs{0};
};

void work(Job& j, std::mutex& m, std::condition_variable& done) {
  for (;;) {
    const int p = j.next.fetch_add(1, std::memory_order_relaxed);
    if (p >= j.parts) return;
    const int64_t b = j.n * p / j.parts, e = j.n * (p + 1) / j.parts;
    inRange = true;
    (*j.fn)(b, e);
    inRange = false;
    if (j.pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(m);
      done.notify_all();
    }
  }
}

class Pool {
 public:
  explicit Pool(int threads) { resize(threads); }
  ~Pool() { stopAll(); }

  int size() const { return static_cast<int>(helpers_.size()) + 1; }

  void resize(int threads) {
    threads = std::max(1, std::min(threads, 256));
    if (threads == size()) return;
    stopAll();
    stop_ = false;
    for (int i = 1; i < threads; i++) helpers_.emplace_back([this] { helperLoop(); });
  }

  void run(int parts, int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
    Job j;
    j.fn = &fn;
    j.n = n;
    j.parts = parts;
    j.pending.store(parts, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(m_);
      job_ = &j;
      gen_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    work(j, m_, done_);
    // The helpers' ranges: spin first, they are usually about done.
    for (int i = 0; j.pending.load(std::memory_order_acquire) != 0; i++) {
      if (i < kSpin) {
        ML_PAUSE();
      } else {
        std::unique_lock<std::mutex> lock(m_);
        done_.wait(lock, [&] { return j.pending.load(std::memory_order_acquire) == 0; });
      }
    }
    {
      std::lock_guard<std::mutex> lock(m_);
      job_ = nullptr;
    }
    while (j.refs.load(std::memory_order_acquire) != 0) ML_PAUSE();
  }

 private:
  void helperLoop() {
    uint64_t seen = 0;
    for (;;) {
      for (int i = 0; gen_.load(std::memory_order_acquire) == seen && !stop_.load(std::memory_order_acquire);) {
        if (++i < kSpin) {
          ML_PAUSE();
        } else {
          std::unique_lock<std::mutex> lock(m_);
          wake_.wait(lock, [&] {
            return gen_.load(std::memory_order_acquire) != seen || stop_.load(std::memory_order_acquire);
          });
        }
      }
      Job* j = nullptr;
      {
        std::lock_guard<std::mutex> lock(m_);
        if (stop_.load(std::memory_order_acquire)) return;
        seen = gen_.load(std::memory_order_acquire);
        j = job_;
        if (j) j->refs.fetch_add(1, std::memory_order_acq_rel);
      }
      if (!j) continue;
      work(*j, m_, done_);
      j->refs.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  void stopAll() {
    {
      std::lock_guard<std::mutex> lock(m_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : helpers_) t.join();
    helpers_.clear();
  }

  std::vector<std::thread> helpers_;
  std::mutex m_;
  std::condition_variable wake_, done_;
  std::atomic<uint64_t> gen_{0};
  std::atomic<bool> stop_{false};
  Job* job_ = nullptr;  // guarded by m_
};

Pool& pool() {
  static thread_local Pool p(defaultThreads());
  return p;
}

}  // namespace

void parallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (inRange) return fn(0, n);
  Pool& p = pool();
  const int64_t byGrain = std::max<int64_t>(1, n / std::max<int64_t>(1, grain));
  const int parts = static_cast<int>(std::min<int64_t>(p.size(), byGrain));
  if (parts <= 1) return fn(0, n);
  p.run(parts, n, fn);
}

int poolThreads() { return pool().size(); }

int setPoolThreads(int n) {
  pool().resize(n);
  return pool().size();
}

}  // namespace metalearn
