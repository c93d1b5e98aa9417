// tools/bench-recv.sh's loader for the bare reference program
// (xdp_count_drop.bpf.o): loads it, attaches it to an interface through a
// bpf_link (detached by the kernel when this process exits, however it
// exits), turns on BPF run-time stats with bpf_enable_stats (held as an fd:
// off again on exit), prints "ready", waits until stdin closes or a line
// arrives, then prints "run_cnt N run_time_ns N count N" (count = the
// program's own per-CPU counter summed) and exits.
//
// Usage: xdp_bench_loader OBJECT IFNAME
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <linux/bpf.h>
#include <net/if.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

namespace {

int die(const std::string& what, int err) {
    std::fprintf(stderr, "xdp_bench_loader: %s: %s\n", what.c_str(), std::strerror(err < 0 ? -err : err));
    return 1;
}

struct ObjectCloser {
    bpf_object* o;
    ~ObjectCloser() { bpf_object__close(o); }
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: xdp_bench_loader OBJECT IFNAME\n");
        return 2;
    }
    const unsigned ifindex = if_nametoindex(argv[2]);
    if (ifindex == 0) return die(std::string("interface ") + argv[2], errno);
    bpf_object* obj = bpf_object__open_file(argv[1], nullptr);
    if (obj == nullptr) return die(std::string("open ") + argv[1], errno);
    ObjectCloser closer{obj};
    if (int err = bpf_object__load(obj)) return die("load", err);
    bpf_program* prog = bpf_object__find_program_by_name(obj, "xdp_count_drop");
    bpf_map* map = bpf_object__find_map_by_name(obj, "bench_count");
    if (prog == nullptr || map == nullptr) return die("program or map not in the object", ENOENT);
    const int prog_fd = bpf_program__fd(prog);
    const int stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
    if (stats_fd < 0) return die("bpf_enable_stats(BPF_STATS_RUN_TIME)", errno);
    const int link_fd = bpf_link_create(prog_fd, static_cast<int>(ifindex), BPF_XDP, nullptr);
    if (link_fd < 0) return die(std::string("attach to ") + argv[2], errno);
    std::printf("ready\n");
    std::fflush(stdout);

    char line[64];
    (void)std::fgets(line, sizeof line, stdin);   // a line or EOF: the window ends

    bpf_prog_info info{};
    uint32_t len = sizeof info;
    if (int err = bpf_obj_get_info_by_fd(prog_fd, &info, &len)) return die("bpf_prog_info", err);
    const int ncpus = libbpf_num_possible_cpus();
    std::vector<uint64_t> per_cpu(static_cast<size_t>(ncpus > 0 ? ncpus : 1));
    uint32_t key = 0;
    uint64_t count = 0;
    if (bpf_map_lookup_elem(bpf_map__fd(map), &key, per_cpu.data()) == 0)
        for (uint64_t v : per_cpu) count += v;
    std::printf("run_cnt %llu run_time_ns %llu count %llu\n", static_cast<unsigned long long>(info.run_cnt),
                static_cast<unsigned long long>(info.run_time_ns), static_cast<unsigned long long>(count));
    close(link_fd);
    close(stats_fd);
    return 0;
}
