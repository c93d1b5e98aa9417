// The two JSON visitors of results_fields.hpp's field lists: JsonWriter
// builds the object results.json holds, JsonReader fills a struct from a
// receiver's report that came over the network, strictly (every field
// present and of its type; std::invalid_argument "receiver report: ..."
// naming the field otherwise).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "results_fields.hpp"

namespace ebt {

class JsonWriter;
class JsonReader;

template <class T>
concept Described = requires(JsonWriter& w, const T& x) { describe(w, x); };

template <class T>
boost::json::object to_object(const T& x);

class JsonWriter {
public:
    template <class T, class... Ignored>
    void field(const char* key, const T& x, const Ignored&...) {
        out_[key] = value(x);
    }
    void defaulted(const char* key, const std::string& x, const OneOf&) { out_[key] = value(x); }
    template <class T>
    void omitted_if_absent(const char* key, const std::optional<T>& x) {
        if (x) out_[key] = value(*x);
    }
    void null_if_empty(const char* key, const std::string& x) {
        out_[key] = x.empty() ? boost::json::value(nullptr) : value(x);
    }

    boost::json::object take() { return std::move(out_); }

private:
    template <class T>
    static boost::json::value value(const T& x) {
        if constexpr (Described<T>) return to_object(x);
        else return boost::json::value(x);
    }
    template <class T>
    static boost::json::value value(const std::optional<T>& x) {
        return x ? value(*x) : boost::json::value(nullptr);
    }
    template <class T>
    static boost::json::value value(const std::vector<T>& xs) {
        boost::json::array a;
        a.reserve(xs.size());
        for (const auto& x : xs) a.push_back(value(x));
        return a;
    }
    static boost::json::value value(const std::pair<std::string, uint64_t>& p) {
        return boost::json::array{boost::json::value(p.first), boost::json::value(p.second)};
    }
    static boost::json::value value(const CpuTicks& t) {
        boost::json::array a;
        for (const uint64_t* n : tick_fields(t)) a.push_back(*n);
        return a;
    }

    boost::json::object out_;
};

// x as the JSON object its field list describes.
template <class T>
boost::json::object to_object(const T& x) {
    JsonWriter w;
    describe(w, x);
    return w.take();
}

// The strict readers, by one field's key; each message names the field.
namespace json_read {
[[noreturn]] void fail(const std::string& what);
const boost::json::value& field(const boost::json::object& o, const char* key);
uint64_t u64(const boost::json::object& o, const char* key);
int64_t i64(const boost::json::object& o, const char* key);
double number(const boost::json::object& o, const char* key);
std::string string(const boost::json::object& o, const char* key);
const boost::json::array& array(const boost::json::object& o, const char* key);
const boost::json::object& object(const boost::json::value& v, const char* what);
}  // namespace json_read

class JsonReader {
public:
    explicit JsonReader(const boost::json::object& o) : o_(o) {}

    template <class T>
        requires(std::is_unsigned_v<T> && !std::is_same_v<T, bool>)
    void field(const char* key, T& x) {
        x = static_cast<T>(json_read::u64(o_, key));
    }
    void field(const char* key, uint32_t& x, const Below& below) {
        const uint64_t n = json_read::u64(o_, key);
        if (n >= below.limit) json_read::fail(below.message);
        x = static_cast<uint32_t>(n);
    }
    void field(const char* key, int64_t& x) { x = json_read::i64(o_, key); }
    void field(const char* key, double& x) { x = json_read::number(o_, key); }
    void field(const char* key, std::string& x) { x = json_read::string(o_, key); }
    void field(const char* key, std::string& x, const OneOf& one_of) {
        x = json_read::string(o_, key);
        check(key, x, one_of);
    }
    void defaulted(const char* key, std::string& x, const OneOf& one_of) {
        if (o_.contains(key)) field(key, x, one_of);
    }
    template <class T>
    void omitted_if_absent(const char* key, std::optional<T>& x) {
        if (o_.contains(key)) field(key, x.emplace());
    }
    // Present, null when absent.
    template <class T>
        requires std::is_arithmetic_v<T>
    void field(const char* key, std::optional<T>& x) {
        if (json_read::field(o_, key).is_null()) x.reset();
        else field(key, x.emplace());
    }
    // A section: missing or null when absent.
    template <Described T>
    void field(const char* key, std::optional<T>& x) {
        const auto* v = o_.if_contains(key);
        if (v == nullptr || v->is_null()) return x.reset();
        read(json_read::object(*v, key), x.emplace());
    }
    template <Described T, class... Context>
    void field(const char* key, std::vector<T>& xs, const char* element, const Context&... context) {
        for (const auto& e : json_read::array(o_, key)) read(json_read::object(e, element), xs.emplace_back(), context...);
    }
    void field(const char* key, std::vector<std::string>& xs);
    void field(const char* key, std::vector<std::pair<std::string, uint64_t>>& xs);
    void field(const char* key, std::vector<CpuTicks>& xs);
    // One count per name: netdev_count of them.
    void field(const char* key, std::vector<uint64_t>& xs, std::size_t count);

    // x from o, as its field list says.
    template <class T, class... Context>
    static void read(const boost::json::object& o, T& x, const Context&... context) {
        precheck(o, x);
        JsonReader r(o);
        describe(r, x, context...);
    }

private:
    static void check(const char* key, const std::string& x, const OneOf& one_of);
    // Checks made before the field list is read (the order the reader's
    // errors come in is part of its behaviour).
    template <class T>
    static void precheck(const boost::json::object&, T&) {}
    static void precheck(const boost::json::object& o, ForeignTuple&);

    const boost::json::object& o_;
};

}  // namespace ebt
