// The report formats the tools write: JSON through nlohmann-json (keys in the order they
// are set; NaN and ±infinity become null, and each report documents what null means for
// its keys) and CSV (RFC 4180 quoting; "n/a" and "inf" spelled out, as in the text tables).
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace idef {

using Json = nlohmann::ordered_json;

// The document on one line, then a newline (what --json prints).
std::string json_line(const Json& document);

std::string csv_field(const std::string& s);
// "n/a" for NaN, "inf"/"-inf", else "%.8g".
std::string csv_number(double v);

}  // namespace idef
