#include "eal_env.hpp"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include <cstdlib>
#include <filesystem>
#include <utility>

namespace ebt::test {

EalEnv::EalEnv(std::string prog, std::string tmp_prefix, Vdevs vdevs)
    : prog_(std::move(prog)), tmp_prefix_(std::move(tmp_prefix)), vdevs_(std::move(vdevs)) {}

void EalEnv::SetUp() {
    std::string tmpl = "/tmp/" + tmp_prefix_ + "XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    std::vector<std::string> args = {prog_, "--no-huge", "--no-pci", "-m", "256", "--no-shconf",
                                     "-l", "0-1", "--log-level", "lib.eal:error"};
    for (const std::string& v : vdevs_(dir_)) {
        args.push_back("--vdev");
        args.push_back(v);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    const int rc = rte_eal_init(static_cast<int>(argv.size()), argv.data());
    ASSERT_GE(rc, 0) << "rte_eal_init failed: " << rte_strerror(rte_errno);
    ok_ = true;
}

void EalEnv::TearDown() {
    if (ok_) rte_eal_cleanup();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
}

EalEnv* add_eal_env(EalEnv* env) {
    ::testing::AddGlobalTestEnvironment(env);
    return env;
}

uint16_t port_by_name(const std::string& name) {
    uint16_t id = 0;
    EXPECT_EQ(rte_eth_dev_get_port_by_name(name.c_str(), &id), 0) << name;
    return id;
}

}  // namespace ebt::test
