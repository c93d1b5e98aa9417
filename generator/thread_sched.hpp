// How much a TX lcore's thread was kept off its CPU: the kernel's scheduler
// statistics for one thread (/proc/self/task/<tid>/schedstat: time on the
// CPU, time waiting on a run queue while runnable, timeslices; and
// nonvoluntary_ctxt_switches from .../status).
//
// Why: a polling lcore that shares its CPU with other tasks (on a 2-vCPU
// testbed, the receiver, softirq and everything else) is descheduled for
// milliseconds at a time; its bursts then leave late and are caught up at
// twice the rate.  Run-queue wait over the test says how much of the
// lateness that explains, instead of leaving "late bursts" unexplained.
// Read by the main lcore at the start and end of a test, never by the TX
// loop itself.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <sys/types.h>

namespace ebt {

struct ThreadSchedStat {
    uint64_t on_cpu_ns = 0;        // time running
    uint64_t runqueue_wait_ns = 0; // time runnable but waiting for a CPU
    uint64_t timeslices = 0;
    uint64_t involuntary_switches = 0;  // preempted while runnable
};

// "<on_cpu_ns> <wait_ns> <slices>" (schedstat) and the status file's
// nonvoluntary_ctxt_switches line; nullopt when malformed.
std::optional<ThreadSchedStat> parse_thread_sched(const std::string& schedstat, const std::string& status);

// The thread's statistics now; nullopt when the kernel does not provide
// them (CONFIG_SCHED_INFO off) or the thread is gone.
std::optional<ThreadSchedStat> read_thread_sched(pid_t tid);

}  // namespace ebt
