// results.json and the receiver's report in JSON, both directions, from
// the field lists of results_fields.hpp (field_json.hpp's visitors).
#include <string>

#include <boost/json.hpp>

#include "field_json.hpp"
#include "report_detail.hpp"
#include "results.hpp"

namespace ebt {

namespace json = boost::json;

using namespace report_detail;

namespace json_read {

void fail(const std::string& what) { throw std::invalid_argument("receiver report: " + what); }

const json::value& field(const json::object& o, const char* key) {
    const auto* v = o.if_contains(key);
    if (v == nullptr) fail(std::string("missing field '") + key + "'");
    return *v;
}

uint64_t u64(const json::object& o, const char* key) {
    const auto& v = field(o, key);
    if (v.is_uint64()) return v.as_uint64();
    if (v.is_int64() && v.as_int64() >= 0) return static_cast<uint64_t>(v.as_int64());
    fail(std::string("field '") + key + "' must be a non-negative integer");
}

int64_t i64(const json::object& o, const char* key) {
    const auto& v = field(o, key);
    if (v.is_int64()) return v.as_int64();
    if (v.is_uint64() && v.as_uint64() <= static_cast<uint64_t>(INT64_MAX)) return static_cast<int64_t>(v.as_uint64());
    fail(std::string("field '") + key + "' must be an integer");
}

double number(const json::object& o, const char* key) {
    const auto& v = field(o, key);
    if (v.is_double()) return v.as_double();
    if (v.is_int64()) return static_cast<double>(v.as_int64());
    if (v.is_uint64()) return static_cast<double>(v.as_uint64());
    fail(std::string("field '") + key + "' must be a number");
}

std::string string(const json::object& o, const char* key) {
    const auto& v = field(o, key);
    if (!v.is_string()) fail(std::string("field '") + key + "' must be a string");
    return std::string(v.as_string());
}

const json::array& array(const json::object& o, const char* key) {
    const auto& v = field(o, key);
    if (!v.is_array()) fail(std::string("field '") + key + "' must be an array");
    return v.as_array();
}

const json::object& object(const json::value& v, const char* what) {
    if (!v.is_object()) fail(std::string(what) + " must be an object");
    return v.as_object();
}

}  // namespace json_read

void JsonReader::check(const char* key, const std::string& x, const OneOf& one_of) {
    for (const auto allowed : one_of.values)
        if (x == allowed) return;
    json_read::fail(std::string("field '") + key + "' must be " + one_of.text);
}

void JsonReader::field(const char* key, std::vector<std::string>& xs) {
    for (const auto& n : json_read::array(o_, key)) {
        if (!n.is_string()) json_read::fail(std::string("field '") + key + "' must hold strings");
        xs.emplace_back(n.as_string());
    }
}

void JsonReader::field(const char* key, std::vector<std::pair<std::string, uint64_t>>& xs) {
    for (const auto& e : json_read::array(o_, key)) {
        if (!e.is_array() || e.as_array().size() != 2 || !e.as_array()[0].is_string())
            json_read::fail(std::string("field '") + key + "' must hold [name, count] pairs");
        // The count's error names it 'v', as it always has.
        const json::object count{{"v", e.as_array()[1]}};
        xs.emplace_back(std::string(e.as_array()[0].as_string()), json_read::u64(count, "v"));
    }
}

void JsonReader::field(const char* key, std::vector<CpuTicks>& xs) {
    for (const auto& t : json_read::array(o_, key)) {
        const auto ticks = tick_fields(xs.emplace_back());
        if (!t.is_array() || t.as_array().size() != ticks.size())
            json_read::fail(std::string("field '") + key + "' must hold 8 tick counts per CPU");
        for (size_t i = 0; i < ticks.size(); ++i) *ticks[i] = json_read::u64(json::object{{key, t.as_array()[i]}}, key);
    }
}

void JsonReader::field(const char* key, std::vector<uint64_t>& xs, std::size_t count) {
    const auto& a = json_read::array(o_, key);
    if (a.size() != count)
        json_read::fail(std::string("a system sample's '") + key + "' must hold one count per netdev_names entry");
    for (const auto& n : a) xs.push_back(json_read::u64(json::object{{key, n}}, key));
}

// The four numbers first, then their range, then the rest of the list.
void JsonReader::precheck(const json::object& o, ForeignTuple&) {
    const uint64_t et = json_read::u64(o, "ethertype"), pr = json_read::u64(o, "proto");
    const uint64_t sp = json_read::u64(o, "sport"), dp = json_read::u64(o, "dport");
    if (et > 0xFFFF || pr > 0xFF || sp > 0xFFFF || dp > 0xFFFF) json_read::fail("a foreign tuple field is out of range");
}

json::object to_json(const ReceiverReport& r) { return to_object(r); }

ReceiverReport receiver_report_from_json(const json::value& v) {
    ReceiverReport r;
    JsonReader::read(json_read::object(v, "the report"), r);
    return r;
}

namespace {

// results.json's "test"; the receiver's own results.json has no duration_s
// or preset (with_config false).
json::object test_json(const TestRecord& r, bool with_config) {
    JsonWriter w;
    w.field("name", r.name);
    w.field("id", r.id);
    w.field("started_at", r.started_at);
    w.field("ended_at", r.ended_at);
    if (with_config) {
        w.field("duration_s", r.config.duration_s);
        w.null_if_empty("preset", r.config.preset);
    }
    w.field("status", r.status);
    w.field("status_reason", r.status_reason);
    w.field("coordinated", r.coordinated);
    return w.take();
}

// Per flow: the generator's count with the receiver's matched by flow id
// (null without a receiver).
json::array flows_json(const TestRecord& r) {
    json::array flows;
    const FlowIndex rx_flows = index_flows(r.receiver);
    for (const auto& f : r.generator.flows) {
        json::object row{{"flow_id", f.flow_id}, {"sent", f.packets}};
        if (r.receiver) {
            const ReceiverFlow& rf = lookup(rx_flows, f.flow_id);
            const uint64_t received = unique_received(rf);
            row["received"] = received;
            row["lost"] = static_cast<int64_t>(f.packets) - static_cast<int64_t>(received);
            row["reordered"] = rf.reordered;
            row["duplicates"] = rf.duplicates;
        } else {
            for (const char* key : {"received", "lost", "reordered", "duplicates"}) row[key] = nullptr;
        }
        flows.push_back(std::move(row));
    }
    return flows;
}

}  // namespace

json::object results_json(const TestRecord& r) {
    return {{"schema_version", kResultsSchemaVersion},
            {"test", test_json(r, true)},
            {"config", to_json(r.config)},
            {"summary", to_object(summarize(r))},
            {"flows", flows_json(r)},
            {"generator", to_object(r.generator)},
            {"receiver", r.receiver ? json::value(to_json(*r.receiver)) : json::value(nullptr)}};
}

json::object report_detail::receiver_results_json(const TestRecord& id, const ReceiverReport& report) {
    return {{"schema_version", kResultsSchemaVersion},
            {"test", test_json(id, false)},
            {"config", to_json(id.config)},
            {"receiver", to_json(report)}};
}

}  // namespace ebt
