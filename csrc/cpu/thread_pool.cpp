#include "thread_pool.h"

#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace fastinit {
namespace {

class pool {
 public:
  // Runs fn(0..ntasks-1) on up to nthreads threads (the caller included).
  void run(int ntasks, int nthreads, const std::function<void(int)>& fn) {
    std::lock_guard<std::mutex> one_job_at_a_time(job_mutex_);
    ensure_workers(nthreads - 1);
    {
      std::lock_guard<std::mutex> lk(m_);
      fn_ = &fn;
      ntasks_ = ntasks;
      next_.store(0);
      active_workers_ = nthreads - 1;
      pending_ = nthreads - 1;
      ++generation_;
    }
    cv_.notify_all();
    work();
    std::unique_lock<std::mutex> lk(m_);
    done_cv_.wait(lk, [&] { return pending_ == 0; });
    fn_ = nullptr;
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
      workers_->push_back(new std::thread([this, id] { worker_loop(id); }));
    }
  }

  void work() {
    const std::function<void(int)>& fn = *fn_;
    for (;;) {
      const int t = next_.fetch_add(1);
      if (t >= ntasks_) break;
      fn(t);
    }
  }

  void worker_loop(int id) {
    unsigned long seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [&] { return generation_ != seen; });
        seen = generation_;
        if (id >= active_workers_) continue;
      }
      work();
      std::lock_guard<std::mutex> lk(m_);
      if (--pending_ == 0) done_cv_.notify_one();
    }
  }

  std::mutex job_mutex_;
  std::mutex m_;
  std::condition_variable cv_, done_cv_;
  const std::function<void(int)>* fn_ = nullptr;
  int ntasks_ = 0;
  std::atomic<int> next_{0};
  int active_workers_ = 0;
  int pending_ = 0;
  unsigned long generation_ = 0;
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
