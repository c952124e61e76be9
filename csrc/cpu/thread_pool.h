// A persistent pool of worker threads. run(n, fn) calls fn(0..n-1) spread over the workers and
// the calling thread, and returns when all calls are done. Safe across fork(): a child process
// starts a fresh pool on first use.
#pragma once
#include <functional>

namespace fastinit {

void pool_run(int ntasks, int nthreads, const std::function<void(int)>& fn);
int pool_default_threads();  // CPUs this process may run on

}  // namespace fastinit
