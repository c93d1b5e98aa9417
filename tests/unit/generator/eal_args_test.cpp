// generator/eal_args: the af_xdp filter added to the EAL arguments, and the
// -l / -c check against the CPUs this process may use.
#include <gtest/gtest.h>

#include "temp_dir.hpp"  // tests/support

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "eal_args.hpp"

using namespace ebt;
using Args = std::vector<std::string>;

TEST(AfXdpFilter, AddedOnlyWhereNoProgramIsGiven) {
    std::vector<std::string> supplied;
    const Args in{"dpdk-gen", "-l", "0-1", "--vdev", "net_af_xdp0,iface=eth0", "--vdev=net_af_xdp1,iface=eth1",
                  "--vdev", "net_af_xdp2,iface=eth2,xdp_prog=/mine.o", "--vdev", "net_null0", "--",
                  "--vdev", "net_af_xdp9,iface=x"};
    EXPECT_TRUE(af_xdp_without_filter(in));
    const Args out = with_af_xdp_filter(in, "/f.o", supplied);
    const Args want{"dpdk-gen", "-l", "0-1", "--vdev", "net_af_xdp0,iface=eth0,xdp_prog=/f.o",
                    "--vdev=net_af_xdp1,iface=eth1,xdp_prog=/f.o", "--vdev", "net_af_xdp2,iface=eth2,xdp_prog=/mine.o",
                    "--vdev", "net_null0", "--", "--vdev", "net_af_xdp9,iface=x"};
    EXPECT_EQ(out, want);
    EXPECT_EQ(supplied, (std::vector<std::string>{"net_af_xdp0", "net_af_xdp1"}));
    EXPECT_FALSE(af_xdp_without_filter(out));
    EXPECT_FALSE(af_xdp_without_filter({"dpdk-gen", "--vdev", "net_af_packet0,iface=eth0"}));
    // A trailing --vdev without a value is left for the EAL to refuse.
    EXPECT_EQ(with_af_xdp_filter({"dpdk-gen", "--vdev"}, "/f.o", supplied), (Args{"dpdk-gen", "--vdev"}));
}

TEST(LcoreCheck, NamesTheMissingCpuAndTheRemedy) {
    const std::set<unsigned> two{0, 1};
    EXPECT_FALSE(check_lcore_cpus({"x", "-l", "0-1"}, two));
    EXPECT_FALSE(check_lcore_cpus({"x", "-l0,1"}, two));
    EXPECT_FALSE(check_lcore_cpus({"x", "-c", "0x3"}, two));
    EXPECT_FALSE(check_lcore_cpus({"x", "--lcores", "0@0,1@1,2@1"}, two));  // the EAL's business
    EXPECT_FALSE(check_lcore_cpus({"x", "--", "-l", "0-7"}, two));           // dpdk-gen's options
    EXPECT_FALSE(check_lcore_cpus({"x", "-l", "zero"}, two));                // malformed: the EAL says so
    const auto e = check_lcore_cpus({"x", "-l", "0-2"}, two);
    ASSERT_TRUE(e);
    EXPECT_NE(e->find("-l 0-2: CPU 2 is not available"), std::string::npos) << *e;
    EXPECT_NE(e->find("(CPUs 0-1)"), std::string::npos) << *e;
    EXPECT_NE(e->find("--lcores '0@0,1@1,2@0'"), std::string::npos) << *e;
    const auto m = check_lcore_cpus({"x", "-c", "0x5"}, two);
    ASSERT_TRUE(m);
    EXPECT_NE(m->find("CPU 2"), std::string::npos) << *m;
    EXPECT_EQ(cpu_list_text({0, 1, 2, 5, 7, 8}), "0-2,5,7-8");
}

TEST(AfXdpFilter, FoundBesideTheBinaryTheBuildTreeOrTheDataDir) {
    namespace fs = std::filesystem;
    const ebt::test::TempDir tmp("ebt-eal-args-");
    const fs::path& root = tmp.path();
    fs::create_directories(root / "bin");
    EXPECT_FALSE(find_xsk_filter((root / "bin").string()));
    fs::create_directories(root / "share" / "ebpf-test" / "bpf");
    std::ofstream(root / "share" / "ebpf-test" / "bpf" / kXskFilterName) << "x";
    EXPECT_EQ(find_xsk_filter((root / "bin").string()), (root / "share" / "ebpf-test" / "bpf" / kXskFilterName).string());
    std::ofstream(root / "bin" / kXskFilterName) << "x";
    EXPECT_EQ(find_xsk_filter((root / "bin").string()), (root / "bin" / kXskFilterName).string());
}

TEST(KernelIface, OnlyForOneKernelBackedVdev) {
    EXPECT_EQ(kernel_iface_of_vdev({"x", "--vdev", "net_af_packet0,iface=eth0,qpairs=2"}), "eth0");
    EXPECT_EQ(kernel_iface_of_vdev({"x", "--vdev=net_af_xdp0,iface=ens1f0"}), "ens1f0");
    EXPECT_FALSE(kernel_iface_of_vdev({"x", "--vdev", "net_null0"}));
    EXPECT_FALSE(kernel_iface_of_vdev({"x", "-a", "0000:03:00.0"}));
    EXPECT_FALSE(kernel_iface_of_vdev({"x", "--vdev", "net_af_packet0,iface=a", "--vdev", "net_af_packet1,iface=b"}));
    EXPECT_FALSE(kernel_iface_of_vdev({"x", "--vdev", "net_af_packet0,iface="}));
    EXPECT_FALSE(kernel_iface_of_vdev({"x", "--", "--vdev", "net_af_packet0,iface=eth0"}));
}
