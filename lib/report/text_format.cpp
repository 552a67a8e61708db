#include "report/text_format.h"

#include <cmath>
#include <cstdio>

namespace idef {

std::string json_line(const Json& document) {
  // Invalid UTF-8 in a name (a file name is bytes) is replaced rather than thrown on.
  return document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string csv_number(double v) {
  if (std::isnan(v)) return "n/a";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.8g", v);
  return buf;
}

std::string csv_row(std::initializer_list<CsvCell> cells) {
  std::string line;
  bool first = true;
  for (const CsvCell& cell : cells) {
    if (!first) line += ',';
    first = false;
    line += cell.text;
  }
  return line + "\n";
}

}  // namespace idef
