// Inside common/report: the number formatting and flow matching the JSON,
// CSV and Markdown writers share, and the pieces results_dir.cpp writes.
// Not part of the library's interface.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/json/object.hpp>

#include "results.hpp"

namespace ebt::report_detail {

// v with `decimals` digits after the point (printf %.*f); fmt_signed with
// its sign always (%+.*f).
std::string fmt(double v, int decimals);
std::string fmt_signed(double v, int decimals);

using FlowIndex = std::unordered_map<uint32_t, const ReceiverFlow*>;

// The receiver's flows by id, whatever order (or gaps) the report has.
FlowIndex index_flows(const std::optional<ReceiverReport>& rx);
// The flow with that id, or an all-zero one.
const ReceiverFlow& lookup(const FlowIndex& m, uint32_t flow_id);
// Unique packets: a duplicate arrived but is not a second delivery.
uint64_t unique_received(const ReceiverFlow& f);

// raw_data/{tx,rx}_samples.csv, system_cpu.csv, system_mem_netdev.csv.
std::string samples_csv(const std::vector<CounterSample>& samples);
std::string system_cpu_csv(const SystemReport& s);
std::string system_mem_netdev_csv(const SystemReport& s);

// The receiver's own results.json: its report and the test identity.
boost::json::object receiver_results_json(const TestRecord& identity, const ReceiverReport& report);

}  // namespace ebt::report_detail
