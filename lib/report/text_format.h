// Numbers and names in the report formats the tools write: JSON (no NaN or infinity there)
// and CSV (RFC 4180 quoting; "n/a" and "inf" spelled out, as in the text tables).
#pragma once
#include <string>

namespace idef {

std::string json_string(const std::string& s);
// null for NaN and ±infinity (each report documents what null means for its keys).
std::string json_number(double v);

std::string csv_field(const std::string& s);
// "n/a" for NaN, "inf"/"-inf", else "%.8g".
std::string csv_number(double v);

}  // namespace idef
