#include "thread_pool.h"

#include <immintrin.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace fastinit {
namespace {

// How long an idle thread keeps polling before it sleeps on the condition variable. Polling
// makes the hand-off of a job take microseconds instead of a futex wake-up (which can take
// milliseconds on a virtual machine); sleeping afterwards keeps idle processes idle.
constexpr auto kSpin = std::chrono::microseconds(200);

template <class Ready>
bool spin_until(Ready ready) {
  const auto until = std::chrono::steady_clock::now() + kSpin;
  for (int i = 0;; ++i) {
    if (ready()) return true;
    _mm_pause();
    if ((i & 255) == 255 && std::chrono::steady_clock::now() > until) return false;
  }
}

class pool {
 public:
  // Runs fn(0..ntasks-1) on up to nthreads threads (the caller included).
  void run(int ntasks, int nthreads, const std::function<void(int)>& fn) {
    std::lock_guard<std::mutex> one_job_at_a_time(job_mutex_);
    ensure_workers(nthreads - 1);
    {
      // The job and its generation are published together, under m_, where workers read them.
      std::lock_guard<std::mutex> lk(m_);
      fn_ = &fn;
      ntasks_ = ntasks;
      next_.store(0, std::memory_order_relaxed);
      active_workers_ = nthreads - 1;
      pending_.store(nthreads - 1, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    work(fn);
    if (!spin_until([&] { return pending_.load(std::memory_order_acquire) == 0; })) {
      std::unique_lock<std::mutex> lk(m_);
      done_cv_.wait(lk, [&] { return pending_.load(std::memory_order_acquire) == 0; });
    }
  }

 private:
  void ensure_workers(int n) {
    const pid_t pid = getpid();
    if (pid != owner_pid_) {
      // After fork() the worker threads do not exist in this process: forget them (their
      // std::thread objects are deliberately leaked, never joined) and start new ones.
      workers_ = new std::vector<std::thread*>();
      owner_pid_ = pid;
    }
    while (static_cast<int>(workers_->size()) < n) {
      const int id = static_cast<int>(workers_->size());
      const uint64_t seen = generation_.load(std::memory_order_acquire);
      workers_->push_back(new std::thread([this, id, seen] { worker_loop(id, seen); }));
    }
  }

  void work(const std::function<void(int)>& fn) {
    for (;;) {
      const int t = next_.fetch_add(1, std::memory_order_relaxed);
      if (t >= ntasks_) break;
      fn(t);
    }
  }

  void worker_loop(int id, uint64_t seen) {
    for (;;) {
      const auto fresh = [&] { return generation_.load(std::memory_order_acquire) != seen; };
      if (!spin_until(fresh)) {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, fresh);
      }
      // One job's generation, worker count and function, read together: a worker that wakes
      // late for one job may find the next one already published, and must then take part in
      // that one (once), never in a mix of the two.
      const std::function<void(int)>* fn;
      int active;
      {
        std::lock_guard<std::mutex> lk(m_);
        seen = generation_.load(std::memory_order_acquire);
        active = active_workers_;
        fn = fn_;
      }
      if (id >= active) continue;
      work(*fn);
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lk(m_);
        done_cv_.notify_one();
      }
    }
  }

  std::mutex job_mutex_;
  std::mutex m_;
  std::condition_variable cv_, done_cv_;
  const std::function<void(int)>* fn_ = nullptr;
  int ntasks_ = 0;
  std::atomic<int> next_{0};
  int active_workers_ = 0;
  std::atomic<int> pending_{0};
  std::atomic<uint64_t> generation_{0};
  std::vector<std::thread*>* workers_ = new std::vector<std::thread*>();
  pid_t owner_pid_ = getpid();
};

pool& the_pool() {
  static pool* p = new pool();  // never destroyed: workers may outlive static destruction
  return *p;
}

}  // namespace

void pool_run(int ntasks, int nthreads, const std::function<void(int)>& fn) {
  if (nthreads <= 1 || ntasks <= 1) {
    for (int t = 0; t < ntasks; ++t) fn(t);
    return;
  }
  the_pool().run(ntasks, nthreads, fn);
}

int pool_default_threads() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  const unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

}  // namespace fastinit
