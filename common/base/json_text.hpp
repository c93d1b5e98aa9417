// JSON text for the files and lines we write (results.json, the receiver's
// results.json, dpdk-gen's --stats-json lines).
//
// Why not boost::json::serialize: it writes every double in exponent form
// (10000.0 as "1E4", 0.15 as "1.5E-1") and NaN/Infinity as the bare words
// NaN and Infinity, which are not JSON.  Here:
//   - int64/uint64 values as integers;
//   - a double in the shortest text that reads back to the same double
//     (std::to_chars), in plain notation when 1e-7 <= |x| < 1e21 (a whole
//     number then has no decimal point: 10000.0 is "10000"), else as d.ddde+N
//     (1e300 is "1e+300", 1e-8 is "1e-8");
//   - -0.0 as "-0.0" (a bare "-0" would read back as the integer 0);
//   - NaN and +-Infinity as null: JSON has no such numbers; a field that must
//     be a number then fails the schema instead of breaking every parser.
// A whole-number double thus reads back as an integer JSON value: readers
// of double fields must take integers too (boost::json::value::to_number<double>()
// does).
#pragma once

#include <string>

#include <boost/json/value.hpp>

namespace ebt {

// v as JSON text.  pretty: two-space indentation, one member or element a
// line (empty objects and arrays as {} and []); otherwise no whitespace.
// No trailing newline.
std::string json_text(const boost::json::value& v, bool pretty = false);

// One double as json_text writes it (null for NaN and infinities).
std::string json_number_text(double d);

}  // namespace ebt
