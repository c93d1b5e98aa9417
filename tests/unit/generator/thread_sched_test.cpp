// generator/thread_sched: the scheduler statistics of one thread.
#include <gtest/gtest.h>

#include <ctime>

#include <unistd.h>

#include <sys/syscall.h>

#include "thread_sched.hpp"
#include "require.hpp"

using namespace ebt;

TEST(ThreadSched, ParsesSchedstatAndStatus) {
    const auto s = parse_thread_sched("867062703 757047792 197\n",
                                      "Name:\tx\nvoluntary_ctxt_switches:\t1\nnonvoluntary_ctxt_switches:\t196\n");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->on_cpu_ns, 867062703u);
    EXPECT_EQ(s->runqueue_wait_ns, 757047792u);
    EXPECT_EQ(s->timeslices, 197u);
    EXPECT_EQ(s->involuntary_switches, 196u);
    EXPECT_FALSE(parse_thread_sched("", "nonvoluntary_ctxt_switches:\t1\n"));
    EXPECT_FALSE(parse_thread_sched("1 2 3", "voluntary_ctxt_switches:\t1\n"));
    EXPECT_FALSE(parse_thread_sched("1 x 3", "nonvoluntary_ctxt_switches:\t1\n"));
}

TEST(ThreadSched, ReadsThisThread) {
    const auto tid = static_cast<pid_t>(syscall(SYS_gettid));
    const auto a = read_thread_sched(tid);
    REQUIRE_OR_SKIP(a.has_value(), "no /proc/<pid>/task/<tid>/schedstat (CONFIG_SCHED_INFO off)");
    // The kernel folds running time into schedstat at ticks and switches:
    // after 100 ms of this thread's CPU time it has moved.
    auto cpu_ns = [] {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
    };
    const uint64_t start = cpu_ns();
    volatile uint64_t x = 0;
    while (cpu_ns() - start < 100'000'000u) x = x + 1;
    const auto b = read_thread_sched(tid);
    ASSERT_TRUE(b);
    EXPECT_GT(b->on_cpu_ns, a->on_cpu_ns);
    EXPECT_GE(b->timeslices, a->timeslices);
    EXPECT_FALSE(read_thread_sched(-1));
}
