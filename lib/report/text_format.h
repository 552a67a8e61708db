// The report formats the tools write: JSON through nlohmann-json (keys in the order they
// are set; NaN and ±infinity become null, and each report documents what null means for
// its keys) and CSV (RFC 4180 quoting; "n/a" and "inf" spelled out, as in the text tables).
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <type_traits>

#include <nlohmann/json.hpp>

namespace idef {

using Json = nlohmann::ordered_json;

// The document on one line, then a newline (what --json prints).
std::string json_line(const Json& document);

std::string csv_field(const std::string& s);
// "n/a" for NaN, "inf"/"-inf", else "%.8g".
std::string csv_number(double v);

// One cell of a CSV row: text quoted as needed (csv_field), floating-point numbers as
// csv_number, integers exactly, flags as 1 and 0.
struct CsvCell {
  std::string text;
  CsvCell(const std::string& s) : text(csv_field(s)) {}
  CsvCell(const char* s) : text(csv_field(s)) {}
  CsvCell(double v) : text(csv_number(v)) {}
  CsvCell(bool flag) : text(flag ? "1" : "0") {}
  template <class Integer, std::enable_if_t<std::is_integral_v<Integer> && !std::is_same_v<Integer, bool>, int> = 0>
  CsvCell(Integer v) : text(std::to_string(v)) {}
};

// The cells joined by commas, with the line's newline: every CSV line the tools write.
std::string csv_row(std::initializer_list<CsvCell> cells);

}  // namespace idef
