// The EAL of an in-process DPDK test executable, as a gtest global
// environment: one rte_eal_init per process (--no-huge, --no-pci, -l 0-1,
// virtual devices only), a scratch directory for the vdevs' files, and
// rte_eal_cleanup at the end.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ebt::test {

class EalEnv : public ::testing::Environment {
public:
    // The --vdev values, given the scratch directory (which it may fill
    // with input files first).
    using Vdevs = std::function<std::vector<std::string>(const std::string& dir)>;

    // prog: argv[0]; tmp_prefix: the scratch directory's name,
    // /tmp/<tmp_prefix>XXXXXX.
    EalEnv(std::string prog, std::string tmp_prefix, Vdevs vdevs);

    void SetUp() override;
    void TearDown() override;

    // rte_eal_init succeeded.
    bool ok() const { return ok_; }
    const std::string& dir() const { return dir_; }

private:
    std::string prog_, tmp_prefix_, dir_;
    Vdevs vdevs_;
    bool ok_ = false;
};

// Registers `env` with gtest (which owns it) and returns it.
EalEnv* add_eal_env(EalEnv* env);

// The port id of the vdev called `name` (a gtest failure if there is none).
uint16_t port_by_name(const std::string& name);

}  // namespace ebt::test
